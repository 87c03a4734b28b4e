"""Audit cost on the relay: the hub handling agent messages with the audit log on,
beside the same hub with the audit log off, in the same run.

In-process: one hub, one active session with control granted, peers that only collect
frames. The agent sends a mix of audited messages (pointer moves, chat, acts each
answered by the visitor with an `act_result`), the hub relays them; the event loop is
yielded after each message so the background writer (SQLite in a temporary directory,
batches of up to 500, in its own thread) competes as it would in the server. Prints
microseconds per message for both and the ratio, and the slowest message of each (a
stalled loop would show there).

    PYTHONPATH=. .venv/bin/python bench/audit.py [--messages 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cobrowse.config import load_config
from cobrowse.core import messages as m
from cobrowse.core.audit import AuditEntry
from cobrowse.server.audit import AuditLog
from cobrowse.server.hub import Attachment, Hub
from cobrowse.store.audit import AuditQuery, SqlAuditStore


class Collect:
    def __init__(self) -> None:
        self.frames = 0

    def send(self, data: bytes) -> None:
        self.frames += 1

    async def close(self, code: int, reason: str) -> None:
        return None


async def active_session(
    record: Callable[[AuditEntry], None] | None,
) -> tuple[Hub, Attachment, Attachment]:
    hub = Hub(config=load_config({}, {}), clock=time.time, audit=record)
    created = hub.create_session()
    joined = hub.join(created.session.pin, agent_name="Asha Rao")
    assert joined is not None
    visitor_grant = hub.resolve(created.visitor_token)
    agent_grant = hub.resolve(joined.agent_token)
    assert visitor_grant is not None and agent_grant is not None
    visitor = await hub.attach(Collect(), visitor_grant)  # type: ignore[arg-type]
    agent = await hub.attach(Collect(), agent_grant)  # type: ignore[arg-type]
    assert visitor is not None and agent is not None
    await hub.receive(visitor, m.Consent(allow=True))
    await hub.receive(agent, m.ControlMsg(action="request"))
    await hub.receive(visitor, m.ControlMsg(action="grant"))
    return hub, visitor, agent


async def measure(messages: int, rounds: int) -> None:
    off: list[float] = []
    on: list[float] = []
    steps_off: list[float] = []
    steps_on: list[float] = []
    written = 0
    write_seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            hub_off, _, _ = await active_session(None)
            off.append(await run_on(hub_off, messages, steps_off))
            store = SqlAuditStore(f"sqlite:///{Path(tmp)}/audit-{r}.db")
            log = AuditLog(store, clock=time.time, retention_days=0)
            await log.start()
            hub_on, _, _ = await active_session(log.record)
            on.append(await run_on(hub_on, messages, steps_on))
            t0 = time.perf_counter()
            await log.stop()  # what was still queued
            write_seconds.append(time.perf_counter() - t0)
            reader = SqlAuditStore(f"sqlite:///{Path(tmp)}/audit-{r}.db")
            written = len(await reader.query(AuditQuery(limit=10 * messages)))
            await reader.close()
    per_off = statistics.median(off) / messages * 1e6
    per_on = statistics.median(on) / messages * 1e6
    print(f"hub, audit off (baseline): {per_off:8.2f} µs per message ({messages} messages)")
    print(f"hub, audit on (SQLite):    {per_on:8.2f} µs per message")
    print(f"ratio on/off:              {per_on / per_off:8.2f}")
    p99_off, p99_on = percentile(steps_off, 0.99), percentile(steps_on, 0.99)
    print(
        f"slowest message (loop turn included), off: p99 {p99_off * 1e6:.0f} µs, "
        f"max {max(steps_off) * 1e3:.2f} ms; on: p99 {p99_on * 1e6:.0f} µs, "
        f"max {max(steps_on) * 1e3:.2f} ms (ratio of max {max(steps_on) / max(steps_off):.2f})"
    )
    print(
        f"entries written per round: {written} (runs of pointer moves are one entry); "
        f"left to write at stop: median {statistics.median(write_seconds) * 1000:.0f} ms"
    )


async def run_on(hub: Hub, messages: int, steps: list[float] | None = None) -> float:
    """Seconds for `messages` agent messages (and the visitor's answers) on the hub's
    first session; `steps` gets each message's time, loop turn included."""
    session = next(iter(hub.store.live_sessions()))
    room = hub.rooms[session.id]
    assert room.visitor is not None and room.agent is not None
    visitor = Attachment(session=session, role="visitor", peer=room.visitor)
    agent = Attachment(session=session, role="agent", peer=room.agent)
    start = last = time.perf_counter()
    for i in range(messages):
        kind = i % 4
        if kind == 0:
            target = m.Target(id=4 + i % 50, x=0.5, y=0.5)
            await hub.receive(agent, m.Guide(kind="pointer", target=target, points=()))
        elif kind == 1:
            await hub.receive(agent, m.Chat(id=f"c{i}", text="Please open File ITR"))
        else:
            ref = f"a{i}"
            act = m.Act(ref=ref, kind="click", target=m.Target(9, 0.5, 0.5), value="", dx=0, dy=0)
            await hub.receive(agent, act)
            answer = m.ActResult(ref=ref, ok=True, reason=None, description="button “Save”")
            await hub.receive(visitor, answer)
        await asyncio.sleep(0)
        if steps is not None:
            now = time.perf_counter()
            steps.append(now - last)
            last = now
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(measure(args.messages, args.rounds))


if __name__ == "__main__":
    main()
