"""What each participant was sent, numbered: for a resume after a drop, and for a
late-joining agent (the last full snapshot and every event since).

Every frame the server sends a participant carries a sequence number (the frame's
`n`; chat entries have their own `seq`), counted per participant. The log keeps the
recent frames, bounded in real bytes (what the process holds for them, not the length
of their JSON), so that a participant who reconnects with its last number gets exactly
what it missed, or a fresh start when that is no longer possible.

The agent's log is also the late joiner's history. rrweb starts each recording (and
each page load) with a Meta event (type 4) followed by a FullSnapshot (type 2); the
log's page frames restart at every Meta, so it holds one page's worth of history; its
other frames (chat, control, results) stay, the oldest going past `other_bytes`, so a
resume across the visitor's page loads gets them, and the new page from its Meta. Page frames are
kept as the bytes they are relayed as, one object per frame, never re-encoded. Two
bounds keep it lean:

- compaction: once the events since the snapshot outweigh the snapshot itself (and
  `compact_min` bytes), the visitor is asked for a fresh snapshot, which restarts the
  log at a fraction of its size; a long session's memory stays flat;
- a hard cap (`max_bytes`): past it the history is dropped and marked stale until a
  new snapshot; a joiner then gets nothing rather than a broken partial history.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

META = 4
FULL_SNAPSHOT = 2
_PREFIX = b'{"v":1,'


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    frame: bytes
    page: bool


# Kept frames live in three parallel deques (numbers, bytes, page flags), not as one
# object each: keeping a frame then allocates nothing the garbage collector tracks, so
# a steady relay never triggers a collection (as tuples they did, every ~700 frames;
# as objects their full collections paused the relay for 0.2 s at 400 sessions).
# `since` hands out Entry objects.

# What one kept frame costs beyond its bytes: the bytes object's header, its number,
# and its slots in the deques.
ENTRY_OVERHEAD = sys.getsizeof(b"") + 32 + 3 * 8


def held(frame: bytes) -> int:
    """The memory a kept frame holds, in bytes."""
    return len(frame) + ENTRY_OVERHEAD


def stamp(frame: bytes, seq: int) -> bytes:
    """Number a server frame encoded without one (`{"v":1,...}`): its `n` is `seq`."""
    if not frame.startswith(_PREFIX):
        raise ValueError("not a v1 frame")
    return b'{"v":1,"n":%d,' % seq + frame[len(_PREFIX) :]


def events_frame(seq: int, events_json: bytes) -> bytes:
    """An `events` frame around an already-encoded JSON array of events."""
    return b'{"v":1,"n":%d,"t":"events","events":%b}' % (seq, events_json)


@dataclass(frozen=True, slots=True)
class Relayed:
    """A batch of page data: the numbered frames to relay live (usually one), and
    whether the visitor must take a fresh snapshot."""

    frames: list[bytes]
    need_snapshot: bool


@dataclass(slots=True)
class Outlog:
    max_bytes: int
    # The agent's log keeps page history (restart at Meta, compaction).
    pages: bool = False
    compact_min: int = 256 * 1024
    other_bytes: int = 64 * 1024  # the agent's frames other than page data kept at a restart
    seq: int = 0  # the last sequence number given out
    floor: int = 0  # frames up to this seq are no longer held: no resume from below it
    _seqs: deque[int] = field(default_factory=deque)
    _frames: deque[bytes] = field(default_factory=deque)
    _pages: deque[bool] = field(default_factory=deque)
    _size: int = 0
    _has_snapshot: bool = False
    _stale: bool = False
    _snapshot_size: int = 0  # held bytes up to and with the full snapshot
    _asked: bool = False  # a fresh snapshot was asked for and has not come yet

    @property
    def size(self) -> int:
        """The memory held by the kept frames, in bytes."""
        return self._size

    def send(self, frame: bytes) -> bytes:
        """Number a frame (encoded without `seq`) and keep it; returns the numbered frame."""
        self.seq += 1
        numbered = stamp(frame, self.seq)
        self._keep(self.seq, numbered, False)
        return numbered

    def page(self, events: Sequence[dict[str, Any]], events_json: bytes) -> Relayed:
        """Number a batch of rrweb events (`events_json` is their JSON array as received)."""
        meta, snapshot = _kinds(events)
        if meta > 0:  # the page before the Meta ends inside this batch (rare): split it
            before = self.page(events[:meta], orjson.dumps(list(events[:meta])))
            after = self.page(events[meta:], orjson.dumps(list(events[meta:])))
            return Relayed(before.frames + after.frames, after.need_snapshot)
        self.seq += 1
        frame = events_frame(self.seq, events_json)
        if meta == 0:
            self._new_page()
        if self._stale:
            return Relayed([frame], False)
        if not (self._has_snapshot or snapshot or meta == 0):
            return Relayed([frame], False)  # history starts at a snapshot: live only
        if self._size + held(frame) > self.max_bytes:
            self._drop()
            return Relayed([frame], True)
        self._keep(self.seq, frame, True)
        if snapshot and not self._has_snapshot:
            self._has_snapshot = True
            self._snapshot_size = self._size
        return Relayed([frame], self._should_compact())

    def want_snapshot(self) -> bool:
        """Whether to ask the visitor for a fresh snapshot now: not when one was asked
        for since the last page began (it is on its way)."""
        if self._asked:
            return False
        self._asked = True
        return True

    def history(self) -> list[bytes]:
        """The page frames a joiner replays, or nothing without a usable snapshot."""
        if self._stale or not self._has_snapshot:
            return []
        return [frame for frame, page in zip(self._frames, self._pages, strict=True) if page]

    def since(self, seq: int) -> list[Entry] | None:
        """Every kept frame after `seq`, or None when some of them are gone."""
        if seq < self.floor or seq > self.seq:
            return None
        kept = zip(self._seqs, self._frames, self._pages, strict=True)
        return [Entry(n, frame, page) for n, frame, page in kept if n > seq]

    def clear(self) -> None:
        self._restart(self.seq)

    def _keep(self, seq: int, frame: bytes, page: bool) -> None:
        self._seqs.append(seq)
        self._frames.append(frame)
        self._pages.append(page)
        self._size += held(frame)
        if self.pages:
            if self._size > self.max_bytes:
                self._drop()
            return
        while self._size > self.max_bytes and self._seqs:
            self.floor = self._seqs.popleft()
            self._size -= held(self._frames.popleft())
            self._pages.popleft()

    def _should_compact(self) -> bool:
        if self._asked or not self._has_snapshot:
            return False
        since = self._size - self._snapshot_size
        if since > max(self._snapshot_size, self.compact_min):
            self._asked = True
            return True
        return False

    def _new_page(self) -> None:
        """A new page: its history starts here. The old page's frames are superseded
        (a resume does not need them), the other frames stay, within `other_bytes`."""
        kept = zip(self._seqs, self._frames, self._pages, strict=True)
        others = [(seq, frame) for seq, frame, page in kept if not page]
        size = sum(held(frame) for _, frame in others)
        start = 0
        while size > self.other_bytes and start < len(others):
            self.floor, frame = others[start]
            size -= held(frame)
            start += 1
        self._restart(self.floor)
        for seq, frame in others[start:]:
            self._seqs.append(seq)
            self._frames.append(frame)
            self._pages.append(False)
        self._size = size

    def _restart(self, floor: int) -> None:
        self._seqs, self._frames, self._pages = deque(), deque(), deque()
        self._size = 0
        self.floor = floor
        self._has_snapshot = False
        self._stale = False
        self._snapshot_size = 0
        self._asked = False

    def _drop(self) -> None:
        self._restart(self.seq)
        self._stale = True
        self._asked = True  # the caller asks


def _kinds(events: Sequence[dict[str, Any]]) -> tuple[int, bool]:
    """(the index of the last Meta event in a batch or -1, whether the batch holds a
    full snapshot after that Meta), in one pass: it runs for every relayed frame."""
    meta, snapshot = -1, False
    for index, event in enumerate(events):
        kind = event["type"]
        if kind == META:
            meta, snapshot = index, False
        elif kind == FULL_SNAPSHOT:
            snapshot = True
    return meta, snapshot
