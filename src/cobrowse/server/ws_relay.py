"""The relay's sockets off ASGI: server/ws.py's rules on a protocol of our own.

`cobrowse serve` hands uvicorn `front_protocol(...)` for its connections. `Front`
reads each connection's request head: a WebSocket upgrade to `/ws` on the main host
becomes a `RelayConnection` (core/wsframes.py reads the frames; frames are written
straight to the transport); everything else (pages, the API, proxy hosts and their own
sockets) goes to uvicorn's HTTP protocol as before, on the same port. Measured in
docs/scale.md: on the ASGI route, most of the relay's CPU per frame was the stack's.

A message is handled inside `data_received`: decoded, checked, and its effects written
before the next is read. Only an input that must wait (a store write, the end's flush)
runs as a task; the socket's later messages queue behind it, so order holds. The
connection is also the hub's Peer for its participant: the transport's buffer is the
outbox, and past `max_pending` bytes in it the reader is too slow and is dropped (it
can reconnect and resume).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from uvicorn.config import Config as UvicornConfig
from uvicorn.middleware.proxy_headers import _TrustedHosts

from cobrowse.core import messages as m
from cobrowse.core import wsframes as wf
from cobrowse.server.context import Context
from cobrowse.server.hub import Attachment
from cobrowse.server.peer import CLOSE_TOO_SLOW, Peer, unmeasured
from cobrowse.server.ws import (
    HELLO_TIMEOUT,
    Reader,
    Refusal,
    admit,
    greet,
    leave,
    protocol_error,
)


def _unmask() -> wf.Unmask:
    """websockets' C helper, 10x the pure one, when websockets was built with it."""
    try:
        from websockets.speedups import apply_mask
    except ImportError:
        return wf.unmask
    return apply_mask


log = logging.getLogger("cobrowse.ws")

HEAD_LIMIT = 16 * 1024  # a request head longer than this is uvicorn's to refuse
PING_SECONDS = 20.0  # as uvicorn's ws_ping_interval and ws_ping_timeout
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012
BIG_FRAME = 64 * 1024  # written as header and payload apart, not joined first
UNMASK = _unmask()


class Arrival:
    """When the message being handled arrived (perf_counter); 0.0 outside one. A frame
    written while handling another is relayed; its latency is since then."""

    at = 0.0


class RelayConnection(asyncio.Protocol):
    """One `/ws` connection after its upgrade: admitted, greeted, then each message
    taken in order."""

    def __init__(
        self,
        ctx: Context,
        *,
        answer: bytes,
        origin: str | None,
        host: str,
        address: str,
        max_message: int,
        connections: set[Any],
    ) -> None:
        self.ctx, self.origin, self.host, self.address = ctx, origin, host, address
        self.answer = answer  # the 101 response, written on connection_made
        self.connections = connections  # uvicorn's: shut down with the server
        self.frames = wf.FrameReader(max_message, unmask=UNMASK)
        self.transport: asyncio.Transport | None = None
        self.att: Attachment | None = None
        self.reader: Reader | None = None
        self.max_pending = 0
        self.sent: Callable[[int, float | None], None] = unmeasured
        self.admitted = False
        self.greeting = False
        self.closing = False  # our close frame is written: nothing more is
        self.gone = False
        self.busy = False  # a task is handling this socket's messages; later ones queue
        self.backlog: deque[bytes] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.pinger: asyncio.TimerHandle | None = None
        self.heard = True  # since the last keepalive check
        self.pinged = False

    # --- asyncio's callbacks --------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.answer)
        self.connections.add(self)
        loop = asyncio.get_running_loop()
        self.pinger = loop.call_later(PING_SECONDS, self._keepalive)
        refused = admit(self.ctx, origin=self.origin, host=self.host, address=self.address)
        if refused is not None:
            self._refuse(refused)
            return
        self.admitted = True
        self.timer = loop.call_later(
            self.ctx.config.limits.hello_timeout_seconds, self._refuse, HELLO_TIMEOUT
        )

    def data_received(self, data: bytes) -> None:
        self.heard = True
        try:
            items = self.frames.feed(data)
        except wf.FrameError as exc:
            self._shut(exc.code, exc.reason)
            return
        for opcode, payload in items:
            if self.closing:
                return
            if opcode == wf.OP_TEXT or opcode == wf.OP_BINARY:
                self._message(payload)
            elif opcode == wf.OP_PING:
                self._write(wf.frame_header(wf.OP_PONG, len(payload)) + payload)
            elif opcode == wf.OP_CLOSE:  # answered; what came before it is still handled
                code = wf.close_code(payload)
                self._close_after(code if 1000 <= code < 5000 else 1000, "")
            # a pong: heard, nothing more

    def eof_received(self) -> bool | None:
        return None  # the transport closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = self.closing = True
        self.connections.discard(self)
        for handle in (self.timer, self.pinger):
            if handle is not None:
                handle.cancel()
        if self.admitted:
            self.admitted = False
            self.ctx.sockets.close_address(self.address)
        if self.att is not None and not self.busy and not self.greeting:
            _spawn(self._leave())
        # else: the running task leaves when it is done

    # --- the hub's Peer -------------------------------------------------------

    def send(self, data: bytes) -> None:
        transport = self.transport
        if self.closing or transport is None:
            return
        n = len(data)
        if transport.get_write_buffer_size() + n > self.max_pending:
            log.warning("closing a peer that does not keep up")
            self.closing = True
            transport.write(wf.close_frame(CLOSE_TOO_SLOW, "too slow"))
            transport.abort()
            return
        if n < 126:
            transport.write(bytes((0x81, n)) + data)
        elif n < BIG_FRAME:
            transport.write(wf.text_frame(data))
        else:
            transport.writelines((wf.frame_header(wf.OP_TEXT, n), data))
        at = Arrival.at
        self.sent(n, time.perf_counter() - at if at else None)

    async def close(self, code: int, reason: str) -> None:
        self._shut(code, reason)

    # --- uvicorn's server: shutdown() on every connection it tracks -----------

    def shutdown(self) -> None:
        self._shut(CLOSE_RESTART, "server restart")

    # --- the messages ---------------------------------------------------------

    def _message(self, data: bytes) -> None:
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

    def _greet(self, data: bytes) -> None:
        if self.timer is not None:
            self.timer.cancel()  # the deadline was for the first message
        self.greeting = self.busy = True
        _spawn(self._attach(data))

    async def _attach(self, data: bytes) -> None:
        try:
            got = await greet(
                self.ctx, data, origin=self.origin, host=self.host, peer=self._as_peer
            )
        except Exception:
            log.exception("a socket's hello failed")
            self.greeting = self.busy = False
            self._shut(CLOSE_INTERNAL, "internal error")
            return
        self.greeting = False
        if isinstance(got, Refusal):
            self.busy = False
            self._refuse(got)
            return
        self.att, self.reader = got, Reader(self.ctx, got)
        await self._drain(None)

    def _as_peer(
        self, role: m.Role, max_pending: int, sent: Callable[[int, float | None], None]
    ) -> Peer:
        self.max_pending, self.sent = max_pending, sent
        return self

    def _take(self, reader: Reader, data: bytes) -> None:
        try:
            later = reader.take(data)
        except m.ProtocolError as exc:
            self._protocol_error(exc)
            return
        if later is not None:
            self.busy = True
            _spawn(self._drain(later))
        elif not reader.live:
            self._shut(1000, "")

    async def _drain(self, later: Awaitable[None] | None) -> None:
        """Finish the input under way, then the messages that queued behind it."""
        reader = self.reader
        assert reader is not None
        try:
            if later is not None:
                await later
            while self.backlog and reader.live:  # each came before the socket closed
                try:
                    later = reader.take(self.backlog.popleft())
                except m.ProtocolError as exc:
                    self._protocol_error(exc)
                    break
                if later is not None:
                    await later
            if not reader.live:
                self._shut(1000, "")
        except Exception:
            log.exception("a socket's input failed")
            self._shut(CLOSE_INTERNAL, "internal error")
        finally:
            self.busy = False
            if self.gone:
                await self._leave()

    def _protocol_error(self, exc: m.ProtocolError) -> None:
        assert self.att is not None
        protocol_error(self.ctx, self.att, exc)
        self._shut(exc.code, exc.reason[:120])

    async def _leave(self) -> None:
        att, self.att = self.att, None
        if att is not None:
            await leave(self.ctx, att)

    # --- writing and closing --------------------------------------------------

    def _write(self, data: bytes) -> None:
        if not self.closing and self.transport is not None:
            self.transport.write(data)

    def _refuse(self, refusal: Refusal) -> None:
        for frame in refusal.frames():
            self._write(wf.text_frame(frame))
        self._shut(refusal.code, refusal.reason[:120])

    def _shut(self, code: int, reason: str) -> None:
        """Close now: messages not yet handled are dropped (a bad frame, the end)."""
        self.backlog.clear()
        self._close_after(code, reason)

    def _close_after(self, code: int, reason: str) -> None:
        """The close frame after what is written, then the connection's end; messages
        already received are still handled."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self.transport.write(wf.close_frame(code, reason))
        self.transport.close()

    def _keepalive(self) -> None:
        """Every PING_SECONDS: a socket silent since the last check gets a ping; one
        still silent at the next check is dead."""
        transport = self.transport
        if self.gone or transport is None:
            return
        if self.heard:
            self.heard = self.pinged = False
        elif self.pinged:
            transport.abort()
            return
        else:
            self._write(wf.frame_header(wf.OP_PING, 0))
            self.pinged = True
        self.pinger = asyncio.get_running_loop().call_later(PING_SECONDS, self._keepalive)


_tasks: set[asyncio.Future[None]] = set()  # held until done (the loop keeps weak refs)


def _spawn(work: Awaitable[None]) -> None:
    task = asyncio.ensure_future(work)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


# --- one port, two engines ------------------------------------------------------


class Front(asyncio.Protocol):
    """uvicorn's protocol for each connection, until the request's head is read."""

    ctx: ClassVar[Context]
    http: ClassVar[type[asyncio.Protocol]]
    trusted: ClassVar[_TrustedHosts | None]  # proxies whose X-Forwarded-For counts

    def __init__(
        self,
        config: UvicornConfig,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.config, self.server_state, self.app_state = config, server_state, app_state
        self.loop = _loop
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0 and len(self.head) < HEAD_LIMIT:
            return
        request = relay_request(bytes(self.head[:end]) if end >= 0 else b"", self.ctx)
        if request is None:
            self._to_uvicorn()
        else:
            self._to_relay(request, bytes(self.head[end + 4 :]))

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

    def _to_relay(self, headers: dict[str, str], rest: bytes) -> None:
        transport = self.transport
        assert transport is not None
        try:
            answer = wf.upgrade_answer(headers)
        except wf.HandshakeError as exc:
            body = str(exc).encode()
            transport.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            transport.close()
            return
        connection = RelayConnection(
            self.ctx,
            answer=answer,
            origin=headers.get("origin"),
            host=headers.get("host", ""),
            address=self._address(headers),
            max_message=2 * self.ctx.config.limits.visitor_message_bytes,
            connections=self.server_state.connections,
        )
        transport.set_protocol(connection)
        connection.connection_made(transport)
        if rest:
            connection.data_received(rest)

    def _address(self, headers: dict[str, str]) -> str:
        """The client's address: the peer's, or behind a trusted proxy the forwarded
        one, as uvicorn's proxy_headers settles it for the ASGI route."""
        assert self.transport is not None
        peer = self.transport.get_extra_info("peername")
        direct = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        forwarded = headers.get("x-forwarded-for")
        trusted = self.trusted
        if trusted is None or forwarded is None or direct not in trusted:
            return direct
        host, _port = trusted.get_trusted_client_address(forwarded)
        return host or direct


def relay_request(head: bytes, ctx: Context) -> dict[str, str] | None:
    """A request head's headers (core/wsframes.parse_head's) when it asks for a
    WebSocket at `/ws` on the main host; None for anything else (a proxy host's own
    sockets and every plain request stay with the ASGI app)."""
    parsed = wf.parse_head(head)
    if parsed is None:
        return None
    method, target, headers = parsed
    if method != b"GET" or target.split(b"?", 1)[0] != b"/ws":
        return None
    host = headers.get("host", "")
    if "," in host:  # two Host headers (no host name holds a comma): uvicorn's to refuse
        return None
    if "websocket" not in headers.get("upgrade", "").lower():
        return None
    if ctx.proxy.hosts.is_proxy_host(host):
        return None
    return headers


def front_protocol(ctx: Context, http: type[asyncio.Protocol]) -> type[Front]:
    """The `http` protocol class to give uvicorn's Config: `http` for everything but
    the relay's sockets. Forwarded addresses count from `server.forwarded_allow_ips`,
    as uvicorn's proxy_headers (cobrowse.cli._server) counts them for the ASGI route."""
    allow = ctx.config.server.forwarded_allow_ips
    trusted = _TrustedHosts(allow) if allow else None
    return type("Front", (Front,), {"ctx": ctx, "http": http, "trusted": trusted})
