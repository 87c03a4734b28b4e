"""In-memory session registry: sessions, the PIN index, tokens and tombstones.

Single-node default. Nothing here is written to disk or logs; page data never
enters the registry (the relay buffer lives with the live connections).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from cobrowse.core.messages import Role
from cobrowse.core.pin import new_pin
from cobrowse.core.session import EndReason, Session, Timeouts

# The records live in base.py (shared by every store); imported from here as before.
from cobrowse.store.base import (
    TOMBSTONE_SECONDS,
    CapacityError,
    Grant,
    NewSession,
    Tombstone,
)

__all__ = [
    "TOMBSTONE_SECONDS",
    "CapacityError",
    "Grant",
    "MemorySessionStore",
    "NewSession",
    "Tombstone",
]


@dataclass(slots=True)
class MemorySessionStore:
    max_sessions: int
    _sessions: dict[str, Session] = field(default_factory=dict)
    _by_pin: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, Grant] = field(default_factory=dict)
    _tokens_of: dict[str, list[str]] = field(default_factory=dict)
    _tombstones: dict[str, Tombstone] = field(default_factory=dict)
    randbelow: Callable[[int], int] = field(default=secrets.randbelow, repr=False)

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, *, timeouts: Timeouts, now: float) -> NewSession:
        if len(self._sessions) >= self.max_sessions:
            raise CapacityError("too many live sessions")
        session = Session(
            id="s_" + secrets.token_urlsafe(12),
            pin=new_pin(self._by_pin, randbelow=self.randbelow),
            created_at=now,
            timeouts=timeouts,
        )
        self._sessions[session.id] = session
        self._by_pin[session.pin] = session.id
        token = self._issue(session.id, "visitor")
        return NewSession(session=session, visitor_token=token)

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def by_pin(self, pin: str) -> Session | None:
        session_id = self._by_pin.get(pin)
        return None if session_id is None else self._sessions.get(session_id)

    def save(self, session: Session) -> bool:
        """Keep `session` as the stored one (the async facade stores copies); False when
        it is not live here. Code that mutates the stored object needs no call."""
        if session.id not in self._sessions:
            return False
        self._sessions[session.id] = session
        return True

    def retire_pin(self, session: Session) -> None:
        """A PIN is single use: once an agent has entered it, it leaves the index."""
        if self._by_pin.get(session.pin) == session.id:
            del self._by_pin[session.pin]

    def issue_agent_token(self, session: Session) -> str:
        return self._issue(session.id, "agent", session.agent_key)

    def issue_watcher_token(self, session: Session, watcher_id: str) -> str:
        return self._issue(session.id, "watcher", watcher_id)

    def grant(self, token: str) -> Grant | None:
        return self._tokens.get(token)

    def tombstone(self, token: str) -> Tombstone | None:
        return self._tombstones.get(token)

    def live_sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def forget(self, session: Session, *, now: float) -> None:
        """Drop an ended session: its PIN and tokens die, tombstones remain a while."""
        self.retire_pin(session)
        self._sessions.pop(session.id, None)
        reason = session.end_reason or EndReason.ADMIN
        for token in self._tokens_of.pop(session.id, []):
            self._tokens.pop(token, None)
            self._tombstones[token] = Tombstone(session.id, reason, now)

    def prune_tombstones(self, *, now: float) -> None:
        cutoff = now - TOMBSTONE_SECONDS
        self._tombstones = {k: t for k, t in self._tombstones.items() if t.ended_at > cutoff}

    def _issue(self, session_id: str, role: Role, holder: str | None = None) -> str:
        token = ("vt_" if role == "visitor" else "at_") + secrets.token_urlsafe(32)
        self._tokens[token] = Grant(session_id, role, holder)
        self._tokens_of.setdefault(session_id, []).append(token)
        return token
