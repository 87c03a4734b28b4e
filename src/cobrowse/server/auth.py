"""Who an agent is: the link secret, signed-in agent cookies, CRM API keys."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cobrowse.config import Config

AGENT_COOKIE = "cobrowse_agent"
SECRET_FILE = "link-secret"


def load_link_secret(config: Config) -> str:
    """The configured secret, or the one kept in the data directory (made once, 0600)."""
    if config.auth.link_secret:
        return config.auth.link_secret
    path = Path(config.server.data_dir) / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


def hash_api_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> tuple[str, str]:
    """(key, the line for auth.api_keys)."""
    key = "cbk_" + secrets.token_urlsafe(32)
    return key, hash_api_key(key)


def api_key_valid(presented: str, configured: tuple[str, ...]) -> bool:
    digest = hash_api_key(presented)
    ok = False
    for entry in configured:
        ok |= hmac.compare_digest(digest, entry)
    return ok


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    expires_at: float


@dataclass(slots=True)
class AgentSessions:
    """Signed-in agents by cookie value; server-side, so sign-out is immediate."""

    ttl: float
    _agents: dict[str, Agent] = field(default_factory=dict)

    def sign_in(self, name: str, *, now: float) -> str:
        self._agents = {k: a for k, a in self._agents.items() if a.expires_at > now}
        cookie = secrets.token_urlsafe(32)
        self._agents[cookie] = Agent(name=name, expires_at=now + self.ttl)
        return cookie

    def agent(self, cookie: str | None, *, now: float) -> Agent | None:
        if not cookie:
            return None
        agent = self._agents.get(cookie)
        if agent is None or agent.expires_at <= now:
            return None
        return agent

    def sign_out(self, cookie: str | None) -> None:
        if cookie:
            self._agents.pop(cookie, None)
