"""The baseline of bench/load.py: a bare relay, the least a relay server can do.

Same handshake shape as cobrowse, as cheap as possible: a socket's first frame is
`{"t": "hello", "token": "visitor:<key>"}` (or `agent:<key>`); the server answers
`welcome`, and once both sides of a key are there tells the visitor `state: active`.
From then on every frame of the visitor is forwarded verbatim to the agent. No
checks, no buffer, no outbox task: one `await send` per frame.

Three servers of it: a raw ASGI app (for uvicorn and granian, the stack of cobrowse's
ASGI route), one on cobrowse's own frame reader (core/wsframes.py: the stack of its
direct engine, server/ws_relay.py), and one on picows, which is not ASGI: the ceiling
of Python WebSockets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]

WELCOME = b'{"v":1,"t":"welcome"}'
ACTIVE = b'{"v":1,"t":"state","state":"active"}'


def parse_hello(data: bytes | str) -> tuple[str, str]:
    """(role, key) of a hello frame."""
    token = str(orjson.loads(data)["token"])
    role, _, key = token.partition(":")
    return role, key


class BareRelay:
    """Raw ASGI: pairs a visitor and an agent socket by key, forwards frames."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, Send]] = {}

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            await _ok(send)
        else:
            await self._socket(receive, send)

    async def _socket(self, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        first = await receive()
        if first["type"] != "websocket.receive":
            return
        role, key = parse_hello(first.get("text") or first.get("bytes") or b"{}")
        room = self.rooms.setdefault(key, {})
        room[role] = send
        await send({"type": "websocket.send", "text": WELCOME.decode()})
        visitor = room.get("visitor")
        if visitor is not None and "agent" in room:
            await visitor({"type": "websocket.send", "text": ACTIVE.decode()})
        try:
            await self._forward(receive, room, role)
        finally:
            room.pop(role, None)
            if not room:
                self.rooms.pop(key, None)

    @staticmethod
    async def _forward(receive: Receive, room: dict[str, Send], role: str) -> None:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            agent = room.get("agent")
            if role == "visitor" and agent is not None:
                text = message.get("text")
                if text is not None:
                    await agent({"type": "websocket.send", "text": text})
                else:
                    await agent({"type": "websocket.send", "bytes": message.get("bytes")})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _ok(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def serve_picows(host: str, port: int) -> None:
    """The same relay on picows (Cython, not ASGI), until cancelled."""
    import asyncio

    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server

    rooms: dict[str, dict[str, WSTransport]] = {}

    class Relay(WSListener):  # type: ignore[misc]
        role = ""
        key = ""

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            elif frame.msg_type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return
            elif not self.role:
                self.role, self.key = parse_hello(frame.get_payload_as_bytes())
                room = rooms.setdefault(self.key, {})
                room[self.role] = transport
                transport.send(WSMsgType.TEXT, WELCOME)
                if "visitor" in room and "agent" in room:
                    room["visitor"].send(WSMsgType.TEXT, ACTIVE)
            elif self.role == "visitor":
                agent = rooms[self.key].get("agent")
                if agent is not None:
                    agent.send(frame.msg_type, frame.get_payload_as_memoryview())

        def on_ws_disconnected(self, transport: WSTransport) -> None:
            room = rooms.get(self.key, {})
            if room.get(self.role) is transport:
                room.pop(self.role)
            if not room:
                rooms.pop(self.key, None)

    server = await ws_create_server(
        lambda request: Relay(), host, port, max_frame_size=32 * 1024 * 1024
    )
    async with server:
        await asyncio.Future()


async def serve_direct(host: str, port: int) -> None:
    """The same relay on cobrowse's direct engine's stack (an asyncio protocol and
    core/wsframes.py, as server/ws_relay.py), until cancelled."""
    import asyncio

    from cobrowse.core import wsframes as wf
    from cobrowse.server.ws_relay import UNMASK

    rooms: dict[str, dict[str, asyncio.Transport]] = {}

    class Relay(asyncio.Protocol):
        def __init__(self) -> None:
            self.head: bytes | None = b""
            self.frames = wf.FrameReader(32 * 1024 * 1024, unmask=UNMASK)
            self.transport: Any = None
            self.role = self.key = ""

        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            if self.transport is None:
                return
            if self.head is not None:
                self.head += data
                end = self.head.find(b"\r\n\r\n")
                if end < 0:
                    return
                parsed = wf.parse_head(self.head[:end])
                self.transport.write(wf.upgrade_answer(parsed[2] if parsed else {}))
                data, self.head = self.head[end + 4 :], None
            for opcode, payload in self.frames.feed(data):
                if opcode == wf.OP_CLOSE:
                    self.transport.write(wf.close_frame(1000))
                    self.transport.close()
                    return
                if opcode not in (wf.OP_TEXT, wf.OP_BINARY):
                    continue
                if not self.role:
                    self.role, self.key = parse_hello(payload)
                    room = rooms.setdefault(self.key, {})
                    room[self.role] = self.transport
                    self.transport.write(wf.text_frame(WELCOME))
                    if "visitor" in room and "agent" in room:
                        room["visitor"].write(wf.text_frame(ACTIVE))
                elif self.role == "visitor":
                    agent = rooms[self.key].get("agent")
                    if agent is not None:
                        agent.write(wf.text_frame(payload))

        def connection_lost(self, exc: Exception | None) -> None:
            room = rooms.get(self.key, {})
            if room.get(self.role) is self.transport:
                room.pop(self.role)
            if not room:
                rooms.pop(self.key, None)

    server = await asyncio.get_running_loop().create_server(Relay, host, port, backlog=4096)
    async with server:
        await asyncio.Future()
