"""The real server for tests that need real sockets: the app under uvicorn on
127.0.0.1, built as `cobrowse serve` builds it (cobrowse.cli._server: the relay's
sockets on `server.ws_engine`), in its own thread and loop, stopped after the block."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from cobrowse.cli import _server
from cobrowse.config import Config
from cobrowse.core.room import Room
from cobrowse.server.app import create_app
from cobrowse.server.context import Context


@dataclass
class Served:
    port: int
    ctx: Context
    config: Config
    server: uvicorn.Server

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def room(self, session_id: str) -> Room | None:
        return self.ctx.hub.rooms.get(session_id)


@contextlib.contextmanager
def serving(config: Config) -> Iterator[Served]:
    app = create_app(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = _server(app, config, host="127.0.0.1", port=0, relay=True)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        ctx = app.state.ctx
        assert isinstance(ctx, Context)
        yield Served(port=sock.getsockname()[1], ctx=ctx, config=config, server=server)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"
