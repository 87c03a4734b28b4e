"""The proxy's side towards upstream sites: checked resolution, one cookie jar per session."""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.cookies import BaseCookie, CookieError, Morsel
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from cobrowse.core.continuation import Cookie
from cobrowse.core.netcheck import AddressPolicy, AddressRefused, is_localhost_name
from cobrowse.core.page_cookies import ScriptCookie, is_secure_url
from cobrowse.store.proxy_store import CookieKey, JarChanges, JarState, cookie_key


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
        # What changed since the jar was loaded (`take_changes`), for the proxy store.
        self._depth = 0
        self._put: dict[CookieKey, Cookie] = {}
        self._removed: set[CookieKey] = set()
        self._new_deleted: list[Cookie] = []
        self._new_baselines: dict[str, tuple[Cookie, ...]] = {}
        self._new_guesses: set[tuple[str, str]] = set()
        self._disproved: set[tuple[str, str]] = set()

    @classmethod
    def from_state(cls, state: JarState) -> SessionCookieJar:
        """A jar holding a session's cookies as the proxy store has them."""
        jar = cls(unsafe=True)
        for cookie in state.cookies:
            jar._load(cookie)
        jar.baselines = {host: list(cookies) for host, cookies in state.baselines.items()}
        jar.deleted = list(state.deleted)
        jar._guessed = set(state.guessed)
        return jar

    def _load(self, cookie: Cookie) -> None:
        morsel: Morsel[str] = Morsel()
        value, coded = BaseCookie[str]().value_decode(cookie.value)
        try:
            morsel.set(cookie.name, value, coded)
        except CookieError:
            return  # a name no Cookie header can carry
        morsel["path"] = cookie.path
        if not cookie.host_only:
            morsel["domain"] = cookie.domain
        morsel["secure"] = cookie.secure
        morsel["httponly"] = cookie.httponly
        morsel["samesite"] = cookie.samesite
        try:
            url = URL.build(scheme="https", host=cookie.domain)
        except ValueError:
            return
        self._update_cookies(  # aiohttp's own path for saved jars: an absolute deadline
            [(cookie.name, morsel)],
            url,
            copy_morsels=False,
            expiration=cookie.expires,
            check_sendable=False,
        )

    def take_changes(self) -> JarChanges:
        """What changed since the jar was loaded or last asked; then nothing has."""
        changes = JarChanges(
            put=tuple(self._put.values()),
            removed=tuple(self._removed),
            deleted=tuple(self._new_deleted),
            baselines=dict(self._new_baselines),
            guessed=frozenset(self._new_guesses),
            unguessed=frozenset(self._disproved),
        )
        self._put, self._removed, self._new_deleted = {}, set(), []
        self._new_baselines, self._new_guesses, self._disproved = {}, set(), set()
        return changes

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Note which cookies an outermost change set, changed or removed."""
        self._depth += 1
        before = self._by_key() if self._depth == 1 else None
        try:
            yield
        finally:
            self._depth -= 1
            if before is not None:
                after = self._by_key()
                for key, cookie in after.items():
                    if before.get(key) != cookie:
                        self._put[key] = cookie
                        self._removed.discard(key)
                for key in before.keys() - after.keys():
                    self._removed.add(key)
                    self._put.pop(key, None)

    def _by_key(self) -> dict[CookieKey, Cookie]:
        return {cookie_key(c): c for c in self.records()}

    def _build_morsel(self, cookie: Morsel[str]) -> Morsel[str]:
        """What goes into a request's Cookie header: the value exactly as the site set it,
        as a browser sends it (aiohttp would quote `abc==` and unquote nothing)."""
        morsel: Morsel[str] = Morsel()
        morsel.set(cookie.key, cookie.value, cookie.coded_value)
        return morsel

    def update_cookies(self, cookies: Any, response_url: URL = URL()) -> None:  # noqa: B008
        with self._changing():
            self._update(cookies, response_url)

    def _update(self, cookies: Any, response_url: URL) -> None:
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
        with self._changing():
            self._update_from_headers(headers, response_url)

    def _update_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
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
            deletion = Cookie(
                name=name, value="", domain=domain or host, host_only=not domain, path=path
            )
            self.deleted.append(deletion)
            self._new_deleted.append(deletion)
        if (host, name) in self._guessed and domain and domain != host and path == "/":
            # The site's own cookie was a Domain cookie: the host-only copy must go.
            self._guessed.discard((host, name))
            self._disproved.add((host, name))
            self._new_guesses.discard((host, name))
            self.clear(
                lambda morsel: (
                    morsel.key == name
                    and morsel["domain"] == host
                    and (morsel["path"] or "/") == "/"
                )
            )

    def set_script_cookie(self, cookie: ScriptCookie, *, url: URL) -> None:
        """A write a script on the page at `url` made (core/page_cookies.py checked it)."""
        morsel: Morsel[str] = Morsel()
        try:
            morsel.set(cookie.name, cookie.value, cookie.value)
        except CookieError:
            return
        morsel["path"] = cookie.path
        if cookie.domain is not None:
            morsel["domain"] = cookie.domain
        if cookie.max_age is not None:
            morsel["max-age"] = str(cookie.max_age)
        morsel["secure"] = cookie.secure
        morsel["samesite"] = cookie.samesite
        self.update_cookies([(cookie.name, morsel)], url)

    def filter_cookies(self, request_url: URL = URL()) -> BaseCookie[str]:  # noqa: B008
        """As aiohttp's, except that an http URL of a loopback or `localhost` host gets
        Secure cookies too: browsers treat those as secure contexts."""
        if request_url.scheme in ("http", "ws") and is_secure_url(str(request_url)):
            secure = "https" if request_url.scheme == "http" else "wss"
            request_url = request_url.with_scheme(secure)
        return super().filter_cookies(request_url)

    def import_cookies(
        self, pairs: Sequence[tuple[str, str]], *, url: URL, script_visible: set[str]
    ) -> int:
        """Copy a site's cookies (from a request's Cookie header) in, as host-only cookies
        on path /; those a script of the page cannot read stay HttpOnly. Returns how many."""
        with self._changing():
            return self._import(pairs, url=url, script_visible=script_visible)

    def _import(
        self, pairs: Sequence[tuple[str, str]], *, url: URL, script_visible: set[str]
    ) -> int:
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
            self._new_guesses.add((host, name))
            self._disproved.discard((host, name))
        aiohttp.CookieJar.update_cookies(self, morsels, url)
        self.baselines[host] = [c for c in self.records() if c.applies_to(host)]
        self._new_baselines[host] = tuple(self.baselines[host])
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
    """One connector for every session (connection reuse) on this node. A credentialed
    request gets a client of its own around the session's jar as the proxy store had it
    (server/proxy_state.py loads it, and writes back what the response changed)."""

    policy: AddressPolicy
    timeout: float
    _connector: aiohttp.TCPConnector | None = None
    _anonymous: aiohttp.ClientSession | None = None

    def anonymous(self) -> aiohttp.ClientSession:
        """For requests a browser sends without credentials: no cookies at all."""
        if self._anonymous is None:
            self._anonymous = self._new_client(aiohttp.DummyCookieJar())
        return self._anonymous

    def client(self, jar: SessionCookieJar) -> aiohttp.ClientSession:
        """A client around `jar`, to close after its request (the connector stays)."""
        return self._new_client(jar)

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

    async def close(self) -> None:
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
