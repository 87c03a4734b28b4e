"""The recorder: what a recorded session's agent is sent, sealed and stored, off the relay.

The relay's side (`start`, `joined`, `capture`, `finish`) only appends to a bounded
in-memory queue and never blocks or raises; a writer thread of its own gathers each
recording's frames into chunks (core/recording.py), seals them (AES-256-GCM) and
writes them to the data directory or an S3 bucket (store/recordings.py). A frame that
finds the queue full, or whose chunk cannot be written, is lost: counted per
recording (its description's `lost`, shown in the replay), in `lost_frames` (the
`cobrowse_recording_frames_lost_total` metric) and logged at ERROR; never silently.
The same thread purges recordings past `recordings.retention_days`, hourly, as the
audit log does; `cobrowse audit purge` purges both.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import orjson

from cobrowse.config import Config, ConfigError
from cobrowse.core.recording import (
    Batcher,
    Captured,
    ChunkError,
    KeyError_,
    KeyRing,
    Meta,
    expired,
    open_blob,
    open_chunk,
    open_meta,
    seal,
    seal_blob,
    seal_meta,
)
from cobrowse.server.recording_setup import load_ring, store_for
from cobrowse.store.recordings import (
    RecordingStore,
    RecordingStoreError,
    asset_name,
    chunk_name,
)

log = logging.getLogger("cobrowse.recordings")

PURGE_EVERY = 3600.0


@dataclass(slots=True)
class _Open:
    meta: Meta
    batcher: Batcher
    next_index: int = 0


@dataclass(frozen=True, slots=True)
class RecordedAsset:
    """A stylesheet, font or image as the agent's mirror was served it (masked), under
    the URL the recorded page data names it by."""

    url: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class _Op:
    kind: str  # "start", "agent", "frame", "assets", "end"
    session_id: str
    at: float
    to: str = ""
    frame: bytes = b""
    meta: Meta | None = None
    assets: tuple[RecordedAsset, ...] = ()


@dataclass(slots=True)
class Recorder:
    store: RecordingStore
    ring: KeyRing
    clock: Callable[[], float] = time.time
    retention_days: float = 90.0
    queue_frames: int = 20_000
    chunk_bytes: int = 256 * 1024
    chunk_age: float = 5.0
    lost_frames: int = 0  # every frame lost, since start
    written_chunks: int = 0
    _queue: deque[_Op] = field(default_factory=deque)
    _frames_queued: int = 0
    _lost: dict[str, int] = field(default_factory=dict)  # by session, not yet in its meta
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _open: dict[str, _Open] = field(default_factory=dict)  # the writer thread's own
    _thread: threading.Thread | None = None
    _stopping: bool = False
    _last_purge: float = -float("inf")
    recording: set[str] = field(default_factory=set)  # sessions recorded on this node

    # --- the relay's side: never blocks, never raises -----------------------------------

    def start(self, session_id: str, *, site: str | None, now: float) -> None:
        self.recording.add(session_id)
        meta = Meta(id=session_id, session_id=session_id, site=site, started_at=now)
        self._put(_Op("start", session_id, now, meta=meta))

    def joined(
        self, session_id: str, *, name: str, agent_id: str, team: str | None, now: float
    ) -> None:
        # On several nodes the join may be served by another node than the room's: the
        # writer keeps who it was beside the recording, if there is one (`_write_agent`).
        who = Meta(id=session_id, session_id=session_id, site=None, started_at=now)
        who = replace(who, agent_name=name, agent_id=agent_id, agent_team=team)
        self._put(_Op("agent", session_id, now, meta=who))

    def capture(self, session_id: str, to: str, frame: bytes, at: float) -> None:
        with self._lock:
            if self._frames_queued >= self.queue_frames:
                self.lost_frames += 1
                first = session_id not in self._lost
                self._lost[session_id] = self._lost.get(session_id, 0) + 1
                if first:
                    log.error(
                        "recording: queue full, frames lost", extra={"session_id": session_id}
                    )
                return
            self._frames_queued += 1
            self.recording.add(session_id)  # also a room taken over from another node
            self._queue.append(_Op("frame", session_id, at, to=to, frame=frame))
            self._lock.notify()

    def add_assets(self, session_id: str, assets: list[RecordedAsset], *, now: float) -> None:
        """The assets the session's agent was served (proxy mode), kept with it: their
        URLs die with the session."""
        if session_id in self.recording and assets:
            self._put(_Op("assets", session_id, now, assets=tuple(assets)))

    def finish(self, session_id: str, *, now: float) -> None:
        if session_id in self.recording:
            self.recording.discard(session_id)
            self._put(_Op("end", session_id, now))

    def _put(self, op: _Op) -> None:
        with self._lock:
            self._queue.append(op)  # few and small: never refused
            self._lock.notify()

    # --- lifecycle ---------------------------------------------------------------------

    def begin(self) -> None:
        self._thread = threading.Thread(target=self._main, name="recording-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write everything queued, close every open recording's chunk (blocking)."""
        with self._lock:
            self._stopping = True
            self._lock.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        else:
            self.drain()

    def drain(self) -> None:
        """Write what is queued now, and every pending chunk (the writer's work, here)."""
        self._work(self._take(), force=True)

    # --- the writer thread -------------------------------------------------------------

    def _take(self) -> list[_Op]:
        with self._lock:
            taken = list(self._queue)
            self._queue.clear()
            self._frames_queued = 0
            return taken

    def _main(self) -> None:
        while True:
            with self._lock:
                if not self._queue and not self._stopping:
                    self._lock.wait(timeout=1.0)
                stopping = self._stopping
            self._work(self._take(), force=stopping)
            if time.monotonic() - self._last_purge >= PURGE_EVERY:
                self._last_purge = time.monotonic()
                try:
                    self.purge()
                except Exception as exc:
                    log.error("recordings: purge failed (%s); next try in an hour", exc)
            if stopping:
                return

    def _work(self, ops: list[_Op], *, force: bool) -> None:
        for op in ops:
            try:
                self._apply(op)
            except Exception:
                log.exception("recording: %s failed", op.kind, extra={"session_id": op.session_id})
        now = self.clock()
        for sid, rec in list(self._open.items()):
            due = rec.batcher.take() if force else rec.batcher.due(now)
            if due:
                self._write(rec, due)
            if force and self._lost.get(sid):
                self._write_meta(rec)

    def _apply(self, op: _Op) -> None:
        rec = self._open.get(op.session_id)
        if op.kind == "start" and op.meta is not None:
            rec = self._open[op.session_id] = _Open(
                op.meta, Batcher(max_bytes=self.chunk_bytes, max_age=self.chunk_age)
            )
            self._write_meta(rec)
            return
        if rec is None and op.kind in ("frame", "assets", "end"):
            rec = self._resume(op.session_id)  # its room moved here from another node
        if rec is None:
            if op.kind == "agent" and op.meta is not None:
                self._write_agent(op.meta)
            return  # not a recording (or one this node cannot find)
        if op.kind == "frame":
            due = rec.batcher.add(op.at, op.to, op.frame)
            if due:
                self._write(rec, due)
        elif op.kind == "agent" and op.meta is not None:
            m = op.meta
            rec.meta = replace(
                rec.meta, agent_name=m.agent_name, agent_id=m.agent_id, agent_team=m.agent_team
            )
            self._write_meta(rec)
        elif op.kind == "assets":
            self._write_assets(rec.meta.id, op.assets)
        elif op.kind == "end":
            rest = rec.batcher.take()
            if rest:
                self._write(rec, rest)
            rec.meta = replace(rec.meta, ended_at=op.at)
            self._write_meta(rec)
            del self._open[op.session_id]

    def _resume(self, sid: str) -> _Open | None:
        """A recording another node started, continued here after its chunks."""
        meta = self.meta(sid)
        if meta is None:
            return None
        chunks = [n for n in self.store.names(sid) if n.startswith("c")]
        batcher = Batcher(max_bytes=self.chunk_bytes, max_age=self.chunk_age)
        rec = self._open[sid] = _Open(meta, batcher, next_index=len(chunks))
        return rec

    def _write_agent(self, who: Meta) -> None:
        """Who joined a recorded session whose room runs on another node."""
        if self.store.get(who.id, "meta") is None:
            return  # not a recorded session
        data = orjson.dumps([who.agent_name, who.agent_id, who.agent_team])
        self.store.put(
            who.id, "agent", seal_blob(data, ring=self.ring, recording_id=who.id, name="agent")
        )

    def _write(self, rec: _Open, records: list[Captured]) -> None:
        sid = rec.meta.id
        try:
            chunk = seal(records, ring=self.ring, recording_id=sid, index=rec.next_index)
            self.store.put(sid, chunk_name(rec.next_index), chunk)
        except (RecordingStoreError, ChunkError, OSError) as exc:
            with self._lock:
                self.lost_frames += len(records)
                self._lost[sid] = self._lost.get(sid, 0) + len(records)
            log.error("recording: %d frames lost: %s", len(records), exc, extra={"session_id": sid})
            return
        rec.next_index += 1
        self.written_chunks += 1

    def _write_assets(self, sid: str, assets: tuple[RecordedAsset, ...]) -> None:
        index = []
        for n, item in enumerate(assets):
            name = asset_name(n)
            try:
                sealed = seal_blob(item.body, ring=self.ring, recording_id=sid, name=name)
                self.store.put(sid, name, sealed)
            except (RecordingStoreError, OSError) as exc:
                log.error("recording: an asset was not kept: %s", exc, extra={"session_id": sid})
                continue
            index.append([item.url, item.content_type, name])
        blob = seal_blob(orjson.dumps(index), ring=self.ring, recording_id=sid, name="assets")
        try:
            self.store.put(sid, "assets", blob)
        except (RecordingStoreError, OSError) as exc:
            log.error("recording: its assets were not kept: %s", exc, extra={"session_id": sid})

    def _write_meta(self, rec: _Open) -> None:
        with self._lock:
            lost = self._lost.pop(rec.meta.id, 0)
        rec.meta = replace(rec.meta, chunks=rec.next_index, lost=rec.meta.lost + lost)
        try:
            self.store.put(rec.meta.id, "meta", seal_meta(rec.meta, ring=self.ring))
        except (RecordingStoreError, OSError) as exc:
            log.error(
                "recording: description not written: %s", exc, extra={"session_id": rec.meta.id}
            )

    # --- reading (blocking: call off the event loop) -----------------------------------

    def meta(self, recording_id: str) -> Meta | None:
        blob = self.store.get(recording_id, "meta")
        if blob is None:
            return None
        meta = open_meta(blob, ring=self.ring, recording_id=recording_id)
        if meta.agent_id is None:  # the join was served by another node than the room's
            who = self.store.get(recording_id, "agent")
            if who is not None:
                plain = open_blob(who, ring=self.ring, recording_id=recording_id, name="agent")
                name, agent_id, team = orjson.loads(plain)
                meta = replace(meta, agent_name=name, agent_id=agent_id, agent_team=team)
        return meta

    def listing(self) -> list[Meta]:
        found = []
        for rid in self.store.ids():
            try:
                meta = self.meta(rid)
            except (ChunkError, RecordingStoreError) as exc:
                log.error("recording %s cannot be read: %s", rid, exc)
                continue
            if meta is not None:
                found.append(meta)
        return sorted(found, key=lambda m: m.started_at, reverse=True)

    def read(self, recording_id: str) -> tuple[Meta, list[Captured]] | None:
        """A recording's description and every record, in order; ChunkError when any
        chunk was changed, moved or is missing."""
        meta = self.meta(recording_id)
        if meta is None:
            return None
        names = [n for n in self.store.names(recording_id) if n.startswith("c")]
        if [chunk_name(i) for i in range(len(names))] != names or len(names) < meta.chunks:
            raise ChunkError(f"recording {recording_id} is missing chunks")
        records: list[Captured] = []
        for index, name in enumerate(names):
            blob = self.store.get(recording_id, name)
            if blob is None:
                raise ChunkError(f"recording {recording_id} is missing chunk {index}")
            records.extend(open_chunk(blob, ring=self.ring, recording_id=recording_id, index=index))
        return meta, records

    def asset_index(self, recording_id: str) -> list[tuple[str, str, str]]:
        """(url, content type, object name) of every asset kept with the recording."""
        blob = self.store.get(recording_id, "assets")
        if blob is None:
            return []
        plain = open_blob(blob, ring=self.ring, recording_id=recording_id, name="assets")
        return [(str(u), str(t), str(n)) for u, t, n in orjson.loads(plain)]

    def asset(self, recording_id: str, name: str) -> bytes | None:
        blob = self.store.get(recording_id, name)
        if blob is None:
            return None
        return open_blob(blob, ring=self.ring, recording_id=recording_id, name=name)

    def purge(self) -> int:
        """Delete the recordings older than the retention period; how many."""
        if self.retention_days <= 0:
            return 0
        ages = [(m.id, m.started_at) for m in self.listing()]
        gone = expired(ages, now=self.clock(), retention_days=self.retention_days)
        for rid in gone:
            self.store.delete(rid)
        if gone:
            log.info("recordings: purged %d older than %g days", len(gone), self.retention_days)
        return len(gone)


def recorder_for(config: Config, *, clock: Callable[[], float] = time.time) -> Recorder | None:
    """The configured recorder, or None when no site is recorded and no key exists."""
    rec = config.recordings
    try:
        ring = load_ring(config, create=bool(rec.sites))
    except KeyError_ as exc:
        raise ConfigError(f"recordings: {exc}") from None
    if ring is None:
        return None
    return Recorder(
        store_for(config),
        ring,
        clock=clock,
        retention_days=rec.retention_days,
        queue_frames=rec.queue_frames,
        chunk_bytes=rec.chunk_bytes,
    )
