"""Load: how many live sessions one core holds, beside a bare relay on the same stack.

No browsers: real visitor and agent clients on loopback WebSockets. The server runs
alone on core 1 (`taskset -c 1`), this generator on core 0. Each session sends a
~353 KB full snapshot, then ~10 rrweb events a second in frames of 1 or 2 (~233 bytes
an event); the agent side measures each frame's relay latency. Sessions are added in
steps, each held for a while, until p99 passes 100 ms. The same traffic then goes
through a bare relay (bench/load_bare.py) on the same stack, in the same run, and
the table ends with the ratios: sessions held, CPU per relayed frame and memory per
session at a count both held.

    PYTHONPATH=. .venv/bin/python bench/load.py [--quick] [--stack uvicorn-websockets]
        [--compression on|off] [--max-sessions 3000] [--step 200] [--hold 20]
    PYTHONPATH=. .venv/bin/python bench/load.py --soak 600 [--sessions 300]
    PYTHONPATH=. .venv/bin/python bench/load.py --profile 400   (py-spy on cobrowse)
    PYTHONPATH=. .venv/bin/python bench/load.py --nodes [--quick] [--node-cores 1,2]
        (one node against two, on one Redis)

Stacks: uvicorn-websockets, uvicorn-wsproto, uvicorn-sansio, granian (cobrowse's
sockets on its ASGI route), direct (cobrowse as `cobrowse serve` runs it, its relay
sockets on server/ws_relay.py; the bare relay on the same frame reader), picows (the
bare relay only: the ceiling of Python WebSockets). None of them but uvicorn's
websockets has deflate. `--apps bare` or `--apps ours` runs one side;
`--apps bare,ours,bare@picows` adds the bare relay on another stack, and a ratio
against it. `make bench` runs `--stack direct --apps
bare,ours,bare@picows,bare@uvicorn-websockets`: what ships, against a bare relay on its
own stack, on the fastest Python stack, and on the outside load test's stack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import secrets
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.load_client import Meter, Session, Target
from bench.load_procs import NodeGroup, ServerProcess, core_busy_seconds, profile_server
from bench.load_traffic import Traffic, build_traffic
from tests.redis_server import redis_server

P99_LIMIT_MS = 100.0
CLIENT_CORE = 0
OPEN_CONCURRENCY = 16
SOAK_REPORT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Row:
    sessions: int
    p50: float
    p99: float
    p999: float
    frames_per_second: float  # relayed frames that reached agents
    sent_per_second: float
    server_cpu: float  # share of one core
    cpu_us_per_frame: float
    rss_kb_per_session: float
    client_cpu: float  # the generator's own share of its core
    others: float  # share of the server's core used by other processes (noise)
    up_bytes_per_frame: float  # on the wire, visitor -> server
    down_bytes_per_frame: float  # server -> agent
    failures: int

    @property
    def held(self) -> bool:
        return self.failures == 0 and self.p99 <= P99_LIMIT_MS


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class Fleet:
    """The open sessions against one server, and what they measured."""

    def __init__(self, target: Target, traffic: Traffic) -> None:
        self.target = target
        self.traffic = traffic
        self.meter = Meter()
        self.sessions: list[Session] = []

    async def grow(self, count: int) -> None:
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def one(index: int) -> None:
            async with gate:
                session = Session(index, self.target, self.traffic, self.meter)
                try:
                    await session.open()
                except Exception as exc:
                    self.meter.failures.append(f"session {index} did not open: {exc!r}")
                    await session.close()
                    return
                self.sessions.append(session)

        await asyncio.gather(*(one(i) for i in range(len(self.sessions), count)))

    def wire(self) -> tuple[int, int]:
        up = down = 0
        for session in self.sessions:
            sent, received = session.wire()
            up, down = up + sent, down + received
        return up, down

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.sessions))
        self.sessions = []


def _busy(cores: set[int]) -> float:
    return sum(core_busy_seconds(core)[0] for core in cores)


async def measure(
    fleet: Fleet, server: ServerProcess | NodeGroup, hold: float, idle_rss: int
) -> Row:
    meter = fleet.meter
    failures = len(meter.failures)
    meter.reset()
    busy0 = _busy(server.cores)
    cpu0, client0, (up0, down0), t0 = (
        server.cpu_seconds(),
        time.process_time(),
        fleet.wire(),
        time.monotonic(),
    )
    await asyncio.sleep(hold)
    elapsed = time.monotonic() - t0
    cpu = server.cpu_seconds() - cpu0
    busy = _busy(server.cores) - busy0
    client = time.process_time() - client0
    up, down = fleet.wire()
    lat = list(meter.latencies)
    received, sent = max(1, meter.frames_received), max(1, meter.frames_sent)
    n = max(1, len(fleet.sessions))
    return Row(
        sessions=len(fleet.sessions),
        p50=percentile(lat, 50),
        p99=percentile(lat, 99),
        p999=percentile(lat, 99.9),
        frames_per_second=meter.frames_received / elapsed,
        sent_per_second=meter.frames_sent / elapsed,
        server_cpu=cpu / elapsed,
        cpu_us_per_frame=cpu / received * 1e6,
        rss_kb_per_session=(server.rss_bytes() - idle_rss) / n / 1024,
        client_cpu=client / elapsed,
        others=max(0.0, busy - cpu) / elapsed,
        up_bytes_per_frame=(up - up0) / sent,
        down_bytes_per_frame=(down - down0) / received,
        failures=len(meter.failures) - failures + (1 if len(fleet.sessions) == 0 else 0),
    )


HEADER = (
    f"{'sessions':>8} {'p50 ms':>8} {'p99 ms':>8} {'p999 ms':>8} {'frames/s':>9} "
    f"{'srv CPU':>7} {'us/frame':>8} {'KB/sess':>8} {'gen CPU':>7} {'up B/fr':>7} "
    f"{'down B/fr':>9} {'fail':>4} {'others':>6}"
)


def format_row(row: Row) -> str:
    mark = "" if row.held else "  <- not held"
    if row.client_cpu > 0.9:
        mark += "  (generator busy: latencies include the client)"
    if row.others > 0.1:
        mark += "  (other processes used the server's core: latency is not the server's alone)"
    return (
        f"{row.sessions:>8} {row.p50:>8.1f} {row.p99:>8.1f} {row.p999:>8.1f} "
        f"{row.frames_per_second:>9.0f} {row.server_cpu:>7.0%} {row.cpu_us_per_frame:>8.1f} "
        f"{row.rss_kb_per_session:>8.0f} {row.client_cpu:>7.0%} {row.up_bytes_per_frame:>7.0f} "
        f"{row.down_bytes_per_frame:>9.0f} {row.failures:>4} {row.others:>6.0%}{mark}"
    )


async def ramp(
    args: argparse.Namespace, app: str, stack: str, traffic: Traffic, tmp: Path
) -> list[Row]:
    with ServerProcess(app, stack, args.compression, tmp) as server:
        target = Target(app, server.port, args.compression == "on", server.link_secret)
        print(f"\n{app} on {stack}, compression {args.compression}")
        return await ramp_on(args, server, target, traffic)


async def ramp_on(
    args: argparse.Namespace, server: ServerProcess | NodeGroup, target: Target, traffic: Traffic
) -> list[Row]:
    """Add sessions step by step until p99 passes the limit; a row per step."""
    rows: list[Row] = []
    fleet = Fleet(target, traffic)
    idle_rss = server.rss_bytes()
    print(HEADER, flush=True)
    try:
        for count in range(args.step, args.max_sessions + 1, args.step):
            await fleet.grow(count)
            await asyncio.sleep(args.settle)
            row = await measure(fleet, server, args.hold, idle_rss)
            rows.append(row)
            print(format_row(row), flush=True)
            if not row.held:
                for failure in fleet.meter.failures[:3]:
                    print(f"         {failure}")
                break
    finally:
        await fleet.close()
    return rows


async def nodes(args: argparse.Namespace) -> None:
    """One node against two, both on one Redis (the store of a multi-node deployment);
    each participant on a node at random, as behind nginx. CPU and memory count the
    nodes and Redis together."""
    traffic = build_traffic()
    cores = [int(c) for c in args.node_cores.split(",")]
    secret = secrets.token_urlsafe(32)
    results: dict[int, list[Row]] = {}
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis:
        assert redis.pid is not None
        os.sched_setaffinity(redis.pid, {args.redis_core})
        print(
            f"traffic as above; nodes on cores {sorted(set(cores))}, Redis on core "
            f"{args.redis_core}, generator on core {CLIENT_CORE}"
        )
        for count in (1, 2):
            url = f"{redis.url}?prefix=bench{count}:"
            group = [
                ServerProcess(
                    "ours",
                    args.stack,
                    args.compression,
                    Path(tmp),
                    core=cores[i % len(cores)],
                    store_url=url,
                    link_secret=secret,
                    name=f"-{count}nodes-{i}",
                )
                for i in range(count)
            ]
            with contextlib.ExitStack() as stack:
                for node in group:
                    stack.enter_context(node)
                servers = NodeGroup(group, redis.pid)
                target = Target(
                    "ours", group[0].port, args.compression == "on", secret, ports=servers.ports
                )
                print(f"\n{count} node{'s' if count > 1 else ''} on Redis ({args.stack})")
                results[count] = await ramp_on(args, servers, target, traffic)
    one, two = results[1], results[2]
    print("\ntwo nodes / one node (same machine, same Redis, same traffic, same run)")
    h1, h2 = held(one), held(two)
    print(f"  sessions held: one {h1}, two {h2}   ratio {h2 / max(1, h1):.2f}x")
    c1, c2 = ceiling(one), ceiling(two)
    print(
        f"  CPU-bound ceiling (sessions per core of nodes + Redis): one {c1:.0f}, "
        f"two {c2:.0f}   ratio {c2 / max(1.0, c1):.2f}x"
    )
    if len(set(cores)) < 2:
        print(
            "  (both nodes share one core here: the ratio shows what spreading a session "
            "over two nodes costs, not how two cores scale; give --node-cores 1,2 on a "
            "machine with four or more cores)"
        )


def held(rows: list[Row]) -> int:
    return max((r.sessions for r in rows if r.held), default=0)


def ceiling(rows: list[Row]) -> float:
    """Sessions one core would carry at 100 % CPU: from the server's own CPU time per frame
    and the frames a session sends, at the step least disturbed by other processes."""
    if not rows:
        return 0.0
    row = min(rows, key=lambda r: r.others)
    per_session = row.cpu_us_per_frame * row.sent_per_second / max(1, row.sessions) / 1e6
    return 1.0 / per_session if per_session else 0.0


def compare(ours: list[Row], bare: list[Row], *, baseline: str) -> None:
    limit = f"held: p99 <= {P99_LIMIT_MS:g} ms"
    print(f"\nours / bare relay on {baseline} (same traffic, same run; {limit})")
    h_ours, h_bare = held(ours), held(bare)
    bare_open = bool(bare) and bare[-1].held  # it never failed: its capacity is higher
    bound = ">= " if bare_open else ""
    print(f"  sessions held: ours {h_ours}, bare {bound}{h_bare}", end="")
    print(f"   ratio {'<= ' if bare_open else ''}{h_ours / max(1, h_bare):.2f}x")
    # Other processes may share the server's core (the `others` column); CPU time per frame
    # is the server's own, so this projection is the figure that noise does not move.
    c_ours, c_bare = ceiling(ours), ceiling(bare)
    print(
        f"  CPU-bound ceiling, sessions per core (from CPU time per frame): "
        f"ours {c_ours:.0f}, bare {c_bare:.0f}   ratio {c_ours / max(1.0, c_bare):.2f}x"
    )
    common = {r.sessions for r in ours if r.held} & {r.sessions for r in bare if r.held}
    measured = {r.sessions for r in ours} & {r.sessions for r in bare}
    if not measured:
        return
    n = max(common) if common else min(measured)
    o = next(r for r in ours if r.sessions == n)
    b = next(r for r in bare if r.sessions == n)
    print(f"  at {n} sessions ({'the most both held' if common else 'not held by both'}):")
    pairs = (
        ("CPU per relayed frame (us)", o.cpu_us_per_frame, b.cpu_us_per_frame),
        ("server CPU (share of the core)", o.server_cpu, b.server_cpu),
        ("memory per session (KB)", o.rss_kb_per_session, b.rss_kb_per_session),
        ("p99 latency (ms)", o.p99, b.p99),
        ("wire bytes per frame, visitor->server", o.up_bytes_per_frame, b.up_bytes_per_frame),
        ("wire bytes per frame, server->agent", o.down_bytes_per_frame, b.down_bytes_per_frame),
    )
    for name, mine, theirs in pairs:
        ratio = mine / theirs if theirs else float("nan")
        print(f"    {name:<40} ours {mine:>9.2f}  bare {theirs:>9.2f}  ratio {ratio:.2f}x")


async def run_ramps(args: argparse.Namespace) -> None:
    traffic = build_traffic()
    print(
        f"traffic: opening frame {len(traffic.opening) / 1000:.0f} KB, "
        f"mean event {traffic.mean_event_bytes():.0f} B, ~10 events/s in frames of 1-2; "
        f"server on core {ServerProcess.CORE}, generator on core {CLIENT_CORE}"
    )
    results: dict[tuple[str, str], list[Row]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for app, stack in args.runs:
            where = Path(tmp) / f"{app}-{stack}"
            where.mkdir()
            results[app, stack] = await ramp(args, app, stack, traffic, where)
    ours = results.get(("ours", args.stack))
    for (app, stack), rows in results.items():
        if ours is not None and app == "bare":
            compare(
                ours, rows, baseline=stack + (" (the same stack)" if stack == args.stack else "")
            )


async def soak(args: argparse.Namespace) -> None:
    """Hold `--sessions` for `--soak` seconds: is memory per session flat over time?"""
    traffic = build_traffic()
    with tempfile.TemporaryDirectory() as tmp:
        for app in args.apps:
            seconds = args.soak if app == "ours" else min(args.soak, 3 * SOAK_REPORT_SECONDS)
            (Path(tmp) / app).mkdir()
            await soak_one(args, app, traffic, Path(tmp) / app, seconds)


async def soak_one(
    args: argparse.Namespace, app: str, traffic: Traffic, tmp: Path, seconds: float
) -> None:
    with ServerProcess(app, args.stack, args.compression, tmp) as server:
        target = Target(app, server.port, args.compression == "on", server.link_secret)
        fleet = Fleet(target, traffic)
        idle_rss = server.rss_bytes()
        await fleet.grow(args.sessions)
        print(f"\nsoak: {app}, {len(fleet.sessions)} sessions, {seconds:.0f} s, {args.stack}")
        print(f"{'seconds':>8} {'KB/sess':>8} {'p99 ms':>8} {'srv CPU':>7} {'fail':>4}", flush=True)
        first: tuple[float, float] | None = None
        start = time.monotonic()
        try:
            while time.monotonic() - start < seconds:
                row = await measure(fleet, server, SOAK_REPORT_SECONDS, idle_rss)
                at = time.monotonic() - start
                first = first or (at, row.rss_kb_per_session)
                print(
                    f"{at:>8.0f} {row.rss_kb_per_session:>8.0f} {row.p99:>8.1f} "
                    f"{row.server_cpu:>7.0%} {row.failures:>4}",
                    flush=True,
                )
            if first is not None and at > first[0]:
                rate = (row.rss_kb_per_session - first[1]) / (at - first[0])
                print(f"  growth after the first report: {rate:.2f} KB/s per session")
        finally:
            await fleet.close()


async def profile(args: argparse.Namespace) -> None:
    traffic = build_traffic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        ServerProcess("ours", args.stack, args.compression, Path(tmp)) as server,
    ):
        target = Target("ours", server.port, args.compression == "on", server.link_secret)
        fleet = Fleet(target, traffic)
        await fleet.grow(args.profile)
        await asyncio.sleep(args.settle)
        print(f"py-spy on cobrowse, {len(fleet.sessions)} sessions, {args.hold:g} s")
        try:
            await profile_server(server, args.hold, Path(args.profile_out))
        finally:
            await fleet.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, short holds")
    parser.add_argument("--stack", default="uvicorn-websockets")
    parser.add_argument("--compression", choices=("on", "off"), default="off")
    parser.add_argument(
        "--apps",
        default="bare,ours",
        help="bare,ours (the default), or one; app@stack runs it on another stack too",
    )
    parser.add_argument("--max-sessions", type=int, default=3000)
    parser.add_argument("--step", type=int, default=200)
    parser.add_argument("--hold", type=float, default=20.0, help="seconds measured per step")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--soak", type=float, default=0.0, help="hold --sessions this long")
    parser.add_argument("--sessions", type=int, default=300, help="for --soak")
    parser.add_argument("--profile", type=int, default=0, help="py-spy at this many sessions")
    parser.add_argument("--profile-out", default="bench/load-profile.svg")
    parser.add_argument("--nodes", action="store_true", help="one node against two, on Redis")
    parser.add_argument("--node-cores", default="1", help="cores the nodes take turns on")
    parser.add_argument("--redis-core", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.step, args.max_sessions = max(args.step, 400), min(args.max_sessions, 1200)
        args.hold, args.settle = min(args.hold, 6.0), min(args.settle, 2.0)
    # "bare@uvicorn-websockets": that app on another stack than --stack
    args.runs = [
        (*a.split("@", 1),) if "@" in a else (a, args.stack) for a in args.apps.split(",") if a
    ]
    args.apps = [app for app, _ in args.runs]
    return args


def main() -> None:
    args = parse_args()
    os.sched_setaffinity(0, {CLIENT_CORE})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # servers are stopped on the way out
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    import uvloop

    if args.nodes:
        uvloop.run(nodes(args))
    elif args.soak:
        uvloop.run(soak(args))
    elif args.profile:
        uvloop.run(profile(args))
    else:
        uvloop.run(run_ramps(args))


if __name__ == "__main__":
    main()
