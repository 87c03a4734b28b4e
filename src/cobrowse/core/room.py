"""The relay's rules as a sans-I/O room: inputs in, effects out.

One room per session. It decides which message from whom is allowed in which state
(consent, control, chat, acts awaiting their results, file offers), keeps what a
resume or a late joiner needs (core/relay.py), and answers every input with a list
of effects: send a frame to a participant, close a connection, write an audit entry,
hand a file over, end the session. The server carries the effects out; nothing here
touches a socket or a clock (time comes in as `now`).

Connections are numbered by the caller (`conn`), so that a participant's old
connection closing after its new one attached changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.control import Control, ControlRefused
from cobrowse.core.masking import Pattern
from cobrowse.core.participants import MAX_NOTES, MAX_WATCHERS, Transfer, Watcher, page_info
from cobrowse.core.pin import display_pin
from cobrowse.core.relay import Outlog
from cobrowse.core.session import EndReason, InvalidTransition, Session, State

MAX_CHAT_HISTORY = 500
MAX_FILES = 20  # offered files kept per session
MAX_PENDING_ACTS = 256  # acts waiting for the visitor's act_result (for the audit)
MAX_SEEN_ACTS = 1024  # act refs remembered, so that an act resent after a drop runs once
VISITOR_LOG_BYTES = 256 * 1024  # frames kept for a visitor's resume
WATCHER_GRACE = 15.0  # a watcher whose connection stays away this long has left


@dataclass(frozen=True, slots=True)
class OfferedFile:
    id: str
    name: str
    type: str
    data: bytes


# --- effects ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send `frame` on connection `conn`. `page`: page data for the agent, which the
    server shows through the agent's view (proxy mode maps asset URLs)."""

    conn: int
    frame: bytes
    page: bool = False


@dataclass(frozen=True, slots=True)
class Close:
    """Close one connection (after what was sent to it)."""

    to: m.Role
    conn: int
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Record:
    entry: a.AuditEntry


@dataclass(frozen=True, slots=True)
class Deliver:
    """The visitor accepted a file: issue a download and send `offer_ready`."""

    file: OfferedFile


@dataclass(frozen=True, slots=True)
class Finished:
    """The session ended: forget it now (its tokens die); once its connections were
    told and closed (the effects that follow), clean up after it."""

    reason: EndReason


@dataclass(frozen=True, slots=True)
class Capture:
    """A frame that entered the agent's stream (or the agent's own guidance or act,
    to the visitor), for the session's recording (`Room.recording`)."""

    to: m.Role
    frame: bytes


Effect = Send | Close | Record | Deliver | Finished | Capture


@dataclass(slots=True)
class Room:
    session: Session
    agent_log: Outlog
    visitor_log: Outlog = field(default_factory=lambda: Outlog(max_bytes=VISITOR_LOG_BYTES))
    conns: dict[m.Role, int] = field(default_factory=dict)
    chat: list[dict[str, Any]] = field(default_factory=list)
    chat_ids: set[tuple[str, str]] = field(default_factory=set)
    chat_seq: int = 0
    files: dict[str, OfferedFile] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)  # offers the visitor has not answered
    acts: dict[str, a.PendingAct] = field(default_factory=dict)  # by ref, until act_result
    # Acts seen, by ref, with their result once known: an act sent again after a drop
    # runs once, and is answered with its result.
    seen_acts: dict[str, m.ActResult | None] = field(default_factory=dict)
    # Control survives a short drop of the agent: it is taken back at this time.
    control_hold_until: float | None = None
    # A fresh snapshot was asked for while the visitor was away: its next connection is.
    snapshot_owed: bool = False
    # What the audit entries mask in descriptions, file names and URLs (a.audit_patterns).
    audit_patterns: tuple[Pattern, ...] = a.BUILTIN_AUDIT_PATTERNS
    # Supervisors watching (Session.watchers): their connections, by watcher id, and
    # since when one is away (gone for good after WATCHER_GRACE).
    watcher_conns: dict[str, int] = field(default_factory=dict)
    watcher_away: dict[str, float] = field(default_factory=dict)
    # Private notes between the agent and the supervisors (never the visitor's).
    notes: list[dict[str, Any]] = field(default_factory=list)
    note_ids: set[tuple[str, str]] = field(default_factory=set)
    # This session is recorded (the site's setting): what the agent is sent is captured.
    recording: bool = False

    @classmethod
    def open(
        cls,
        session: Session,
        *,
        buffer_bytes: int,
        audit_patterns: tuple[Pattern, ...] = a.BUILTIN_AUDIT_PATTERNS,
    ) -> Room:
        return cls(
            session=session,
            agent_log=Outlog(max_bytes=buffer_bytes, pages=True),
            audit_patterns=audit_patterns,
        )

    # --- helpers ---------------------------------------------------------------

    def _log(self, role: m.Role) -> Outlog:
        return self.visitor_log if role == "visitor" else self.agent_log

    def tell(self, role: m.Role, frame: bytes) -> list[Effect]:
        """Number `frame` for `role` and send it (kept for a resume even while away)."""
        numbered = self._log(role).send(frame)
        sent = self._send(role, numbered)
        return [*sent, Capture(role, numbered)] if self.recording and role == "agent" else sent

    def _captured(self, frame: bytes) -> list[Effect]:
        """The agent's own guidance or act, told to the visitor, for the recording."""
        return [Capture("visitor", frame)] if self.recording else []

    def _send(self, role: m.Role, frame: bytes, *, page: bool = False) -> list[Effect]:
        """To `role`'s connection; what the agent is sent also goes to every watcher the
        visitor allowed (they see what the agent sees, under the same numbers)."""
        conn = self.conns.get(role)
        effects: list[Effect] = [] if conn is None else [Send(conn, frame, page)]
        if role == "agent" and self.watcher_conns:
            for w in self.session.watchers:
                wconn = self.watcher_conns.get(w.id)
                if wconn is not None and w.allowed:
                    effects.append(Send(wconn, frame, page))
        return effects

    def _both(self, frame: bytes) -> list[Effect]:
        return self.tell("visitor", frame) + self.tell("agent", frame)

    def _actor(self, role: str, conn: int | None = None) -> str:
        if role == "watcher":
            watcher = self._watcher_of(conn)
            return a.agent_actor(watcher.name if watcher else "supervisor")
        return a.VISITOR if role == "visitor" else a.agent_actor(self.session.agent_name)

    def present(self, role: m.Role) -> bool:
        return role in self.conns

    # --- inputs ----------------------------------------------------------------

    def joined(self) -> list[Effect]:
        """An agent entered the PIN (the session is now pending): ask the visitor."""
        s = self.session
        return self.tell("visitor", m.encode_state(state=s.state, agent_name=s.agent_name))

    def attach(
        self, role: m.Role, conn: int, *, seq: int | None, now: float, holder: str | None = None
    ) -> list[Effect]:
        """A connection said hello for `role`, resuming from `seq` if it has one
        (a watcher's `holder`: its watcher id)."""
        if role == "watcher":
            return self._attach_watcher(conn, holder or "", seq=seq)
        s = self.session
        effects: list[Effect] = []
        old = self.conns.get(role)
        self.conns[role] = conn
        if old is not None and old != conn:
            effects.append(Close(role, old, m.CLOSE_REPLACED, "replaced"))
        s.presence(role=role, connected=True, now=now)
        if role == "agent":
            self.control_hold_until = None
        log = self._log(role)
        missed = None if seq is None else log.since(seq)
        return effects + self._greet(role, conn, missed, lambda: self._state_for(role, conn))

    def _greet(
        self,
        role: m.Role,
        conn: int,
        missed: list[Any] | None,
        fresh: Callable[[], list[Effect]],
    ) -> list[Effect]:
        """Welcome, then what the connection missed (a resume) or a fresh start, then
        synced."""
        s = self.session
        log = self._log(role)
        created = s.state is State.CREATED
        welcome = m.encode_welcome(
            role=role,
            session_id=s.id,
            state=s.state,
            agent_name=s.agent_name,
            pin_display=display_pin(s.pin) if role == "visitor" and created else None,
            expires_at=s.pin_expires_at if created else None,
            seq=log.seq,
            resumed=missed is not None,
        )
        effects: list[Effect] = [Send(conn, welcome)]
        if missed is not None:
            effects.extend(Send(conn, entry.frame, entry.page) for entry in missed)
        else:
            effects.extend(fresh())
        effects.append(Send(conn, m.encode_synced(seq=log.seq)))
        return effects

    def _state_for(self, role: m.Role, conn: int, *, page: bool = True) -> list[Effect]:
        """What a connection starting afresh needs: chat, control, offers, the page."""
        s = self.session
        effects: list[Effect] = []
        if self.chat:
            effects.append(Send(conn, m.encode_chat_history(self.chat)))
        if s.state is State.ACTIVE:
            effects.append(Send(conn, m.encode_control(state=s.control)))
        if s.watchers:
            effects.append(Send(conn, self._participants_frame()))
        if role != "visitor" and self.notes:
            effects.append(Send(conn, m.encode_note_history(self.notes)))
        if role == "visitor":
            for file_id in self.unanswered:  # a new page of the visitor's asks again
                effects.append(Send(conn, self._offer_frame(self.files[file_id])))
            if self.snapshot_owed and s.state is State.ACTIVE:
                # The agent asked for a page while no visitor connection was there.
                self.snapshot_owed = False
                effects.extend(self.tell("visitor", m.encode_snapshot_request()))
        elif s.state is State.ACTIVE and page:
            effects.extend(self._page_for(conn))
        return effects

    def detach(self, role: m.Role, conn: int, *, now: float) -> list[Effect]:
        """A connection closed; nothing changes if a newer one serves the role."""
        if role == "watcher":
            watcher = self._watcher_of(conn)
            if watcher is not None:
                del self.watcher_conns[watcher.id]
                self.watcher_away[watcher.id] = now
            return []
        if self.conns.get(role) != conn:
            return []
        del self.conns[role]
        return self._away(role, now)

    def taken_over(self, present: list[m.Role], *, now: float) -> list[Effect]:
        """This room was rebuilt on another node (store/room_codec.py): who was
        connected to the old one is away from now on (grace and control hold start)."""
        effects: list[Effect] = []
        for role in present:
            if role not in self.conns:
                effects += self._away(role, now)
        return effects

    def _away(self, role: m.Role, now: float) -> list[Effect]:
        s = self.session
        if not s.live:
            return []
        s.presence(role=role, connected=False, now=now)
        if role == "agent" and s.control is not Control.VIEW:
            self.control_hold_until = now + s.timeouts.control_hold
            if s.timeouts.control_hold <= 0:
                return self._drop_control(now)
        return []

    def _drop_control(self, now: float) -> list[Effect]:
        """No control without a present agent."""
        self.control_hold_until = None
        self.session.control = Control.VIEW
        entry = a.control_entry(
            at=now, session_id=self.session.id, actor=a.SYSTEM, action="revoke", reason="agent_left"
        )
        return [Record(entry), *self._both(m.encode_control(state=Control.VIEW))]

    def tick(self, now: float) -> list[Effect]:
        """Time passed: end the session when a deadline is due, drop a held control."""
        s = self.session
        if not s.live:
            return []
        reason = s.due(now)
        if reason is not None:
            return self.end(reason, now=now)
        effects: list[Effect] = []
        for wid, since in list(self.watcher_away.items()):
            if now >= since + WATCHER_GRACE:
                effects += self.unwatch(wid, now=now, why="gone")
        t = s.transfer
        if t is not None and now >= t.until:
            s.transfer = None
            effects.append(self._people(a.Kind.TRANSFER_LAPSED, now, a.SYSTEM, to=t.to_name))
            effects += self.tell("agent", m.encode_transfer(state="lapsed", to_name=t.to_name))
        if effects:
            return effects
        if self.control_hold_until is not None and now >= self.control_hold_until:
            if s.control is not Control.VIEW and not self.present("agent"):
                return self._drop_control(now)
            self.control_hold_until = None
        return []

    def end(self, reason: EndReason, *, now: float) -> list[Effect]:
        s = self.session
        if not s.end(reason, now=now):
            return []
        effects: list[Effect] = [
            self._act_entry(act, now, ok=False, reason="unanswered") for act in self.acts.values()
        ]
        self.acts.clear()
        effects.append(
            Record(a.ended_entry(at=now, session_id=s.id, reason=reason, agent=s.agent_name))
        )
        effects.append(Finished(reason))  # its tokens die before anyone is told
        frame = m.encode_ended(reason=reason)
        for role, conn in self.conns.items():
            effects.append(Send(conn, frame))
            effects.append(Close(role, conn, m.CLOSE_NORMAL, "session ended"))
        for conn in self.watcher_conns.values():
            effects.append(Send(conn, frame))
            effects.append(Close("watcher", conn, m.CLOSE_NORMAL, "session ended"))
        self.conns.clear()
        self.watcher_conns.clear()
        self.watcher_away.clear()
        self.agent_log.clear()
        self.visitor_log.clear()
        self.files.clear()
        self.unanswered.clear()
        return effects

    def receive(
        self, role: m.Role, message: m.ClientMessage, *, now: float, conn: int | None = None
    ) -> list[Effect]:
        """A message from `role` (a watcher's: on connection `conn`); raises
        ProtocolError for one that is not allowed."""
        s = self.session
        if not s.live:
            return []
        if type(message) is m.Events and role != "watcher" and s.state is State.ACTIVE:
            return self._page_data(role, message)  # the relay's steady case, first
        if isinstance(message, m.Hello):
            raise m.bad_message("hello was already said")
        if role == "watcher":
            return self._from_watcher(conn, message, now)
        if isinstance(message, m.Note):
            _only(role, "agent", "note")
            return self._note(role, message, now, conn)
        if isinstance(message, m.WatchAnswer):
            _only(role, "visitor", "watch_answer")
            return self._watch_answer(message, now)
        if isinstance(message, m.End):
            reason = EndReason.VISITOR_STOPPED if role == "visitor" else EndReason.AGENT_LEFT
            return self.end(reason, now=now)
        if isinstance(message, m.Consent):
            return self._consent(role, message, now)
        if s.state is not State.ACTIVE:
            raise m.not_allowed(f"{message.__class__.__name__.lower()} before the visitor allows")
        if isinstance(message, m.Chat):
            return self._chat(role, message, now)
        if isinstance(message, m.ControlMsg):
            return self._control(role, message, now)
        if isinstance(message, m.Guide):
            _only(role, "agent", "guide")
            node = message.target.id if message.target else None
            entry = a.guide_entry(
                at=now, session_id=s.id, agent=s.agent_name, kind=message.kind, node=node
            )
            guide = m.encode_guide(message, agent_name=s.agent_name)
            return [Record(entry), *self.tell("visitor", guide), *self._captured(guide)]
        if isinstance(message, m.Act):
            return self._act(role, message, now)
        if isinstance(message, m.ActResult):
            return self._act_result(role, message, now)
        if isinstance(message, m.OfferAnswer):
            _only(role, "visitor", "offer_answer")
            return self._offer_answer(message, now)
        raise m.bad_message("unknown message")  # pragma: no cover - the union is closed

    def _consent(self, role: m.Role, message: m.Consent, now: float) -> list[Effect]:
        s = self.session
        _only(role, "visitor", "consent")
        if message.allow and s.state is State.ACTIVE:
            return []  # a repeated Allow changes nothing
        overdue = s.due(now)
        if overdue is not None:  # e.g. an Allow after the consent timeout
            return self.end(overdue, now=now)
        if s.state is not State.PENDING:
            raise m.not_allowed(f"no join request to answer while {s.state}")
        effects: list[Effect] = [
            Record(a.consent_entry(at=now, session_id=s.id, allow=message.allow))
        ]
        if not message.allow:
            return effects + self.end(EndReason.DENIED, now=now)
        s.consent(allow=True, now=now)
        return effects + self._both(m.encode_state(state=s.state, agent_name=s.agent_name))

    def _page_data(self, role: m.Role, message: m.Events) -> list[Effect]:
        _only(role, "visitor", "page data")
        for event in message.events:
            if event.get("type") == 4:  # a page's Meta event: what the Sessions list shows
                found = page_info(event, known=self.session.info)
                if found is not None:
                    self.session.info = found
        relayed = self.agent_log.page(message.events, message.events_json)
        effects: list[Effect] = []
        for frame in relayed.frames:
            effects.extend(self._send("agent", frame, page=True))
            if self.recording:
                effects.append(Capture("agent", frame))
        if relayed.need_snapshot:
            effects.extend(self.tell("visitor", m.encode_snapshot_request()))
        return effects

    def _chat(self, role: m.Role, message: m.Chat, now: float) -> list[Effect]:
        key = (role, message.id)
        if key in self.chat_ids:
            return []  # a resend after a reconnect: already numbered and delivered
        s = self.session
        self.chat_seq += 1
        name = s.agent_name if role == "agent" else "Visitor"
        entry = m.chat_entry(
            seq=self.chat_seq,
            id=message.id,
            sender=role,
            name=name or "Agent",
            text=message.text,
            at=now,
        )
        self.chat.append(entry)
        self.chat_ids.add(key)
        if len(self.chat) > MAX_CHAT_HISTORY:
            dropped = self.chat.pop(0)
            self.chat_ids.discard((dropped["from"], dropped["id"]))
        audit = a.chat_entry(at=now, session_id=s.id, actor=self._actor(role), text=message.text)
        return [Record(audit), *self._both(m.encode_chat(entry))]

    def _control(self, role: m.Role, message: m.ControlMsg, now: float) -> list[Effect]:
        s = self.session
        before = s.control
        try:
            state = s.apply_control(role=role, action=message.action)
        except (ControlRefused, InvalidTransition) as exc:
            if role == "visitor" and message.action in ("grant", "deny"):
                # A stale answer (the agent released meanwhile): say how things are.
                return self.tell("visitor", m.encode_control(state=s.control))
            raise m.not_allowed(str(exc)) from None
        effects: list[Effect] = []
        if state is not before:
            why = (message.reason or "button") if message.action == "revoke" else None
            entry = a.control_entry(
                at=now, session_id=s.id, actor=self._actor(role), action=message.action, reason=why
            )
            effects.append(Record(entry))
        return effects + self._both(m.encode_control(state=state))

    def _act_entry(
        self,
        act: a.PendingAct,
        now: float,
        *,
        ok: bool,
        reason: str | None,
        description: str | None = None,
    ) -> Record:
        s = self.session
        return Record(
            a.act_entry(
                at=now,
                session_id=s.id,
                agent=s.agent_name,
                act=act,
                ok=ok,
                reason=reason,
                description=description,
                patterns=self.audit_patterns,
            )
        )

    def _act(self, role: m.Role, message: m.Act, now: float) -> list[Effect]:
        _only(role, "agent", "act")
        if message.ref in self.seen_acts:  # sent again after a drop: it runs once
            known = self.seen_acts[message.ref]
            return [] if known is None else self.tell("agent", m.encode_act_result(known))
        self.seen_acts[message.ref] = None
        while len(self.seen_acts) > MAX_SEEN_ACTS:
            del self.seen_acts[next(iter(self.seen_acts))]
        node = message.target.id if message.target else None
        pending = a.pending_act(
            kind=message.kind,
            node=node,
            value=message.value,
            dx=message.dx,
            dy=message.dy,
            patterns=self.audit_patterns,
        )
        if self.session.control is not Control.CONTROL:
            # Control may have been taken back while this act was on its way.
            refused = m.ActResult(ref=message.ref, ok=False, reason="no control")
            self.seen_acts[message.ref] = refused
            return [
                *self.tell("agent", m.encode_act_result(refused)),
                self._act_entry(pending, now, ok=False, reason="no_control"),
            ]
        if not self.present("visitor"):  # between two pages, or offline: say so, never drop it
            away = m.ActResult(ref=message.ref, ok=False, reason="visitor away")
            self.seen_acts[message.ref] = away
            return [
                *self.tell("agent", m.encode_act_result(away)),
                self._act_entry(pending, now, ok=False, reason="visitor_away"),
            ]
        effects: list[Effect] = []
        self.acts[message.ref] = pending
        while len(self.acts) > MAX_PENDING_ACTS:
            ref = next(iter(self.acts))
            effects.append(self._act_entry(self.acts.pop(ref), now, ok=False, reason="unanswered"))
        act = m.encode_act(message)
        return effects + self.tell("visitor", act) + self._captured(act)

    def _act_result(self, role: m.Role, message: m.ActResult, now: float) -> list[Effect]:
        _only(role, "visitor", "act_result")
        asked = self.acts.pop(message.ref, None)
        if message.ref in self.seen_acts:
            self.seen_acts[message.ref] = replace(message, description=None)
        effects: list[Effect] = []
        if asked is not None:  # an answer to no act of this agent is not audited
            ok, why, described = message.ok, message.reason, message.description
            effects.append(self._act_entry(asked, now, ok=ok, reason=why, description=described))
        return effects + self.tell("agent", m.encode_act_result(message))

    # --- files -----------------------------------------------------------------

    def offer(self, offered: OfferedFile, *, now: float) -> list[Effect]:
        """An agent offers a file (checked by the caller): keep it, ask the visitor."""
        self.files[offered.id] = offered
        self.unanswered.append(offered.id)
        while len(self.files) > MAX_FILES:
            dropped = self.files.pop(next(iter(self.files)))
            if dropped.id in self.unanswered:
                self.unanswered.remove(dropped.id)
        return [
            *self.tell("visitor", self._offer_frame(offered)),
            self._file_entry(a.Kind.FILE_OFFERED, offered, "agent", now),
        ]

    def _file_entry(self, kind: a.Kind, f: OfferedFile, role: str, now: float) -> Record:
        return Record(
            a.file_entry(
                at=now,
                kind=kind,
                session_id=self.session.id,
                actor=self._actor(role),
                file_id=f.id,
                name=f.name,
                size=len(f.data),
                type=f.type,
                patterns=self.audit_patterns,
            )
        )

    def downloaded(self, offered: OfferedFile, *, now: float) -> list[Effect]:
        return [self._file_entry(a.Kind.FILE_DOWNLOADED, offered, "visitor", now)]

    def _offer_frame(self, offered: OfferedFile) -> bytes:
        return m.encode_offer(
            file_id=offered.id,
            name=offered.name,
            size=len(offered.data),
            type=offered.type,
            agent_name=self.session.agent_name,
        )

    def _offer_answer(self, message: m.OfferAnswer, now: float) -> list[Effect]:
        offered = self.files.get(message.file_id)
        if offered is None or offered.id not in self.unanswered:
            return []  # an answer to a file that is gone or already answered: nothing to do
        self.unanswered.remove(offered.id)
        answer = a.Kind.FILE_ACCEPTED if message.accept else a.Kind.FILE_DECLINED
        effects: list[Effect] = [
            *self.tell("agent", m.encode_offer_answer(file_id=offered.id, accept=message.accept)),
            self._file_entry(answer, offered, "visitor", now),
        ]
        if not message.accept:
            self.files.pop(offered.id, None)
            return effects
        return [*effects, Deliver(offered)]

    # --- supervision: watchers, notes, hand-overs, transfers --------------------------

    def _watcher_of(self, conn: int | None) -> Watcher | None:
        for wid, wconn in self.watcher_conns.items():
            if wconn == conn:
                return self.session.watcher(wid)
        return None

    def _participants_frame(self) -> bytes:
        ws = self.session.watchers
        return m.encode_participants(
            watching=[w.name for w in ws if w.allowed],
            asking=[(w.id, w.name) for w in ws if not w.allowed],
        )

    def _participants(self) -> list[Effect]:
        """Tell everyone who else is in the session now."""
        return self._both(self._participants_frame())

    def _people(
        self,
        kind: a.Kind,
        now: float,
        actor: str,
        *,
        target: str | None = None,
        outcome: str | None = None,
        **data: str,
    ) -> Record:
        verb = kind.value.replace(".", " ").replace("_", " ")
        detail = verb + (f": {target}" if target else "") + (f" ({outcome})" if outcome else "")
        return Record(
            a.people_entry(
                at=now,
                kind=kind,
                session_id=self.session.id,
                actor=actor,
                target=target,
                outcome=outcome,
                detail=detail,
                data=data,
            )
        )

    def watch(self, watcher: Watcher, *, ask: bool, now: float) -> list[Effect]:
        """A supervisor (checked by the caller) starts watching. `ask`: the visitor must
        allow them first; else they watch at once, announced. One watcher per person:
        watching again replaces their earlier entry (and its connection)."""
        s = self.session
        if s.state is not State.ACTIVE:
            raise InvalidTransition(f"no watching while {s.state}")
        effects: list[Effect] = []
        for old in [w for w in s.watchers if w.agent_id == watcher.agent_id]:
            effects += self._drop_watcher(old.id)
        if len(s.watchers) >= MAX_WATCHERS:
            raise InvalidTransition(f"at most {MAX_WATCHERS} supervisors watch one session")
        s.watchers = (*s.watchers, replace(watcher, allowed=not ask))
        outcome = "asked" if ask else "allowed"
        effects.append(
            self._people(a.Kind.WATCH_ASKED, now, watcher.name, outcome=outcome, watcher=watcher.id)
        )
        return effects + self._participants()

    def _drop_watcher(self, watcher_id: str) -> list[Effect]:
        s = self.session
        s.watchers = tuple(w for w in s.watchers if w.id != watcher_id)
        self.watcher_away.pop(watcher_id, None)
        conn = self.watcher_conns.pop(watcher_id, None)
        if conn is None:
            return []
        return [
            Send(conn, m.encode_ended(reason="watch_ended")),
            Close("watcher", conn, m.CLOSE_WATCH_ENDED, "watch ended"),
        ]

    def unwatch(self, watcher_id: str, *, now: float, why: str = "left") -> list[Effect]:
        """A watcher leaves (`why`: left, gone, took_over)."""
        watcher = self.session.watcher(watcher_id)
        if watcher is None:
            return []
        actor = a.SYSTEM if why == "gone" else watcher.name
        entry = self._people(a.Kind.WATCH_ENDED, now, actor, outcome=why, watcher=watcher_id)
        return [entry, *self._drop_watcher(watcher_id), *self._participants()]

    def _watch_answer(self, message: m.WatchAnswer, now: float) -> list[Effect]:
        watcher = self.session.watcher(message.watcher)
        if watcher is None or watcher.allowed:
            return []  # gone meanwhile, or answered already
        kind = a.Kind.WATCH_ALLOWED if message.allow else a.Kind.WATCH_DENIED
        entry = self._people(kind, now, a.VISITOR, target=watcher.name, watcher=watcher.id)
        if not message.allow:
            return [entry, *self._drop_watcher(watcher.id), *self._participants()]
        s = self.session
        s.watchers = tuple(replace(w, allowed=True) if w is watcher else w for w in s.watchers)
        effects: list[Effect] = [entry, *self._participants()]
        conn = self.watcher_conns.get(watcher.id)
        if conn is not None:  # waiting already: what the agent sees, from now on
            effects += self._page_for(conn)
        return effects

    def _attach_watcher(self, conn: int, watcher_id: str, *, seq: int | None) -> list[Effect]:
        s = self.session
        watcher = s.watcher(watcher_id)
        if watcher is None or s.state is not State.ACTIVE:
            return [
                Send(conn, m.encode_ended(reason="watch_ended")),
                Close("watcher", conn, m.CLOSE_WATCH_ENDED, "watch ended"),
            ]
        effects: list[Effect] = []
        old = self.watcher_conns.get(watcher_id)
        if old is not None and old != conn:
            effects.append(Close("watcher", old, m.CLOSE_REPLACED, "replaced"))
        self.watcher_conns[watcher_id] = conn
        self.watcher_away.pop(watcher_id, None)
        missed = None if seq is None or not watcher.allowed else self.agent_log.since(seq)

        def fresh() -> list[Effect]:  # what the agent's side starts with; the page once allowed
            return self._state_for("watcher", conn, page=watcher.allowed)

        return effects + self._greet("watcher", conn, missed, fresh)

    def _page_for(self, conn: int) -> list[Effect]:
        """The page as the agent has it, for a connection joining the agent's side; none
        there (dropped, or not yet): the visitor is asked for a snapshot."""
        history = self.agent_log.history()
        effects: list[Effect] = [Send(conn, frame, True) for frame in history]
        if not history and self.agent_log.want_snapshot():
            effects.extend(self.tell("visitor", m.encode_snapshot_request()))
            self.snapshot_owed = not self.present("visitor")
        return effects

    def _from_watcher(self, conn: int | None, message: m.ClientMessage, now: float) -> list[Effect]:
        watcher = self._watcher_of(conn)
        if watcher is None:
            return []  # a connection that is no watcher's any more
        if isinstance(message, m.End):
            return self.unwatch(watcher.id, now=now, why="left")
        if isinstance(message, m.Note):
            return self._note("watcher", message, now, conn)
        raise m.not_allowed(f"a watcher does not send {message.__class__.__name__.lower()}")

    def _note(self, role: m.Role, message: m.Note, now: float, conn: int | None) -> list[Effect]:
        s = self.session
        if s.state is not State.ACTIVE:
            raise m.not_allowed("notes only while the session is active")
        watcher = self._watcher_of(conn) if role == "watcher" else None
        key: tuple[str, str] = (role, message.id)
        if key in self.note_ids:
            return []  # a resend after a reconnect
        self.note_ids.add(key)
        name = watcher.name if watcher else (s.agent_name or "Agent")
        seq = (self.notes[-1]["seq"] + 1) if self.notes else 1
        entry = m.chat_entry(
            seq=seq, id=message.id, sender=role, name=name, text=message.text, at=now
        )
        self.notes.append(entry)
        if len(self.notes) > MAX_NOTES:
            dropped = self.notes.pop(0)
            self.note_ids.discard((dropped["from"], dropped["id"]))
        audit = a.people_entry(
            at=now,
            kind=a.Kind.NOTE_SENT,
            session_id=s.id,
            actor=a.agent_actor(name),
            detail=f"sent a private note of {len(message.text)} characters",
            data={"chars": len(message.text)},
        )
        return [Record(audit), *self.tell("agent", m.encode_note(entry))]

    def hand_over(
        self,
        *,
        name: str,
        key: str,
        agent_id: str,
        team: str | None,
        how: str,
        now: float,
    ) -> list[Effect]:
        """The session gets a new agent (`how`: taken_over by a supervisor, or
        transferred and accepted). The agent before is told and let go; control goes
        back to the visitor, who is told who helps them now."""
        s = self.session
        if s.state is not State.ACTIVE:
            raise InvalidTransition(f"no hand-over while {s.state}")
        before = s.agent_name or "agent"
        effects: list[Effect] = []
        if s.control is not Control.VIEW:
            s.control = Control.VIEW
            self.control_hold_until = None
            effects.append(
                Record(
                    a.control_entry(
                        at=now, session_id=s.id, actor=a.SYSTEM, action="revoke", reason=how
                    )
                )
            )
        for w in [w for w in s.watchers if w.agent_id == agent_id]:
            effects += self._drop_watcher(w.id)  # the supervisor taking over stops watching
        old = self.conns.pop("agent", None)
        handed = m.encode_handed_over(to_name=name, how=how)
        if old is not None:
            effects += [Send(old, handed), Close("agent", old, m.CLOSE_HANDED_OVER, how)]
        s.agent_name, s.agent_key, s.agent_id, s.agent_team = name, key, agent_id, team
        s.transfer = None
        s.presence(role="agent", connected=False, now=now)  # until the new agent connects
        for ref in list(self.acts):  # the old agent's acts: their answers go to nobody
            effects.append(self._act_entry(self.acts.pop(ref), now, ok=False, reason="unanswered"))
        effects.append(
            self._people(a.Kind.SESSION_HANDED_OVER, now, name, target=before, outcome=how, to=name)
        )
        effects += self.tell("visitor", handed)
        effects += self.tell("visitor", m.encode_state(state=s.state, agent_name=name))
        effects += self.tell("visitor", m.encode_control(state=s.control))
        effects += self.tell("agent", handed)  # the watchers, and the new agent's catch-up
        return effects + self._participants()

    def offer_transfer(self, transfer: Transfer, *, now: float) -> list[Effect]:
        """The agent offers the session to another agent (checked by the caller)."""
        s = self.session
        if s.state is not State.ACTIVE:
            raise InvalidTransition(f"no transfer while {s.state}")
        s.transfer = transfer
        entry = self._people(
            a.Kind.TRANSFER_OFFERED, now, transfer.from_name, target=transfer.to_name
        )
        return [
            entry,
            *self.tell("agent", m.encode_transfer(state="offered", to_name=transfer.to_name)),
        ]

    def decline_transfer(self, *, now: float) -> list[Effect]:
        t = self.session.transfer
        if t is None:
            return []
        self.session.transfer = None
        entry = self._people(a.Kind.TRANSFER_DECLINED, now, t.to_name, to=t.to_name)
        declined = m.encode_transfer(state="declined", to_name=t.to_name)
        return [entry, *self.tell("agent", declined)]


def _only(role: m.Role, wanted: str, what: str) -> None:
    if role != wanted:
        raise m.not_allowed(f"only the {wanted} sends {what}")
