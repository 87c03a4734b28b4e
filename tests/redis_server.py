"""A real Redis for the tests: redis-server on 127.0.0.1 at a free port, in a temporary
directory, nothing saved to disk, stopped by its PID at the end.

It daemonizes (`--daemonize yes --pidfile`), so it is not our child: stopping sends
SIGTERM to the PID in its pidfile and waits until that process is gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie nobody reaped yet is gone for us
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


@dataclass
class RedisServer:
    port: int
    root: Path
    pid: int | None = None
    appendonly: bool = False  # keep the data across a restart (fsync on every write)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.root / "redis.pid"

    def log_text(self) -> str:
        log = self.root / "redis.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def start(self) -> None:
        subprocess.run(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "always",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.root),
                "--logfile",
                str(self.root / "redis.log"),
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.pid is None and self.pidfile.exists():
                text = self.pidfile.read_text().strip()
                self.pid = int(text) if text.isdigit() else None
            if self.pid is not None and _answers(self.port):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start:\n" + self.log_text())
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM to our server's PID, SIGKILL if it lingers; idempotent."""
        pid, self.pid = self.pid, None
        if pid is None or not _alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.02)


@contextlib.contextmanager
def redis_server(*, appendonly: bool = False) -> Iterator[RedisServer]:
    """A fresh redis-server; `.url` is redis://127.0.0.1:PORT/0. Stopped at the end, even
    when the test stopped it already (or it failed to start). `appendonly`: its data
    outlives a restart (stop(), then start() again)."""
    root = Path(tempfile.mkdtemp(prefix="cobrowse-redis-"))
    server = RedisServer(port=_free_port(), root=root, appendonly=appendonly)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
