"""The audit writer: instant `record`, background batches, loud retries, nothing lost
at a clean shutdown, and the retention purge."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from cobrowse.core import audit as a
from cobrowse.core.audit import AuditEntry, Kind
from cobrowse.server.audit import DAY, AuditLog
from cobrowse.store.audit import AuditQuery, SqlAuditStore

T = 1_800_000_000.0


class Switchable(SqlAuditStore):
    """A real SQLite store whose writes fail while `broken` (a database outage)."""

    broken = False
    appends = 0

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        self.appends += 1
        if self.broken:
            raise ConnectionError("database is down")
        await super().append(entries)


def chat(n: int, session: str = "s_1") -> AuditEntry:
    return a.chat_entry(at=T + n, session_id=session, actor="visitor", text="x" * n)


async def until(predicate: object, what: str) -> None:
    """Wait (on the event loop) until predicate() is true; a bound only against hangs."""
    assert callable(predicate)
    for _ in range(20_000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


async def read_all(path: Path) -> list[AuditEntry]:
    reader = SqlAuditStore(f"sqlite:///{path}")
    try:
        return await reader.query(AuditQuery(limit=10_000))
    finally:
        await reader.close()


async def test_entries_are_written_in_the_background_in_order(tmp_path: Path) -> None:
    store = Switchable(f"sqlite:///{tmp_path}/audit.db")
    log = AuditLog(store, clock=lambda: T, retention_days=0)
    await log.start()
    for n in range(1, 1201):
        log.record(chat(n, session=f"s_{n}"))
    await until(lambda: log.written == 1200, "all written")
    assert store.appends >= 3  # in batches (500 at most)
    await log.stop()
    got = await read_all(tmp_path / "audit.db")
    assert [e.data["chars"] for e in got] == list(range(1, 1201))


async def test_a_failing_database_is_retried_loudly_and_nothing_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Switchable(f"sqlite:///{tmp_path}/audit.db")
    log = AuditLog(store, clock=lambda: T, retention_days=0, max_backoff=0.05)
    await log.start()
    store.broken = True
    with caplog.at_level(logging.ERROR, logger="cobrowse.audit"):
        log.record(chat(1))  # never raises into the caller
        log.record(chat(2))
        await until(lambda: log.failures >= 2, "two failed attempts")
    assert any("AUDIT LOG WRITE FAILED" in r.getMessage() for r in caplog.records)
    assert log.pending == 2
    store.broken = False
    await until(lambda: log.pending == 0, "written after recovery")
    assert log.failures == 0
    await log.stop()
    assert [e.data["chars"] for e in await read_all(tmp_path / "audit.db")] == [1, 2]


async def test_stop_writes_queued_entries_and_open_runs(tmp_path: Path) -> None:
    store = Switchable(f"sqlite:///{tmp_path}/audit.db")
    log = AuditLog(store, clock=lambda: T, retention_days=0, idle=3600)
    await log.start()
    typing = a.pending_act(kind="input", node=5, value="abc", dx=0, dy=0)
    log.record(chat(1))
    for _ in range(3):  # a run of typing, still open at shutdown
        log.record(
            a.act_entry(
                at=T,
                session_id="s_9",
                agent="A",
                act=typing,
                ok=True,
                reason=None,
                description="text field “Name”",
            )
        )
    await log.stop()
    got = await read_all(tmp_path / "audit.db")
    assert [e.kind for e in got] == [Kind.CHAT_SENT, Kind.AGENT_ACT]
    assert got[1].data["count"] == 3


async def test_entries_that_cannot_be_written_at_shutdown_are_logged_not_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Switchable(f"sqlite:///{tmp_path}/audit.db")
    log = AuditLog(store, clock=lambda: T, retention_days=0, max_backoff=0.05)
    await log.start()
    store.broken = True
    log.record(chat(7))
    with caplog.at_level(logging.ERROR, logger="cobrowse.audit"):
        await log.stop()
    lines = [r.getMessage() for r in caplog.records if "NOT WRITTEN" in r.getMessage()]
    assert len(lines) == 1 and '"chat.sent"' in lines[0] and '"chars": 7' in lines[0]


async def test_an_unreachable_database_at_start_does_not_stop_the_app(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the directory should be")
    log = AuditLog(
        SqlAuditStore(f"sqlite:///{blocker}/audit.db"), clock=lambda: T, retention_days=0
    )
    with caplog.at_level(logging.ERROR, logger="cobrowse.audit"):
        await log.start()
        log.record(chat(1))
        await log.stop()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "AUDIT LOG UNAVAILABLE" in messages and "NOT WRITTEN" in messages


def aged(*days: float) -> list[AuditEntry]:
    return [
        a.chat_entry(at=T - d * DAY, session_id=f"s{d}", actor="visitor", text="hi") for d in days
    ]


async def test_purge_keeps_retention_days(tmp_path: Path) -> None:
    store = SqlAuditStore(f"sqlite:///{tmp_path}/audit.db")
    log = AuditLog(store, clock=lambda: T, retention_days=30)  # not started: no writer task
    for entry in aged(40, 31, 29, 1):
        log.record(entry)
    assert await log.flush()
    assert await log.purge() == 2
    left = await log.query(AuditQuery())
    assert sorted(round((T - e.at) / DAY) for e in left) == [1, 29]
    assert await AuditLog(store, clock=lambda: T, retention_days=0).purge() == 0  # 0: keep all
    await log.stop()


async def test_the_writer_purges_periodically(tmp_path: Path) -> None:
    store = SqlAuditStore(f"sqlite:///{tmp_path}/audit.db")
    log = AuditLog(store, clock=lambda: T, retention_days=30, purge_every=0)
    await log.start()
    for entry in aged(400, 2):
        log.record(entry)

    async def left() -> list[float]:
        return [round((T - e.at) / DAY) for e in await log.query(AuditQuery())]

    for _ in range(20_000):
        if await left() == [2]:
            break
        await asyncio.sleep(0.005)
    assert await left() == [2]
    await log.stop()
