"""The co-browse proxy: requests to `<label>.<proxy domain>` go to the upstream site.

Thin I/O around the pure rewriters: who may use the host, the upstream request
through the checked resolver and the session's cookie jar, and the response,
rewritten (HTML, CSS) or streamed (everything else). See docs/proxy.md.
"""

from __future__ import annotations

import codecs
import html
import logging
import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import orjson
from starlette.types import Receive, Scope, Send
from yarl import URL

from cobrowse.core.netcheck import AddressRefused
from cobrowse.core.proxy_hosts import Target
from cobrowse.core.session import State
from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.headers import content_kind, request_headers, response_headers
from cobrowse.rewrite.html import rewrite_html
from cobrowse.rewrite.urls import UrlMap, rewrite_url
from cobrowse.server.context import STATIC_DIR, Context
from cobrowse.server.proxy_state import Asset, cacheable
from cobrowse.server.upstream import check_literal_host, document_cookies

log = logging.getLogger("cobrowse.proxy")

COOKIE = "cobrowse_proxy"
PREFIX = "/__cobrowse/"
RUNTIME = STATIC_DIR / "dist" / "runtime.js"
INJECT_MARK = "<!--cobrowse-inject-->"
MAX_REDIRECTS = 20  # in a row within one session, as browsers allow
# On what the proxy itself writes (its pages, the runtime), not on the site's responses.
OWN_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
)


class ProxyError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class Proxy:
    """The ASGI app behind every proxy host."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            from cobrowse.server.proxy_ws import proxy_websocket

            await proxy_websocket(self, scope, receive, send)
            return
        try:
            await self._http(scope, receive, send)
        except ProxyError as exc:
            await send_page(send, exc.status, exc.title, exc.detail, self._frame_ancestors())

    # --- access ----------------------------------------------------------------

    def target_of(self, scope: Scope) -> Target:
        host = _header(scope, "host") or ""
        label = self.state.hosts.label_of_host(host)
        target = self.state.hosts.target(label) if label else None
        if target is None:
            raise ProxyError(404, "Unknown co-browse address", "This address is not in use.")
        return target

    def authorize(self, scope: Scope, target: Target, *, anonymous_ok: bool = False) -> bool:
        """Whether the request may use the session's cookie jar (the visitor's own
        credential); False for an anonymous request, allowed only when `anonymous_ok`.

        Browsers send no cookies with cross-origin requests in CORS mode without
        credentials (web fonts, `crossorigin=anonymous`, a default fetch): such a
        request from a page of the same session is forwarded without any cookie,
        which gives nobody more than the public site would.
        """
        session = self.ctx.hub.store.get(target.session_id)
        credential = _cookies(scope).get(COOKIE)
        if self.state.access.session_of(credential) == target.session_id:
            if session is None or session.state is not State.ACTIVE:
                raise ProxyError(410, "Co-browsing has ended", "This co-browse session is over.")
            return True
        origin = _header(scope, "origin")
        if (
            anonymous_ok
            and origin is not None
            and session is not None
            and session.state is State.ACTIVE
            and self.state.hosts.upstream_of(target.session_id, origin) is not None
        ):
            return False
        raise ProxyError(
            403,
            "Not available",
            "This co-browse page only opens in the visitor's own browser, during the session.",
        )

    # --- HTTP --------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.target_of(scope)
        path = scope["path"]
        if path == PREFIX + "runtime.js":
            await self._runtime(send)
            return
        if path == PREFIX + "enter":
            await self._enter(scope, send, target)
            return
        special = path.startswith(PREFIX)
        credentialed = self.authorize(scope, target, anonymous_ok=not special)
        if path == PREFIX + "go":
            await self._go(scope, send, target)
        elif path == PREFIX + "cookie" and scope["method"] == "POST":
            await self._cookie(scope, receive, send, target)
        else:
            await self._forward(scope, receive, send, target, credentialed=credentialed)

    async def _runtime(self, send: Send) -> None:
        if not RUNTIME.is_file():
            raise ProxyError(503, "Not built", "runtime.js is not built; run make install.")
        await _respond(
            send,
            200,
            [
                ("content-type", "text/javascript; charset=utf-8"),
                ("cache-control", "max-age=300"),
                *OWN_HEADERS,
            ],
            RUNTIME.read_bytes(),
        )

    async def _enter(self, scope: Scope, send: Send, target: Target) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ticket = (query.get("ticket") or [""])[0]
        to = (query.get("to") or ["/"])[0]
        if not _local_path(to):
            to = "/"
        redeemed = self.state.access.redeem(ticket, now=self.ctx.clock())
        if redeemed is None or redeemed[0] != target.session_id:
            raise ProxyError(403, "Link used up", "This co-browse link has expired or was used.")
        secure = "; Secure; SameSite=None; Partitioned"
        cookie = (
            f"{COOKIE}={redeemed[1]}; Domain={self.state.hosts.domain}; Path=/; HttpOnly{secure}"
        )
        await _respond(
            send,
            303,
            [("location", to), ("set-cookie", cookie), ("cache-control", "no-store")],
            b"",
        )

    async def _go(self, scope: Scope, send: Send, target: Target) -> None:
        """Navigate to an absolute upstream URL the page's runtime could not map."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        url = (query.get("url") or [""])[0]
        m = self.state.url_map(target.session_id, base=target.upstream_origin + "/")
        mapped = rewrite_url(url, m)
        if mapped == url or not mapped.startswith(("http://", "https://")):
            raise ProxyError(403, "Not an allowed site", "That address is outside co-browsing.")
        await _respond(send, 302, [("location", mapped), ("cache-control", "no-store")], b"")

    async def _cookie(self, scope: Scope, receive: Receive, send: Send, target: Target) -> None:
        """A `document.cookie` write from the page: into the session's jar."""
        body = await _read_body(receive, limit=8192)
        try:
            data = orjson.loads(body)
            text, url = data["cookie"], data["url"]
            if not isinstance(text, str) or not isinstance(url, str):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ProxyError(400, "Bad request", "Expected {cookie, url}.") from None
        if urlsplit(url).scheme + "://" + (urlsplit(url).netloc) != target.upstream_origin:
            url = target.upstream_origin + "/"
        parsed: SimpleCookie = SimpleCookie()
        try:
            parsed.load(text)
        except Exception:
            raise ProxyError(400, "Bad cookie", "The cookie could not be parsed.") from None
        for morsel in parsed.values():
            morsel["httponly"] = ""  # a script's cookie is never HttpOnly
        self.state.upstream.jar(target.session_id).update_cookies(parsed, URL(url))
        await _respond(send, 204, [], b"")

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, target: Target, *, credentialed: bool
    ) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        upstream_url = target.upstream_origin + raw_path.decode("latin-1")
        if query:
            upstream_url += "?" + query.decode("latin-1")
        m = self.state.url_map(target.session_id, base=upstream_url)
        headers = request_headers(_headers(scope), upstream_url=upstream_url, m=m)
        body = await _read_body(receive, limit=self.ctx.config.proxy.max_body_bytes)
        upstream_client = self.state.upstream
        client = (
            upstream_client.client(target.session_id)
            if credentialed
            else upstream_client.anonymous()
        )
        try:
            check_literal_host(URL(upstream_url).host or "", self.state.policy)
            async with client.request(
                scope["method"],
                URL(upstream_url, encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as upstream:
                await self._relay(send, upstream, m, target, scope)
        except AddressRefused as exc:
            raise ProxyError(
                502, "Address refused", f"The proxy may not connect there: {exc}"
            ) from None
        except aiohttp.ClientError as exc:
            log.info("upstream error for %s: %s", target.upstream_origin, type(exc).__name__)
            raise ProxyError(502, "The site did not answer", f"{type(exc).__name__}") from None
        except TimeoutError:
            raise ProxyError(504, "The site took too long", "No answer in time.") from None

    async def _relay(
        self,
        send: Send,
        upstream: aiohttp.ClientResponse,
        m: UrlMap,
        target: Target,
        scope: Scope,
    ) -> None:
        self._count_redirect(target.session_id, upstream.status)
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in upstream.raw_headers]
        content_type = upstream.headers.get("content-type", "")
        kind = content_kind(content_type, upstream.url.path)
        if scope["method"] == "HEAD" or upstream.status in (204, 304):
            kind = "other"
        cache = self.state.cache(target.session_id)
        query = scope["query_string"].decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        if kind in ("html", "css"):
            data = await _read_limited(upstream, self.ctx.config.proxy.max_body_bytes)
            text = data.decode(_charset(content_type, data), errors="replace")
            if kind == "html":
                out = rewrite_html(text, m, inject=INJECT_MARK)
                out = out.replace(INJECT_MARK, self._inject(target, str(upstream.url)), 1)
            else:
                out = rewrite_css(text, m)
            body = out.encode()
            headers = response_headers(raw, m, body_rewritten=True)
            # A rewritten page carries this session's config: never reuse it from a cache.
            dropped = {"content-type"} | (
                {"etag", "last-modified", "cache-control", "expires"} if kind == "html" else set()
            )
            headers = [(k, v) for k, v in headers if k.lower() not in dropped]
            if kind == "html":
                headers.append(("cache-control", "no-store"))
            mime = content_type.split(";", 1)[0].strip() or "text/html"
            headers.append(("content-type", f"{mime}; charset=utf-8"))
            headers.append(("content-length", str(len(body))))
            if kind == "css" and upstream.status == 200:
                cache.put(target.label, path, Asset(f"{mime}; charset=utf-8", body))
            await _respond(send, upstream.status, self._secure(headers), body)
            return
        headers = response_headers(raw, m, body_rewritten=False)
        await send(
            {
                "type": "http.response.start",
                "status": upstream.status,
                "headers": _encode(self._secure(headers)),
            }
        )
        keep = upstream.status == 200 and cacheable(content_type)
        kept: list[bytes] = []
        kept_size = 0
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            if keep:
                kept_size += len(chunk)
                if kept_size <= 8 * 1024 * 1024:
                    kept.append(chunk)
                else:
                    keep = False
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if keep:
            cache.put(target.label, path, Asset(content_type, b"".join(kept)))

    def _count_redirect(self, session_id: str, status: int) -> None:
        """A clear page instead of the browser's own error for a redirect loop."""
        counts = self.state.redirects
        if status not in (301, 302, 303, 307, 308):
            counts.pop(session_id, None)
            return
        counts[session_id] = counts.get(session_id, 0) + 1
        if counts[session_id] > MAX_REDIRECTS:
            counts.pop(session_id, None)
            raise ProxyError(
                502, "Too many redirects", f"The site redirected more than {MAX_REDIRECTS} times."
            )

    def _inject(self, target: Target, upstream_url: str) -> str:
        state = self.state
        jar = state.upstream.jar(target.session_id)
        config = {
            "upstream_origin": target.upstream_origin,
            "proxy_origin": state.hosts.origin(target.label),
            "origins": state.hosts.origins(target.session_id),
            "go": PREFIX + "go?url=",
            "parent_origin": state.parent_origins.get(target.session_id, ""),
            "masking": self.ctx.config.masking_rules.browser_rules(target.upstream_origin),
            "cookies": document_cookies(jar, upstream_url),
            "storage": "native",
        }
        blob = orjson.dumps(config).decode().replace("<", "\\u003c")
        return (
            f'<script id="__cobrowse_config" type="application/json">{blob}</script>'
            f'<script src="{PREFIX}runtime.js"></script>'
        )

    def _frame_ancestors(self) -> str:
        sources = ["'self'", self.ctx.config.base_url]
        sources += [str(p) for p in self.ctx.site_origins.patterns]
        hosts = self.state.hosts
        port = f":{hosts.port}" if hosts.port else ""
        sources.append(f"{hosts.scheme}://*.{hosts.domain}{port}")
        return "frame-ancestors " + " ".join(sources)

    def _secure(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Only our overlay (the site's pages, our /start page) may frame a proxy host."""
        return [*headers, ("content-security-policy", self._frame_ancestors())]


# --- small helpers -------------------------------------------------------------


def _local_path(to: str) -> bool:
    """A path on this host: never another host (`//x`, `/\\x`, or `/<tab>/x`, which
    browsers read as `//x` once they drop the tab)."""
    return (
        to.startswith("/")
        and "\\" not in to
        and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in to)
        and not to.startswith("//")
    )


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


def _header(scope: Scope, name: str) -> str | None:
    key = name.encode()
    for k, v in scope["headers"]:
        if k == key:
            return str(v.decode("latin-1"))
    return None


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for k, v in scope["headers"]:
        if k == b"cookie":
            try:
                jar.load(v.decode("latin-1"))
            except Exception:
                continue
    return {name: morsel.value for name, morsel in jar.items()}


def _encode(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers]


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    if not any(k.lower() == "content-length" for k, _ in headers):
        headers = [*headers, ("content-length", str(len(body)))]
    await send({"type": "http.response.start", "status": status, "headers": _encode(headers)})
    await send({"type": "http.response.body", "body": body})


async def send_page(send: Send, status: int, title: str, detail: str, ancestors: str) -> None:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:36rem;"
        "padding:0 1rem;color:#1b2a3a}</style>"
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></main></html>"
    ).encode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; {ancestors}"
    await _respond(
        send,
        status,
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
            ("content-security-policy", csp),
            *OWN_HEADERS,
        ],
        body,
    )


async def _read_body(receive: Receive, *, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProxyError(413, "Too large", f"Request bodies are limited to {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _read_limited(upstream: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in upstream.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ProxyError(502, "Page too large", f"Pages are limited to {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _charset(content_type: str, data: bytes) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return _known(value.strip("\"' "))
    match = _META_CHARSET.search(data[:2048])
    return _known(match.group(1).decode("ascii", "ignore")) if match else "utf-8"


_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


def _known(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"
