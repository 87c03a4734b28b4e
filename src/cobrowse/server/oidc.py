"""OpenID Connect sign-in, the I/O half: discovery and JWKS (cached), the pending
logins (state, nonce, PKCE verifier; kept in the guard store, so that a login started
on one node finishes on any), and the code exchange at the token endpoint.

Flow (authorization code with PKCE): /agent/oidc/start makes a pending login and
sends the browser to the provider; the provider sends it back to the callback with
`code` and `state`; the state must be the one this browser started (a cookie) and is
used up; the code is exchanged with the client secret and the PKCE verifier; the
id_token is checked (core/oidc.py) and the agent is signed in.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from cobrowse.config import AuthConfig
from cobrowse.core.oidc import (
    Discovery,
    OidcError,
    UnknownKey,
    agent_name,
    agent_role,
    authorization_url,
    parse_discovery,
    pkce_pair,
    verify_id_token,
)
from cobrowse.core.roles import Role
from cobrowse.store.guards import GuardStore, Pending

__all__ = ["MAX_PENDING", "PENDING_TTL", "OidcClient", "Pending"]

PENDING_TTL = 600.0
# Anyone may start a sign-in, so the table is bounded; filling it to push out a real
# agent's pending login takes MAX_PENDING starts within the minute that agent needs.
MAX_PENDING = 10_000
DOCUMENT_TTL = 3600.0
JWKS_REFETCH_INTERVAL = 60.0  # an unknown kid refetches the JWKS at most this often
HTTP_TIMEOUT = 10.0
MAX_DOCUMENT_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SsoUser:
    name: str
    subject: str  # the provider's `sub`
    role: Role
    team: str | None


@dataclass(slots=True)
class OidcClient:
    auth: AuthConfig
    redirect_uri: str
    logins: GuardStore  # the pending logins, by state
    _session: aiohttp.ClientSession | None = None
    _discovery: tuple[float, Discovery] | None = None
    _jwks: tuple[float, Any] | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self, *, now: float) -> tuple[str, str]:
        """(the provider's authorization URL, the state to bind to this browser)."""
        discovery = await self.discovery(now=now)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        await self.logins.begin_login(
            state, Pending(nonce, verifier, now + PENDING_TTL), now=now, max_pending=MAX_PENDING
        )
        url = authorization_url(
            discovery,
            client_id=self.auth.oidc_client_id,
            redirect_uri=self.redirect_uri,
            scopes=self.auth.oidc_scopes,
            state=state,
            nonce=nonce,
            code_challenge=challenge,
        )
        return url, state

    async def finish(
        self, *, state: str, code: str, browser_state: str | None, now: float
    ) -> SsoUser:
        """Who signed in, once every check passed; OidcError otherwise."""
        if not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
            raise OidcError("bad_state", "This sign-in was not started in this browser.")
        pending = await self.logins.take_login(state, now=now)
        if pending is None:
            raise OidcError("bad_state", "This sign-in expired or was already used.")
        if not code or len(code) > 4096:
            raise OidcError("bad_code", "The identity provider sent no code.")
        discovery = await self.discovery(now=now)
        id_token = await self._exchange(discovery, code=code, verifier=pending.verifier)
        claims = await self._verify(id_token, nonce=pending.nonce, now=now)
        name = agent_name(
            claims,
            name_claim=self.auth.oidc_name_claim,
            groups_claim=self.auth.oidc_groups_claim,
            allowed_groups=self.auth.oidc_allowed_groups,
        )
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise OidcError("bad_id_token", "the id_token's sub is not a usable string")
        role, team = agent_role(
            claims,
            groups_claim=self.auth.oidc_groups_claim,
            supervisor_groups=self.auth.oidc_supervisor_groups,
            admin_groups=self.auth.oidc_admin_groups,
            team_claim=self.auth.oidc_team_claim,
        )
        return SsoUser(name=name, subject=subject, role=role, team=team)

    async def finish_abandoned(self, state: str, *, now: float) -> None:
        """The provider sent an error instead of a code: forget that login."""
        await self.logins.take_login(state, now=now)

    async def _verify(self, id_token: str, *, nonce: str, now: float) -> dict[str, Any]:
        def check(jwks: Any) -> dict[str, Any]:
            return verify_id_token(
                id_token,
                jwks=jwks,
                issuer=self.auth.oidc_issuer,
                client_id=self.auth.oidc_client_id,
                nonce=nonce,
                now=now,
            )

        try:
            return check(await self.jwks(now=now))
        except UnknownKey:
            # Keys rotate: fetch once more, but not more often than JWKS_REFETCH_INTERVAL.
            fetched_at = self._jwks[0] if self._jwks else 0.0
            if now - fetched_at < JWKS_REFETCH_INTERVAL:
                raise
            return check(await self.jwks(now=now, refresh=True))

    async def discovery(self, *, now: float) -> Discovery:
        if self._discovery is None or now - self._discovery[0] > DOCUMENT_TTL:
            url = self.auth.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
            doc = await self._get_json(url, what="discovery document")
            self._discovery = (now, parse_discovery(doc, issuer=self.auth.oidc_issuer))
        return self._discovery[1]

    async def jwks(self, *, now: float, refresh: bool = False) -> Any:
        async with self._lock:
            if refresh or self._jwks is None or now - self._jwks[0] > DOCUMENT_TTL:
                discovery = await self.discovery(now=now)
                self._jwks = (now, await self._get_json(discovery.jwks_uri, what="JWKS"))
            return self._jwks[1]

    async def _exchange(self, discovery: Discovery, *, code: str, verifier: str) -> str:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        if self.auth.oidc_client_secret:  # client_secret_basic, RFC 6749 section 2.3.1
            user = quote(self.auth.oidc_client_id, safe="")
            password = quote(self.auth.oidc_client_secret, safe="")
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        else:  # a public client: PKCE alone
            form["client_id"] = self.auth.oidc_client_id
        try:
            async with self._http().post(
                discovery.token_endpoint, data=form, headers=headers, allow_redirects=False
            ) as r:
                body = await r.content.read(MAX_DOCUMENT_BYTES)
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OidcError("provider_unreachable", f"the token endpoint failed: {exc}") from None
        try:
            data = _json(body)
        except ValueError:
            data = None
        if status != 200 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            raise OidcError("token_refused", f"the token endpoint answered {status} {error or ''}")
        id_token = data.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("bad_id_token", "the token endpoint sent no id_token")
        return id_token

    async def _get_json(self, url: str, *, what: str) -> Any:
        try:
            async with self._http().get(url, allow_redirects=False) as r:
                body = await r.content.read(MAX_DOCUMENT_BYTES)
                if r.status != 200:
                    raise OidcError("provider_error", f"the {what} answered {r.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OidcError("provider_unreachable", f"cannot fetch the {what}: {exc}") from None
        try:
            return _json(body)
        except ValueError:
            raise OidcError("provider_error", f"the {what} is not JSON") from None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
