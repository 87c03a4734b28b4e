"""The proxy's side towards upstream sites: checked resolution, one cookie jar per session."""

from __future__ import annotations

import datetime
import email.utils
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from cobrowse.core.netcheck import AddressPolicy, AddressRefused, is_localhost_name


class CheckedResolver(AbstractResolver):
    """Resolves, then keeps only addresses the policy allows; those are connected to.

    `localhost` and `*.localhost` resolve to loopback without asking DNS (RFC 6761),
    as browsers do; the policy still decides whether loopback may be reached.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if is_localhost_name(host):
            results: list[ResolveResult] = [
                {
                    "hostname": host,
                    "host": "127.0.0.1",
                    "port": port,
                    "family": socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]
        else:
            results = await self._inner.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        refused: list[str] = []
        for result in results:
            try:
                self._policy.check(result["host"])
            except AddressRefused as exc:
                refused.append(str(exc))
            else:
                allowed.append(result)
        if not allowed:
            raise AddressRefused(f"{host} resolves only to refused addresses: {'; '.join(refused)}")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


class SessionCookieJar(aiohttp.CookieJar):
    """aiohttp's jar, except that a cookie whose expiry is already past is deleted.

    aiohttp ignores `expires` when it parses to the epoch (timestamp 0 is falsy), and
    `expires=Thu, 01 Jan 1970 00:00:00 GMT` is how scripts and sites delete cookies.
    """

    def update_cookies(self, cookies: Any, response_url: URL = URL()) -> None:  # noqa: B008
        items = cookies.items() if hasattr(cookies, "items") else cookies
        fixed: list[tuple[str, Any]] = []
        for name, morsel in items:
            expires = getattr(morsel, "get", lambda key: None)("expires")
            if expires and not morsel.get("max-age") and _in_the_past(expires):
                morsel["max-age"] = "0"
            fixed.append((name, morsel))
        super().update_cookies(fixed, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        super().update_cookies_from_headers(headers, response_url)
        host = (response_url.raw_host or "").lower()
        for header in headers:
            name, attributes = _expiry_of(header)
            if name and attributes is not None and _in_the_past(attributes):
                self.clear(
                    lambda morsel, name=name: (
                        morsel.key == name  # type: ignore[misc]
                        and host.endswith(morsel["domain"].lstrip(".").lower() or host)
                    )
                )


def _expiry_of(header: str) -> tuple[str, str | None]:
    """(cookie name, its Expires value) when the header has Expires and no Max-Age."""
    parts = [p.strip() for p in header.split(";")]
    name = parts[0].split("=", 1)[0].strip()
    expires: str | None = None
    for part in parts[1:]:
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key == "max-age":
            return name, None
        if key == "expires":
            expires = value.strip()
    return name, expires


def _in_the_past(expires: str) -> bool:
    try:
        when = email.utils.parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when <= datetime.datetime.now(datetime.UTC)


@dataclass(slots=True)
class Upstream:
    """One connector for every session (connection reuse), one jar per session."""

    policy: AddressPolicy
    timeout: float
    _connector: aiohttp.TCPConnector | None = None
    _clients: dict[str, aiohttp.ClientSession] = field(default_factory=dict)
    _anonymous: aiohttp.ClientSession | None = None

    def anonymous(self) -> aiohttp.ClientSession:
        """For requests a browser sends without credentials: no cookies at all."""
        if self._anonymous is None:
            self._anonymous = self._new_client(aiohttp.DummyCookieJar())
        return self._anonymous

    def client(self, session_id: str) -> aiohttp.ClientSession:
        client = self._clients.get(session_id)
        if client is None:
            client = self._new_client(SessionCookieJar(unsafe=True))
            self._clients[session_id] = client
        return client

    def _new_client(self, jar: aiohttp.abc.AbstractCookieJar) -> aiohttp.ClientSession:
        if self._connector is None:
            self._connector = aiohttp.TCPConnector(
                resolver=CheckedResolver(self.policy),
                limit=200,
                ttl_dns_cache=None,
                use_dns_cache=False,
            )
        return aiohttp.ClientSession(
            connector=self._connector,
            connector_owner=False,
            cookie_jar=jar,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.timeout, sock_read=self.timeout
            ),
            auto_decompress=True,
            max_line_size=16 * 1024,
            max_field_size=16 * 1024,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
        )

    def jar(self, session_id: str) -> aiohttp.abc.AbstractCookieJar:
        return self.client(session_id).cookie_jar

    async def forget(self, session_id: str) -> None:
        client = self._clients.pop(session_id, None)
        if client is not None:
            await client.close()

    async def close(self) -> None:
        for session_id in list(self._clients):
            await self.forget(session_id)
        if self._anonymous is not None:
            await self._anonymous.close()
            self._anonymous = None
        if self._connector is not None:
            await self._connector.close()
            self._connector = None


def check_literal_host(host: str, policy: AddressPolicy) -> None:
    """IP-literal hosts skip the resolver in aiohttp, so they are checked here."""
    literal = host.strip("[]")
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in literal else socket.AF_INET, literal)
    except OSError:
        return
    policy.check(literal)


def document_cookies(jar: aiohttp.abc.AbstractCookieJar, url: str) -> str:
    """What `document.cookie` would show on `url`: the jar's non-HttpOnly cookies."""
    pairs: list[str] = []
    cookies: Any = jar.filter_cookies(URL(url))
    for name, morsel in cookies.items():
        if not _httponly(jar, name, url):
            pairs.append(f"{name}={morsel.value}")
    return "; ".join(pairs)


def _httponly(jar: aiohttp.abc.AbstractCookieJar, name: str, url: str) -> bool:
    return any(morsel.key == name and morsel["httponly"] for morsel in jar)
