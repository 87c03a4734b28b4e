"""A small OpenID Connect provider for the tests, following the spec where it matters.

It stands in for Keycloak or Azure AD the way upstream_site.py stands in for a real
site: discovery (OpenID Connect Discovery 1.0), a JWKS, an authorization endpoint
with a login form (authorization code flow, PKCE S256 required, state and nonce
passed through), and a token endpoint that authenticates the client
(client_secret_basic or client_secret_post), checks the code (single use, short
lived, bound to client and redirect_uri) and the PKCE verifier, and returns an
RS256-signed id_token. Knobs let a test make the id_token wrong in one way at a time.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.e2e.demo_process import free_port, serving_in_thread

CLIENT_ID = "cobrowse-console"
CLIENT_SECRET = "the client's secret: s3cr3t/with+odd=chars"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class User:
    password: str
    name: str
    groups: list[str] = field(default_factory=list)


@dataclass
class AuthRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    challenge: str


@dataclass
class Code:
    request: AuthRequest
    username: str
    expires_at: float


@dataclass
class Provider:
    issuer: str
    clock: Callable[[], float] = time.time
    # Where browsers reach the login page, if not at the issuer's host: the tests in
    # Chromium use another site's name for it (front channel) while the server talks
    # to the issuer's address (back channel), as Keycloak's separate hostnames allow.
    front_url: str = ""
    redirect_uris: list[str] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "idp-key-1"
    # Knobs: what to change in the next id_tokens.
    claims_override: dict[str, Any] = field(default_factory=dict)
    sign_with: Any = None  # another private key (same kid): a bad signature
    header_kid: str | None = None  # another kid in the header
    hs256_secret: str | None = None  # sign HS256 with this secret instead
    # What happened, for assertions.
    token_requests: list[dict[str, str]] = field(default_factory=list)
    jwks_fetches: int = 0
    _requests: dict[str, AuthRequest] = field(default_factory=dict)
    _codes: dict[str, Code] = field(default_factory=dict)

    # --- documents ------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.front_url or self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def rotate(self) -> None:
        """A new signing key with a new kid (the old one is gone from the JWKS)."""
        self.key = new_key()
        self.kid = f"idp-key-{secrets.token_hex(3)}"

    # --- the id_token -----------------------------------------------------------------

    def id_token(self, code: Code) -> str:
        now = int(self.clock())
        user = self.users[code.username]
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"sub-{code.username}",
            "aud": code.request.client_id,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "nonce": code.request.nonce,
            "name": user.name,
            "preferred_username": code.username,
            "groups": user.groups,
        }
        claims.update(self.claims_override)
        claims = {k: v for k, v in claims.items() if v is not None}
        if self.hs256_secret is not None:
            return jwt.encode(claims, self.hs256_secret, "HS256", headers={"kid": self.kid})
        kid = self.header_kid or self.kid
        return jwt.encode(claims, self.sign_with or self.key, "RS256", headers={"kid": kid})

    # --- endpoints ----------------------------------------------------------------------

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse(self.discovery())

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse(self.jwks())

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", self._authorize, methods=["GET", "POST"]),
                Route("/token", self._token, methods=["POST"]),
            ]
        )

    async def _authorize(self, request: Request) -> Response:
        if request.method == "POST":
            return await self._login(request)
        q = request.query_params
        client_id, redirect_uri = q.get("client_id", ""), q.get("redirect_uri", "")
        if client_id != CLIENT_ID or redirect_uri not in self.redirect_uris:
            # Never redirect to an unregistered URI (RFC 6749 section 4.1.2.1).
            return HTMLResponse("<h1>Unknown client or redirect URI</h1>", status_code=400)
        state = q.get("state", "")

        def refuse(error: str) -> Response:
            query = urlencode({"error": error, "state": state})
            return RedirectResponse(f"{redirect_uri}?{query}", status_code=303)

        if q.get("response_type") != "code":
            return refuse("unsupported_response_type")
        if "openid" not in q.get("scope", "").split():
            return refuse("invalid_scope")
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            return refuse("invalid_request")
        request_id = secrets.token_urlsafe(16)
        self._requests[request_id] = AuthRequest(
            client_id, redirect_uri, state, q.get("nonce", ""), q["code_challenge"]
        )
        return self._form(request_id)

    def _form(self, request_id: str, error: str = "", username: str = "") -> HTMLResponse:
        alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Test identity provider</title></head><body><main>
<h1>Test identity provider</h1>{alert}
<form method="post" action="/authorize">
<input type="hidden" name="request_id" value="{html.escape(request_id)}">
<p><label for="u">Username</label>
<input id="u" name="username" value="{html.escape(username)}"></p>
<p><label for="p">Password</label> <input id="p" name="password" type="password"></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>""",
            status_code=401 if error else 200,
        )

    async def _login(self, request: Request) -> Response:
        form = await request.form()
        request_id = str(form.get("request_id", ""))
        auth = self._requests.get(request_id)
        if auth is None:
            return HTMLResponse("<h1>Unknown request</h1>", status_code=400)
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user.password, password):
            return self._form(request_id, "Invalid username or password.", username)
        del self._requests[request_id]
        code = secrets.token_urlsafe(24)
        self._codes[code] = Code(auth, username, self.clock() + 60)
        query = urlencode({"code": code, "state": auth.state})
        return RedirectResponse(f"{auth.redirect_uri}?{query}", status_code=303)

    async def _token(self, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        client_id, secret = self._client_credentials(request, form)
        if client_id != CLIENT_ID or not secrets.compare_digest(secret, CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        code = self._codes.pop(form.get("code", ""), None)  # single use
        if (
            code is None
            or code.expires_at <= self.clock()
            or code.request.client_id != client_id
            or code.request.redirect_uri != form.get("redirect_uri")
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not 43 <= len(verifier) <= 128 or challenge != code.request.challenge:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(code),
            },
            headers={"Cache-Control": "no-store"},
        )

    @staticmethod
    def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except ValueError:
                return "", ""
            user, _, password = decoded.partition(":")
            return unquote(user.replace("+", " ")), unquote(password.replace("+", " "))
        return form.get("client_id", ""), form.get("client_secret", "")


@contextmanager
def running_provider(clock: Callable[[], float] = time.time) -> Iterator[Provider]:
    port = free_port()
    provider = Provider(issuer=f"http://127.0.0.1:{port}", clock=clock)
    provider.users["asha"] = User(password="idp password 1", name="Asha Rao", groups=["helpdesk"])
    provider.users["ravi"] = User(password="idp password 2", name="Ravi Kumar", groups=["sales"])
    with serving_in_thread(provider.app(), port, what="the test identity provider"):
        yield provider
