"""Sockets that never say hello: counted against the address's cap from the start,
refused past it with 4429, and closed at the hello deadline with 4408 whatever they send
instead (pings, a frame that never ends, a hello dribbled out too slowly).

The real server (uvicorn on 127.0.0.1, tests/server/live.py, as `cobrowse serve` runs it) and real
sockets: the websockets client, and a raw one for frames no client library would send.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from tests.server.test_faults import SITE, Served, serving_faults

CAP = 5
DEADLINE = 0.6  # limits.hello_timeout_seconds here
SLACK = 3.0  # a loaded test machine: the close may come this much after the deadline


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    limits = {"connections_per_address": CAP, "hello_timeout_seconds": DEADLINE}
    with serving_faults(tmp_path / "data", limits=limits) as s:
        yield s


def url(s: Served) -> str:
    return f"ws://127.0.0.1:{s.port}/ws"


async def until(what: str, predicate: object, timeout: float = 10.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.01)


async def closed_with(ws: websockets.ClientConnection, timeout: float) -> tuple[int | None, str]:
    """Wait for the server to close `ws`: (close code, the error frame it sent first)."""
    said = ""
    async with asyncio.timeout(timeout):
        try:
            async for message in ws:
                said = str(message)
        except websockets.ConnectionClosed:
            pass
    return ws.close_code, said


# --- the cap ------------------------------------------------------------------------


def test_silent_sockets_count_and_the_excess_is_refused_with_4429(tmp_path: Path) -> None:
    # A long deadline here: the silent sockets stay open while the others arrive.
    limits = {"connections_per_address": CAP, "hello_timeout_seconds": 30.0}
    with serving_faults(tmp_path / "data", limits=limits) as s:

        async def go() -> None:
            count = s.ctx.sockets.count
            silent = [await websockets.connect(url(s), origin=SITE) for _ in range(CAP)]
            await until("every silent socket counted", lambda: count(address="127.0.0.1") == CAP)
            extra = [await websockets.connect(url(s), origin=SITE) for _ in range(3)]
            for ws in extra:
                code, said = await closed_with(ws, timeout=SLACK)
                assert code == 4429
                assert json.loads(said)["code"] == "too_many_connections"
            assert count(address="127.0.0.1") == CAP
            assert all(ws.close_code is None for ws in silent)  # still open, still counted
            # One leaves: its place is free for the next.
            await silent.pop().close()
            await until("a place free", lambda: count(address="127.0.0.1") == CAP - 1)
            silent.append(await websockets.connect(url(s), origin=SITE))
            await until("counted again", lambda: count(address="127.0.0.1") == CAP)
            assert all(ws.close_code is None for ws in silent)
            for ws in silent:
                await ws.close()
            await until("none counted", lambda: count(address="127.0.0.1") == 0)

        asyncio.run(go())


# --- the deadline -------------------------------------------------------------------


def test_a_silent_socket_is_closed_at_the_deadline(served: Served) -> None:
    async def go() -> None:
        started = time.monotonic()
        ws = await websockets.connect(url(served), origin=SITE)
        code, said = await closed_with(ws, timeout=DEADLINE + SLACK)
        waited = time.monotonic() - started
        assert code == 4408 and ws.close_reason == "hello timeout"
        assert json.loads(said)["code"] == "hello_timeout"
        assert DEADLINE <= waited < DEADLINE + SLACK

    asyncio.run(go())


def test_pings_do_not_keep_a_silent_socket_open(served: Served) -> None:
    async def go() -> None:
        started = time.monotonic()
        ws = await websockets.connect(url(served), origin=SITE, ping_interval=None)

        async def keep_pinging() -> None:
            while True:
                pong = await ws.ping()
                await pong
                await asyncio.sleep(0.05)

        pinging = asyncio.create_task(keep_pinging())
        code, _ = await closed_with(ws, timeout=DEADLINE + SLACK)
        pinging.cancel()
        assert code == 4408
        assert DEADLINE <= time.monotonic() - started < DEADLINE + SLACK

    asyncio.run(go())


class RawSocket:
    """A WebSocket client that writes frames byte by byte, as a slowloris would."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {SITE}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    @staticmethod
    def frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
        """A client frame (masked), payloads under 126 bytes."""
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([(0x80 if fin else 0) | opcode, 0x80 | len(payload)]) + mask + masked

    async def dribble(self, data: bytes, every: float) -> None:
        """Send `data` a byte at a time (forever, if it is a frame that never ends)."""
        for byte in data:
            self.writer.write(bytes([byte]))
            await self.writer.drain()
            await asyncio.sleep(every)

    async def close_code(self) -> int:
        """Read the server's frames up to its close frame; the code in it."""
        while True:
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", await self.reader.readexactly(2))[0]
            payload = await self.reader.readexactly(size)
            if first & 0x0F == 0x8:
                return int(struct.unpack("!H", payload[:2])[0])

    def abort(self) -> None:
        self.writer.transport.abort()


@pytest.mark.parametrize(
    "stream",
    [
        # A frame that says it carries 100 bytes, of which a byte comes now and then.
        pytest.param(
            lambda: RawSocket.frame(0x1, b"x" * 100)[:8] + b"y" * 200, id="a-frame-never-ends"
        ),
        # A hello in fragments (a text frame without FIN, continuations), one byte at a time.
        pytest.param(
            lambda: (
                RawSocket.frame(0x1, b"{", fin=False)
                + b"".join(RawSocket.frame(0x0, b" ", fin=False) for _ in range(100))
            ),
            id="a-message-never-ends",
        ),
        # Pings, byte by byte.
        pytest.param(lambda: RawSocket.frame(0x9, b"are you there") * 20, id="slow-pings"),
    ],
)
def test_a_slowloris_does_not_escape_the_deadline(served: Served, stream: object) -> None:
    assert callable(stream)

    async def go() -> None:
        started = time.monotonic()
        raw = await RawSocket.open(served.port)
        sending = asyncio.create_task(raw.dribble(stream(), every=0.02))
        try:
            async with asyncio.timeout(DEADLINE + SLACK):
                code = await raw.close_code()
        finally:
            sending.cancel()
            raw.abort()
        assert code == 4408
        assert DEADLINE <= time.monotonic() - started < DEADLINE + SLACK
        await until(
            "the socket uncounted", lambda: served.ctx.sockets.count(address="127.0.0.1") == 0
        )

    asyncio.run(go())


def test_an_invalid_frame_before_hello_is_closed_at_once(served: Served) -> None:
    async def go() -> None:
        raw = await RawSocket.open(served.port)
        started = time.monotonic()
        raw.writer.write(bytes([0x83, 0x80]) + os.urandom(4))  # opcode 3 is reserved
        try:
            async with asyncio.timeout(DEADLINE + SLACK):
                code = await raw.close_code()
        finally:
            raw.abort()
        assert code == 1002  # protocol error, before the deadline
        assert time.monotonic() - started < DEADLINE
        await until(
            "the socket uncounted", lambda: served.ctx.sockets.count(address="127.0.0.1") == 0
        )

    asyncio.run(go())
