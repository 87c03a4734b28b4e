"""Who an agent is: the link secret and CRM keys, signed-in agent cookies."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cobrowse.config import Config, ConfigError
from cobrowse.core.links import LinkError, LinkKey, public_key

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


def load_link_keys(config: Config) -> list[LinkKey]:
    """The CRM public keys of `auth.link_public_keys` ("PATH" or "KID=PATH", PEM)."""
    keys = []
    for entry in config.auth.link_public_keys:
        kid, sep, path = entry.partition("=")
        if not sep:
            kid, path = "", entry
        try:
            pem = Path(path.strip()).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"auth.link_public_keys: cannot read {path}: {exc.strerror}"
            ) from None
        try:
            key = public_key(pem, kid=kid.strip() or None, issuer=config.auth.link_issuer or None)
        except LinkError as exc:
            raise ConfigError(f"auth.link_public_keys: {path}: {exc}") from None
        keys.append(key)
    return keys


@dataclass(frozen=True, slots=True)
class Agent:
    name: str  # what the visitor sees; two agents may share one
    expires_at: float
    via: str = "link"  # how they signed in: "link", "account" or "sso"
    id: str = ""  # who they are: "link:<name>", "account:<username>", "sso:<sub>"


@dataclass(slots=True)
class AgentSessions:
    """Signed-in agents by cookie value; server-side, so sign-out is immediate."""

    ttl: float
    _agents: dict[str, Agent] = field(default_factory=dict)

    def sign_in(
        self, name: str, *, now: float, via: str = "link", subject: str | None = None
    ) -> str:
        """A new cookie for an agent. `subject` is their stable id within `via` (the
        account's username, the SSO `sub`); a CRM link vouches for the name alone."""
        self._agents = {k: a for k, a in self._agents.items() if a.expires_at > now}
        cookie = secrets.token_urlsafe(32)
        agent_id = f"{via}:{subject if subject is not None else name}"
        self._agents[cookie] = Agent(name=name, expires_at=now + self.ttl, via=via, id=agent_id)
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
