"""CRM-signed agent sign-in links: a short-lived, single-use HS256 JWT.

The recipe a CRM follows (README, "CRM integration"):
    header  {"alg": "HS256", "typ": "JWT"}
    claims  {"aud": "cobrowse:agent-link", "sub": "<agent display name>",
             "iat": <now>, "exp": <now + at most 3600>, "jti": "<random, >= 16 chars>"}
    link    <server>/agent/signin?token=<jwt>
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import jwt

AUDIENCE = "cobrowse:agent-link"
MAX_LIFETIME = 3600.0
LEEWAY = 30.0
MAX_NAME_LENGTH = 80


class LinkError(Exception):
    """The link is not valid: bad signature, expired, replayed or malformed."""


@dataclass(frozen=True, slots=True)
class AgentLink:
    agent: str
    jti: str
    expires_at: float


def agent_name_problem(name: str) -> str | None:
    """Why `name` cannot be an agent's display name, or None if it can."""
    cleaned = name.strip()
    if not cleaned:
        return "the agent name is empty"
    if len(cleaned) > MAX_NAME_LENGTH:
        return f"the agent name is longer than {MAX_NAME_LENGTH} characters"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        return "the agent name contains control characters"
    return None


def sign_link(*, secret: str, agent: str, now: float, ttl: float) -> tuple[str, float]:
    """A signed token for `agent`, valid `ttl` seconds; returns (token, expires_at)."""
    problem = agent_name_problem(agent)
    if problem:
        raise LinkError(problem)
    if not 0 < ttl <= MAX_LIFETIME:
        raise LinkError(f"a link lives at most {int(MAX_LIFETIME)} seconds")
    expires_at = int(now + ttl)
    claims = {
        "aud": AUDIENCE,
        "sub": agent.strip(),
        "iat": int(now),
        "exp": expires_at,
        "jti": secrets.token_urlsafe(18),
    }
    return jwt.encode(claims, secret, algorithm="HS256"), float(expires_at)


def verify_link(token: str, *, secret: str, now: float) -> AgentLink:
    """Check signature, audience, times and shape; replay is the caller's cache."""
    if len(token) > 4096:
        raise LinkError("token too long")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={
                "require": ["aud", "sub", "iat", "exp", "jti"],
                "verify_exp": False,  # checked below against our clock
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise LinkError(f"invalid link: {exc}") from None
    iat, exp, sub, jti = claims["iat"], claims["exp"], claims["sub"], claims["jti"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp)):
        raise LinkError("invalid link: iat and exp must be numbers")
    if now >= exp + LEEWAY:
        raise LinkError("the link has expired")
    if iat > now + LEEWAY:
        raise LinkError("the link was issued in the future")
    if exp - iat > MAX_LIFETIME:
        raise LinkError("the link lives too long (at most one hour)")
    if not isinstance(jti, str) or len(jti) < 16:
        raise LinkError("invalid link: jti must be a random string of 16+ characters")
    if not isinstance(sub, str) or agent_name_problem(sub):
        raise LinkError("invalid link: bad agent name")
    return AgentLink(agent=sub.strip(), jti=jti, expires_at=float(exp))


@dataclass(slots=True)
class ReplayCache:
    """Remembers used link ids until they expire, so each link works once."""

    _seen: dict[str, float] = field(default_factory=dict)

    def use(self, link: AgentLink, *, now: float) -> bool:
        """True the first time a link id is used; False on replay."""
        self._seen = {k: exp for k, exp in self._seen.items() if exp + LEEWAY > now}
        if link.jti in self._seen:
            return False
        self._seen[link.jti] = link.expires_at
        return True
