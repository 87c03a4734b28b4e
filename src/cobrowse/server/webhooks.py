"""Webhook delivery: audit entries become signed POSTs to the CRM (docs/webhooks.md).

`record` is what the audit log calls for every entry (server/audit.py): instant and
never raising, so neither the relay nor the request that caused the event waits. The
deliveries (one per event and endpoint) wait in a bounded queue; past `queue_size` the
oldest waiting one is dropped, logged and counted. A task on the app's loop sends at
most `concurrency` at once and tries each again after an exponential back-off with
jitter (or the receiver's Retry-After) on a network error, a timeout, 5xx or 429, up
to `max_attempts` (core/webhook_delivery.py). Each node delivers the events it
recorded itself, so with several nodes every event goes to each endpoint once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import aiohttp

from cobrowse.config import WebhooksConfig
from cobrowse.core import webhook_delivery as wd
from cobrowse.core import webhooks as wh
from cobrowse.core.audit import AuditEntry
from cobrowse.server.metrics import Metrics
from cobrowse.server.webhook_send import Answer, Target, new_event_id, send
from cobrowse.store.webhook_book import RedisDeliveryBook

log = logging.getLogger("cobrowse.webhooks")

SHUTDOWN_GRACE = 5.0  # seconds `stop` gives the first attempts of what is queued


class Webhooks:
    def __init__(
        self,
        config: WebhooksConfig,
        *,
        targets: tuple[Target, ...],
        clock: Callable[[], float],
        metrics: Metrics,
        sleep_scale: float = 1.0,
        jitter: Callable[[], float] = random.random,
        book: RedisDeliveryBook | None = None,
    ) -> None:
        self.targets = targets
        self.book = book  # shared with the other nodes (Redis), or None: memory only
        self.clock = clock
        self.metrics = metrics
        self.sleep_scale = sleep_scale  # tests may shrink the waits; the schedule is kept
        self.jitter = jitter
        self.policy = wd.RetryPolicy(
            max_attempts=config.max_attempts,
            base=config.backoff_seconds,
            cap=config.max_backoff_seconds,
        )
        self.queue_size = config.queue_size
        self.history = config.history
        self.concurrency = config.concurrency
        self._recent: OrderedDict[str, wd.Delivery] = OrderedDict()  # oldest first
        self._waiting: OrderedDict[str, wd.Delivery] = OrderedDict()  # not in flight, not over
        self._ready: deque[str] = deque()
        self._bodies: dict[str, tuple[Target, wh.Event, bytes]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: dict[asyncio.Task[None], wd.Delivery] = {}  # in flight
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: dict[str, wd.Delivery] = {}  # changed since the book was written
        self._book_wake = asyncio.Event()
        self._book_lock = asyncio.Lock()
        self._bookkeeper: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False
        self.grace = SHUTDOWN_GRACE  # seconds `stop` gives what is queued
        metrics.webhook_queue.set_function(lambda: len(self._waiting))

    # --- the audit log's side: never blocks, never raises -------------------------

    def record(self, entry: AuditEntry) -> None:
        if not self.targets or entry.kind not in wh.EVENT_OF_KIND:
            return
        loop = self._loop
        if loop is not None and not _running(loop):  # another thread: hand it to the loop
            loop.call_soon_threadsafe(self.record, entry)
            return
        try:
            event_id = new_event_id()  # one event: the same id to every endpoint
            for agent_ids in {t.endpoint.agent_ids for t in self.targets}:
                event = wh.event_of(entry, event_id=event_id, agent_ids=agent_ids)
                if event is not None:
                    self.emit(event, agent_ids=agent_ids)
        except Exception:
            log.exception("webhook event for audit entry %s could not be queued", entry.kind)

    def emit(self, event: wh.Event, *, agent_ids: bool | None = None) -> list[wd.Delivery]:
        """Queue `event` for every endpoint that wants it (of those whose `agent_ids`
        setting is `agent_ids`, unless None)."""
        body = wh.body(event)
        made = []
        for target in self.targets:
            if not target.endpoint.wants(event.type) or agent_ids not in (
                None,
                target.endpoint.agent_ids,
            ):
                continue
            delivery = wd.Delivery(
                id="dlv_" + secrets.token_hex(8),
                event_id=event.id,
                event_type=event.type,
                session_id=event.session_id,
                endpoint=target.endpoint.name,
                created_at=self.clock(),
            )
            self._bodies[delivery.id] = (target, event, body)
            self._recent[delivery.id] = delivery
            if len(self._waiting) >= self.queue_size:
                self._drop_oldest()
            self._waiting[delivery.id] = delivery
            self._ready.append(delivery.id)
            self._changed(delivery)
            made.append(delivery)
        if made:
            self._wake.set()
            self._trim()
        return made

    def _drop_oldest(self) -> None:
        delivery_id, delivery = self._waiting.popitem(last=False)
        timer = self._timers.pop(delivery_id, None)
        if timer is not None:
            timer.cancel()
        self._bodies.pop(delivery_id, None)
        delivery.drop(at=self.clock())
        self._changed(delivery)
        self.metrics.webhook("dropped")
        log.warning(
            "WEBHOOK DROPPED (queue full, %d waiting): event %s %s to %s",
            self.queue_size,
            delivery.event_id,
            delivery.event_type,
            delivery.endpoint,
        )

    def _trim(self) -> None:
        """Keep `history` finished deliveries (and every one not over yet)."""
        excess = len(self._recent) - len(self._waiting) - len(self._tasks) - self.history
        gone: list[str] = []
        for delivery_id, delivery in self._recent.items():  # oldest first: a step or two
            if len(gone) >= excess:
                break
            if delivery.status in wd.FINAL:
                gone.append(delivery_id)
        for delivery_id in gone:
            del self._recent[delivery_id]

    # --- reading ----------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def recent(self) -> list[wd.Delivery]:
        """The deliveries this node knows, newest first."""
        return list(reversed(self._recent.values()))

    async def listing(self) -> list[dict[str, Any]]:
        """Every node's deliveries from the book (this node's changes written first), or
        this node's alone without one; newest first (core/webhook_delivery.py record_of).
        Raises when the book cannot be read."""
        if self.book is None:
            return [wd.record_of(d) for d in self.recent()]
        await self.write_book()
        return await self.book.recent()

    # --- the book ---------------------------------------------------------------------

    def _changed(self, delivery: wd.Delivery) -> None:
        if self.book is not None:
            self._dirty[delivery.id] = delivery
            if len(self._dirty) > self.history:  # the store is away: it keeps no more
                del self._dirty[next(iter(self._dirty))]
            self._book_wake.set()

    async def write_book(self) -> None:
        """Write what changed to the book (in order: one writer at a time)."""
        assert self.book is not None
        async with self._book_lock:
            if not self._dirty:
                return
            changed, self._dirty = self._dirty, {}
            try:
                await self.book.save([wd.record_of(d) for d in changed.values()])
            except BaseException:
                self._dirty = {**changed, **self._dirty}  # newer changes win
                raise

    async def _keep_book(self) -> None:
        failures = 0
        while True:
            await self._book_wake.wait()
            self._book_wake.clear()
            try:
                await self.write_book()
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.error("webhook deliveries cannot be written to the store: %s", exc)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                self._book_wake.set()
                continue
            if failures:
                log.warning("webhook deliveries written to the store again")
            failures = 0

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if not self.targets:
            return
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency), cookie_jar=None
        )
        self._loop = asyncio.get_running_loop()
        self._runner = asyncio.create_task(self._run())
        if self.book is not None:
            self._bookkeeper = asyncio.create_task(self._keep_book())

    async def stop(self) -> None:
        """Give what is queued (and in flight) `grace` seconds for an attempt, then log
        every delivery that is not over and close."""
        if self._runner is None:
            return
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._runner), self.grace)
        self._runner.cancel()
        cut = list(self._tasks.values())  # still waiting for an answer
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(self._runner, *self._tasks, return_exceptions=True)
        for delivery in [*cut, *self._waiting.values()]:
            log.error(
                "WEBHOOK NOT DELIVERED at shutdown: event %s %s to %s (%d attempts)",
                delivery.event_id,
                delivery.event_type,
                delivery.endpoint,
                len(delivery.attempts),
            )
        if self._session is not None:
            await self._session.close()
        self._runner = None
        self._loop = None
        if self._bookkeeper is not None:
            self._bookkeeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._bookkeeper
        if self.book is not None:
            try:
                await self.write_book()
            except Exception as exc:
                log.error("webhook deliveries not written to the store at shutdown: %s", exc)
            await self.book.close()

    async def _run(self) -> None:
        while True:
            while self._ready and len(self._tasks) < self.concurrency:
                delivery_id = self._ready.popleft()
                delivery = self._waiting.pop(delivery_id, None)
                if delivery is None:  # dropped meanwhile
                    continue
                task = asyncio.create_task(self._attempt(delivery))
                self._tasks[task] = delivery
                task.add_done_callback(self._done)
            if self._stopping and not self._ready and not self._tasks:
                return
            await self._wake.wait()
            self._wake.clear()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._trim()
        self._wake.set()

    def _due(self, delivery_id: str) -> None:
        self._timers.pop(delivery_id, None)
        if delivery_id in self._waiting:
            self._ready.append(delivery_id)
            self._wake.set()

    async def _attempt(self, delivery: wd.Delivery) -> None:
        target, event, body = self._bodies[delivery.id]
        assert self._session is not None
        try:
            answer = await send(self._session, target, body, event=event, now=int(self.clock()))
        except Exception as exc:  # anything else: a bug here must not lose the event
            log.exception("webhook attempt failed unexpectedly")
            answer = Answer(None, f"{type(exc).__name__}")
        wait = delivery.record(
            self.policy,
            at=self.clock(),
            status=answer.status,
            error=answer.error,
            retry_after_header=answer.retry_after,
            random=self.jitter(),
        )
        self._changed(delivery)
        if wait is None:
            self._bodies.pop(delivery.id, None)
            delivered = delivery.status is wd.Status.DELIVERED
            self.metrics.webhook("delivered" if delivered else "failed")
            if delivery.status is wd.Status.FAILED:
                log.warning(
                    "webhook failed: event %s %s to %s: %s",
                    delivery.event_id,
                    delivery.event_type,
                    delivery.endpoint,
                    delivery.attempts[-1].error,
                )
            return
        self.metrics.webhook("retried")
        if len(self._waiting) >= self.queue_size:
            self._drop_oldest()
        self._waiting[delivery.id] = delivery
        if not self._stopping:
            loop = asyncio.get_running_loop()
            self._timers[delivery.id] = loop.call_later(
                wait * self.sleep_scale, self._due, delivery.id
            )


def _running(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
