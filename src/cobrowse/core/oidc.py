"""OpenID Connect sign-in, the pure half: PKCE, the authorization URL, the discovery
document, and the checks of an id_token (OpenID Connect Core 1.0, section 3.1.3.7).

The server half (server/oidc.py) fetches documents and keys and talks to the token
endpoint; everything that decides whether a sign-in is good is here, over plain data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cobrowse.core.links import agent_name_problem
from cobrowse.core.roles import Role, RoleError, parse_team, role_from_groups

LEEWAY = 60.0
MAX_ID_TOKEN_AGE = 600.0  # an id_token issued longer ago than this is refused
# Asymmetric only: an HS256 id_token would be signed with the client secret, which
# the IdP and we share; we do not accept that (no alg confusion through the JWKS either).
ALGORITHMS = ("RS256", "ES256")


class OidcError(Exception):
    """A refused sign-in; `code` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UnknownKey(OidcError):
    """The id_token names a key the JWKS we hold does not have (fetch it again once)."""


@dataclass(frozen=True, slots=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636."""
    verifier = _b64(secrets.token_bytes(32))
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


def parse_discovery(doc: Any, *, issuer: str) -> Discovery:
    """The endpoints we use; the document's issuer must be exactly the configured one."""
    if not isinstance(doc, Mapping):
        raise OidcError("bad_discovery", "the discovery document is not a JSON object")
    if doc.get("issuer") != issuer:
        raise OidcError(
            "bad_discovery", f"the discovery document names issuer {doc.get('issuer')!r}"
        )
    secure = issuer.startswith("https://")
    values: dict[str, str] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = doc.get(name)
        if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
            raise OidcError("bad_discovery", f"the discovery document has no usable {name}")
        if secure and not url.startswith("https://"):
            raise OidcError("bad_discovery", f"{name} is not https while the issuer is")
        values[name] = url
    methods = doc.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise OidcError("bad_discovery", "the provider does not support PKCE with S256")
    return Discovery(issuer=issuer, **values)


def authorization_url(
    discovery: Discovery,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: str,
    state: str,
    nonce: str,
    code_challenge: str,
) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    sep = "&" if "?" in discovery.authorization_endpoint else "?"
    return discovery.authorization_endpoint + sep + query


def _key_algorithm(jwk: jwt.PyJWK) -> str | None:
    key = jwk.key
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    return None


def signing_key(token: str, jwks: Any) -> tuple[Any, str]:
    """The JWKS key the token names, and the one algorithm it is pinned to."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise OidcError("bad_id_token", f"the id_token is malformed: {exc}") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise OidcError("bad_id_token", f"id_token algorithm {str(alg)[:16]!r} is not accepted")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise OidcError("bad_jwks", "the provider's JWKS has no keys")
    usable: list[tuple[Any, str, str | None]] = []
    for entry in keys:
        if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
            continue
        try:
            jwk = jwt.PyJWK(dict(entry))
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue
        key_alg = _key_algorithm(jwk)
        if key_alg is None or entry.get("alg", key_alg) != key_alg:
            continue
        usable.append((jwk.key, key_alg, entry.get("kid")))
    if kid is not None:
        matches = [u for u in usable if u[2] == kid]
        if not matches:
            raise UnknownKey("unknown_key", "the id_token is signed with a key we do not know")
    else:
        matches = usable if len(usable) == 1 else []
        if not matches:
            raise OidcError("bad_id_token", "the id_token names no key (kid) and several exist")
    key, key_alg, _ = matches[0]
    if key_alg != alg:
        raise OidcError("bad_id_token", f"the key {kid!r} is for {key_alg}, not {alg}")
    return key, key_alg


def verify_id_token(
    token: str,
    *,
    jwks: Any,
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
) -> dict[str, Any]:
    """The id_token's claims, after every check; OidcError (UnknownKey) otherwise."""
    if len(token) > 16_384:
        raise OidcError("bad_id_token", "the id_token is too long")
    key, alg = signing_key(token, jwks)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=client_id,
            issuer=issuer,
            options={
                "require": ["iss", "aud", "exp", "iat", "sub", "nonce"],
                "verify_exp": False,  # checked below against our clock
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise OidcError("bad_signature", "the id_token's signature does not verify") from None
    except jwt.InvalidAudienceError:
        raise OidcError("wrong_audience", "the id_token is not for this client") from None
    except jwt.InvalidIssuerError:
        raise OidcError("wrong_issuer", "the id_token is from another issuer") from None
    except jwt.InvalidTokenError as exc:
        raise OidcError("bad_id_token", f"the id_token is not valid: {exc}") from None
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise OidcError("wrong_audience", "the id_token has several audiences and no azp of ours")
    exp, iat = claims["exp"], claims["iat"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat)):
        raise OidcError("bad_id_token", "exp and iat must be numbers")
    if now >= exp + LEEWAY:
        raise OidcError("expired", "the id_token has expired")
    if iat > now + LEEWAY or iat < now - MAX_ID_TOKEN_AGE:
        raise OidcError("bad_id_token", "the id_token was not issued just now")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > now + LEEWAY:
        raise OidcError("bad_id_token", "the id_token is not valid yet")
    got = claims["nonce"]
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise OidcError("wrong_nonce", "the id_token's nonce is not the one we sent")
    return claims


def groups_of(claims: Mapping[str, Any], groups_claim: str) -> list[str]:
    """The user's groups from the id_token (one string counts as one group)."""
    groups = claims.get(groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    return [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []


def agent_role(
    claims: Mapping[str, Any],
    *,
    groups_claim: str,
    supervisor_groups: Sequence[str],
    admin_groups: Sequence[str],
    team_claim: str,
) -> tuple[Role, str | None]:
    """The console role the user's groups map to (agent when none does), and their team
    (from `team_claim`; none when unset, absent or unusable)."""
    mapping = {g: Role.SUPERVISOR for g in supervisor_groups} | {
        g: Role.ADMIN for g in admin_groups
    }
    role = role_from_groups(groups_of(claims, groups_claim), mapping)
    try:
        team = parse_team(claims.get(team_claim)) if team_claim else None
    except RoleError:
        team = None
    return role, team


def agent_name(
    claims: Mapping[str, Any],
    *,
    name_claim: str,
    groups_claim: str,
    allowed_groups: Sequence[str],
) -> str:
    """The display name for the agent, if their groups allow them in."""
    if allowed_groups and not set(allowed_groups) & set(groups_of(claims, groups_claim)):
        raise OidcError("not_in_group", "your account is not in a group allowed to sign in")
    name = claims.get(name_claim)
    if not isinstance(name, str) or agent_name_problem(name):
        raise OidcError("no_name", f"the identity provider sent no usable {name_claim!r} claim")
    return name.strip()
