"""The server under test as a process pinned to one core, read from /proc.

CPU and memory are those of the whole process tree (granian runs its worker as a
child process): utime + stime from /proc/<pid>/stat, VmRSS from /proc/<pid>/status.
"""

from __future__ import annotations

import asyncio
import collections
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.e2e.demo_process import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
# BENCH_NATIVE=1: C frames too (uvloop, picows), pausing the server for each sample
SPY_MODE = ["--native"] if os.environ.get("BENCH_NATIVE") else ["--nonblocking"]
TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    parents: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents[ppid].append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def core_busy_seconds(core: int) -> tuple[float, float]:
    """(busy, total) seconds of one core so far, from /proc/stat (every process)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            ticks = [int(x) for x in line.split()[1:9]]
            idle = ticks[3] + ticks[4]  # idle, iowait
            return (sum(ticks) - idle) / TICKS, sum(ticks) / TICKS
    return 0.0, 0.0


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class ServerProcess:
    """`python -m bench.load_server` under `taskset -c CORE`, for a `with` block."""

    CORE = 1

    def __init__(
        self,
        app: str,
        stack: str,
        compression: str,
        tmp: Path,
        *,
        core: int | None = None,
        store_url: str = "memory://",
        link_secret: str | None = None,
        name: str = "",
    ) -> None:
        self.app, self.stack, self.compression = app, stack, compression
        self.core = self.CORE if core is None else core
        self.store_url = store_url
        self.port = free_port()
        self.link_secret = link_secret or secrets.token_urlsafe(32)
        self.log = tmp / f"{app}-{stack}{name}.log"
        self.data_dir = tmp / "data"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def cores(self) -> set[int]:
        return {self.core}

    def __enter__(self) -> ServerProcess:
        cmd = [
            "taskset", "-c", str(self.core),
            sys.executable, "-m", "bench.load_server",
            "--app", self.app, "--stack", self.stack, "--compression", self.compression,
            "--port", str(self.port), "--data-dir", str(self.data_dir),
            "--link-secret", self.link_secret, "--site", "http://efiling.bench.localhost",
            "--store-url", self.store_url,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_ready()
        time.sleep(1.0)  # let start-up work (imports, audit DB) finish before the baseline
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p) for p in self.worker_pids())

    def rss_bytes(self) -> int:
        return sum(rss_bytes(p) for p in self.worker_pids())

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                if self.app == "ours":
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server did not start:\n{self.log.read_text(errors='replace')}"
                    ) from None
                time.sleep(0.1)


async def profile_server(server: ServerProcess, seconds: float, svg: Path) -> None:
    """py-spy on the busiest process of the server; the top functions, and a flame graph."""
    spy = Path(sys.executable).parent / "py-spy"
    pid = max(server.worker_pids(), key=cpu_seconds)
    raw = svg.with_suffix(".txt")
    for fmt, out in (("raw", raw), ("flamegraph", svg)):
        proc = await asyncio.create_subprocess_exec(
            str(spy), "record", *SPY_MODE, "-p", str(pid), "-d", str(int(seconds / 2)),
            "-r", "200", "-f", fmt, "-o", str(out),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')}")
    print_top(raw.read_text())
    print(f"  flame graph: {svg}   collapsed stacks: {raw}")


def print_top(collapsed: str, count: int = 20) -> None:
    """Self and inclusive shares of samples, per function (file and name, no line)."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = [_function(f) for f in stack.split(";")[1:]]  # [0] is the thread
        samples += int(n)
        if frames:
            own[frames[-1]] += int(n)
        for f in set(frames):
            total[f] += int(n)
    print(f"  {samples} samples while running (idle waits excluded)")
    print("  self time:")
    for name, n in own.most_common(count):
        print(f"    {n / samples:6.1%}  {name}")
    print("  inclusive (cobrowse and starlette/uvicorn frames):")
    shown = [(k, v) for k, v in total.most_common() if any(s in k for s in SHOW_INCLUSIVE)]
    for name, n in shown[:count]:
        print(f"    {n / samples:6.1%}  {name}")


SHOW_INCLUSIVE = ("cobrowse/", "starlette/", "uvicorn/", "websockets/", "fastapi/")


def _function(frame: str) -> str:
    """'name (path/file.py:12)' -> 'name (pkg/file.py)'."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


class NodeGroup:
    """Several cobrowse nodes on one Redis, measured together (nodes and Redis alike:
    the CPU and memory a deployment of them needs)."""

    def __init__(self, nodes: list[ServerProcess], redis_pid: int) -> None:
        self.nodes = nodes
        self.redis_pid = redis_pid

    @property
    def cores(self) -> set[int]:
        return {n.core for n in self.nodes}

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(n.port for n in self.nodes)

    def cpu_seconds(self) -> float:
        return sum(n.cpu_seconds() for n in self.nodes) + cpu_seconds(self.redis_pid)

    def node_cpu_seconds(self) -> float:
        return sum(n.cpu_seconds() for n in self.nodes)

    def rss_bytes(self) -> int:
        return sum(n.rss_bytes() for n in self.nodes) + rss_bytes(self.redis_pid)
