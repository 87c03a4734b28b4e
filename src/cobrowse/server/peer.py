"""One participant's socket with its own outbox, so a slow reader never stalls others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger("cobrowse.peer")

CLOSE_TOO_SLOW = 1008


class Peer(Protocol):
    """What the hub needs of a connection: queue a frame, close."""

    def send(self, data: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


def unmeasured(nbytes: int, seconds: float | None) -> None:
    """A `sent` callback that counts nothing."""
    return None


class SocketPeer:
    """Frames are queued and written by one task; past `max_pending` bytes
    the peer is considered stuck and is closed (it can reconnect and resume).
    `sent(nbytes, seconds)` is told of every frame written and how long it waited."""

    def __init__(
        self,
        ws: WebSocket,
        *,
        max_pending: int,
        sent: Callable[[int, float | None], None] = unmeasured,
    ) -> None:
        self._ws = ws
        self._sent = sent
        self._queue: asyncio.Queue[tuple[bytes, float] | None] = asyncio.Queue()
        self._pending = 0
        self._max_pending = max_pending
        self._closed = False
        self._writer = asyncio.create_task(self._write())

    def send(self, data: bytes) -> None:
        if self._closed:
            return
        self._pending += len(data)
        if self._pending > self._max_pending:
            log.warning("closing a peer that does not keep up")
            self._closed = True
            self._queue.put_nowait(None)
            asyncio.get_running_loop().create_task(self._close_now(CLOSE_TOO_SLOW, "too slow"))
            return
        self._queue.put_nowait((data, time.perf_counter()))

    async def close(self, code: int, reason: str) -> None:
        """Flush what is queued, then close with `code`."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._writer), timeout=5)
        await self._close_now(code, reason)

    async def _close_now(self, code: int, reason: str) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
        if self._ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await self._ws.close(code=code, reason=reason)

    async def _write(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if item is None:
                    return
                data, queued = item
                self._pending -= len(data)
                await self._ws.send({"type": "websocket.send", "text": data.decode()})
                self._sent(len(data), time.perf_counter() - queued)
        except Exception:  # the socket went away; the reader side notices too
            self._closed = True
