"""The live side of sessions: who is connected, what they may send, what is relayed.

The hub applies the pure session state machine, keeps one replay buffer per
session for late joiners, and fans frames out through each peer's outbox.
The visitor's consent is enforced here: page data is refused before Allow.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cobrowse.config import Config
from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.control import Control, ControlRefused
from cobrowse.core.pin import display_pin
from cobrowse.core.relay import ReplayBuffer
from cobrowse.core.session import EndReason, InvalidTransition, Session, State, Timeouts
from cobrowse.server.peer import Peer
from cobrowse.server.trail import Trail
from cobrowse.store.memory import Grant, MemorySessionStore, NewSession

log = logging.getLogger("cobrowse.hub")


MAX_CHAT_HISTORY = 500
MAX_FILES = 20  # offered files kept per session
DOWNLOAD_TTL = 300.0
MAX_PENDING_ACTS = 256  # acts waiting for the visitor's act_result (for the audit)


@dataclass(frozen=True, slots=True)
class OfferedFile:
    id: str
    name: str
    type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Download:
    session_id: str
    file: OfferedFile
    expires_at: float


@dataclass(slots=True)
class Room:
    buffer: ReplayBuffer
    visitor: Peer | None = None
    agent: Peer | None = None
    chat: list[dict[str, Any]] = field(default_factory=list)
    chat_ids: set[tuple[str, str]] = field(default_factory=set)
    chat_seq: int = 0
    files: dict[str, OfferedFile] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)  # offers the visitor has not answered
    acts: dict[str, a.PendingAct] = field(default_factory=dict)  # by ref, until act_result


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
    # Where a visitor downloads an accepted file: base URL + "/files/" + ticket.
    files_url: str = ""
    # Where audit entries go (AuditLog.record: queued, never blocks).
    audit: Callable[[a.AuditEntry], None] | None = None
    store: MemorySessionStore = field(init=False)
    trail: Trail = field(init=False)
    rooms: dict[str, Room] = field(default_factory=dict)
    downloads: dict[str, Download] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = MemorySessionStore(max_sessions=self.config.limits.max_sessions)
        self.trail = Trail(clock=self.clock)
        if self.audit is not None:
            self.trail.record = self.audit

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

    def join(
        self,
        pin: str,
        *,
        agent_name: str,
        agent_key: str | None = None,
    ) -> Joined | None:
        """Admit an agent by PIN; None for any PIN that is not usable right now."""
        now = self.clock()
        session = self.store.by_pin(pin)
        # The index is a dict (SipHash with a per-process random key, so where a guess
        # lands says nothing about the PIN); the final comparison is constant-time.
        if session is None or not hmac.compare_digest(session.pin, pin):
            return None
        if not session.pin_usable(now):  # expired, used, denied or ended
            return None
        session.join(agent_name=agent_name, agent_key=agent_key, now=now)
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
        if room.chat:
            peer.send(m.encode_chat_history(room.chat))
        if session.state is State.ACTIVE:
            peer.send(m.encode_control(state=session.control))
        if grant.role == "visitor":
            for file_id in room.unanswered:  # a new page of the visitor's asks again
                peer.send(self._offer_frame(session, room.files[file_id]))
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
        if isinstance(message, m.Consent):
            await self._consent(att, room, message)
            return
        if session.state is not State.ACTIVE:
            raise m.not_allowed(f"{message.__class__.__name__.lower()} before the visitor allows")
        if isinstance(message, m.Events):
            self._page_data(att, room, message)
        elif isinstance(message, m.Chat):
            self._chat(att, room, message)
        elif isinstance(message, m.ControlMsg):
            before = session.control
            try:
                state = session.apply_control(role=att.role, action=message.action)
            except (ControlRefused, InvalidTransition) as exc:
                if att.role == "visitor" and message.action in ("grant", "deny"):
                    # A stale answer (the agent released meanwhile): say how things are.
                    att.peer.send(m.encode_control(state=session.control))
                    return
                raise m.not_allowed(str(exc)) from None
            if state is not before:
                why = (message.reason or "button") if message.action == "revoke" else None
                actor = self.trail.actor(session, att.role)
                self.trail.control(session, actor=actor, action=message.action, reason=why)
            self._broadcast(room, m.encode_control(state=state))
        elif isinstance(message, m.Guide):
            self._only(att, "agent", "guide")
            self.trail.guide(session, message)
            if room.visitor is not None:
                room.visitor.send(m.encode_guide(message, agent_name=session.agent_name))
        elif isinstance(message, m.Act):
            self._only(att, "agent", "act")
            pending = self.trail.pending(message)
            if session.control is not Control.CONTROL:
                # Control may have been taken back while this act was on its way.
                refused = m.ActResult(ref=message.ref, ok=False, reason="no control")
                att.peer.send(m.encode_act_result(refused))
                self.trail.act(session, pending, ok=False, reason="no_control")
                return
            if room.visitor is None:  # between two pages, or offline: say so, never drop it
                away = m.ActResult(ref=message.ref, ok=False, reason="visitor away")
                att.peer.send(m.encode_act_result(away))
                self.trail.act(session, pending, ok=False, reason="visitor_away")
                return
            room.acts.pop(message.ref, None)
            room.acts[message.ref] = pending
            while len(room.acts) > MAX_PENDING_ACTS:
                ref = next(iter(room.acts))
                self.trail.act(session, room.acts.pop(ref), ok=False, reason="unanswered")
            room.visitor.send(m.encode_act(message))
        elif isinstance(message, m.ActResult):
            self._only(att, "visitor", "act_result")
            asked = room.acts.pop(message.ref, None)
            if asked is not None:  # an answer to no act of this agent is not audited
                ok, why, described = message.ok, message.reason, message.description
                self.trail.act(session, asked, ok=ok, reason=why, description=described)
            if room.agent is not None:
                room.agent.send(m.encode_act_result(message))
        elif isinstance(message, m.OfferAnswer):
            self._only(att, "visitor", "offer_answer")
            self._offer_answer(att, room, message)

    def offer(self, session: Session, *, name: str, type: str, data: bytes) -> OfferedFile:
        """An agent offers a file (checked by the caller): keep it, ask the visitor."""
        room = self.rooms[session.id]
        offered = OfferedFile(id="f_" + secrets.token_urlsafe(9), name=name, type=type, data=data)
        room.files[offered.id] = offered
        room.unanswered.append(offered.id)
        while len(room.files) > MAX_FILES:
            dropped = room.files.pop(next(iter(room.files)))
            if dropped.id in room.unanswered:
                room.unanswered.remove(dropped.id)
        if room.visitor is not None:
            room.visitor.send(self._offer_frame(session, offered))
        self._file_entry(a.Kind.FILE_OFFERED, session, offered, "agent")
        return offered

    def _file_entry(self, kind: a.Kind, session: Session, f: OfferedFile, role: str) -> None:
        actor = self.trail.actor(session, role)
        size = len(f.data)
        self.trail.file(kind, session, actor=actor, id=f.id, name=f.name, type=f.type, size=size)

    @staticmethod
    def _offer_frame(session: Session, offered: OfferedFile) -> bytes:
        return m.encode_offer(
            file_id=offered.id,
            name=offered.name,
            size=len(offered.data),
            type=offered.type,
            agent_name=session.agent_name,
        )

    def _offer_answer(self, att: Attachment, room: Room, message: m.OfferAnswer) -> None:
        offered = room.files.get(message.file_id)
        if offered is None or offered.id not in room.unanswered:
            return  # an answer to a file that is gone or already answered: nothing to do
        room.unanswered.remove(offered.id)
        if room.agent is not None:
            room.agent.send(m.encode_offer_answer(file_id=offered.id, accept=message.accept))
        answer = a.Kind.FILE_ACCEPTED if message.accept else a.Kind.FILE_DECLINED
        self._file_entry(answer, att.session, offered, "visitor")
        if not message.accept:
            room.files.pop(offered.id, None)
            return
        now = self.clock()
        self.downloads = {k: d for k, d in self.downloads.items() if d.expires_at > now}
        ticket = secrets.token_urlsafe(24)
        self.downloads[ticket] = Download(att.session.id, offered, now + DOWNLOAD_TTL)
        url = f"{self.files_url}/files/{ticket}"
        att.peer.send(m.encode_offer_ready(file_id=offered.id, url=url))

    def download(self, ticket: str) -> OfferedFile | None:
        """The file behind a download ticket, once, while its session lives."""
        found = self.downloads.pop(ticket, None)
        if found is None or found.expires_at <= self.clock():
            return None
        session = self.store.get(found.session_id)
        if session is None or not session.live:
            return None
        self._file_entry(a.Kind.FILE_DOWNLOADED, session, found.file, "visitor")
        return found.file

    @staticmethod
    def _only(att: Attachment, role: str, what: str) -> None:
        if att.role != role:
            raise m.not_allowed(f"only the {role} sends {what}")

    async def _consent(self, att: Attachment, room: Room, message: m.Consent) -> None:
        session = att.session
        self._only(att, "visitor", "consent")
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
        self.trail.consent(session, allow=message.allow)
        if session.state is State.ENDED:
            await self._finish(session)
        else:
            self._broadcast(
                room, m.encode_state(state=session.state, agent_name=session.agent_name)
            )

    def _page_data(self, att: Attachment, room: Room, message: m.Events) -> None:
        self._only(att, "visitor", "page data")
        session = att.session
        accepted = room.buffer.add(message.events)
        if room.agent is not None and accepted.events_json:
            frame = m.encode_events_raw(accepted.events_json)
            room.agent.send(self.agent_view(session.id, frame))
        if accepted.need_snapshot and room.visitor is not None:
            room.visitor.send(m.encode_snapshot_request())

    def _chat(self, att: Attachment, room: Room, message: m.Chat) -> None:
        key = (att.role, message.id)
        if key in room.chat_ids:
            return  # a resend after a reconnect: already numbered and delivered
        room.chat_seq += 1
        name = att.session.agent_name if att.role == "agent" else "Visitor"
        entry = m.chat_entry(
            seq=room.chat_seq,
            id=message.id,
            sender=att.role,
            name=name or "Agent",
            text=message.text,
            at=self.clock(),
        )
        room.chat.append(entry)
        room.chat_ids.add(key)
        actor = self.trail.actor(att.session, att.role)
        self.trail.chat(att.session, actor=actor, text=message.text, at=entry["at"])
        if len(room.chat) > MAX_CHAT_HISTORY:
            dropped = room.chat.pop(0)
            room.chat_ids.discard((dropped["from"], dropped["id"]))
        self._broadcast(room, m.encode_chat(entry))

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
            if att.role == "agent" and att.session.control is not Control.VIEW:
                att.session.control = Control.VIEW  # no control without a present agent
                self.trail.control(
                    att.session, actor=a.SYSTEM, action="revoke", reason="agent_left"
                )
                if room.visitor is not None:
                    room.visitor.send(m.encode_control(state=Control.VIEW))

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
        for act in room.acts.values() if room is not None else ():
            self.trail.act(session, act, ok=False, reason="unanswered")
        self.trail.ended(session, reason)
        self.downloads = {k: d for k, d in self.downloads.items() if d.session_id != session.id}
        if room is not None:
            room.buffer.clear()
            room.files.clear()
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
