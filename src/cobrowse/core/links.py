"""CRM-signed agent sign-in links: a short-lived, single-use JWT.

The recipe a CRM follows (README, "CRM integration"):
    header  {"alg": "HS256", "typ": "JWT"}                 shared secret (auth.link_secret)
         or {"alg": "RS256" | "ES256", "kid": "<key id>"}   the CRM's private key, whose
                                                            public half is configured here
    claims  {"aud": "cobrowse:agent-link", "sub": "<agent display name>",
             "iat": <now>, "exp": <now + at most 3600>, "jti": "<random, >= 16 chars>"}
            (+ "iss" when auth.link_issuer is set, for public-key links)
            (+ optional "role": "agent" | "supervisor" | "admin", default "agent",
               and "team": "<team name>", core/roles.py)
    link    <server>/agent/signin?token=<jwt>

Every configured key is pinned to one algorithm, chosen from the key itself: the
shared secret to HS256, an RSA key to RS256, a P-256 key to ES256. A token's
header picks a key (by `kid`, or among the keys without one by `alg`) and is then
verified with that key's algorithm only, so a token can never make us use a
public key as an HMAC secret (the classic RS256/HS256 confusion).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from cobrowse.core.roles import Role, RoleError, parse_role, parse_team

AUDIENCE = "cobrowse:agent-link"
MAX_LIFETIME = 3600.0
LEEWAY = 30.0
MAX_NAME_LENGTH = 80
MIN_RSA_BITS = 2048
MAX_REPLAY_ENTRIES = 200_000


class LinkError(Exception):
    """The link is not valid: bad signature, expired, replayed or malformed."""


@dataclass(frozen=True, slots=True)
class AgentLink:
    agent: str
    jti: str
    expires_at: float
    role: Role = Role.AGENT
    team: str | None = None


@dataclass(frozen=True, slots=True)
class LinkKey:
    """One key links may be signed with, pinned to one algorithm."""

    alg: str  # "HS256" (key: the shared secret, str) or "RS256" / "ES256" (a public key)
    key: Any = field(repr=False)
    kid: str | None = None
    issuer: str | None = None  # when set, the token's `iss` must equal it


def secret_key(secret: str) -> LinkKey:
    return LinkKey(alg="HS256", key=secret)


def public_key(pem: bytes, *, kid: str | None = None, issuer: str | None = None) -> LinkKey:
    """A CRM's public key from PEM; RSA (2048+ bits) means RS256, P-256 means ES256."""
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise LinkError(f"not a PEM public key: {exc}") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise LinkError(f"RSA keys must have at least {MIN_RSA_BITS} bits")
        return LinkKey(alg="RS256", key=key, kid=kid, issuer=issuer)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return LinkKey(alg="ES256", key=key, kid=kid, issuer=issuer)
    raise LinkError("only RSA (RS256) and P-256 (ES256) public keys are supported")


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


def sign_link(
    *,
    secret: str,
    agent: str,
    now: float,
    ttl: float,
    role: Role = Role.AGENT,
    team: str | None = None,
) -> tuple[str, int]:
    """A signed token for `agent` (in `role`, of `team`), valid `ttl` seconds; returns
    (token, expires_at: whole Unix seconds, as the token's `exp`)."""
    problem = agent_name_problem(agent)
    if problem:
        raise LinkError(problem)
    try:
        team = parse_team(team)
    except RoleError as exc:
        raise LinkError(str(exc)) from None
    if not 0 < ttl <= MAX_LIFETIME:
        raise LinkError(f"a link lives at most {int(MAX_LIFETIME)} seconds")
    expires_at = int(now + ttl)
    claims = {
        "aud": AUDIENCE,
        "sub": agent.strip(),
        "iat": int(now),
        "exp": expires_at,
        "jti": secrets.token_urlsafe(18),
        "role": Role(role).value,
    }
    if team is not None:
        claims["team"] = team
    return jwt.encode(claims, secret, algorithm="HS256"), expires_at


def choose_key(token: str, keys: Sequence[LinkKey]) -> LinkKey:
    """The one configured key this token may be verified with (see the module doc)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise LinkError(f"invalid link: {exc}") from None
    alg, kid = header.get("alg"), header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise LinkError("invalid link: kid must be a string")
    for key in keys:
        if key.kid == kid and key.alg == alg:
            return key
    if kid is not None and not any(key.kid == kid for key in keys):
        raise LinkError("invalid link: unknown key id")
    raise LinkError(f"invalid link: no key for algorithm {str(alg)[:16]!r}")


def verify_link(
    token: str,
    *,
    now: float,
    secret: str | None = None,
    keys: Sequence[LinkKey] = (),
) -> AgentLink:
    """Check signature, audience, issuer, times and shape; replay is the caller's cache."""
    if len(token) > 4096:
        raise LinkError("token too long")
    candidates = [*keys, *([secret_key(secret)] if secret else [])]
    key = choose_key(token, candidates)
    require = ["aud", "sub", "iat", "exp", "jti"] + (["iss"] if key.issuer else [])
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[key.alg],
            audience=AUDIENCE,
            issuer=key.issuer,
            options={
                "require": require,
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
    if not isinstance(jti, str) or len(jti) < 16 or len(jti) > 256:
        raise LinkError("invalid link: jti must be a random string of 16+ characters")
    if not isinstance(sub, str) or agent_name_problem(sub):
        raise LinkError("invalid link: bad agent name")
    try:
        role = parse_role(claims.get("role", Role.AGENT.value))
        team = parse_team(claims.get("team"))
    except RoleError as exc:
        raise LinkError(f"invalid link: {exc}") from None
    return AgentLink(agent=sub.strip(), jti=jti, expires_at=float(exp), role=role, team=team)


def remembered_until(link: AgentLink) -> float:
    """How long a used link id must be remembered: until verify_link refuses it anyway."""
    return link.expires_at + LEEWAY


@dataclass(slots=True)
class ReplayCache:
    """Remembers used link ids until they expire, so each link works once.

    Bounded: when full, new links are refused (fail closed) rather than old
    entries dropped, since dropping one would let its link be used again.
    """

    max_entries: int = MAX_REPLAY_ENTRIES
    _seen: dict[str, float] = field(default_factory=dict)

    def use(self, link: AgentLink, *, now: float) -> bool:
        """True the first time a link id is used; False on replay (or when full)."""
        self._seen = {k: until for k, until in self._seen.items() if until > now}
        if link.jti in self._seen or len(self._seen) >= self.max_entries:
            return False
        self._seen[link.jti] = remembered_until(link)
        return True
