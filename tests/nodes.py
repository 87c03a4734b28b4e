"""Several real `cobrowse serve` processes on one Redis: nodes of one deployment.

Each node is its own process on 127.0.0.1 at a free port, sharing the data directory
(the link secret) and the store (`store.url`); stopped by PID at the end, or killed
(SIGKILL) by a test to see its sessions go on elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cobrowse.config import load_config
from cobrowse.core.links import sign_link
from cobrowse.server.auth import load_link_secret
from tests.e2e.demo_process import free_port, stop_process, wait_until_healthy


@dataclass
class Node:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def kill(self) -> None:
        """Gone at once, as a crashed machine: no goodbye to Redis or to its sockets."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Nodes:
    nodes: list[Node]
    data_dir: Path

    def agent_link(self, node: Node, name: str = "Asha Rao") -> str:
        config = load_config({"server": {"data_dir": str(self.data_dir)}}, {})
        token, _ = sign_link(secret=load_link_secret(config), agent=name, now=time.time(), ttl=300)
        return f"{node.url}/agent/signin?token={token}"

    def logs(self) -> str:
        return "\n".join(f"--- node {n.port}\n{n.log_text()}" for n in self.nodes)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def cobrowse_nodes(
    count: int,
    *,
    store_url: str,
    tmp: Path,
    public_url: str = "",
    sections: dict[str, dict[str, object]] | None = None,
    ports: list[int] | None = None,
) -> Iterator[Nodes]:
    """`count` nodes on `store_url`; `public_url` when they sit behind one front (nginx)."""
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    started: list[Node] = []
    try:
        for i in range(count):
            port = ports[i] if ports else free_port()
            config: dict[str, dict[str, object]] = {
                "server": {"port": port, "data_dir": str(data_dir), "public_url": public_url},
                "store": {"url": store_url, "node_timeout_seconds": 1.0},
            }
            for name, values in (sections or {}).items():
                config[name] = {**config.get(name, {}), **values}
            path = tmp / f"node{i}.toml"
            path.write_text(
                "".join(
                    f"[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in values.items())
                    for name, values in config.items()
                )
            )
            log = tmp / f"node{i}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "cobrowse.cli", "serve", "--config", str(path)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            node = Node(port=port, process=proc, log=log)
            started.append(node)
            wait_until_healthy(proc, [node.url], what=f"cobrowse node {i}", log=log)
        yield Nodes(nodes=started, data_dir=data_dir)
    finally:
        for node in started:
            stop_process(node.process)
