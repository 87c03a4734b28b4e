"""The WebSocket endpoint: authenticate with `hello`, then decode and hand to the hub.

Any bad frame closes only the socket that sent it, with a code and a reason
(docs/protocol.md); the session and every other socket are untouched.

The rules live here once, for two engines: `websocket_endpoint` (ASGI, the app's own
route: tests, proxy hosts, any ASGI server) and server/ws_picows.py (the relay's
sockets on the main host when `cobrowse serve` runs, by measurement the cheaper one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.exceptions import RedisError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from cobrowse.core import messages as m
from cobrowse.core.origins import origin_matches_host
from cobrowse.core.session import EndReason
from cobrowse.core.throttle import Rate, TokenBucket
from cobrowse.server.context import Context, client_address, get_context
from cobrowse.server.hub import Attachment
from cobrowse.server.peer import Peer, SocketPeer

log = logging.getLogger("cobrowse.ws")

HELLO_MAX_BYTES = 4096
CLOSE_TRY_LATER = 1013  # the session store is away; the client reconnects with backoff

# (role, max_pending bytes, sent callback) -> the connection's Peer
PeerMaker = Callable[[m.Role, int, Callable[[int, float | None], None]], Peer]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a socket is closed before it serves anyone: an `error` frame (when
    `error_code`), or an `ended` frame, then the close."""

    code: int
    reason: str
    error_code: str | None
    ended: EndReason | None = None

    def frames(self) -> list[bytes]:
        out = []
        if self.ended is not None:
            out.append(m.encode_ended(reason=self.ended))
        if self.error_code is not None:
            out.append(m.encode_error(code=self.error_code, message=self.reason))
        return out


TOO_MANY = Refusal(m.CLOSE_RATE_LIMITED, "rate limit: too many connections", "too_many_connections")
BAD_ORIGIN = Refusal(m.CLOSE_NOT_ALLOWED, "not allowed: origin", "origin_not_allowed")
HELLO_TIMEOUT = Refusal(m.CLOSE_HELLO_TIMEOUT, "hello timeout", "hello_timeout")
TRY_LATER = Refusal(CLOSE_TRY_LATER, "try again later", "unavailable")
ENDED = Refusal(m.CLOSE_ENDED, "session ended", None)


def admit(ctx: Context, *, origin: str | None, host: str, address: str) -> Refusal | None:
    """A socket just accepted: refused for its origin, or past its address's cap
    (`limits.connections_per_address`). Admitted, it counts against the cap until
    `ctx.sockets.close_address(address)`."""
    if not origin_ok(ctx, origin=origin, host=host, role=None):
        return BAD_ORIGIN
    if not ctx.sockets.open_address(address):
        return TOO_MANY
    return None


def origin_ok(ctx: Context, *, origin: str | None, host: str, role: m.Role | None) -> bool:
    """Browsers always send Origin: the console's sockets come from our own origin, a
    visitor's from ours (the /start page) or an allowed site. Proxy hosts are neither:
    the upstream site's script runs there. No Origin: not a browser, token rules only."""
    if origin is None:
        return True
    own = origin_matches_host(origin, host)
    if role in ("agent", "watcher"):
        return own
    return own or ctx.site_origins.allows(origin)


async def greet(
    ctx: Context, data: str | bytes, *, origin: str | None, host: str, peer: PeerMaker
) -> Attachment | Refusal:
    """A socket's first frame, which must be a valid `hello`: the attachment it earns."""
    try:
        message = m.decode_client(data, max_bytes=HELLO_MAX_BYTES)
    except m.ProtocolError as exc:
        return Refusal(exc.code, exc.reason, exc.error_code)
    if not isinstance(message, m.Hello):
        return Refusal(m.CLOSE_BAD_TOKEN, "bad token", "hello_first")
    try:
        grant = await ctx.hub.resolve(message.token)
    except (RedisError, OSError):  # the store is away: the client retries
        return TRY_LATER
    if isinstance(grant, EndReason):
        return Refusal(m.CLOSE_ENDED, "session ended", None, ended=grant)
    if grant is None:
        return Refusal(m.CLOSE_BAD_TOKEN, "bad token", "bad_token")
    if not origin_ok(ctx, origin=origin, host=host, role=grant.role):
        return BAD_ORIGIN
    if not ctx.sockets.open_session(grant.session_id):
        return TOO_MANY
    made = peer(grant.role, 2 * ctx.config.limits.replay_buffer_bytes, _measure(ctx, grant.role))
    try:
        att = await ctx.hub.attach(made, grant, seq=message.seq)
    except (RedisError, OSError):
        ctx.sockets.close_session(grant.session_id)
        return TRY_LATER
    if att is None:
        ctx.sockets.close_session(grant.session_id)
        return ENDED
    return att


class Reader:
    """What an attached socket says, frame by frame: rate-limited, decoded, handed to
    the hub. `take` raises ProtocolError for a frame that closes the socket."""

    __slots__ = ("att", "bucket", "clock", "hub", "limit")

    def __init__(self, ctx: Context, att: Attachment) -> None:
        lim = ctx.config.limits
        if att.role == "visitor":
            self.limit = lim.visitor_message_bytes
            rate = Rate(lim.visitor_messages_per_second, lim.visitor_message_burst)
        else:
            self.limit = lim.agent_message_bytes
            rate = Rate(lim.agent_messages_per_second, lim.agent_message_burst)
        self.bucket = TokenBucket(rate)
        self.att, self.hub, self.clock = att, ctx.hub, ctx.clock

    def take(self, data: str | bytes) -> Awaitable[None] | None:
        """Carry the frame out now, or return what is left of it to await before the
        socket's next frame."""
        if not self.bucket.take(now=self.clock()):
            raise m.rate_limited(f"more than {self.bucket.rate.per_second:g} messages a second")
        return self.hub.receive_now(self.att, m.decode_client(data, max_bytes=self.limit), data)

    @property
    def live(self) -> bool:
        return self.hub.live(self.att)


def protocol_error(ctx: Context, att: Attachment, exc: m.ProtocolError) -> None:
    """Count, log and tell the socket why it is being closed (the caller closes it)."""
    ctx.metrics.error("protocol_" + exc.error_code)
    log.info("closing a %s socket: %s", att.role, exc.reason, extra={"session_id": att.session.id})
    att.peer.send(m.encode_error(code=exc.error_code, message=exc.reason))


async def leave(ctx: Context, att: Attachment) -> None:
    """The attached socket is gone."""
    ctx.sockets.close_session(att.session.id)
    await ctx.hub.detach(att)


def _measure(ctx: Context, role: m.Role) -> Callable[[int, float | None], None]:
    """What a peer reports of each frame it wrote: counted, and for the agent's
    frames (the page relayed) the time from the frame's arrival to its writing, as a
    latency (None: not known)."""
    metrics = ctx.metrics
    if role == "agent":

        def to_agent(nbytes: int, seconds: float | None) -> None:
            metrics.relayed("to_agent", nbytes=nbytes)
            if seconds is not None:
                metrics.relay_latency(seconds)

        return to_agent

    def to_visitor(nbytes: int, seconds: float | None) -> None:
        metrics.relayed("to_visitor", nbytes=nbytes)

    return to_visitor


# --- ASGI -----------------------------------------------------------------------


async def websocket_endpoint(ws: WebSocket) -> None:
    """A socket counts against its address's cap from the moment it is accepted, before
    it has said anything, until it closes; one past the cap is closed with 4429 at once,
    and one that has not sent a `hello` within `limits.hello_timeout_seconds` is closed
    with 4408, whatever else it sent (pings, or parts of a frame that never ends)."""
    ctx = get_context(ws)
    address = client_address(ws)
    await ws.accept()  # then refuse with a close code a browser can read (a 403 it cannot)
    refused = admit(ctx, origin=ws.headers.get("origin"), host=_host(ws), address=address)
    if refused is not None:
        await _refuse(ws, refused)
        return
    try:
        await _serve(ws, ctx)
    finally:
        ctx.sockets.close_address(address)


def _host(ws: WebSocket) -> str:
    return ws.headers.get("host", "")


async def _serve(ws: WebSocket, ctx: Context) -> None:
    att = await _hello(ws, ctx)
    if att is None:
        return
    reader = Reader(ctx, att)
    try:
        while True:
            data = await _receive(ws)
            if data is None:
                break
            later = reader.take(data)
            if later is not None:
                await later
            if not reader.live:
                break
    except m.ProtocolError as exc:
        protocol_error(ctx, att, exc)
        await att.peer.close(exc.code, exc.reason[:120])
    finally:
        await leave(ctx, att)


async def _hello(ws: WebSocket, ctx: Context) -> Attachment | None:
    try:
        data = await asyncio.wait_for(_receive(ws), timeout=ctx.config.limits.hello_timeout_seconds)
    except TimeoutError:
        await _refuse(ws, HELLO_TIMEOUT)
        return None
    if data is None:
        return None

    def peer(role: m.Role, max_pending: int, sent: Callable[[int, float | None], None]) -> Peer:
        return SocketPeer(ws, max_pending=max_pending, sent=sent)

    got = await greet(ctx, data, origin=ws.headers.get("origin"), host=_host(ws), peer=peer)
    if isinstance(got, Refusal):
        await _refuse(ws, got)
        return None
    return got


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


async def _refuse(ws: WebSocket, refusal: Refusal) -> None:
    with contextlib.suppress(Exception):
        for frame in refusal.frames():
            await ws.send_text(frame.decode())
        await ws.close(code=refusal.code, reason=refusal.reason[:120])
