"""Start and stop a real `cobrowse demo` process (used by the e2e tests and bench/)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cobrowse.config import load_config
from cobrowse.core.links import sign_link
from cobrowse.core.roles import Role
from cobrowse.demo.continuation import PATH as CONTINUATION
from cobrowse.demo.continuation import continuation_forwarder
from cobrowse.server.auth import load_link_secret

CHROMIUM_ARGS: dict[str, Any] = {
    "executable_path": "/usr/bin/chromium",
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Demo:
    """A running `cobrowse demo`: its URLs, data directory and log file."""

    server: str
    portal: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]
    portal_loopback: str = ""  # the same portal, cross-site from the proxy hosts
    mode: str = "proxy"

    def agent_link(
        self, name: str = "Asha Rao", *, role: Role = Role.AGENT, team: str | None = None
    ) -> str:
        config = load_config({"server": {"data_dir": str(self.data_dir)}}, {})
        token, _ = sign_link(
            secret=load_link_secret(config),
            agent=name,
            now=time.time(),
            ttl=300,
            role=role,
            team=team,
        )
        return f"{self.server}/agent/signin?token={token}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_demo(
    tmp: Path,
    env: dict[str, str],
    *,
    mode: str = "proxy",
    extra_args: Sequence[str] = (),
    port: int | None = None,
    portal_port: int | None = None,
    data_dir: Path | None = None,
    server: str | None = None,
) -> Demo:
    """`server`: where browsers reach it, when not its own port (a front before it)."""
    port, portal_port = port or free_port(), portal_port or free_port()
    data_dir = data_dir or tmp / "data"
    log = tmp / "demo.log"
    cmd = [
        sys.executable,
        "-m",
        "cobrowse.cli",
        "demo",
        "--port",
        str(port),
        "--portal-port",
        str(portal_port),
        "--data-dir",
        str(data_dir),
        *extra_args,
    ]
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env)
    demo = Demo(
        server=server or f"http://127.0.0.1:{port}",
        # The production shape: portal and proxy hosts share the parent demo.localhost.
        portal=f"http://efiling.demo.localhost:{portal_port}",
        portal_loopback=f"http://127.0.0.1:{portal_port}",
        data_dir=data_dir,
        log=log,
        process=proc,
        mode=mode,
    )
    own = f"http://127.0.0.1:{port}"
    wait_until_healthy(proc, [own, demo.portal_loopback], what="cobrowse demo", log=log)
    return demo


def wait_until_healthy(
    proc: subprocess.Popen[bytes], urls: list[str], *, what: str, log: Path
) -> None:
    """Wait for every URL's /healthz; stop the process and say why if it never comes."""
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text(errors='replace')}")
        try:
            for url in urls:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                stop_process(proc)
                text = log.read_text(errors="replace")
                raise RuntimeError(f"{what} did not start:\n{text}") from None
            time.sleep(0.1)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not go within ten seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_site_demo(tmp: Path, origin: str, mode: str, env: dict[str, str]) -> Demo:
    """A demo server in `mode` that allows the test site at `origin`, with `env` (its
    masking rules, say); a visitor's tab closed is gone after 5 s."""
    return start_demo(
        tmp,
        {"COBROWSE_PROXY_MODE": mode, "COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "5", **env},
        mode=mode,
        extra_args=["--allow-origin", origin],
    )


def stop_demo(demo: Demo) -> None:
    stop_process(demo.process)


@contextmanager
def serving_in_thread(
    app: Any, port: int, *, what: str, http: type[asyncio.Protocol] | str = "auto"
) -> Iterator[None]:
    """An ASGI app on 127.0.0.1:port under uvicorn in a thread, for the block (`http`:
    uvicorn's HTTP protocol, a class of its own when a test needs to see more)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http=http
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def embedding_site_routes(server: Callable[[], str]) -> list[Route]:
    """The routes a test site that embeds the widget serves besides its own pages:
    `/healthz`, and the continuation point forwarded to the cobrowse server at
    `server()` (known only once that server runs)."""

    async def healthz(request: Request) -> Response:
        return Response("ok", media_type="text/html")

    async def continuation(request: Request) -> Response:
        return await continuation_forwarder(server())(request)

    return [
        Route("/healthz", healthz),
        Route(f"{CONTINUATION}/{{step}}", continuation, methods=["POST"]),
    ]
