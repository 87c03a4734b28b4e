"""The live side of sessions: who is connected, what they may send, what is relayed.

The hub applies the pure session state machine, keeps one replay buffer per
session for late joiners, and fans frames out through each peer's outbox.
The visitor's consent is enforced here: page data is refused before Allow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cobrowse.config import Config
from cobrowse.core import messages as m
from cobrowse.core.pin import display_pin
from cobrowse.core.relay import ReplayBuffer
from cobrowse.core.session import EndReason, InvalidTransition, Session, State, Timeouts
from cobrowse.server.peer import Peer
from cobrowse.store.memory import Grant, MemorySessionStore, NewSession

log = logging.getLogger("cobrowse.hub")


@dataclass(slots=True)
class Room:
    buffer: ReplayBuffer
    visitor: Peer | None = None
    agent: Peer | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    session: Session
    role: m.Role
    peer: Peer


@dataclass(frozen=True, slots=True)
class Joined:
    session: Session
    agent_token: str


def _same(session_id: str, frame: bytes) -> bytes:
    return frame


async def _nothing(session_id: str) -> None:
    return None


@dataclass(slots=True)
class Hub:
    config: Config
    clock: Callable[[], float]
    # How page data looks to the agent (proxy mode points asset URLs at the asset route).
    agent_view: Callable[[str, bytes], bytes] = _same
    # Called once for every session that ends, after its sockets are told.
    on_end: Callable[[str], Awaitable[None]] = _nothing
    store: MemorySessionStore = field(init=False)
    rooms: dict[str, Room] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = MemorySessionStore(max_sessions=self.config.limits.max_sessions)

    @property
    def timeouts(self) -> Timeouts:
        s = self.config.session
        return Timeouts(
            pin_ttl=s.pin_ttl_seconds,
            consent_timeout=s.consent_timeout_seconds,
            visitor_grace=s.visitor_grace_seconds,
            agent_grace=s.agent_grace_seconds,
            max_duration=s.max_duration_seconds,
        )

    # --- REST side ------------------------------------------------------------

    def create_session(self) -> NewSession:
        created = self.store.create(timeouts=self.timeouts, now=self.clock())
        self.rooms[created.session.id] = Room(
            buffer=ReplayBuffer(max_bytes=self.config.limits.replay_buffer_bytes)
        )
        return created

    def join(self, pin: str, *, agent_name: str) -> Joined | None:
        """Admit an agent by PIN; None for any PIN that is not usable right now."""
        now = self.clock()
        session = self.store.by_pin(pin)
        if session is None or not session.pin_usable(now):
            return None
        session.join(agent_name=agent_name, now=now)
        self.store.retire_pin(session)
        token = self.store.issue_agent_token(session)
        room = self.rooms[session.id]
        if room.visitor is not None:
            room.visitor.send(m.encode_state(state=session.state, agent_name=agent_name))
        return Joined(session=session, agent_token=token)

    # --- socket side ----------------------------------------------------------

    def resolve(self, token: str) -> Grant | EndReason | None:
        """The grant of a live token, the end reason of a dead one, or None."""
        grant = self.store.grant(token)
        if grant is not None:
            return grant
        tomb = self.store.tombstone(token)
        return tomb.reason if tomb is not None else None

    async def attach(self, peer: Peer, grant: Grant) -> Attachment | None:
        session = self.store.get(grant.session_id)
        room = self.rooms.get(grant.session_id)
        if session is None or room is None or not session.live:
            return None
        old = room.visitor if grant.role == "visitor" else room.agent
        if grant.role == "visitor":
            room.visitor = peer
        else:
            room.agent = peer
        if old is not None:
            await old.close(m.CLOSE_REPLACED, "replaced")
        session.presence(role=grant.role, connected=True, now=self.clock())
        peer.send(
            m.encode_welcome(
                role=grant.role,
                session_id=session.id,
                state=session.state,
                agent_name=session.agent_name,
                pin_display=_display(session) if grant.role == "visitor" else None,
                expires_at=session.pin_expires_at if session.state is State.CREATED else None,
            )
        )
        if grant.role == "agent" and session.state is State.ACTIVE:
            history = room.buffer.history()
            if history:
                peer.send(self.agent_view(session.id, m.encode_events_raw(history)))
        return Attachment(session=session, role=grant.role, peer=peer)

    async def receive(self, att: Attachment, message: m.ClientMessage) -> None:
        session = att.session
        if not session.live:
            return
        room = self.rooms[session.id]
        if isinstance(message, m.Hello):
            raise m.bad_message("hello was already said")
        if isinstance(message, m.End):
            reason = EndReason.VISITOR_STOPPED if att.role == "visitor" else EndReason.AGENT_LEFT
            await self.end(session, reason)
            return
        if att.role != "visitor":
            raise m.not_allowed("an agent may not send page data or consent")
        if isinstance(message, m.Consent):
            if message.allow and session.state is State.ACTIVE:
                return  # a repeated Allow changes nothing
            overdue = session.due(self.clock())
            if overdue is not None:  # e.g. an Allow after the consent timeout
                await self.end(session, overdue)
                return
            try:
                session.consent(allow=message.allow, now=self.clock())
            except InvalidTransition as exc:
                raise m.not_allowed(str(exc)) from None
            if session.state is State.ENDED:
                await self._finish(session)
            else:
                frame = m.encode_state(state=session.state, agent_name=session.agent_name)
                self._broadcast(room, frame)
            return
        if session.state is not State.ACTIVE:
            raise m.not_allowed("no page data before the visitor allows the agent")
        accepted = room.buffer.add(message.events)
        if room.agent is not None and accepted.events_json:
            frame = m.encode_events_raw(accepted.events_json)
            room.agent.send(self.agent_view(session.id, frame))
        if accepted.need_snapshot and room.visitor is not None:
            room.visitor.send(m.encode_snapshot_request())

    def detach(self, att: Attachment) -> None:
        room = self.rooms.get(att.session.id)
        if room is None:
            return
        if att.role == "visitor" and room.visitor is att.peer:
            room.visitor = None
        elif att.role == "agent" and room.agent is att.peer:
            room.agent = None
        else:
            return  # replaced by a newer socket: still present
        if att.session.live:
            att.session.presence(role=att.role, connected=False, now=self.clock())

    async def end(self, session: Session, reason: EndReason) -> None:
        if session.end(reason, now=self.clock()):
            await self._finish(session)

    async def sweep(self) -> None:
        """End every session whose deadline has passed."""
        now = self.clock()
        for session in self.store.live_sessions():
            reason = session.due(now)
            if reason is not None:
                await self.end(session, reason)
        self.store.prune_tombstones(now=now)

    async def shutdown(self) -> None:
        for session in self.store.live_sessions():
            await self.end(session, EndReason.ADMIN)

    async def _finish(self, session: Session) -> None:
        reason = session.end_reason or EndReason.ADMIN
        log.info("session %s ended: %s", session.id, reason)
        self.store.forget(session, now=self.clock())
        room = self.rooms.pop(session.id, None)
        if room is not None:
            room.buffer.clear()
            frame = m.encode_ended(reason=reason)
            for peer in (room.visitor, room.agent):
                if peer is not None:
                    peer.send(frame)
                    await peer.close(m.CLOSE_NORMAL, "session ended")
        try:
            await self.on_end(session.id)
        except Exception:
            log.exception("cleaning up after session %s failed", session.id)

    @staticmethod
    def _broadcast(room: Room, frame: bytes) -> None:
        for peer in (room.visitor, room.agent):
            if peer is not None:
                peer.send(frame)


def _display(session: Session) -> str | None:
    return display_pin(session.pin) if session.state is State.CREATED else None
