"""The proxy's side towards upstream sites: checked resolution, one cookie jar per session."""

from __future__ import annotations

import datetime
import email.utils
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.cookies import CookieError, Morsel
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from cobrowse.core.continuation import Cookie
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
    """aiohttp's jar, except that a cookie whose expiry is already past is deleted, plus
    what the continuation point needs (core/continuation.py): the site's cookies copied
    in at the hand-off, the jar as it was right after it, and the deletions since.

    aiohttp ignores `expires` when it parses to the epoch (timestamp 0 is falsy), and
    `expires=Thu, 01 Jan 1970 00:00:00 GMT` is how scripts and sites delete cookies.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.baselines: dict[str, list[Cookie]] = {}  # site host -> jar after the hand-off
        self.deleted: list[Cookie] = []  # identities the site deleted, newest last
        # Copied in from a Cookie header, which does not say whether a cookie was host-only.
        self._guessed: set[tuple[str, str]] = set()  # (host, name), path "/"

    def _build_morsel(self, cookie: Morsel[str]) -> Morsel[str]:
        """What goes into a request's Cookie header: the value exactly as the site set it,
        as a browser sends it (aiohttp would quote `abc==` and unquote nothing)."""
        morsel: Morsel[str] = Morsel()
        morsel.set(cookie.key, cookie.value, cookie.coded_value)
        return morsel

    def update_cookies(self, cookies: Any, response_url: URL = URL()) -> None:  # noqa: B008
        items = list(cookies.items() if hasattr(cookies, "items") else cookies)
        fixed: list[tuple[str, Any]] = []
        for name, morsel in items:
            expires = getattr(morsel, "get", lambda key: None)("expires")
            if expires and not morsel.get("max-age") and _in_the_past(expires):
                morsel["max-age"] = "0"
            fixed.append((name, morsel))
        host = (response_url.raw_host or "").lower()
        for name, morsel in fixed:
            if isinstance(morsel, Morsel):
                self._note(
                    host,
                    name,
                    morsel.get("domain", ""),
                    morsel.get("path", ""),
                    _deletes(morsel.get("max-age", ""), morsel.get("expires", "")),
                    response_url,
                )
        super().update_cookies(fixed, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        super().update_cookies_from_headers(headers, response_url)
        host = (response_url.raw_host or "").lower()
        for header in headers:
            name, attributes = _attributes_of(header)
            if not name:
                continue
            gone = _deletes(attributes.get("max-age", ""), attributes.get("expires", ""))
            self._note(
                host,
                name,
                attributes.get("domain", ""),
                attributes.get("path", ""),
                gone,
                response_url,
            )
            expires = attributes.get("expires")
            if gone and expires is not None and "max-age" not in attributes:
                self.clear(
                    lambda morsel, name=name: (
                        morsel.key == name  # type: ignore[misc]
                        and host.endswith(morsel["domain"].lstrip(".").lower() or host)
                    )
                )

    def _note(self, host: str, name: str, domain: str, path: str, gone: bool, url: URL) -> None:
        """Remember a deletion; drop a copied-in cookie that this one shows was a guess."""
        domain = domain.strip().lstrip(".").lower()
        path = path if path.startswith("/") else _default_path(url.path)
        if gone:
            self.deleted.append(
                Cookie(name=name, value="", domain=domain or host, host_only=not domain, path=path)
            )
        if (host, name) in self._guessed and domain and domain != host and path == "/":
            # The site's own cookie was a Domain cookie: the host-only copy must go.
            self._guessed.discard((host, name))
            self.clear(
                lambda morsel: (
                    morsel.key == name
                    and morsel["domain"] == host
                    and (morsel["path"] or "/") == "/"
                )
            )

    def import_cookies(
        self, pairs: Sequence[tuple[str, str]], *, url: URL, script_visible: set[str]
    ) -> int:
        """Copy a site's cookies (from a request's Cookie header) in, as host-only cookies
        on path /; those a script of the page cannot read stay HttpOnly. Returns how many."""
        host = (url.raw_host or "").lower()
        morsels: list[tuple[str, Morsel[str]]] = []
        for name, value in pairs:
            morsel: Morsel[str] = Morsel()
            try:
                morsel.set(name, value, value)
            except CookieError:
                continue
            morsel["path"] = "/"
            if name not in script_visible:
                morsel["httponly"] = True
            morsels.append((name, morsel))
            self._guessed.add((host, name))
        aiohttp.CookieJar.update_cookies(self, morsels, url)
        self.baselines[host] = [c for c in self.records() if c.applies_to(host)]
        return len(morsels)

    def records(self) -> list[Cookie]:
        """Every live cookie, with the attributes the continuation point writes back."""
        host_only: set[tuple[str, str, str]] = getattr(self, "_host_only_cookies", set())
        expirations: dict[tuple[str, str, str], float] = getattr(self, "_expirations", {})
        out: list[Cookie] = []
        for morsel in self:
            domain = str(morsel["domain"]).lower()
            path = str(morsel["path"] or "/")
            key = (domain, path.rstrip("/"), morsel.key)
            deadline = expirations.get(key)
            out.append(
                Cookie(
                    name=morsel.key,
                    value=morsel.coded_value,
                    domain=domain,
                    host_only=key in host_only,
                    path=path,
                    expires=deadline,
                    secure=bool(morsel["secure"]),
                    httponly=bool(morsel["httponly"]),
                    samesite=str(morsel["samesite"] or ""),
                )
            )
        return out


def _default_path(path: str) -> str:
    """RFC 6265's default-path of a request path."""
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def _deletes(max_age: str, expires: str) -> bool:
    max_age = str(max_age).strip()
    if max_age:
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    return bool(expires) and _in_the_past(str(expires))


def _attributes_of(header: str) -> tuple[str, dict[str, str]]:
    """(cookie name, lower-case attribute -> value) of a Set-Cookie header."""
    parts = [p.strip() for p in header.split(";")]
    name = parts[0].split("=", 1)[0].strip() if "=" in parts[0] else ""
    attributes: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        attributes.setdefault(key.strip().lower(), value.strip())
    return name, attributes


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

    def jar(self, session_id: str) -> SessionCookieJar:
        jar = self.client(session_id).cookie_jar
        assert isinstance(jar, SessionCookieJar)
        return jar

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
            pairs.append(f"{name}={morsel.coded_value}")
    return "; ".join(pairs)


def _httponly(jar: aiohttp.abc.AbstractCookieJar, name: str, url: str) -> bool:
    return any(morsel.key == name and morsel["httponly"] for morsel in jar)
