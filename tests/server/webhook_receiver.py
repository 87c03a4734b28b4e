"""A real webhook receiver on 127.0.0.1 for the tests: an aiohttp web server on a
thread of its own, answering each request as the test scripted it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

HANG = "hang"  # hold the request until the test calls `release` (the sender times out)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answer: int | str  # the status it got, or HANG

    @property
    def event(self) -> dict[str, Any]:
        parsed = json.loads(self.body)
        assert isinstance(parsed, dict)
        return parsed


@dataclass
class Receiver:
    """`script` answers the requests in order (a status, (status, headers), or HANG);
    once it is used up every request gets `then`."""

    script: list[Any] = field(default_factory=list)
    then: Any = 204
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    hanging: int = 0  # requests held right now
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _release: asyncio.Event | None = None

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def answered(self) -> list[int | str]:
        with self._lock:
            return [r.answer for r in self.requests]

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.event for r in self.requests]

    def release(self) -> None:
        """Let every held request (and every later HANG) answer 204."""
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        with self._lock:
            answer = self.script.pop(0) if self.script else self.then
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            self.requests.append(Received(dict(request.headers), body, status))
        if answer == HANG:
            assert self._release is not None
            with self._lock:
                self.hanging += 1
            try:
                await self._release.wait()
            finally:
                with self._lock:
                    self.hanging -= 1
            return web.Response(status=204)
        return web.Response(status=status, headers=headers)


@contextmanager
def running_receiver(receiver: Receiver) -> Iterator[Receiver]:
    ready = threading.Event()
    stop: list[asyncio.Event] = []

    async def main() -> None:
        receiver._loop = asyncio.get_running_loop()
        receiver._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        receiver.url = f"http://127.0.0.1:{port}/hook"
        stop.append(asyncio.Event())
        ready.set()
        await stop[0].wait()
        receiver._release.set()
        await runner.cleanup()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(30), "the receiver did not start"
    try:
        yield receiver
    finally:
        assert receiver._loop is not None
        receiver._loop.call_soon_threadsafe(stop[0].set)
        thread.join(30)
