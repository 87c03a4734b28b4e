"""WebSocket upgrades on proxy hosts: relayed to the upstream site, frame for frame."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import aiohttp
from starlette.types import Receive, Scope, Send
from yarl import URL

from cobrowse.core.netcheck import AddressRefused
from cobrowse.core.proxy_hosts import SessionHosts, Target
from cobrowse.rewrite.headers import request_headers
from cobrowse.rewrite.urls import origin_of
from cobrowse.server.proxy_http import ProxyError, header_list
from cobrowse.server.upstream import check_literal_host

if TYPE_CHECKING:
    from cobrowse.server.proxy import Proxy

log = logging.getLogger("cobrowse.proxy")

HANDSHAKE_HEADERS = {
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "upgrade",
    "connection",
}


async def proxy_websocket(proxy: Proxy, scope: Scope, receive: Receive, send: Send) -> None:
    """Only with the visitor's own credential. On a site's host: relayed with the
    session's jar. On another origin's host, or `/__cobrowse/go?url=ws(s)://...` for a
    socket the page had no host for: relayed without any cookie (proxy.other_origins
    "fetch"), or refused ("refuse")."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    try:
        target = await proxy.target_of(scope)
        if not await proxy.credentialed(scope, target):
            raise ProxyError(403, "Not available", "The visitor's own credential only.")
        hosts = await proxy.state.session_hosts(target.session_id)
        http_url, credentialed = await _upstream(proxy, scope, target, hosts)
    except ProxyError:
        await send({"type": "websocket.close", "code": 4403, "reason": "not allowed"})
        return
    ws_url = "ws" + http_url[4:] if http_url.startswith("http") else http_url
    m = proxy.state.url_map(hosts, base=http_url)
    headers = [
        (k, v)
        for k, v in request_headers(header_list(scope), upstream_url=http_url, m=m)
        if k.lower() not in HANDSHAKE_HEADERS
    ]
    await proxy.state.settle(hosts)
    upstream_client = proxy.state.upstream
    jar = await proxy.state.jar(target.session_id) if credentialed else None
    client = upstream_client.client(jar) if jar is not None else upstream_client.anonymous()
    try:
        check_literal_host(URL(http_url).host or "", proxy.state.policy)
        upstream = await client.ws_connect(
            URL(ws_url, encoded=True),
            headers=headers,
            protocols=tuple(scope.get("subprotocols") or ()),
            autoping=True,
            max_msg_size=proxy.ctx.config.proxy.max_body_bytes,
        )
    except (AddressRefused, aiohttp.ClientError, TimeoutError) as exc:
        log.info("upstream websocket refused: %s", type(exc).__name__)
        await send({"type": "websocket.close", "code": 1014, "reason": "bad gateway"})
        if jar is not None:
            await client.close()
        return
    try:
        if jar is not None:  # the handshake's cookies, for the next request on any node
            await proxy.state.save_jar(target.session_id, jar)
        await send({"type": "websocket.accept", "subprotocol": upstream.protocol})
        async with upstream:
            await _pump(upstream, receive, send)
    finally:
        if jar is not None:
            await client.close()  # this socket's own client (the connector stays)


async def _upstream(
    proxy: Proxy, scope: Scope, target: Target, hosts: SessionHosts
) -> tuple[str, bool]:
    """(the upstream URL, as http(s), and whether the session's jar goes with it)."""
    from cobrowse.server.proxy import PREFIX

    refused = ProxyError(403, "Not loaded", "Co-browsing does not connect to this site.")
    if scope["path"] != PREFIX + "go":
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        url = target.upstream_origin + path + (f"?{query}" if query else "")
        if target.other and proxy.refuses(target):
            raise refused
        return url, not target.other
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    url = (query.get("url") or [""])[0]
    scheme, sep, rest = url.partition("://")
    http_url = {"ws": "http", "wss": "https"}.get(scheme.lower(), "") + sep + rest
    origin = origin_of(http_url) if sep else None
    state = proxy.state
    if origin is None or state.hosts.is_proxy_origin(origin):
        raise refused
    if state.sites.allows(origin):
        hosts.label_for(origin)
        await state.settle(hosts)
        return http_url, True
    hosts.other_label_for(origin)
    await state.settle(hosts)
    other = hosts.known.get(origin)
    if other is None or proxy.refuses(other):
        raise refused
    return http_url, False


async def _pump(upstream: aiohttp.ClientWebSocketResponse, receive: Receive, send: Send) -> None:
    async def down() -> None:
        async for msg in upstream:
            if msg.type == aiohttp.WSMsgType.TEXT:
                await send({"type": "websocket.send", "text": msg.data})
            elif msg.type == aiohttp.WSMsgType.BINARY:
                await send({"type": "websocket.send", "bytes": msg.data})
            else:
                break
        code = upstream.close_code or 1000
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": code if code != 1006 else 1011})

    async def up() -> None:
        while True:
            message: Any = await receive()
            if message["type"] == "websocket.disconnect":
                await upstream.close(code=message.get("code", 1000))
                return
            if message.get("text") is not None:
                await upstream.send_str(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send_bytes(message["bytes"])

    tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
