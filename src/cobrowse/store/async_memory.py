"""The in-memory registry behind the async SessionStore Protocol (one process).

A facade over MemorySessionStore (whose sync API the server uses today). It hands out
and keeps copies, as the Redis store does: a transition reaches the store only through
`save`, so code that forgets to save fails on memory too, not only across nodes.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from cobrowse.core.session import Session, Timeouts
from cobrowse.store.base import Grant, NewSession, Tombstone, UnknownSession
from cobrowse.store.memory import MemorySessionStore


class AsyncMemorySessionStore:
    def __init__(
        self,
        *,
        max_sessions: int,
        randbelow: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        self._inner = MemorySessionStore(max_sessions=max_sessions, randbelow=randbelow)

    async def create(self, *, timeouts: Timeouts, now: float) -> NewSession:
        new = self._inner.create(timeouts=timeouts, now=now)
        return NewSession(session=_copy(new.session), visitor_token=new.visitor_token)

    async def get(self, session_id: str) -> Session | None:
        return _copy_or_none(self._inner.get(session_id))

    async def by_pin(self, pin: str) -> Session | None:
        return _copy_or_none(self._inner.by_pin(pin))

    async def save(self, session: Session) -> bool:
        return self._inner.save(_copy(session))

    async def retire_pin(self, session: Session) -> None:
        self._inner.retire_pin(session)

    async def issue_agent_token(self, session: Session) -> str:
        if self._inner.get(session.id) is None:
            raise UnknownSession(session.id)
        return self._inner.issue_agent_token(session)

    async def issue_watcher_token(self, session: Session, watcher_id: str) -> str:
        if self._inner.get(session.id) is None:
            raise UnknownSession(session.id)
        return self._inner.issue_watcher_token(session, watcher_id)

    async def grant(self, token: str) -> Grant | None:
        return self._inner.grant(token)

    async def tombstone(self, token: str) -> Tombstone | None:
        return self._inner.tombstone(token)

    async def live_sessions(self) -> list[Session]:
        return [_copy(s) for s in self._inner.live_sessions()]

    async def forget(self, session: Session, *, now: float) -> None:
        self._inner.forget(session, now=now)

    async def prune_tombstones(self, *, now: float) -> None:
        self._inner.prune_tombstones(now=now)

    async def count(self) -> int:
        return len(self._inner)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def _copy(session: Session) -> Session:
    # Every field is immutable (str, float, enums, frozen Timeouts): shallow is enough.
    return dataclasses.replace(session)


def _copy_or_none(session: Session | None) -> Session | None:
    return None if session is None else _copy(session)
