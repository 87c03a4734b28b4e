"""The WebSocket endpoint: authenticate with `hello`, then decode and hand to the hub.

Any bad frame closes only the socket that sent it, with a code and a reason
(docs/protocol.md); the session and every other socket are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.exceptions import RedisError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from cobrowse.core import messages as m
from cobrowse.core.origins import origin_matches_host
from cobrowse.core.session import EndReason
from cobrowse.core.throttle import Rate, TokenBucket
from cobrowse.server.context import Context, client_address, get_context
from cobrowse.server.hub import Attachment
from cobrowse.server.peer import SocketPeer

log = logging.getLogger("cobrowse.ws")

HELLO_MAX_BYTES = 4096
CLOSE_TRY_LATER = 1013  # the session store is away; the client reconnects with backoff


async def websocket_endpoint(ws: WebSocket) -> None:
    """A socket counts against its address's cap (`limits.connections_per_address`)
    from the moment it is accepted, before it has said anything, until it closes; one
    past the cap is closed with 4429 at once, and one that has not sent a `hello` within
    `limits.hello_timeout_seconds` is closed with 4408, whatever else it sent (pings,
    or parts of a frame that never ends)."""
    ctx = get_context(ws)
    address = client_address(ws)
    await ws.accept()  # then refuse with a close code a browser can read (a 403 it cannot)
    if not _origin_ok(ws, ctx, role=None):
        await _refuse(ws, m.CLOSE_NOT_ALLOWED, "not allowed: origin", "origin_not_allowed")
        return
    if not ctx.sockets.open_address(address):
        await _refuse(
            ws, m.CLOSE_RATE_LIMITED, "rate limit: too many connections", "too_many_connections"
        )
        return
    try:
        await _serve(ws, ctx)
    finally:
        ctx.sockets.close_address(address)


async def _serve(ws: WebSocket, ctx: Context) -> None:
    att = await _hello(ws, ctx)
    if att is None:
        return
    lim = ctx.config.limits
    if att.role == "visitor":
        limit = lim.visitor_message_bytes
        bucket = TokenBucket(Rate(lim.visitor_messages_per_second, lim.visitor_message_burst))
    else:
        limit = lim.agent_message_bytes
        bucket = TokenBucket(Rate(lim.agent_messages_per_second, lim.agent_message_burst))
    try:
        while True:
            data = await _receive(ws)
            if data is None:
                break
            if not bucket.take(now=ctx.clock()):
                raise m.rate_limited(f"more than {bucket.rate.per_second:g} messages a second")
            message = m.decode_client(data, max_bytes=limit)
            await ctx.hub.receive(att, message, data)
            if not ctx.hub.live(att):
                break
    except m.ProtocolError as exc:
        ctx.metrics.error("protocol_" + exc.error_code)
        log.info(
            "closing a %s socket: %s", att.role, exc.reason, extra={"session_id": att.session.id}
        )
        att.peer.send(m.encode_error(code=exc.error_code, message=exc.reason))
        await att.peer.close(exc.code, exc.reason[:120])
    finally:
        ctx.sockets.close_session(att.session.id)
        await ctx.hub.detach(att)


def _origin_ok(ws: WebSocket, ctx: Context, *, role: m.Role | None) -> bool:
    """Browsers always send Origin: the console's sockets come from our own origin, a
    visitor's from ours (the /start page) or an allowed site. Proxy hosts are neither:
    the upstream site's script runs there. No Origin: not a browser, token rules only."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    own = origin_matches_host(origin, ws.headers.get("host", ""))
    if role in ("agent", "watcher"):
        return own
    return own or ctx.site_origins.allows(origin)


async def _hello(ws: WebSocket, ctx: Context) -> Attachment | None:
    try:
        data = await asyncio.wait_for(_receive(ws), timeout=ctx.config.limits.hello_timeout_seconds)
    except TimeoutError:
        await _refuse(ws, m.CLOSE_HELLO_TIMEOUT, "hello timeout", "hello_timeout")
        return None
    if data is None:
        return None
    try:
        message = m.decode_client(data, max_bytes=HELLO_MAX_BYTES)
    except m.ProtocolError as exc:
        await _refuse(ws, exc.code, exc.reason, exc.error_code)
        return None
    if not isinstance(message, m.Hello):
        await _refuse(ws, m.CLOSE_BAD_TOKEN, "bad token", "hello_first")
        return None
    try:
        grant = await ctx.hub.resolve(message.token)
    except (RedisError, OSError):  # the store is away: the client retries
        await _refuse(ws, CLOSE_TRY_LATER, "try again later", "unavailable")
        return None
    if isinstance(grant, EndReason):
        await _send(ws, m.encode_ended(reason=grant))
        await _refuse(ws, m.CLOSE_ENDED, "session ended", None)
        return None
    if grant is None:
        await _refuse(ws, m.CLOSE_BAD_TOKEN, "bad token", "bad_token")
        return None
    if not _origin_ok(ws, ctx, role=grant.role):
        await _refuse(ws, m.CLOSE_NOT_ALLOWED, "not allowed: origin", "origin_not_allowed")
        return None
    if not ctx.sockets.open_session(grant.session_id):
        await _refuse(
            ws, m.CLOSE_RATE_LIMITED, "rate limit: too many connections", "too_many_connections"
        )
        return None
    peer = SocketPeer(
        ws,
        max_pending=2 * ctx.config.limits.replay_buffer_bytes,
        sent=_measure(ctx, grant.role),
    )
    try:
        att = await ctx.hub.attach(peer, grant, seq=message.seq)
    except (RedisError, OSError):
        ctx.sockets.close_session(grant.session_id)
        await _refuse(ws, CLOSE_TRY_LATER, "try again later", "unavailable")
        return None
    if att is None:
        ctx.sockets.close_session(grant.session_id)
        await _refuse(ws, m.CLOSE_ENDED, "session ended", None)
    return att


def _measure(ctx: Context, role: m.Role) -> Callable[[int, float], None]:
    """What a peer reports of each frame it wrote: counted, and for the agent's
    frames (the page relayed) the time from relaying to written, as a latency."""
    metrics = ctx.metrics
    if role == "agent":

        def to_agent(nbytes: int, seconds: float) -> None:
            metrics.relayed("to_agent", nbytes=nbytes)
            metrics.relay_latency(seconds)

        return to_agent

    def to_visitor(nbytes: int, seconds: float) -> None:
        metrics.relayed("to_visitor", nbytes=nbytes)

    return to_visitor


async def _receive(ws: WebSocket) -> str | bytes | None:
    """The next frame's data, or None when the socket closed."""
    if ws.application_state == WebSocketState.DISCONNECTED:
        return None
    try:
        event = await ws.receive()
    except (WebSocketDisconnect, RuntimeError):
        return None
    if event["type"] == "websocket.disconnect":
        return None
    text = event.get("text")
    return text if text is not None else event.get("bytes") or b""


async def _send(ws: WebSocket, frame: bytes) -> None:
    with contextlib.suppress(Exception):
        await ws.send_text(frame.decode())


async def _refuse(ws: WebSocket, code: int, reason: str, error_code: str | None) -> None:
    if error_code is not None:
        await _send(ws, m.encode_error(code=error_code, message=reason))
    with contextlib.suppress(Exception):
        await ws.close(code=code, reason=reason[:120])
