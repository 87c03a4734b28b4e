"""The co-browse proxy: requests to `<label>.<proxy domain>` go to the upstream site.

Thin I/O around the pure rewriters: who may use the host, the upstream request
through the checked resolver and the session's cookie jar (or none), and the response,
rewritten (HTML, CSS, scripts) or streamed (everything else), under a Content-Security-Policy
that keeps every request of the page on proxy hosts. Origins that are not allowed get
hosts too, which never serve a page: see docs/proxy.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import secrets
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import aiohttp
import orjson
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from cobrowse.core.asset_ids import ASSET_PATH
from cobrowse.core.netcheck import AddressRefused
from cobrowse.core.outside import lang_of, outside_page
from cobrowse.core.page_cookies import write_token
from cobrowse.core.proxy_hosts import GO_PATH, SessionHosts, Target
from cobrowse.core.session import State
from cobrowse.rewrite.csp import ProxyPolicy, own_policy
from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.encoding import (
    bom,
    css_encoding,
    decode,
    html_encoding,
    script_encoding,
    utf8_charset_rule,
    utf8_declared,
)
from cobrowse.rewrite.headers import (
    content_kind,
    fetch_dest,
    is_navigation,
    request_headers,
    response_headers,
)
from cobrowse.rewrite.html import rewrite_html
from cobrowse.rewrite.js import apply_edits
from cobrowse.rewrite.urls import UrlMap, origin_of, rewrite_url
from cobrowse.rewrite.worker_prelude import WORKER_DESTS, with_prelude, worker_prelude
from cobrowse.server.context import STATIC_DIR, Context
from cobrowse.server.js_cache import JsCache, etag_of
from cobrowse.server.proxy_cookies import (
    AppliedWrites,
    apply_text,
    apply_writes,
    derive_write_key,
    mirror_headers,
    request_native,
    with_headers,
)
from cobrowse.server.proxy_http import (
    OWN_HEADERS,
    ProxyError,
    cookies,
    encode,
    header,
    header_list,
    local_path,
    not_available,
    read_body,
    read_limited,
    respond,
    send_page,
    upstream_url_of,
)
from cobrowse.server.proxy_state import SETTLE_ROUNDS, Asset, cacheable
from cobrowse.server.runtime_files import RUNTIME_FILES, RuntimeFiles
from cobrowse.server.upstream import SessionCookieJar, check_literal_host, document_cookies

__all__ = ["COOKIE", "PREFIX", "Proxy", "ProxyError"]


log = logging.getLogger("cobrowse.proxy")

COOKIE = "cobrowse_proxy"
PREFIX = "/__cobrowse/"
INJECT_MARK = "<!--cobrowse-inject-->"
MAX_REDIRECTS = 20  # in a row within one session, as browsers allow
T = TypeVar("T")


class Proxy:
    """The ASGI app behind every proxy host."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.state = ctx.proxy
        self.runtime_files = RuntimeFiles(STATIC_DIR / "dist")
        limits = ctx.config.proxy
        self.js = JsCache(
            max_bytes=limits.js_cache_bytes,
            max_script_bytes=limits.max_script_rewrite_bytes,
            metrics=ctx.metrics,
        )
        self.applied = AppliedWrites()  # page cookie writes applied on this node
        self.write_key = derive_write_key(ctx.link_secret)  # the same on every node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            from cobrowse.server.proxy_ws import proxy_websocket

            await proxy_websocket(self, scope, receive, send)
            return
        status = 0

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics = self.ctx.metrics
        try:
            await self._http(scope, receive, counted)
        except ProxyError as exc:
            await send_page(counted, exc.status, exc.title, exc.detail, self._frame_ancestors())
        except Exception:
            metrics.error("internal")
            status = status or 500  # what the server answers for it
            raise
        finally:
            metrics.proxy_request(status)

    # --- access ----------------------------------------------------------------

    async def target_of(self, scope: Scope) -> Target:
        host = header(scope, "host") or ""
        label = self.state.hosts.label_of_host(host)
        target = await self.state.target(label) if label else None
        if target is None:
            raise ProxyError(404, "Unknown co-browse address", "This address is not in use.")
        return target

    async def credentialed(self, scope: Scope, target: Target) -> bool:
        """Whether the request carries the visitor's proxy credential for this session
        (the `cobrowse_proxy` cookie); refused outright when the session is not active.

        Nothing else counts: Origin, Referer, Sec-Fetch-*, X-Forwarded-* and the like
        are the client's word. Browsers send no cookie with some requests of a proxied
        page (fonts, `crossorigin=anonymous`, `fetch(url, {credentials: "omit"})`, a
        default fetch to a sibling proxy host); what such a request may get is decided
        by the caller: never HTML, the runtime's configuration or the session's cookie
        jar (docs/proxy.md, "Who may use a proxy host").
        """
        session = await self.ctx.hub.sessions.get(target.session_id)
        mine = await self.state.session_of(cookies(scope).get(COOKIE)) == target.session_id
        if session is None or session.state is not State.ACTIVE:
            if mine:
                raise ProxyError(410, "Co-browsing has ended", "This co-browse session is over.")
            raise not_available()
        return mine

    def refuses(self, target: Target) -> bool:
        """Whether loads from this other origin are refused (proxy.other_origins); the
        co-browse server's own origin (its embed script on the site's pages) never is."""
        own = origin_of(self.ctx.config.base_url)
        return self.ctx.config.proxy.other_origins == "refuse" and target.upstream_origin != own

    # --- HTTP --------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = await self.target_of(scope)
        path = scope["path"]
        if path.startswith(PREFIX) and path[len(PREFIX) :] in RUNTIME_FILES:
            await self._runtime(scope, send, path[len(PREFIX) :])
            return
        if path == PREFIX + "enter":
            await self._enter(scope, send, target)
            return
        credentialed = await self.credentialed(scope, target)
        navigation = is_navigation(header_list(scope))
        if path.startswith(ASSET_PATH):
            url = await self.state.asset_url(target.session_id, path[len(ASSET_PATH) :])
            if url is None or origin_of(url) != target.upstream_origin:
                raise ProxyError(404, "Not found", "There is nothing at this address.")
            await self._load(
                scope,
                receive,
                send,
                target,
                credentialed=credentialed,
                navigation=navigation,
                upstream_url=url,
            )
            return
        if path == PREFIX + "go":
            await self._go(scope, send, target, credentialed=credentialed, navigation=navigation)
        elif target.other and path.startswith(PREFIX):
            raise ProxyError(403, "Not loaded", "Co-browsing does not load content from this site.")
        elif not path.startswith(PREFIX):
            await self._load(
                scope, receive, send, target, credentialed=credentialed, navigation=navigation
            )
        else:
            if not credentialed:
                raise not_available()
            if path == PREFIX + "cookie" and scope["method"] == "POST":
                await self._cookie(scope, receive, send, target)
            else:
                await self._forward(
                    scope, receive, send, target, credentialed=True, navigating=navigation
                )

    async def _load(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        target: Target,
        *,
        credentialed: bool,
        navigation: bool,
        upstream_url: str | None = None,
    ) -> None:
        """A request for the site's own URL (or the one an opaque asset URL stands for)."""
        if target.other:
            # Never credentialed, never a page: a navigation gets the outside page,
            # nothing fetched; a load is fetched anonymously (or refused).
            if navigation:
                url = upstream_url or upstream_url_of(scope, target)
                await self._outside(scope, send, target, url, credentialed=credentialed)
                return
            if self.refuses(target):
                raise ProxyError(
                    403, "Not loaded", "Co-browsing does not load content from this site."
                )
            credentialed = False
        elif navigation and not credentialed:
            raise not_available()  # a page needs the credential: checked before fetching
        await self._forward(
            scope,
            receive,
            send,
            target,
            credentialed=credentialed,
            navigating=navigation,
            upstream_url=upstream_url,
        )

    async def _runtime(self, scope: Scope, send: Send, name: str) -> None:
        serve = functools.partial(
            self.runtime_files.serve,
            name,
            accept_encoding=header(scope, "accept-encoding") or "",
            if_none_match=header(scope, "if-none-match") or "",
        )
        # The first request reads the build (and compresses it when the build did not):
        # off the event loop.
        served = serve() if self.runtime_files.ready(name) else await asyncio.to_thread(serve)
        if served is None:
            raise ProxyError(503, "Not built", f"{name} is not built; run make install.")
        await respond(send, served.status, [*served.headers, *OWN_HEADERS], served.body)

    async def _enter(self, scope: Scope, send: Send, target: Target) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ticket = (query.get("ticket") or [""])[0]
        to = (query.get("to") or ["/"])[0]
        if not local_path(to):
            to = "/"
        now = self.ctx.clock()
        redeemed = None if target.other else await self.state.redeem(ticket, now=now)
        if redeemed is None or redeemed[0] != target.session_id:
            raise ProxyError(403, "Link used up", "This co-browse link has expired or was used.")
        secure = "; Secure; SameSite=None; Partitioned"
        cookie = (
            f"{COOKIE}={redeemed[1]}; Domain={self.state.hosts.domain}; Path=/; HttpOnly{secure}"
        )
        await respond(
            send,
            303,
            [("location", to), ("set-cookie", cookie), ("cache-control", "no-store")],
            b"",
        )

    async def _go(
        self, scope: Scope, send: Send, target: Target, *, credentialed: bool, navigation: bool
    ) -> None:
        """An absolute URL the page has no proxy host for (the runtime's fallback, and the
        rewriters' for navigations): 307 to its proxy host, made for the session when
        needed (the method and body are kept); a navigation nobody may make gets the
        outside page. Without the credential nothing is made: a host the session has
        already, or the outside page."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        url = (query.get("url") or [""])[0]
        origin = origin_of(url)
        if origin is None:
            raise ProxyError(
                400, "Not a web address", "Co-browsing opens only http and https addresses."
            )
        names = self.state.hosts
        hosts = await self.state.session_hosts(target.session_id)
        known = hosts.label_of(origin)
        if names.is_proxy_origin(origin):
            if hosts.upstream_of(origin) is None:
                raise not_available()
            mapped = url  # one of this session's own proxy URLs
        elif not credentialed and known is not None:
            # A host the session has: that host decides what an anonymous caller gets.
            mapped = rewrite_url(
                url,
                UrlMap(
                    base=url,
                    proxy_origin_of=lambda o: names.origin(known) if o == origin else None,
                    upstream_origin_of=lambda o: None,
                ),
            )
        elif not credentialed:
            if navigation and not self.state.sites.allows(origin):
                await self._outside(scope, send, target, url, credentialed=False)
                return
            raise not_available()
        else:
            m = self.state.url_map(hosts, base=url, navigating=False, fallback=False)
            mapped = await self._settled(hosts, lambda: rewrite_url(url, m))
        if mapped != url or names.is_proxy_origin(origin):
            await respond(send, 307, [("location", mapped), ("cache-control", "no-store")], b"")
        elif navigation:
            await self._outside(scope, send, target, url, credentialed=credentialed)
        elif not credentialed:
            raise not_available()
        else:
            limit = self.ctx.config.proxy.max_other_origins
            raise ProxyError(
                403,
                "Too many other sites",
                f"Co-browsing loads content from at most {limit} other sites in a session.",
            )

    async def _outside(
        self, scope: Scope, send: Send, target: Target, url: str, *, credentialed: bool
    ) -> None:
        """The page for a navigation outside co-browsing: never fetched. With the
        credential it carries the runtime (no cookies), so the overlay stays bridged and
        the agent's mirror shows it too."""
        lang = lang_of(header(scope, "accept-language"))
        inject = await self._inject(target, url, outside=True) if credentialed else ""
        body = outside_page(url, lang=lang, inject=inject).encode()
        script = "script-src 'self'; connect-src 'self'; " if inject else ""
        csp = (
            f"default-src 'none'; {script}style-src 'unsafe-inline'; base-uri 'none'; "
            f"form-action 'none'; {self._frame_ancestors()}"
        )
        await respond(
            send,
            200,
            [
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-store"),
                ("content-security-policy", csp),
                *OWN_HEADERS,
            ],
            body,
        )

    async def _cookie(self, scope: Scope, receive: Receive, send: Send, target: Target) -> None:
        """A `document.cookie` write the runtime could not carry in a native cookie (too
        long, or the browser keeps none): `{cookie, path, name?}` into the session's jar.
        `name` is the write's cookie when it has one, so that it is applied only once.
        Answers 204 with the mirror brought up to date, or 400 and why."""
        body = await read_body(receive, limit=16384)
        try:
            data = orjson.loads(body)
            text, path, name = data["cookie"], data.get("path"), data.get("name")
            if path is None and isinstance(data.get("url"), str):  # the older {cookie, url}
                parts = urlsplit(data["url"])
                same = f"{parts.scheme}://{parts.netloc}" == target.upstream_origin
                path = parts.path if same else "/"
            if not isinstance(text, str) or not isinstance(path, str):
                raise TypeError
            if name is not None and not isinstance(name, str):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise ProxyError(400, "Bad request", "Expected {cookie, path}.") from None
        if not path.startswith("/"):
            path = "/"
        now = time.time()  # the jar's clock (aiohttp's), not the app's
        native = request_native(header_list(scope))
        jar = await self.state.jar(target.session_id)
        if name is None or self.applied.first(target.session_id, name):
            reason = apply_text(jar, text, page_url=target.upstream_origin + path, now=now)
            if reason is not None:
                raise ProxyError(400, "Cookie refused", reason)
            await self.state.save_jar(target.session_id, jar)
        clear = [name] if name is not None and name in native else []
        headers = await self._mirror(target, native, clear)
        await respond(send, 204, [*headers, ("cache-control", "no-store")], b"")

    async def _mirror(
        self, target: Target, native: dict[str, str], clear: list[str]
    ) -> list[tuple[str, str]]:
        """Set-Cookie for the browser's mirror of the jar as the store has it now (other
        requests' writes and responses in), and to clear the writes applied."""
        state = await self.state.store.jar(target.session_id)
        return mirror_headers(
            state.cookies,
            native,
            origin=target.upstream_origin,
            now=time.time(),
            clear=clear,
        )

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        target: Target,
        *,
        credentialed: bool,
        navigating: bool,
        upstream_url: str | None = None,
    ) -> None:
        """To the upstream: with the session's jar when `credentialed`, else with no
        cookie at all (and then never HTML back, nor a cookie stored). `upstream_url`:
        what an opaque asset URL stands for; what it answers is served from another path
        than its own, so its relative URLs are made absolute."""
        opaque = upstream_url is not None
        if upstream_url is None:
            upstream_url = upstream_url_of(scope, target)
        hosts = await self.state.session_hosts(target.session_id)
        m = self.state.url_map(hosts, base=upstream_url, navigating=navigating)
        if opaque:
            m = dataclasses.replace(m, absolute=True)
        sent = await self._referer_resolved(header_list(scope), hosts)
        headers = await self._settled(
            hosts, lambda: request_headers(sent, upstream_url=upstream_url, m=m)
        )
        body = await read_body(receive, limit=self.ctx.config.proxy.max_body_bytes)
        upstream_client = self.state.upstream
        jar = await self.state.jar(target.session_id) if credentialed else None
        native: dict[str, str] = {}
        clear: list[str] = []
        if jar is not None:  # the page's cookie writes, before the request they precede
            native = request_native(sent)
            clear = apply_writes(
                jar,
                native,
                session_id=target.session_id,
                origin=target.upstream_origin,
                token=self._write_token(target),
                now=time.time(),
                applied=self.applied,
            )
            if clear:
                await self.state.save_jar(target.session_id, jar)
        client = upstream_client.client(jar) if jar is not None else upstream_client.anonymous()
        metrics = self.ctx.metrics
        try:
            check_literal_host(URL(upstream_url).host or "", self.state.policy)
            started = time.perf_counter()
            async with client.request(
                scope["method"],
                URL(upstream_url, encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as upstream:
                metrics.proxy_upstream(time.perf_counter() - started)
                if jar is not None:  # what the response set, for the next request on any node
                    await self.state.save_jar(target.session_id, jar)
                    send = with_headers(send, await self._mirror(target, native, clear))
                await self._relay(send, upstream, hosts, m, target, scope, jar=jar)
        except AddressRefused as exc:
            metrics.error("proxy_address_refused")
            raise ProxyError(
                502, "Address refused", f"The proxy may not connect there: {exc}"
            ) from None
        except aiohttp.ClientError as exc:
            metrics.error("proxy_upstream_failed")
            log.info(
                "upstream error for %s: %s",
                target.upstream_origin,
                type(exc).__name__,
                extra={"session_id": target.session_id},
            )
            raise ProxyError(502, "The site did not answer", f"{type(exc).__name__}") from None
        except TimeoutError:
            metrics.error("proxy_upstream_timeout")
            raise ProxyError(504, "The site took too long", "No answer in time.") from None
        finally:
            if jar is not None:
                await client.close()  # this request's own client (the connector stays)

    async def _referer_resolved(
        self, headers: list[tuple[str, str]], hosts: SessionHosts
    ) -> list[tuple[str, str]]:
        """A Referer that is an opaque asset URL of the session (a font's, from the
        stylesheet it is in) as the proxy URL it stands for: the site sees its own URL."""
        out = []
        for name, value in headers:
            if name.lower() == "referer" and ASSET_PATH in value:
                value = await self._asset_referer(value, hosts)
            out.append((name, value))
        return out

    async def _asset_referer(self, referer: str, hosts: SessionHosts) -> str:
        origin = origin_of(referer)
        upstream = hosts.upstream_of(origin) if origin else None
        path = urlsplit(referer).path
        if origin is None or upstream is None or not path.startswith(ASSET_PATH):
            return referer
        url = await self.state.asset_url(hosts.session_id, path[len(ASSET_PATH) :])
        if url is None or origin_of(url) != upstream:
            return referer
        parts = urlsplit(url)
        return origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    async def _settled(self, hosts: SessionHosts, rewrite: Callable[[], T]) -> T:
        """`rewrite` once its proposed labels stand in the store: again, with what the
        store holds, when another node claimed an origin first (or the limit was hit)."""
        for _ in range(SETTLE_ROUNDS - 1):
            out = rewrite()
            if await self.state.settle(hosts):
                return out
        out = rewrite()
        await self.state.settle(hosts)
        return out

    async def _relay(
        self,
        send: Send,
        upstream: aiohttp.ClientResponse,
        hosts: SessionHosts,
        m: UrlMap,
        target: Target,
        scope: Scope,
        *,
        jar: SessionCookieJar | None,
    ) -> None:
        credentialed = jar is not None
        await self._count_redirect(target.session_id, upstream.status)
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in upstream.raw_headers]
        content_type = upstream.headers.get("content-type", "")
        dest = fetch_dest(header_list(scope))
        kind = content_kind(content_type, upstream.url.path, dest)
        if scope["method"] == "HEAD" or upstream.status in (204, 304):
            kind = "other"
        if kind == "html" and not credentialed:
            # A page only for the visitor's own credential, never from another origin.
            if target.other:
                raise ProxyError(403, "Not loaded", "Co-browsing does not load pages from there.")
            raise not_available()
        policy = self._policy(target)
        site_policy = None if target.other else policy
        query = scope["query_string"].decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        if kind in ("html", "css"):
            data = await read_limited(upstream, self.ctx.config.proxy.max_body_bytes)
            # Decoded as the browser would (BOM, header, <meta> or @charset), served as UTF-8.
            sniff = html_encoding if kind == "html" else css_encoding
            text = decode(data, sniff(data, content_type))
            # Loads the mirror makes too get opaque URLs when they hold a value pattern.
            ids = await self.state.asset_ids(target.session_id, hosts, document=text, url=m.base)
            body_map = m if ids is None else self.state.opaque_map(m, ids)

            def rewrite() -> tuple[list[tuple[str, str]], str]:
                # Headers first: the site's policy may give origins hosts the config lists.
                headers = response_headers(raw, m, body_rewritten=True, policy=site_policy)
                if kind == "html":
                    out = rewrite_html(
                        text, body_map, inject=INJECT_MARK, policy=site_policy, js=self.js.lookup
                    )
                    return headers, out
                return headers, rewrite_css(text, body_map)

            headers, out = await self._settled(hosts, rewrite)
            if ids is not None:  # before the page can ask for them, on any node
                await self.state.keep_asset_ids(target.session_id, ids)
            if kind == "html":
                inject = await self._inject(
                    target, str(upstream.url), hosts=hosts, jar=jar, nonce=policy.nonce
                )
                out = out.replace(INJECT_MARK, inject, 1)
            body = out.encode()
            body = utf8_declared(body) if kind == "html" else utf8_charset_rule(body)
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
                asset = Asset(f"{mime}; charset=utf-8", body)
                await self.state.put_asset(target.session_id, target.label, path, asset)
            await respond(send, upstream.status, self._secure(headers, policy), body)
            return
        read: list[bytes] = []
        if kind == "js":
            script = await self._read_script(upstream, read)
            if script is not None:
                prelude = None
                if dest in WORKER_DESTS:  # no runtime there: the prelude defines __cobrowse$
                    go = self.state.hosts.origin(target.label) + GO_PATH
                    prelude = worker_prelude(hosts.origins(), go)
                await self._script(
                    send, upstream, script, hosts, m, raw, policy, site_policy, prelude=prelude
                )
                return
        headers = await self._settled(
            hosts, lambda: response_headers(raw, m, body_rewritten=False, policy=site_policy)
        )
        await send(
            {
                "type": "http.response.start",
                "status": upstream.status,
                "headers": encode(self._secure(headers, policy)),
            }
        )
        keep = upstream.status == 200 and cacheable(content_type)
        kept: list[bytes] = []
        kept_size = 0
        for chunk in read:  # what was read of a script found too large to rewrite
            kept_size += len(chunk)
            if keep:
                kept.append(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
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
            asset = Asset(content_type, b"".join(kept))
            await self.state.put_asset(target.session_id, target.label, path, asset)

    async def _read_script(
        self, upstream: aiohttp.ClientResponse, read: list[bytes]
    ) -> bytes | None:
        """A script's body, or None (counted `too_large`) when it is larger than
        proxy.max_script_rewrite_bytes: then `read` holds what was read of it, and the
        rest streams on."""
        limit = self.ctx.config.proxy.max_script_rewrite_bytes
        if (upstream.content_length or 0) > limit:
            self.ctx.metrics.js_rewrite("too_large")
            return None
        size = 0
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            read.append(chunk)
            size += len(chunk)
            if size > limit:
                self.ctx.metrics.js_rewrite("too_large")
                return None
        return b"".join(read)

    async def _script(
        self,
        send: Send,
        upstream: aiohttp.ClientResponse,
        data: bytes,
        hosts: SessionHosts,
        m: UrlMap,
        raw: list[tuple[str, str]],
        policy: ProxyPolicy,
        site_policy: ProxyPolicy | None,
        *,
        prelude: bytes | None = None,
    ) -> None:
        """A script the page runs (docs/js-rewriting.md): its edits from the cache, its
        absolute static import specifiers mapped for this session, then spliced. UTF-8
        unless a byte order mark or the header's charset says otherwise (then served as
        UTF-8, labelled so). `prelude`: a worker's `__cobrowse$`, put first in any
        script that parsed (rewritten or not: a script it imports may need it)."""
        content_type = upstream.headers.get("content-type", "")
        encoding = script_encoding(data, content_type)
        transcoded = encoding != "utf-8" or bom(data) is not None
        source = decode(data, encoding).encode() if transcoded else data
        edits = await self.js.edits(source, "script")
        # Specifiers resolve against the script's own URL, to absolute proxy URLs.
        specifiers = dataclasses.replace(m, absolute=True)

        def rewrite() -> tuple[list[tuple[str, str]], bytes | None]:
            headers = response_headers(raw, m, body_rewritten=True, policy=site_policy)
            if edits is None or edits.status != "rewritten":
                return headers, None
            return headers, apply_edits(source, edits, lambda u: rewrite_url(u, specifiers))

        headers, out = await self._settled(hosts, rewrite)
        if prelude is not None and edits is not None and edits.status != "unparsed":
            out = with_prelude(source if out is None else out, prelude)
        body = source if out is None else out
        dropped = {"content-length"} | ({"etag"} if out is not None else set())
        if transcoded:
            dropped.add("content-type")
        headers = [(k, v) for k, v in headers if k.lower() not in dropped]
        if transcoded:
            mime = content_type.split(";", 1)[0].strip() or "text/javascript"
            headers.append(("content-type", f"{mime}; charset=utf-8"))
        if out is not None:
            headers.append(("etag", etag_of(body)))
        headers.append(("content-length", str(len(body))))
        await respond(send, upstream.status, self._secure(headers, policy), body)

    async def _count_redirect(self, session_id: str, status: int) -> None:
        """A clear page instead of the browser's own error for a redirect loop."""
        if await self.state.count_redirect(session_id, status) > MAX_REDIRECTS:
            await self.state.reset_redirects(session_id)
            raise ProxyError(
                502, "Too many redirects", f"The site redirected more than {MAX_REDIRECTS} times."
            )

    async def _inject(
        self,
        target: Target,
        upstream_url: str,
        *,
        hosts: SessionHosts | None = None,
        jar: SessionCookieJar | None = None,
        outside: bool = False,
        nonce: str = "",
    ) -> str:
        """The runtime and its config, first in a page's head. On the outside page
        (`outside`) the runtime only bridges (nothing of a site runs there to patch)
        and gets no cookie of the jar (`jar`: the request's, the response's cookies in)."""
        state = self.state
        if hosts is None:
            hosts = await state.session_hosts(target.session_id)
        config = {
            "upstream_origin": target.upstream_origin,
            "proxy_origin": state.hosts.origin(target.label),
            "origins": hosts.origins(),
            "other_origins": hosts.others(),
            "go": GO_PATH,
            "parent_origin": await state.parent_origin(target.session_id),
            "masking": self.ctx.config.masking_rules.browser_rules(target.upstream_origin),
            "cookies": "" if outside or jar is None else document_cookies(jar, upstream_url),
            "cookie_token": "" if outside else self._write_token(target),
            "storage": "native",
            "outside": outside,
        }
        blob = orjson.dumps(config).decode().replace("<", "\\u003c")
        nonce_attr = f' nonce="{nonce}"' if nonce else ""
        return (
            f'<script id="__cobrowse_config" type="application/json">{blob}</script>'
            f'<script src="{PREFIX}runtime.js"{nonce_attr}></script>'
        )

    def _write_token(self, target: Target) -> str:
        """The token of this host's cookie writes (core/page_cookies.write_token)."""
        return write_token(self.write_key, session_id=target.session_id, label=target.label)

    def _frame_ancestors(self) -> str:
        return "frame-ancestors " + self._ancestor_sources()

    def _ancestor_sources(self) -> str:
        sources = ["'self'", self.ctx.config.base_url]
        sources += [str(p) for p in self.ctx.site_origins.patterns]
        sources.append(self._proxy_sources("http"))
        return " ".join(sources)

    def _proxy_sources(self, kind: str) -> str:
        """Every proxy host, as a CSP source: `http(s)://*.<domain>[:port]` or ws(s)."""
        hosts = self.state.hosts
        port = f":{hosts.port}" if hosts.port else ""
        scheme = hosts.scheme if kind == "http" else ("wss" if hosts.scheme == "https" else "ws")
        return f"{scheme}://*.{hosts.domain}{port}"

    def _policy(self, target: Target) -> ProxyPolicy:
        return ProxyPolicy(
            origin=self.state.hosts.origin(target.label),
            hosts=self._proxy_sources("http"),
            socket_hosts=self._proxy_sources("ws"),
            nonce=secrets.token_urlsafe(16),
            frame_ancestors=self._ancestor_sources(),
        )

    def _secure(self, headers: list[tuple[str, str]], policy: ProxyPolicy) -> list[tuple[str, str]]:
        """Ours after the site's policy: the page may load only from proxy hosts, and
        only our overlay (the site's pages, our /start page) may frame it."""
        return [*headers, ("content-security-policy", own_policy(policy))]
