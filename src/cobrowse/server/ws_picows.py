"""The relay's sockets on picows: server/ws.py's rules without ASGI in the way.

`cobrowse serve` hands uvicorn `front_protocol(...)` for its connections. `Front`
reads each connection's request head: a WebSocket upgrade to `/ws` on the main host
goes to picows (Cython frame parsing, one callback per frame, writes straight to the
transport); everything else (pages, the API, proxy hosts and their own sockets) goes to
uvicorn's HTTP protocol as before, on the same port. Measured in docs/scale.md: the
ASGI path cost about twice a bare relay's CPU per frame; most of it was the stack's.

A frame is handled inside `on_ws_frame`: decoded, checked, and its effects written
before the next frame is read. Only an input that must wait (a store write, the end's
flush) runs as a task; the socket's later frames queue behind it, so order holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from picows import (
    WSAutoPingStrategy,
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
)
from picows.picows import WSProtocol  # type: ignore[attr-defined]
from uvicorn.config import Config as UvicornConfig
from uvicorn.middleware.proxy_headers import _TrustedHosts

from cobrowse.core import messages as m
from cobrowse.server.context import Context
from cobrowse.server.hub import Attachment
from cobrowse.server.peer import CLOSE_TOO_SLOW, Peer
from cobrowse.server.ws import (
    HELLO_TIMEOUT,
    Reader,
    Refusal,
    admit,
    greet,
    leave,
    protocol_error,
)

log = logging.getLogger("cobrowse.ws")

HEAD_LIMIT = 16 * 1024  # a request head longer than this is uvicorn's to refuse
PING_SECONDS = 20.0  # as uvicorn's ws_ping_interval and ws_ping_timeout
CLOSE_PROTOCOL = 1002
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012
# A frame this big (a page's snapshot) is written from a buffer of its own: picows's
# per-socket write buffer grows to the largest frame sent and never shrinks.
BIG_FRAME = 64 * 1024
HEADER_ROOM = 14  # what picows needs in front of a payload to write the frame's header


class Arrival:
    """When the frame being handled arrived (perf_counter); 0.0 outside a frame. A
    frame written while handling another is relayed; its latency is since then."""

    at = 0.0


class FramePeer:
    """A picows socket as the hub's Peer: frames go straight to the transport, whose
    buffer is the outbox; past `max_pending` bytes buffered the reader is too slow and
    the socket is dropped (it can reconnect and resume)."""

    __slots__ = ("_closed", "_max_pending", "_sent", "_socket", "_transport")

    def __init__(
        self,
        transport: WSTransport,
        *,
        max_pending: int,
        sent: Callable[[int, float | None], None],
    ) -> None:
        self._transport = transport
        self._socket = transport.underlying_transport
        self._max_pending = max_pending
        self._sent = sent
        self._closed = False

    def send(self, data: bytes) -> None:
        if self._closed:
            return
        if self._socket.get_write_buffer_size() + len(data) > self._max_pending:
            log.warning("closing a peer that does not keep up")
            self._closed = True
            self._transport.send_close(_code(CLOSE_TOO_SLOW), b"too slow")
            self._transport.disconnect(graceful=False)
            return
        if len(data) < BIG_FRAME:
            self._transport.send(WSMsgType.TEXT, data)
        else:  # past picows's own write buffer, which would keep this size for good
            framed = bytearray(HEADER_ROOM) + data
            self._transport.send_reuse_external_bytearray(WSMsgType.TEXT, framed, HEADER_ROOM)
        at = Arrival.at
        self._sent(len(data), time.perf_counter() - at if at else None)

    def shut(self, code: int, reason: str) -> None:
        """Close after what is already written."""
        if self._closed:
            return
        self._closed = True
        if not self._transport.is_disconnected:
            self._transport.send_close(_code(code), reason.encode()[:120])
            self._transport.disconnect()

    async def close(self, code: int, reason: str) -> None:
        self.shut(code, reason)


class RelaySocket(WSListener):
    """One `/ws` connection: admitted, greeted, then each frame taken in order."""

    def __init__(
        self,
        ctx: Context,
        *,
        origin: str | None,
        host: str,
        address: str,
        max_message: int,
        connections: set[Any],
    ) -> None:
        self.ctx, self.origin, self.host, self.address = ctx, origin, host, address
        self.max_message = max_message
        self.connections = connections  # uvicorn's: shut down with the server
        self.transport: WSTransport | None = None
        self.peer: FramePeer | None = None
        self.att: Attachment | None = None
        self.reader: Reader | None = None
        self.admitted = False
        self.greeting = False
        self.gone = False
        self.busy = False  # a task is handling this socket's frames; later ones queue
        self.backlog: deque[bytes] = deque()
        self.parts: list[bytes] | None = None  # a fragmented message so far
        self.parts_size = 0
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None

    # --- picows's callbacks ---------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.connections.add(self)
        refused = admit(self.ctx, origin=self.origin, host=self.host, address=self.address)
        if refused is not None:
            self._refuse(refused)
            return
        self.admitted = True
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(
            self.ctx.config.limits.hello_timeout_seconds, self._refuse, HELLO_TIMEOUT
        )

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            if self.parts is not None:
                self._close(CLOSE_PROTOCOL, "a new message inside a fragmented one")
                return
            if not frame.fin:
                self.parts, self.parts_size = [], 0
                self._part(frame.get_payload_as_bytes(), fin=False)
                return
            data = frame.get_payload_as_bytes()
        elif kind is WSMsgType.CONTINUATION:
            if self.parts is None:
                self._close(CLOSE_PROTOCOL, "a continuation with no message")
                return
            whole = self._part(frame.get_payload_as_bytes(), fin=frame.fin)
            if whole is None:
                return
            data = whole
        elif kind is WSMsgType.CLOSE:
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        else:  # ping (picows answers it) or pong
            return
        if self.gone or not self.admitted:
            return
        if self.busy:
            self.backlog.append(data)
        elif self.reader is not None:
            Arrival.at = time.perf_counter()
            try:
                self._take(self.reader, data)
            finally:
                Arrival.at = 0.0
        elif not self.greeting:
            self._greet(data)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.gone = True
        self.connections.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        if self.admitted:
            self.admitted = False
            self.ctx.sockets.close_address(self.address)
        if self.att is not None and not self.busy and not self.greeting:
            self._spawn(self._leave())
        # else: the running task leaves when it is done

    # --- uvicorn's server: shutdown() on every connection it tracks -----------

    def shutdown(self) -> None:
        self._close(CLOSE_RESTART, "server restart")

    # --- the frames -----------------------------------------------------------

    def _part(self, payload: bytes, *, fin: bool) -> bytes | None:
        assert self.parts is not None
        self.parts.append(payload)
        self.parts_size += len(payload)
        if self.parts_size > self.max_message:
            self._close(CLOSE_TOO_BIG, "message too big")
            return None
        if not fin:
            return None
        whole = b"".join(self.parts)
        self.parts = None
        return whole

    def _greet(self, data: bytes) -> None:
        if self.timer is not None:
            self.timer.cancel()  # the deadline was for the first frame
        self.greeting = True
        self.busy = True
        self._spawn(self._attach(data))

    async def _attach(self, data: bytes) -> None:
        try:
            got = await greet(
                self.ctx, data, origin=self.origin, host=self.host, peer=self._make_peer
            )
        except Exception:
            log.exception("a socket's hello failed")
            self.greeting = self.busy = False
            self._close(CLOSE_INTERNAL, "internal error")
            return
        self.greeting = False
        if isinstance(got, Refusal):
            self.busy = False
            self._refuse(got)
            return
        self.att, self.reader = got, Reader(self.ctx, got)
        await self._drain(None)

    def _make_peer(
        self, role: m.Role, max_pending: int, sent: Callable[[int, float | None], None]
    ) -> Peer:
        assert self.transport is not None
        self.peer = FramePeer(self.transport, max_pending=max_pending, sent=sent)
        return self.peer

    def _take(self, reader: Reader, data: bytes) -> None:
        try:
            later = reader.take(data)
        except m.ProtocolError as exc:
            self._protocol_error(exc)
            return
        if later is not None:
            self.busy = True
            self._spawn(self._drain(later))
        elif not reader.live:
            self._close(1000, "")

    async def _drain(self, later: Awaitable[None] | None) -> None:
        """Finish the input under way, then the frames that queued behind it."""
        reader = self.reader
        assert reader is not None
        try:
            if later is not None:
                await later
            while self.backlog and not self.gone and reader.live:
                try:
                    later = reader.take(self.backlog.popleft())
                except m.ProtocolError as exc:
                    self._protocol_error(exc)
                    break
                if later is not None:
                    await later
            if not reader.live:
                self._close(1000, "")
        except Exception:
            log.exception("a socket's input failed")
            self._close(CLOSE_INTERNAL, "internal error")
        finally:
            self.busy = False
            if self.gone:
                await self._leave()

    def _protocol_error(self, exc: m.ProtocolError) -> None:
        assert self.att is not None
        protocol_error(self.ctx, self.att, exc)
        self.backlog.clear()
        self._close(exc.code, exc.reason[:120])

    async def _leave(self) -> None:
        att, self.att = self.att, None
        if att is not None:
            await leave(self.ctx, att)

    # --- closing --------------------------------------------------------------

    def _refuse(self, refusal: Refusal) -> None:
        transport = self.transport
        if transport is None or transport.is_disconnected:
            return
        for frame in refusal.frames():
            transport.send(WSMsgType.TEXT, frame)
        self._close(refusal.code, refusal.reason[:120])

    def _close(self, code: int, reason: str) -> None:
        self.backlog.clear()
        if self.peer is not None:
            self.peer.shut(code, reason)
            return
        transport = self.transport
        if transport is not None and not transport.is_disconnected:
            if not transport.is_close_frame_sent:
                transport.send_close(_code(code), reason.encode()[:120])
            transport.disconnect()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


_tasks: set[asyncio.Future[None]] = set()  # held until done (the loop keeps weak refs)


# --- one port, two engines ------------------------------------------------------


class Front(asyncio.Protocol):
    """uvicorn's protocol for each connection, until the request's head is read."""

    ctx: ClassVar[Context]
    http: ClassVar[type[asyncio.Protocol]]

    def __init__(
        self,
        config: UvicornConfig,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.config, self.server_state, self.app_state, self.loop = (
            config,
            server_state,
            app_state,
            _loop,
        )
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0 and len(self.head) < HEAD_LIMIT:
            return
        head = bytes(self.head[:end]) if end >= 0 else b""
        if is_relay_upgrade(head, self.ctx):
            self._to_picows()
        else:
            self._to_uvicorn()

    def eof_received(self) -> bool | None:
        return None  # closed before a whole head: nothing to answer

    def _to_uvicorn(self) -> None:
        assert self.transport is not None
        protocol = self.http(
            config=self.config,  # type: ignore[call-arg]
            server_state=self.server_state,
            app_state=self.app_state,
            _loop=self.loop,
        )
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        protocol.data_received(bytes(self.head))

    def _to_picows(self) -> None:
        transport = self.transport
        assert transport is not None
        ctx = self.ctx
        max_message = 2 * ctx.config.limits.visitor_message_bytes
        peer = transport.get_extra_info("peername")
        direct = peer[0] if isinstance(peer, tuple) and peer else "unknown"
        trusted = _trusted(self.config)
        connections = self.server_state.connections

        def listener(request: WSUpgradeRequest) -> RelaySocket:
            address = direct
            forwarded = request.headers.getall("x-forwarded-for", [])
            if trusted is not None and forwarded and direct in trusted:
                host, _port = trusted.get_trusted_client_address(", ".join(forwarded))
                address = host or direct
            return RelaySocket(
                ctx,
                origin=request.headers.get("origin"),
                host=request.headers.get("host", ""),
                address=address,
                max_message=max_message,
                connections=connections,
            )

        protocol = WSProtocol(
            None,  # host:port, a client's
            None,  # path, a client's
            False,  # the server side
            listener,
            logging.getLogger("cobrowse.ws.picows"),
            True,  # disconnect when a callback raises
            5.0,  # handshake timeout
            True,  # ping an idle client; drop it when it does not answer
            PING_SECONDS,
            PING_SECONDS,
            WSAutoPingStrategy.PING_WHEN_IDLE,
            True,  # answer pings
            max_message,
            None,  # extra headers
            16 * 1024,
        )
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        _feed(protocol, bytes(self.head))


def is_relay_upgrade(head: bytes, ctx: Context) -> bool:
    """Whether a request head asks for a WebSocket at `/ws` on the main host (a proxy
    host's own sockets and every plain request stay with the ASGI app)."""
    line, _, rest = head.partition(b"\r\n")
    parts = line.split(b" ")
    if len(parts) != 3 or parts[0] != b"GET" or parts[1].split(b"?", 1)[0] != b"/ws":
        return False
    upgrade = host = None
    for raw in rest.split(b"\r\n"):
        name, sep, value = raw.partition(b":")
        if not sep:
            continue
        key = name.strip().lower()
        if key == b"upgrade":
            upgrade = value.strip().lower()
        elif key == b"host":
            if host is not None:
                return False  # two hosts: uvicorn's to refuse
            host = value.strip().decode("latin-1")
    if upgrade != b"websocket":
        return False
    return not ctx.proxy.hosts.is_proxy_host(host or "")


def front_protocol(ctx: Context, http: type[asyncio.Protocol]) -> type[Front]:
    """The `http` protocol class to give uvicorn's Config: `http` for everything but
    the relay's sockets."""
    return type("Front", (Front,), {"ctx": ctx, "http": http})


def _trusted(config: UvicornConfig) -> _TrustedHosts | None:
    if not config.proxy_headers:
        return None
    return _TrustedHosts(config.forwarded_allow_ips or "127.0.0.1")


def _code(code: int) -> WSCloseCode:
    """Any close code: picows's type names only the standard ones."""
    return cast(WSCloseCode, code)


def _feed(protocol: asyncio.BufferedProtocol, data: bytes) -> None:
    """Give a buffered protocol bytes already read (asyncio's own hand-over does so)."""
    view = memoryview(data)
    while view:
        buffer = memoryview(protocol.get_buffer(len(view)))
        n = min(len(buffer), len(view))
        buffer[:n] = view[:n]
        protocol.buffer_updated(n)
        view = view[n:]
