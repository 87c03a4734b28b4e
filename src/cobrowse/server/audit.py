"""The audit writer: `record` is instant for the relay; a background task writes.

Entries go to an in-memory queue and are written in batches by one task, so a slow
or unreachable database never holds up a WebSocket. A failed write is logged at
ERROR and retried with back-off, never raised into a session. `stop` (at the end of
the app's lifespan) writes what is left; what cannot be written then is logged as
JSON lines, so nothing disappears silently. A periodic purge keeps `retention_days`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from itertools import islice

from cobrowse.core.audit import AuditEntry, Coalescer
from cobrowse.store.audit import AuditQuery, AuditStore

log = logging.getLogger("cobrowse.audit")

DAY = 86400.0


class AuditLog:
    def __init__(
        self,
        store: AuditStore,
        *,
        clock: Callable[[], float],
        retention_days: float,
        batch_size: int = 500,
        max_queue: int = 200_000,
        idle: float = 2.0,
        purge_every: float = 3600.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.retention_days = retention_days
        self.batch_size = batch_size
        self.max_queue = max_queue
        self.purge_every = purge_every
        self.max_backoff = max_backoff
        self.failures = 0  # consecutive failed writes (0 when healthy)
        self.written = 0
        self.dropped = 0
        self._queue: deque[AuditEntry] = deque()
        self._runs = Coalescer(idle=idle)
        self._opened = False
        self._lock = asyncio.Lock()
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._last_purge = -float("inf")

    # --- the relay's side: never blocks, never raises --------------------------------

    def record(self, entry: AuditEntry) -> None:
        try:
            self._enqueue(self._runs.add(entry, now=time.monotonic()))
        except Exception:
            log.exception("audit entry %s could not be queued", entry.kind)

    def _enqueue(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        self._queue.extend(entries)
        overflow = len(self._queue) - self.max_queue
        if overflow > 0:
            for _ in range(overflow):
                lost = self._queue.popleft()
                log.error("AUDIT ENTRY DROPPED (queue full): %s", _json(lost))
            self.dropped += overflow
        if self._wake is not None:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Entries recorded but not yet written (including a run still open)."""
        return len(self._queue) + len(self._runs)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self._wake = asyncio.Event()
        try:
            await self._open()
        except Exception as exc:
            log.error("AUDIT LOG UNAVAILABLE at start (%s); will keep retrying", _brief(exc))
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def stop(self) -> None:
        """Write everything recorded so far, then close. Called at shutdown."""
        # The writer finishes the batch it is writing (a cancelled write could leave a
        # database connection half closed), then sees the flag and returns.
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._enqueue(self._runs.drain())
        for attempt in range(3):
            if await self._write_all():
                break
            await asyncio.sleep(0.2 * (attempt + 1))
        while self._queue:
            log.error("AUDIT ENTRY NOT WRITTEN at shutdown: %s", _json(self._queue.popleft()))
        with contextlib.suppress(Exception):
            await self.store.close()

    async def flush(self, *, runs: bool = False) -> bool:
        """Write what is queued (and open runs, if `runs`); False if the database failed."""
        if runs:
            self._enqueue(self._runs.drain())
        return await self._write_all()

    async def query(self, q: AuditQuery) -> list[AuditEntry]:
        await self.flush(runs=True)  # read everything recorded before the question
        await self._open()
        return await self.store.query(q)

    async def purge(self) -> int:
        """Delete entries older than the retention period (none if it is 0)."""
        if self.retention_days <= 0:
            return 0
        await self._open()
        gone = await self.store.purge(before=self.clock() - self.retention_days * DAY)
        if gone:
            log.info("audit log: purged %d entries older than %g days", gone, self.retention_days)
        return gone

    # --- the writer task -----------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            self._wake.clear()
            if self._stopping:
                return
            self._enqueue(self._runs.due(now=time.monotonic()))
            if not await self._write_all():
                # Back off (new entries wait in the queue); only stop cuts this short.
                backoff = min(self.max_backoff, 0.5 * 2 ** min(self.failures, 10))
                deadline = time.monotonic() + backoff
                while not self._stopping and time.monotonic() < deadline:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), deadline - time.monotonic())
                    self._wake.clear()
                continue
            if time.monotonic() - self._last_purge >= self.purge_every:
                self._last_purge = time.monotonic()
                try:
                    await self.purge()
                except Exception as exc:
                    log.error("audit log: purge failed (%s); next try in an hour", _brief(exc))

    async def _open(self) -> None:
        if not self._opened:
            await self.store.open()
            self._opened = True

    async def _write_all(self) -> bool:
        async with self._lock:
            while self._queue:
                batch = list(islice(self._queue, self.batch_size))
                try:
                    await self._open()
                    await self.store.append(batch)
                except Exception as exc:
                    self.failures += 1
                    log.error(
                        "AUDIT LOG WRITE FAILED (%d entries waiting, attempt %d): %s",
                        len(self._queue),
                        self.failures,
                        _brief(exc),
                        exc_info=self.failures == 1,
                    )
                    return False
                for _ in batch:
                    self._queue.popleft()
                self.written += len(batch)
                if self.failures:
                    log.warning("audit log: writing again after %d failures", self.failures)
                    self.failures = 0
            return True


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _json(entry: AuditEntry) -> str:
    fields = asdict(entry)
    fields["data"] = dict(entry.data)
    return json.dumps(fields, ensure_ascii=False, default=str)
