"""A real `cobrowse serve` in proxy mode for the corpus, and proxied sessions opened the
way the widget and the console open them, over plain HTTP and WebSocket from Python:
create (visitor), sign in and join with the PIN (agent), consent (visitor socket), then
`POST /api/v1/sessions/{id}/overlay` for the `enter` URL of a proxy host.

Both sockets stay open for the life of the session, so that it stays active.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

from cobrowse.config import load_config
from cobrowse.core.links import sign_link
from cobrowse.server.auth import load_link_secret
from tests.e2e.corpus.site import Corpus
from tests.e2e.demo_process import free_port, stop_process, wait_until_healthy

PROXY_DOMAIN = "cobrowse.localhost"


@dataclass
class ProxyServer:
    url: str  # http://127.0.0.1:<port>
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]
    agent_cookie: str = ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request to the server (redirects not followed)."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=15)
        try:
            data = None if body is None else json.dumps(body).encode()
            all_headers = {"Content-Type": "application/json"} if data is not None else {}
            all_headers.update(headers or {})
            conn.request(method, path, body=data, headers=all_headers)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def sign_in_agent(self, name: str = "Asha Rao") -> None:
        config = load_config({"server": {"data_dir": str(self.data_dir)}}, {})
        token, _ = sign_link(secret=load_link_secret(config), agent=name, now=time.time(), ttl=300)
        status, headers, _ = self.request("GET", f"/agent/signin?token={token}")
        assert status == 303, (status, self.log_text())
        self.agent_cookie = headers["set-cookie"].split(";", 1)[0]

    def open_session(self) -> ProxiedSession:
        return ProxiedSession.open(self)


@dataclass
class ProxiedSession:
    server: ProxyServer
    session_id: str
    visitor_token: str
    sockets: list[ClientConnection] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)

    @classmethod
    def open(cls, server: ProxyServer) -> ProxiedSession:
        if not server.agent_cookie:
            server.sign_in_agent()
        status, _, body = server.request("POST", "/api/v1/sessions", {})
        assert status == 201, body
        created = json.loads(body)
        session = cls(server, created["session_id"], created["visitor_token"])
        try:
            visitor = session._socket(created["ws_url"], created["visitor_token"])
            assert _next(visitor, "welcome")["state"] == "created"
            status, _, body = server.request(
                "POST", "/api/v1/join", {"pin": created["pin"]}, {"Cookie": server.agent_cookie}
            )
            assert status == 200, body
            joined = json.loads(body)
            agent = session._socket(joined["ws_url"], joined["agent_token"])
            _next(agent, "welcome")
            visitor.send(json.dumps({"v": 1, "t": "consent", "allow": True}))
            while _next(visitor, "state")["state"] != "active":
                pass
        except BaseException:
            session.close()
            raise
        return session

    def _socket(self, url: str, token: str) -> ClientConnection:
        ws = self.stack.enter_context(connect(url, open_timeout=10, max_size=None))
        self.sockets.append(ws)
        ws.send(json.dumps({"v": 1, "t": "hello", "token": token}))
        return ws

    def overlay(self, url: str) -> str:
        """A one-use `enter` URL that sets the proxy credential and lands on `url`."""
        status, _, body = self.server.request(
            "POST",
            f"/api/v1/sessions/{self.session_id}/overlay",
            {"url": url},
            {"Authorization": f"Bearer {self.visitor_token}"},
        )
        assert status == 201, body
        return str(json.loads(body)["src"])

    def close(self) -> None:
        for ws in self.sockets[:1]:  # the visitor's Stop ends the session for both
            with suppress(Exception):
                ws.send(json.dumps({"v": 1, "t": "end"}))
        self.sockets.clear()
        self.stack.close()


def _next(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type `kind`, skipping others."""
    deadline = time.monotonic() + 10
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("t") == kind:
            return dict(message)
        if message.get("t") in ("ended", "error"):
            raise AssertionError(f"session refused: {message}")


def start_proxy(tmp: Path, corpus: Corpus) -> ProxyServer:
    port = free_port()
    data_dir = tmp / "data"
    log = tmp / "serve.log"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "COBROWSE_PROXY_MODE": "proxy",
        "COBROWSE_PROXY_ALLOWED_ORIGINS": ",".join(corpus.origins),
        "COBROWSE_PROXY_ALLOWED_NETWORKS": "127.0.0.0/8",
        "COBROWSE_PROXY_DOMAIN": PROXY_DOMAIN,
        "COBROWSE_SERVER_PORT": str(port),
        "COBROWSE_SERVER_DATA_DIR": str(data_dir),
        "COBROWSE_SERVER_LOG_LEVEL": "warning",
    }
    env.pop("COBROWSE_CONFIG", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cobrowse.cli", "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = ProxyServer(url=f"http://127.0.0.1:{port}", data_dir=data_dir, log=log, process=proc)
    wait_until_healthy(proc, [server.url], what="cobrowse serve", log=log)
    return server


def stop_proxy(server: ProxyServer) -> None:
    stop_process(server.process)


@contextmanager
def running_proxy(tmp: Path, corpus: Corpus) -> Iterator[ProxyServer]:
    server = start_proxy(tmp, corpus)
    try:
        yield server
    finally:
        stop_proxy(server)
