"""WebSocket upgrades on proxy hosts: relayed to the upstream site, frame for frame."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from starlette.types import Receive, Scope, Send
from yarl import URL

from cobrowse.core.netcheck import AddressRefused
from cobrowse.rewrite.headers import request_headers
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
    from cobrowse.server.proxy import ProxyError, _headers

    message = await receive()
    if message["type"] != "websocket.connect":
        return
    try:
        target = proxy.target_of(scope)
        proxy.authorize(scope, target)  # the visitor's own credential only
    except ProxyError:
        await send({"type": "websocket.close", "code": 4403, "reason": "not allowed"})
        return
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    http_url = target.upstream_origin + path + (f"?{query}" if query else "")
    ws_url = "ws" + http_url[4:] if http_url.startswith("http") else http_url
    m = proxy.state.url_map(target.session_id, base=http_url)
    headers = [
        (k, v)
        for k, v in request_headers(_headers(scope), upstream_url=http_url, m=m)
        if k.lower() not in HANDSHAKE_HEADERS
    ]
    client = proxy.state.upstream.client(target.session_id)
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
        return
    await send({"type": "websocket.accept", "subprotocol": upstream.protocol})
    async with upstream:
        await _pump(upstream, receive, send)


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
