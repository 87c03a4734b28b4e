"""The live side of sessions: who is connected, and carrying out what rooms decide.

The rules live in the sans-I/O room (core/room.py): the hub feeds it inputs (a
message, a connection coming or going, the time) and carries out its effects: frames
to peers, closes, audit entries, downloads, the end of a session.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from cobrowse.config import Config
from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.room import Close, Deliver, Effect, Finished, OfferedFile, Record, Room, Send
from cobrowse.core.session import EndReason, Session, Timeouts
from cobrowse.server.peer import Peer
from cobrowse.store.memory import Grant, MemorySessionStore, NewSession

log = logging.getLogger("cobrowse.hub")

DOWNLOAD_TTL = 300.0

__all__ = ["Attachment", "Download", "Hub", "Joined", "OfferedFile"]


@dataclass(frozen=True, slots=True)
class Download:
    session_id: str
    file: OfferedFile
    expires_at: float


@dataclass(frozen=True, slots=True)
class Attachment:
    session: Session
    role: m.Role
    peer: Peer
    conn: int


@dataclass(frozen=True, slots=True)
class Joined:
    session: Session
    agent_token: str


def _same(session_id: str, frame: bytes) -> bytes:
    return frame


async def _nothing(session_id: str) -> None:
    return None


def _discard(entry: a.AuditEntry) -> None:
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
    rooms: dict[str, Room] = field(default_factory=dict)
    peers: dict[int, Peer] = field(default_factory=dict)  # by connection number
    downloads: dict[str, Download] = field(default_factory=dict)
    _conns: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _closes: set[asyncio.Task[None]] = field(default_factory=set)  # closes under way

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
            control_hold=s.control_hold_seconds,
        )

    # --- REST side ------------------------------------------------------------

    def create_session(self) -> NewSession:
        created = self.store.create(timeouts=self.timeouts, now=self.clock())
        buffer = self.config.limits.replay_buffer_bytes
        self.rooms[created.session.id] = Room.open(created.session, buffer_bytes=buffer)
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
        self._carry_out_now(session.id, self.rooms[session.id].joined())
        return Joined(session=session, agent_token=token)

    # --- socket side ----------------------------------------------------------

    def resolve(self, token: str) -> Grant | EndReason | None:
        """The grant of a live token, the end reason of a dead one, or None."""
        grant = self.store.grant(token)
        if grant is not None:
            return grant
        tomb = self.store.tombstone(token)
        return tomb.reason if tomb is not None else None

    async def attach(
        self, peer: Peer, grant: Grant, *, seq: int | None = None
    ) -> Attachment | None:
        """A connection said hello: it serves `grant.role`, resuming from `seq`."""
        session = self.store.get(grant.session_id)
        room = self.rooms.get(grant.session_id)
        if session is None or room is None or not session.live:
            return None
        conn = next(self._conns)
        self.peers[conn] = peer
        await self._carry_out(session.id, room.attach(grant.role, conn, seq=seq, now=self.clock()))
        return Attachment(session=session, role=grant.role, peer=peer, conn=conn)

    async def receive(self, att: Attachment, message: m.ClientMessage) -> None:
        room = self.rooms.get(att.session.id)
        if room is None:
            return
        await self._carry_out(att.session.id, room.receive(att.role, message, now=self.clock()))

    def offer(self, session: Session, *, name: str, type: str, data: bytes) -> OfferedFile:
        """An agent offers a file (checked by the caller): keep it, ask the visitor."""
        offered = OfferedFile(id="f_" + secrets.token_urlsafe(9), name=name, type=type, data=data)
        self._carry_out_now(session.id, self.rooms[session.id].offer(offered, now=self.clock()))
        return offered

    def download(self, ticket: str) -> OfferedFile | None:
        """The file behind a download ticket, once, while its session lives."""
        found = self.downloads.pop(ticket, None)
        if found is None or found.expires_at <= self.clock():
            return None
        session = self.store.get(found.session_id)
        room = self.rooms.get(found.session_id)
        if session is None or room is None or not session.live:
            return None
        self._carry_out_now(session.id, room.downloaded(found.file, now=self.clock()))
        return found.file

    def detach(self, att: Attachment) -> None:
        self.peers.pop(att.conn, None)
        room = self.rooms.get(att.session.id)
        if room is not None:
            self._carry_out_now(att.session.id, room.detach(att.role, att.conn, now=self.clock()))

    async def end(self, session: Session, reason: EndReason) -> None:
        room = self.rooms.get(session.id)
        if room is not None:
            await self._carry_out(session.id, room.end(reason, now=self.clock()))

    async def sweep(self) -> None:
        """Deadlines: end every session that is due, take back held control."""
        now = self.clock()
        for room in list(self.rooms.values()):
            effects = room.tick(now)
            if effects:
                await self._carry_out(room.session.id, effects)
        self.store.prune_tombstones(now=now)

    async def shutdown(self) -> None:
        for session in self.store.live_sessions():
            await self.end(session, EndReason.ADMIN)
        if self._closes:
            await asyncio.gather(*self._closes, return_exceptions=True)

    def _closing(self, closing: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(closing)
        self._closes.add(task)
        task.add_done_callback(self._closes.discard)

    # --- carrying out ---------------------------------------------------------

    def _carry_out_now(self, session_id: str, effects: Iterable[Effect]) -> None:
        """For effects that need no waiting (sends, audit entries, downloads)."""
        for effect in effects:
            if isinstance(effect, Close | Finished):
                raise RuntimeError(f"{effect!r} needs the async path")
            self._apply(session_id, effect)

    async def _carry_out(self, session_id: str, effects: Iterable[Effect]) -> None:
        finished = False
        for effect in effects:
            if isinstance(effect, Close):
                peer = self.peers.pop(effect.conn, None)
                if peer is None:
                    continue
                if effect.code == m.CLOSE_REPLACED:
                    # Not awaited: the old socket's flush must not hold back what follows
                    # (the new connection's welcome comes before anything relayed).
                    self._closing(peer.close(effect.code, effect.reason))
                else:  # the end: its last frames are flushed before the handler returns
                    await peer.close(effect.code, effect.reason)
            elif isinstance(effect, Finished):
                self._forget(session_id, effect.reason)
                finished = True
            else:
                self._apply(session_id, effect)
        if finished:
            try:
                await self.on_end(session_id)
            except Exception:
                log.exception(
                    "cleaning up after a session failed", extra={"session_id": session_id}
                )

    def _apply(self, session_id: str, effect: Effect) -> None:
        room = self.rooms.get(session_id)
        if isinstance(effect, Send):
            peer = self.peers.get(effect.conn)
            if peer is not None:
                frame = self.agent_view(session_id, effect.frame) if effect.page else effect.frame
                peer.send(frame)
        elif isinstance(effect, Record):
            (self.audit or _discard)(effect.entry)
        elif isinstance(effect, Deliver) and room is not None:
            now = self.clock()
            self.downloads = {k: d for k, d in self.downloads.items() if d.expires_at > now}
            ticket = secrets.token_urlsafe(24)
            self.downloads[ticket] = Download(session_id, effect.file, now + DOWNLOAD_TTL)
            url = f"{self.files_url}/files/{ticket}"
            ready = room.tell("visitor", m.encode_offer_ready(file_id=effect.file.id, url=url))
            self._carry_out_now(session_id, ready)

    def _forget(self, session_id: str, reason: EndReason) -> None:
        log.info("session ended: %s", reason, extra={"session_id": session_id})
        room = self.rooms.pop(session_id, None)
        if room is not None:
            self.store.forget(room.session, now=self.clock())
        self.downloads = {k: d for k, d in self.downloads.items() if d.session_id != session_id}
