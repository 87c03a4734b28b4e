"""What a late-joining agent needs: the last full snapshot and every event since.

rrweb starts each recording (and each page load) with a Meta event (type 4)
followed by a FullSnapshot (type 2). The buffer restarts at every Meta event,
so it always holds exactly one page's worth of history. It is bounded: when a
batch would push it past `max_bytes`, the buffer is dropped, marked stale, and
the visitor is asked for a fresh full snapshot; until that arrives, a joiner
gets nothing rather than a broken partial history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

META = 4
FULL_SNAPSHOT = 2


@dataclass(frozen=True, slots=True)
class Accepted:
    """The encoded events of a batch, and whether the visitor must re-snapshot."""

    events_json: list[bytes]
    need_snapshot: bool


@dataclass(slots=True)
class ReplayBuffer:
    max_bytes: int
    _events: list[bytes] = field(default_factory=list)
    _size: int = 0
    _has_snapshot: bool = False
    _stale: bool = False

    @property
    def size(self) -> int:
        return self._size

    def add(self, events: Iterable[dict[str, Any]]) -> Accepted:
        encoded: list[bytes] = []
        need_snapshot = False
        for event in events:
            data = orjson.dumps(event)
            encoded.append(data)
            kind = event["type"]
            if kind == META:
                self._restart()
                need_snapshot = False
            elif self._stale:
                continue
            elif kind == FULL_SNAPSHOT:
                self._has_snapshot = True
            elif not self._has_snapshot:
                continue  # history starts at a snapshot; this one was only relayed live
            if self._size + len(data) > self.max_bytes:
                self._drop()
                need_snapshot = True
                continue
            self._events.append(data)
            self._size += len(data)
        return Accepted(events_json=encoded, need_snapshot=need_snapshot)

    def history(self) -> list[bytes]:
        """The events a joiner replays, or nothing if there is no usable snapshot."""
        if self._stale or not self._has_snapshot:
            return []
        return list(self._events)

    def clear(self) -> None:
        self._restart()

    def _restart(self) -> None:
        self._events = []
        self._size = 0
        self._has_snapshot = False
        self._stale = False

    def _drop(self) -> None:
        self._events = []
        self._size = 0
        self._has_snapshot = False
        self._stale = True
