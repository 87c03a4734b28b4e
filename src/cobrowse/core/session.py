"""The session lifecycle as one small, pure state machine.

created --agent enters PIN--> pending --visitor allows--> active --> ended
Every state can end; an ended session never comes back. Time is passed in
(`now`, seconds), so every deadline is testable with plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cobrowse.core.control import Control, next_control
from cobrowse.core.participants import PageInfo, Transfer, Watcher


class State(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    ACTIVE = "active"
    ENDED = "ended"


class EndReason(StrEnum):
    VISITOR_STOPPED = "visitor_stopped"
    AGENT_LEFT = "agent_left"
    DENIED = "denied"
    PIN_EXPIRED = "pin_expired"
    CONSENT_TIMEOUT = "consent_timeout"
    VISITOR_GONE = "visitor_gone"
    AGENT_GONE = "agent_gone"
    MAX_DURATION = "max_duration"
    ADMIN = "admin"


class InvalidTransition(Exception):
    """The event does not apply in the session's current state."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    pin_ttl: float = 600.0
    consent_timeout: float = 120.0
    visitor_grace: float = 30.0
    agent_grace: float = 120.0
    max_duration: float = 4 * 3600.0
    control_hold: float = 10.0  # an absent agent's control is taken back after this


@dataclass(slots=True, kw_only=True)
class Session:
    id: str
    pin: str
    created_at: float
    timeouts: Timeouts
    state: State = State.CREATED
    agent_name: str | None = None
    # Who was admitted: its sign-in (a hash of its cookie), not its display name (names
    # are not unique). What file offers and the agent's assets check.
    agent_key: str | None = None
    agent_id: str | None = None  # who the agent is (store/guards.py Agent.id), for the list
    agent_team: str | None = None
    joined_at: float | None = None
    ended_at: float | None = None
    end_reason: EndReason | None = None
    visitor_left_at: float | None = None
    agent_left_at: float | None = None
    control: Control = Control.VIEW
    # For the console's Sessions list and supervision (core/participants.py).
    info: PageInfo = field(default_factory=PageInfo)
    browser: str | None = None
    watchers: tuple[Watcher, ...] = ()
    transfer: Transfer | None = None

    def watcher(self, watcher_id: str) -> Watcher | None:
        return next((w for w in self.watchers if w.id == watcher_id), None)

    def apply_control(self, *, role: str, action: str) -> Control:
        """Change who may act (ControlRefused if not allowed); only while active."""
        if self.state is not State.ACTIVE:
            raise InvalidTransition(f"no control while {self.state}")
        self.control = next_control(self.control, role=role, action=action)
        return self.control

    @property
    def pin_expires_at(self) -> float:
        return self.created_at + self.timeouts.pin_ttl

    @property
    def live(self) -> bool:
        return self.state is not State.ENDED

    def pin_usable(self, now: float) -> bool:
        return self.state is State.CREATED and now < self.pin_expires_at

    def join(
        self,
        *,
        agent_name: str,
        now: float,
        agent_key: str | None = None,
        agent_id: str | None = None,
        agent_team: str | None = None,
    ) -> None:
        """An agent entered the PIN: ask the visitor."""
        if not self.pin_usable(now):
            raise InvalidTransition(f"cannot join a session that is {self.state}")
        self.state = State.PENDING
        self.agent_name = agent_name
        self.agent_key = agent_key
        self.agent_id = agent_id
        self.agent_team = agent_team
        self.joined_at = now

    def consent(self, *, allow: bool, now: float) -> None:
        """The visitor answered the join request."""
        if self.state is not State.PENDING:
            raise InvalidTransition(f"no join request to answer while {self.state}")
        if allow:
            self.state = State.ACTIVE
        else:
            self.end(EndReason.DENIED, now=now)

    def end(self, reason: EndReason, *, now: float) -> bool:
        """End the session; False when it had already ended (nothing changes)."""
        if self.state is State.ENDED:
            return False
        self.state = State.ENDED
        self.agent_key = None
        self.watchers = ()
        self.transfer = None
        self.ended_at = now
        self.end_reason = reason
        return True

    def presence(self, *, role: str, connected: bool, now: float) -> None:
        """Record a participant's socket coming or going (for the grace periods)."""
        mark = None if connected else now
        if role == "visitor":
            self.visitor_left_at = mark
        else:
            self.agent_left_at = mark

    def due(self, now: float) -> EndReason | None:
        """Why the session must end by `now`, if it must."""
        if self.state is State.ENDED:
            return None
        t = self.timeouts
        if self.state is State.CREATED and now >= self.pin_expires_at:
            return EndReason.PIN_EXPIRED
        if (
            self.state is State.PENDING
            and self.joined_at is not None
            and now >= self.joined_at + t.consent_timeout
        ):
            return EndReason.CONSENT_TIMEOUT
        if self.visitor_left_at is not None and now >= self.visitor_left_at + t.visitor_grace:
            return EndReason.VISITOR_GONE
        if (
            self.state is not State.CREATED
            and self.agent_left_at is not None
            and now >= self.agent_left_at + t.agent_grace
        ):
            return EndReason.AGENT_GONE
        if now >= self.created_at + t.max_duration:
            return EndReason.MAX_DURATION
        return None
