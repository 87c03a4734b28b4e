"""The audit writer: `record` is instant for the relay; a thread of its own writes.

Entries go to an in-memory queue and are written in batches by a writer thread with
its own event loop and database engine, so neither a slow or unreachable database nor
the driver's own work (building a 500-row insert holds a loop for tens of
milliseconds) ever holds up a WebSocket. A failed write is logged at ERROR and
retried with back-off, never raised into a session. `stop` (at the end of the app's
lifespan) writes what is left; what cannot be written then is logged as JSON lines,
so nothing disappears silently. A periodic purge keeps `retention_days`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TypeVar

from cobrowse.core.audit import AuditEntry, Coalescer
from cobrowse.store.audit import AuditQuery, AuditStore

log = logging.getLogger("cobrowse.audit")

DAY = 86400.0
T = TypeVar("T")


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
        linger: float = 0.05,
    ) -> None:
        self.store = store
        self.clock = clock
        self.retention_days = retention_days
        self.batch_size = batch_size
        self.max_queue = max_queue
        self.purge_every = purge_every
        self.max_backoff = max_backoff
        self.linger = linger  # after a wake-up, let more entries come: fewer, bigger batches
        self.failures = 0  # consecutive failed writes (0 when healthy)
        self.written = 0
        self.dropped = 0
        self._lock = threading.Lock()  # the queue and the runs: the relay's thread and ours
        self._queue: deque[AuditEntry] = deque()
        self._in_flight = 0
        self._writing = asyncio.Lock()  # one batch at a time, in order
        self._opening = asyncio.Lock()  # the table is made once
        self._runs = Coalescer(idle=idle)
        self._opened = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the writer thread's
        self._wake: asyncio.Event | None = None
        self._signalled = False
        self._last_purge = -float("inf")
        # Called with every entry as it is recorded, before runs are merged (webhooks).
        self.listeners: list[Callable[[AuditEntry], None]] = []

    # --- the relay's side: never blocks, never raises --------------------------------

    def record(self, entry: AuditEntry) -> None:
        for listener in self.listeners:
            try:
                listener(entry)
            except Exception:
                log.exception("audit listener failed on %s", entry.kind)
        try:
            with self._lock:
                self._add(self._runs.add(entry, now=time.monotonic()))
                signal = not self._signalled
                self._signalled = True
            if signal:
                self._signal()
        except Exception:
            log.exception("audit entry %s could not be queued", entry.kind)

    def _add(self, entries: list[AuditEntry]) -> None:
        """Queue entries (the lock is held)."""
        self._queue.extend(entries)
        overflow = len(self._queue) - self.max_queue
        for _ in range(max(0, overflow)):
            log.error("AUDIT ENTRY DROPPED (queue full): %s", _json(self._queue.popleft()))
            self.dropped += 1

    def _signal(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the writer's loop has just closed
                loop.call_soon_threadsafe(wake.set)

    @property
    def pending(self) -> int:
        """Entries recorded but not yet written (including open runs and a batch in flight)."""
        with self._lock:
            return len(self._queue) + len(self._runs) + self._in_flight

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        started = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main(started)), name="audit-writer", daemon=True
        )
        self._thread.start()
        await asyncio.to_thread(started.wait)

    async def stop(self) -> None:
        """Write everything recorded so far, then close. Called at shutdown."""
        self._stopping = True
        if self._thread is None:
            await self._final_flush()
            return
        self._signal()
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def flush(self, *, runs: bool = False) -> bool:
        """Write what is queued (and open runs, if `runs`); False if the database failed."""
        if runs:
            with self._lock:
                self._add(self._runs.drain())
        return await self._call(self._write_all)

    async def query(self, q: AuditQuery) -> list[AuditEntry]:
        await self.flush(runs=True)  # read everything recorded before the question
        return await self._call(lambda: self._query(q))

    async def purge(self) -> int:
        """Delete entries older than the retention period (none if it is 0)."""
        return await self._call(self._purge)

    async def _call(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work` on the writer's loop (the engine belongs to it), or here before start."""
        loop = self._loop
        if loop is None or self._thread is None:
            return await work()

        async def run() -> T:
            return await work()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), loop)
        return await asyncio.wrap_future(future)

    # --- the writer thread ---------------------------------------------------------

    async def _main(self, started: threading.Event) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        started.set()
        try:
            await self._open()
        except Exception as exc:
            log.error("AUDIT LOG UNAVAILABLE at start (%s); will keep retrying", _brief(exc))
        try:
            await self._run()
        finally:
            await self._final_flush()
            self._loop = None

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            if self._stopping:
                return
            if len(self._queue) < self.batch_size:
                await asyncio.sleep(self.linger)
            self._wake.clear()
            with self._lock:
                self._signalled = False
                self._add(self._runs.due(now=time.monotonic()))
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
                    await self._purge()
                except Exception as exc:
                    log.error("audit log: purge failed (%s); next try in an hour", _brief(exc))

    async def _final_flush(self) -> None:
        with self._lock:
            self._add(self._runs.drain())
        for attempt in range(3):
            if await self._write_all():
                break
            await asyncio.sleep(0.2 * (attempt + 1))
        with self._lock:
            while self._queue:
                log.error("AUDIT ENTRY NOT WRITTEN at shutdown: %s", _json(self._queue.popleft()))
        with contextlib.suppress(Exception):
            await self.store.close()

    async def _open(self) -> None:
        async with self._opening:
            if not self._opened:
                await self.store.open()
                self._opened = True

    async def _query(self, q: AuditQuery) -> list[AuditEntry]:
        await self._open()
        return await self.store.query(q)

    async def _purge(self) -> int:
        if self.retention_days <= 0:
            return 0
        await self._open()
        gone = await self.store.purge(before=self.clock() - self.retention_days * DAY)
        if gone:
            log.info("audit log: purged %d entries older than %g days", gone, self.retention_days)
        return gone

    async def _write_all(self) -> bool:
        """Write the queue in batches, in order (on the writer's loop once started)."""
        async with self._writing:
            return await self._write_batches()

    async def _write_batches(self) -> bool:
        while True:
            with self._lock:
                batch = [
                    self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))
                ]
                self._in_flight = len(batch)
            if not batch:
                return True
            try:
                await self._open()
                await self.store.append(batch)
            except Exception as exc:
                with self._lock:
                    self._queue.extendleft(reversed(batch))  # first again, in order
                    self._in_flight = 0
                self.failures += 1
                log.error(
                    "AUDIT LOG WRITE FAILED (%d entries waiting, attempt %d): %s",
                    len(self._queue),
                    self.failures,
                    _brief(exc),
                    exc_info=self.failures == 1,
                )
                return False
            with self._lock:
                self._in_flight = 0
            self.written += len(batch)
            if self.failures:
                log.warning("audit log: writing again after %d failures", self.failures)
                self.failures = 0


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _json(entry: AuditEntry) -> str:
    fields = asdict(entry)
    fields["data"] = dict(entry.data)
    return json.dumps(fields, ensure_ascii=False, default=str)
