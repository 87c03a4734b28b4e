"""A real nginx for the tests: a config under a temporary prefix, listening on
127.0.0.1 at a free port, in the foreground, stopped by its PID at the end. Never
touches /etc/nginx (`-p` and `-c` point at the temporary directory)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.demo_process import free_port, stop_process

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass(frozen=True)
class Nginx:
    port: int
    access_log: Path

    def log_text(self) -> str:
        return self.access_log.read_text(errors="replace") if self.access_log.exists() else ""


@contextlib.contextmanager
def nginx_server(server_block: str, *, port: int | None = None) -> Iterator[Nginx]:
    """nginx with one `server { }` whose body is `server_block`, where `{port}` stands
    for the port it listens on (`port`, or a free one)."""
    port = port or free_port()
    body = server_block.replace("{port}", str(port))
    http = f"  server {{\n    listen 127.0.0.1:{port};\n{body}\n  }}\n"
    with nginx_http(http, port=port) as nginx:
        yield nginx


@contextlib.contextmanager
def nginx_http(http_block: str, *, port: int) -> Iterator[Nginx]:
    """nginx with `http_block` inside its `http { }` (servers, upstreams, maps); it must
    listen on 127.0.0.1:`port`."""
    root = Path(tempfile.mkdtemp(prefix="cobrowse-nginx-"))
    access = root / "access.log"
    conf = root / "nginx.conf"
    conf.write_text(
        "daemon off;\nworker_processes 1;\n"
        f"pid {root}/nginx.pid;\nerror_log {root}/error.log info;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"  access_log {access};\n"
        f"  client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n"
        f"  fastcgi_temp_path {root}/fastcgi;\n  uwsgi_temp_path {root}/uwsgi;\n"
        f"  scgi_temp_path {root}/scgi;\n"
        f"{http_block}\n"
        "}\n"
    )
    log = open(root / "stderr.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [NGINX, "-p", str(root), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                errors = (root / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited:\n{errors}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start")
            time.sleep(0.05)
        yield Nginx(port=port, access_log=access)
    finally:
        stop_process(proc)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
