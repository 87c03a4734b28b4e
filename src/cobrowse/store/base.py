"""The session registry behind one async Protocol: memory (one process) or Redis (nodes).

What a store keeps: sessions (the state machine's fields, nothing of the page), the
PIN index (a PIN is unique among live PINs and single use), tokens (only as grants:
which session, which role) and, after a session is forgotten, tombstones that tell a
late token why its session ended. Sessions come back as copies: a transition is not
stored until `save` is called, on every implementation alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cobrowse.core.messages import Role
from cobrowse.core.session import EndReason, Session, Timeouts

TOMBSTONE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token is good for."""

    session_id: str
    role: Role
    # Whom it was issued to: an agent's or a watcher's sign-in key (Session.agent_key)
    # or a watcher id. A token of an agent whose session was taken over or transferred,
    # or of a watcher who left, is refused although it has not expired.
    holder: str | None = None


@dataclass(frozen=True, slots=True)
class Tombstone:
    session_id: str
    reason: EndReason
    ended_at: float


@dataclass(frozen=True, slots=True)
class NewSession:
    session: Session
    visitor_token: str


class CapacityError(RuntimeError):
    pass


class UnknownSession(LookupError):
    """The session is not (or no longer) in the store."""


class SessionStore(Protocol):
    """The session registry. Times (`now`) are the caller's clock, in seconds; the
    lifetimes a store enforces by itself (Redis TTLs) are durations, never clock values."""

    async def create(self, *, timeouts: Timeouts, now: float) -> NewSession:
        """A new session with a unique id, a PIN unique among live PINs and a visitor
        token. CapacityError when `max_sessions` are live (on every node together);
        PinSpaceExhausted when no free PIN was found."""
        ...

    async def get(self, session_id: str) -> Session | None: ...

    async def by_pin(self, pin: str) -> Session | None:
        """The session whose PIN is still in the index (not retired, not expired)."""
        ...

    async def save(self, session: Session) -> bool:
        """Store the session after a transition; False (and nothing stored) when it is
        no longer in the store (forgotten, or expired)."""
        ...

    async def retire_pin(self, session: Session) -> None:
        """Take the session's PIN out of the index, unless another session owns it now."""
        ...

    async def issue_agent_token(self, session: Session) -> str:
        """A new agent token for a live session, held by its agent (`session.agent_key`);
        UnknownSession if it is not in the store."""
        ...

    async def issue_watcher_token(self, session: Session, watcher_id: str) -> str:
        """A new token for a watcher of a live session; UnknownSession as above."""
        ...

    async def grant(self, token: str) -> Grant | None: ...

    async def tombstone(self, token: str) -> Tombstone | None: ...

    async def live_sessions(self) -> list[Session]: ...

    async def forget(self, session: Session, *, now: float) -> None:
        """Drop a session: its PIN and tokens die, each token leaves a tombstone for
        TOMBSTONE_SECONDS. Forgetting twice changes nothing."""
        ...

    async def prune_tombstones(self, *, now: float) -> None:
        """Drop tombstones older than TOMBSTONE_SECONDS (Redis expires them itself)."""
        ...

    async def count(self) -> int:
        """Live sessions (created and not yet forgotten or expired)."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers (GET /readyz); never raises."""
        ...

    async def close(self) -> None: ...
