"""The live side of sessions: who is connected, and carrying out what rooms decide.

The rules live in the sans-I/O room (core/room.py): the hub feeds it inputs (a
message, a connection coming or going, the time) and carries out its effects: frames
to peers, closes, audit entries, downloads, the end of a session. Sessions are kept
in a SessionStore (memory, or Redis for several nodes).

On one node (memory://) every room is here. On several (redis://, server/cluster.py)
each session's room is on its owner node; a connection to another node is forwarded
there, and what the room sends it comes back through Redis. REST calls that change a
room (join, offer, download, end) are calls to its owner. When an owner dies, the
node a participant reconnects to (or one that adopts the dead node's sessions) takes
the room over from its stored state (store/room_codec.py), and everyone starts afresh.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from redis.exceptions import RedisError

from cobrowse.config import Config
from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.masking import Pattern
from cobrowse.core.participants import PageInfo
from cobrowse.core.room import (
    Capture,
    Close,
    Deliver,
    Effect,
    Finished,
    OfferedFile,
    Record,
    Room,
    Send,
)
from cobrowse.core.session import EndReason, Session, Timeouts
from cobrowse.server.cluster import CONN_BITS, CallFailed, Cluster, Fields, decode_args
from cobrowse.server.cluster import encode_args as args
from cobrowse.server.peer import Peer
from cobrowse.store.async_memory import AsyncMemorySessionStore
from cobrowse.store.base import Grant, NewSession, SessionStore
from cobrowse.store.codec import CodecError, decode_session, encode_session
from cobrowse.store.room_codec import decode_room, encode_room, file_infos, present_roles

log = logging.getLogger("cobrowse.hub")

DOWNLOAD_TTL = 300.0
CLOSE_MOVED = 1012  # "service restart": the room moved to another node; reconnect
KEEP_MARGIN = 300.0  # room state outlives the session's longest life by this much

__all__ = ["Attachment", "Download", "Hub", "Joined", "OfferedFile", "RoomUnavailable"]


class RoomUnavailable(RuntimeError):
    """The node running a session did not answer a call in time."""


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
    owner: int | None = None  # the node whose room serves it; None: this node


@dataclass(frozen=True, slots=True)
class Joined:
    session: Session
    agent_token: str


# An operation on a room, run where the room is (server/supervision.py registers them):
# (hub, room, arguments) -> a JSON-able answer.
RoomOp = Callable[["Hub", Room, dict[str, Any]], Awaitable[dict[str, Any]]]


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
    store: SessionStore | None = None  # None: a memory store of its own
    cluster: Cluster | None = None
    # Called before an agent's connection is served here (proxy mode: this node's copy
    # of how page data looks to the agent, so the first page is shown right).
    prepare_view: Callable[[str], Awaitable[None]] = _nothing
    # Limits of a message, by role (the owner checks a forwarded one again).
    message_bytes: Callable[[m.Role], int] = lambda role: 1 << 20
    on_protocol_error: Callable[[str], None] = lambda code: None
    # Where a recorded session's captured frames go (Recorder.capture: queued, never blocks).
    capture: Callable[[str, str, bytes, float], None] | None = None
    room_ops: dict[str, RoomOp] = field(default_factory=dict)  # by name (room_call)
    rooms: dict[str, Room] = field(default_factory=dict)  # the rooms this node runs
    peers: dict[int, Peer] = field(default_factory=dict)  # by connection number
    remote: dict[int, Attachment] = field(default_factory=dict)  # rooms elsewhere
    downloads: dict[str, Download] = field(default_factory=dict)
    _conns: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _closes: set[asyncio.Task[None]] = field(default_factory=set)  # closes under way
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    # What audit entries mask in text the visitor's browser or the agent chose.
    audit_patterns: tuple[Pattern, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = AsyncMemorySessionStore(max_sessions=self.config.limits.max_sessions)
        self.audit_patterns = a.audit_patterns(self.config.masking_rules)

    @property
    def sessions(self) -> SessionStore:
        assert self.store is not None
        return self.store

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

    @property
    def _keep(self) -> float:
        return self.config.session.max_duration_seconds + KEEP_MARGIN

    def _new_conn(self) -> int:
        node = self.cluster.node if self.cluster is not None else 0
        return node << CONN_BITS | next(self._conns)

    def _open(self, session: Session) -> Room:
        return Room.open(
            session,
            buffer_bytes=self.config.limits.replay_buffer_bytes,
            audit_patterns=self.audit_patterns,
        )

    # --- REST side ------------------------------------------------------------

    async def create_session(
        self, *, site: str | None = None, browser: str | None = None, recording: bool = False
    ) -> NewSession:
        """A new session, from a widget on `site` (an origin) in `browser` (what the
        Sessions list shows until the page itself says more); `recording`: the site
        records its sessions."""
        created = await self.sessions.create(timeouts=self.timeouts, now=self.clock())
        room = self._open(dataclasses.replace(created.session))
        room.session.info = PageInfo(site=site)
        room.session.browser = browser
        room.recording = recording
        self.rooms[room.session.id] = room
        if self.cluster is not None:
            await self.cluster.claim(room.session.id, ttl=self._keep)
            await self._store_room(room)
        elif site or browser:
            await self.sessions.save(room.session)
        return created

    async def join(
        self,
        pin: str,
        *,
        agent_name: str,
        agent_key: str | None = None,
        agent_id: str | None = None,
        agent_team: str | None = None,
    ) -> Joined | None:
        """Admit an agent by PIN; None for any PIN that is not usable right now."""
        session = await self.sessions.by_pin(pin)
        # The final comparison is constant-time.
        if session is None or not hmac.compare_digest(session.pin, pin):
            return None
        where = await self._locate(session.id)
        who = {"name": agent_name, "key": agent_key, "id": agent_id, "team": agent_team}
        if isinstance(where, Room):
            return await self._join(where, pin, who)
        if where is None:
            return None
        answer = await self._call(where, session.id, b"join", args({"pin": pin, **who}))
        if not answer.get(b"a"):
            return None
        got = decode_args(answer[b"a"])
        return Joined(session=decode_session(got["session"]), agent_token=got["token"])

    async def _join(self, room: Room, pin: str, who: dict[str, Any]) -> Joined | None:
        session = room.session
        now = self.clock()
        if not hmac.compare_digest(session.pin, pin) or not session.pin_usable(now):
            return None  # expired, used, denied or ended
        session.join(
            agent_name=who["name"],
            agent_key=who["key"],
            agent_id=who.get("id"),
            agent_team=who.get("team"),
            now=now,
        )
        await self.sessions.retire_pin(session)
        await self._run(room, room.joined, store=True)
        token = await self.sessions.issue_agent_token(session)
        return Joined(session=dataclasses.replace(session), agent_token=token)

    async def offer(self, session: Session, *, name: str, type: str, data: bytes) -> OfferedFile:
        """An agent offers a file (checked by the caller): keep it, ask the visitor."""
        offered = OfferedFile(id="f_" + secrets.token_urlsafe(9), name=name, type=type, data=data)
        where = await self._locate(session.id)
        if isinstance(where, Room):
            await self._offer(where, offered)
        elif where is not None:
            head = {"id": offered.id, "name": name, "type": type}
            await self._call(where, session.id, b"offer", args(head), body=data)
        return offered

    async def _offer(self, room: Room, offered: OfferedFile) -> None:
        if self.cluster is not None:
            sid = room.session.id
            await self.cluster.save_file(sid, offered.id, offered.data, ttl=self._keep)
        await self._run(room, lambda: room.offer(offered, now=self.clock()), store=True)

    async def download(self, ticket: str) -> OfferedFile | None:
        """The file behind a download ticket, once, while its session lives."""
        session_id = ticket.partition(".")[0]
        where = await self._locate(session_id)
        if isinstance(where, Room):
            return await self._download(where, ticket)
        if where is None:
            return None
        answer = await self._call(where, session_id, b"download", args({"ticket": ticket}))
        if not answer.get(b"a"):
            return None
        head = decode_args(answer[b"a"])
        return OfferedFile(head["id"], head["name"], head["type"], bytes(answer.get(b"b", b"")))

    async def _download(self, room: Room, ticket: str) -> OfferedFile | None:
        found = self.downloads.pop(ticket, None)
        if found is None or found.expires_at <= self.clock() or not room.session.live:
            return None
        await self._run(room, lambda: room.downloaded(found.file, now=self.clock()))
        return found.file

    async def end(self, session: Session, reason: EndReason) -> None:
        where = await self._locate(session.id)
        if isinstance(where, Room):
            await self._run(where, lambda: where.end(reason, now=self.clock()))
        elif where is not None:
            await self._call(where, session.id, b"end", args({"reason": reason.value}))

    async def room_call(self, session_id: str, op: str, head: dict[str, Any]) -> dict[str, Any]:
        """Run the registered `op` on the session's room, wherever it runs; {} when the
        session is gone (RoomUnavailable when its node does not answer)."""
        where = await self._locate(session_id)
        if isinstance(where, Room):
            return await self.room_ops[op](self, where, head)
        if where is None:
            return {}
        answer = await self._call(where, session_id, b"op:" + op.encode(), args(head))
        return decode_args(answer[b"a"]) if answer.get(b"a") else {}

    async def run_room(self, room: Room, step: Callable[[], list[Effect]]) -> None:
        """Feed the room an input (for room ops) and store what it changed."""
        await self._run(room, step, store=True)

    # --- socket side ----------------------------------------------------------

    async def resolve(self, token: str) -> Grant | EndReason | None:
        """The grant of a live token, the end reason of a dead one, or None."""
        grant = await self.sessions.grant(token)
        if grant is not None:
            return grant
        tomb = await self.sessions.tombstone(token)
        return tomb.reason if tomb is not None else None

    async def attach(
        self, peer: Peer, grant: Grant, *, seq: int | None = None
    ) -> Attachment | None:
        """A connection said hello: it serves `grant.role`, resuming from `seq`."""
        where = await self._locate(grant.session_id)
        if where is None:
            return None
        if grant.role != "visitor":
            await self.prepare_view(grant.session_id)
        conn = self._new_conn()
        if isinstance(where, Room):
            if not where.session.live or not _holds(grant, where.session):
                return None
            self.peers[conn] = peer
            now = self.clock()
            await self._run(
                where,
                lambda: where.attach(grant.role, conn, seq=seq, now=now, holder=grant.holder),
                store=True,
            )
            return Attachment(session=where.session, role=grant.role, peer=peer, conn=conn)
        session = await self.sessions.get(grant.session_id)
        if session is None or not session.live or not _holds(grant, session):
            return None
        assert self.cluster is not None
        self.peers[conn] = peer
        att = Attachment(session=session, role=grant.role, peer=peer, conn=conn, owner=where)
        self.remote[conn] = att
        hello = {b"k": b"a", b"q": b"" if seq is None else b"%d" % seq}
        if grant.holder is not None:
            hello[b"h"] = grant.holder.encode()
        self.cluster.to_owner(where, {**self._about(att), **hello})
        return att

    def receive_now(
        self, att: Attachment, message: m.ClientMessage, data: str | bytes
    ) -> Awaitable[None] | None:
        """A message from a connection (`data` as it came, to forward it unparsed),
        carried out before returning when nothing in it waits (the relay's steady case:
        page events for a room on this node, nothing to store); otherwise what is left,
        to be awaited before the connection's next message."""
        if att.owner is not None:
            assert self.cluster is not None
            raw = data.encode() if isinstance(data, str) else data
            self.cluster.to_owner(att.owner, {**self._about(att), b"k": b"m", b"d": raw})
            return None
        room = self.rooms.get(att.session.id)
        if room is None:
            return None
        now = self.clock()
        if type(message) is not m.Events or (
            self.cluster is not None and self._lock(room.session.id).locked()
        ):
            return self._run(
                room,
                lambda: room.receive(att.role, message, now=now, conn=att.conn),
                store=_stores(room, message),
            )
        # Page events. Nothing is awaited between the step and its effects, so no other
        # input can come between them: the lock `_run` takes on several nodes is not
        # needed.
        info = room.session.info
        effects = room.receive(att.role, message, now=now, conn=att.conn)
        if _page_changed(room, info) and room.session.live:
            return self._stored_then(room, effects)
        if all(map(self._instant, effects)):
            for effect in effects:
                self._now(room.session.id, effect)
            return None
        return self._carry_out(room.session.id, effects)

    async def _stored_then(self, room: Room, effects: list[Effect]) -> None:
        """What `_run` does after a step that must be stored."""
        if self.cluster is None:
            await self.sessions.save(room.session)
            await self._carry_out(room.session.id, effects)
            return
        async with self._lock(room.session.id):
            await self._store_room(room)
            await self._carry_out(room.session.id, effects)

    async def detach(self, att: Attachment) -> None:
        self.peers.pop(att.conn, None)
        if att.owner is not None:
            assert self.cluster is not None
            if self.remote.pop(att.conn, None) is not None:
                self.cluster.to_owner(att.owner, {**self._about(att), b"k": b"d"})
            return
        room = self.rooms.get(att.session.id)
        if room is not None:
            now = self.clock()
            await self._run(room, lambda: room.detach(att.role, att.conn, now=now), store=True)

    def live(self, att: Attachment) -> bool:
        """Whether the connection's session goes on (as far as this node knows)."""
        return att.conn in self.peers and (att.owner is not None or att.session.live)

    async def sweep(self) -> None:
        """Deadlines: end every session that is due, take back held control."""
        now = self.clock()
        for room in list(self.rooms.values()):
            await self._run(room, partial(room.tick, now), store=None)
        await self.sessions.prune_tombstones(now=now)

    async def shutdown(self) -> None:
        if self.cluster is None:  # one process: its sessions end with it
            for room in list(self.rooms.values()):
                await self._run(room, partial(room.end, EndReason.ADMIN, now=self.clock()))
        else:  # several nodes: hand over; every participant reconnects to another
            await self._hand_over()
        if self._closes:
            await asyncio.gather(*self._closes, return_exceptions=True)

    # --- where a room is ------------------------------------------------------

    async def _locate(self, session_id: str) -> Room | int | None:
        """This node's room for the session, or the node that runs it, or None when the
        session is gone. A session whose owner is gone is taken over here."""
        room = self.rooms.get(session_id)
        if room is not None or self.cluster is None:
            return room
        lock = self._lock(session_id)
        try:
            async with lock:
                room = self.rooms.get(session_id)
                if room is not None:
                    return room
                owner = await self.cluster.claim(session_id, ttl=self._keep)
                if owner is None or owner != self.cluster.node:
                    return owner
                return await self._take_over(session_id)
        finally:  # a lock is kept only for the rooms this node runs
            if session_id not in self.rooms and not lock.locked():
                self._locks.pop(session_id, None)

    async def _take_over(self, session_id: str) -> Room | None:
        """Run a session whose owner is gone, from its stored state."""
        assert self.cluster is not None
        session = await self.sessions.get(session_id)
        if session is None or not session.live:
            await self.cluster.release(session_id)
            return None
        raw = await self.cluster.load_room(session_id)
        present: list[m.Role] = []
        room = self._open(session)
        if raw is not None:
            try:
                ids = [f.id for f in file_infos(raw)]
                files = await self.cluster.load_files(session_id, ids)
                room = decode_room(
                    raw,
                    session=session,
                    buffer_bytes=self.config.limits.replay_buffer_bytes,
                    files=files,
                    audit_patterns=self.audit_patterns,
                )
                present = present_roles(raw)
            except CodecError as exc:
                log.error("stored room unreadable: %s", exc, extra={"session_id": session_id})
        if session_id in self.rooms:  # another task of this node took it over meanwhile
            return self.rooms[session_id]
        self.rooms[session_id] = room
        log.info("session taken over", extra={"session_id": session_id})
        effects = room.taken_over(present, now=self.clock())
        await self._store_room(room)
        await self._carry_out(session_id, effects)
        # This node's connections that the old owner served reconnect, to the room here.
        for conn, att in list(self.remote.items()):
            if att.session.id == session_id:
                self._close_local(conn, CLOSE_MOVED, "moved")
        return room

    def _lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    async def _call(
        self, node: int, session_id: str, op: bytes, head: bytes, *, body: bytes = b""
    ) -> Fields:
        """Run `op` on the owner's room; RoomUnavailable when it does not answer (a
        503: the client tries again, by then another node may have taken over)."""
        assert self.cluster is not None
        fields = {b"s": session_id.encode(), b"op": op, b"a": head, b"b": body}
        try:
            return await self.cluster.call(node, fields)
        except CallFailed:
            log.warning("owner node %d did not answer", node, extra={"session_id": session_id})
            raise RoomUnavailable(f"the node running session {session_id} did not answer") from None

    # --- running a room -------------------------------------------------------

    async def _run(
        self,
        room: Room,
        step: Callable[[], list[Effect]],
        *,
        store: bool | Callable[[], bool] | None = False,
    ) -> None:
        """Feed the room one input and carry out its effects. `store`: the input may
        change what the store keeps (the session, and on several nodes the room), which
        is stored before anyone hears of it; None: only if it had effects; a function:
        if it says so after the step."""
        if self.cluster is None:  # nothing below waits for another task: no lock needed
            effects = step()
            if callable(store):
                store = store()
            if (store or (store is None and effects)) and room.session.live:
                await self.sessions.save(room.session)
            await self._carry_out(room.session.id, effects)
            return
        async with self._lock(room.session.id):
            if self.rooms.get(room.session.id) is not room:
                return  # taken over meanwhile
            effects = step()
            if callable(store):
                store = store()
            if (store or (store is None and effects)) and room.session.live:
                await self._store_room(room)
            await self._carry_out(room.session.id, effects)

    async def _store_room(self, room: Room) -> None:
        assert self.cluster is not None
        try:
            await self.sessions.save(room.session)
            await self.cluster.save_room(room.session.id, encode_room(room), ttl=self._keep)
        except (RedisError, OSError) as exc:  # the room goes on; a takeover loses more
            log.error("storing a room failed: %s", exc, extra={"session_id": room.session.id})

    # --- carrying out ---------------------------------------------------------

    def _instant(self, effect: Effect) -> bool:
        """Whether `_now` carries the effect out (nothing in it waits)."""
        if type(effect) is Send:
            return True
        if isinstance(effect, Close):  # the end's close flushes first: it waits
            return effect.code == m.CLOSE_REPLACED or not self._is_local(effect.conn)
        return isinstance(effect, (Send, Record, Capture))

    def _now(self, session_id: str, effect: Effect) -> None:
        """An effect that `_instant` accepts."""
        if type(effect) is Send:
            self._deliver(session_id, effect.conn, effect.frame, page=effect.page)
        elif isinstance(effect, Close):
            if self._is_local(effect.conn):
                # Not awaited: the old socket's flush must not hold back what follows
                # (the new connection's welcome comes first).
                self._close_local(effect.conn, effect.code, effect.reason)
            else:
                self._remote_close(effect.conn, effect.code, effect.reason)
        elif isinstance(effect, Record):
            (self.audit or _discard)(effect.entry)
        elif isinstance(effect, Capture) and self.capture is not None:
            self.capture(session_id, effect.to, effect.frame, self.clock())

    async def _carry_out(self, session_id: str, effects: Iterable[Effect]) -> None:
        finished = False
        for effect in effects:
            if self._instant(effect):
                self._now(session_id, effect)
            elif isinstance(effect, Close):  # the end: its last frames are flushed first
                peer = self.peers.pop(effect.conn, None)
                if peer is not None:
                    await peer.close(effect.code, effect.reason)
            elif isinstance(effect, Finished):
                await self._forget(session_id, effect.reason)
                finished = True
            elif isinstance(effect, Deliver):
                await self._deliver_file(session_id, effect.file)
        if finished:
            try:
                await self.on_end(session_id)
            except Exception:
                log.exception(
                    "cleaning up after a session failed", extra={"session_id": session_id}
                )

    def _is_local(self, conn: int) -> bool:
        node = self.cluster.node if self.cluster is not None else 0
        return conn >> CONN_BITS == node

    def _deliver(self, session_id: str, conn: int, frame: bytes, *, page: bool) -> None:
        if self._is_local(conn):
            peer = self.peers.get(conn)
            if peer is not None:
                peer.send(self.agent_view(session_id, frame) if page else frame)
        elif self.cluster is not None:
            fields = {b"k": b"f", b"c": b"%d" % conn, b"d": frame, b"p": b"1" if page else b""}
            fields[b"s"] = session_id.encode()
            self.cluster.to_node(conn >> CONN_BITS, fields)

    def _remote_close(self, conn: int, code: int, reason: str) -> None:
        if self.cluster is not None:
            fields = {b"k": b"c", b"c": b"%d" % conn, b"x": b"%d" % code, b"y": reason.encode()}
            self.cluster.to_node(conn >> CONN_BITS, fields)

    def _close_local(self, conn: int, code: int, reason: str) -> None:
        self.remote.pop(conn, None)
        peer = self.peers.pop(conn, None)
        if peer is not None:
            self._closing(peer.close(code, reason))

    def _closing(self, closing: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(closing)
        self._closes.add(task)
        task.add_done_callback(self._closes.discard)

    async def _deliver_file(self, session_id: str, file: OfferedFile) -> None:
        room = self.rooms.get(session_id)
        if room is None:
            return
        now = self.clock()
        self.downloads = {k: d for k, d in self.downloads.items() if d.expires_at > now}
        ticket = f"{session_id}.{secrets.token_urlsafe(24)}"
        self.downloads[ticket] = Download(session_id, file, now + DOWNLOAD_TTL)
        url = f"{self.files_url}/files/{ticket}"
        ready = room.tell("visitor", m.encode_offer_ready(file_id=file.id, url=url))
        await self._carry_out(session_id, ready)

    async def _forget(self, session_id: str, reason: EndReason) -> None:
        log.info("session ended: %s", reason, extra={"session_id": session_id})
        room = self.rooms.pop(session_id, None)
        self._locks.pop(session_id, None)
        if room is not None:
            await self.sessions.forget(room.session, now=self.clock())
            if self.cluster is not None:
                files = list(room.files)
                try:
                    await self.cluster.drop_session(session_id, files)
                except (RedisError, OSError) as exc:  # its keys expire by themselves
                    log.warning("dropping a room failed: %s", exc)
        self.downloads = {k: d for k, d in self.downloads.items() if d.session_id != session_id}

    # --- between nodes --------------------------------------------------------

    def _about(self, att: Attachment) -> Fields:
        return {
            b"s": att.session.id.encode(),
            b"c": b"%d" % att.conn,
            b"r": att.role.encode(),
        }

    async def on_input(self, fields: Fields) -> None:
        """Something for a room this node runs, from another node."""
        assert self.cluster is not None
        kind = fields.get(b"k")
        session_id = fields[b"s"].decode()
        if kind == b"x":
            await self._answer(fields, session_id)
            return
        conn = int(fields[b"c"])
        role = _ROLES.get(bytes(fields[b"r"]), "visitor")
        room = self.rooms.get(session_id)
        if room is None:  # not ours (any more), or ended: that connection goes
            if kind != b"d":
                gone = await self.sessions.get(session_id)
                live = gone is not None and gone.live
                code, why = (CLOSE_MOVED, "moved") if live else (m.CLOSE_ENDED, "session ended")
                self._remote_close(conn, code, why)
            return
        now = self.clock()
        if kind == b"a":
            if not room.session.live:
                self._remote_close(conn, m.CLOSE_ENDED, "session ended")
                return
            q = fields.get(b"q") or b""
            seq = int(q) if q else None
            holder = fields[b"h"].decode() if fields.get(b"h") else None
            await self._run(
                room, lambda: room.attach(role, conn, seq=seq, now=now, holder=holder), store=True
            )
        elif kind == b"d":
            await self._run(room, lambda: room.detach(role, conn, now=now), store=True)
        elif kind == b"m":
            current = room.conns.get(role) if role != "watcher" else None
            if current != conn and conn not in room.watcher_conns.values():
                return  # from a connection replaced meanwhile
            try:
                message = m.decode_client(fields[b"d"], max_bytes=self.message_bytes(role))
                await self._run(
                    room,
                    lambda: room.receive(role, message, now=now, conn=conn),
                    store=_stores(room, message),
                )
            except m.ProtocolError as exc:
                self.on_protocol_error(exc.error_code)
                error = m.encode_error(code=exc.error_code, message=exc.reason)
                self._deliver(session_id, conn, error, page=False)
                self._remote_close(conn, exc.code, exc.reason[:120])
                await self._run(room, lambda: room.detach(role, conn, now=now), store=True)

    async def _answer(self, fields: Fields, session_id: str) -> None:
        """A call from another node: run it on the room here, and reply."""
        assert self.cluster is not None
        room = self.rooms.get(session_id)
        op = fields.get(b"op")
        head = decode_args(fields.get(b"a"))
        reply: Fields = {b"a": b""}
        if room is not None and op == b"join":
            joined = await self._join(room, head["pin"], head)
            if joined is not None:
                got = {"session": orjson_session(joined.session), "token": joined.agent_token}
                reply = {b"a": args(got)}
        elif room is not None and op == b"offer":
            offered = OfferedFile(
                head["id"], head["name"], head["type"], bytes(fields.get(b"b", b""))
            )
            await self._offer(room, offered)
            reply = {b"a": args({"id": offered.id})}
        elif room is not None and op == b"download":
            got_file = await self._download(room, head["ticket"])
            if got_file is not None:
                info = {"id": got_file.id, "name": got_file.name, "type": got_file.type}
                reply = {b"a": args(info), b"b": got_file.data}
        elif room is not None and op == b"end":
            await self._run(room, lambda: room.end(EndReason(head["reason"]), now=self.clock()))
            reply = {b"a": args({"ok": True})}
        elif room is not None and op is not None and op.startswith(b"op:"):
            name = op[3:].decode()
            if name in self.room_ops:
                reply = {b"a": args(await self.room_ops[name](self, room, head))}
        self.cluster.reply(fields, reply)

    async def on_output(self, fields: Fields) -> None:
        """Something for a connection on this node, from the node running its room."""
        conn = int(fields[b"c"])
        kind = fields.get(b"k")
        if kind == b"f":
            peer = self.peers.get(conn)
            if peer is not None:
                frame = bytes(fields[b"d"])
                if fields.get(b"p"):
                    frame = self.agent_view(fields[b"s"].decode(), frame)
                peer.send(frame)
        elif kind == b"c":
            self._close_local(conn, int(fields[b"x"]), fields.get(b"y", b"").decode())

    async def on_nodes(self, *, dead: set[int], lost: bool) -> None:
        """The heartbeat's news: nodes that are gone, and whether this one was taken
        for gone (its key expired) and may have lost sessions."""
        assert self.cluster is not None
        if lost:
            await self._recheck()
        if not dead:
            return
        now = self.clock()
        for room in list(self.rooms.values()):  # participants on dead nodes are away
            gone: list[tuple[m.Role, int]] = [*room.conns.items()]
            gone += [("watcher", conn) for conn in room.watcher_conns.values()]
            for role, conn in gone:
                if conn >> CONN_BITS in dead:
                    await self._run(
                        room,
                        partial(room.detach, role, conn, now=now),
                        store=True,
                    )
        for att in list(self.remote.values()):  # rooms whose owner died: here, now
            if att.owner in dead:
                await self._locate(att.session.id)
        for node in dead:
            if node != self.cluster.node and await self.cluster.adopting(node):
                for session_id in await self.cluster.owned_by(node):
                    await self._locate(session_id)
                await self.cluster.buried(node)

    async def _recheck(self) -> None:
        """This node was taken for gone: keep only the rooms it still owns."""
        assert self.cluster is not None
        for session_id, room in list(self.rooms.items()):
            owner = await self.cluster.owner(session_id)
            if owner == self.cluster.node:
                continue
            if owner is None and await self.sessions.get(session_id) is None:
                # The store lost it (Redis restarted without its data): it ends here.
                await self._run(room, partial(room.end, EndReason.ADMIN, now=self.clock()))
                continue
            log.warning("session moved to node %s", owner, extra={"session_id": session_id})
            self.rooms.pop(session_id, None)
            self._locks.pop(session_id, None)
            for conn in list(room.conns.values()):
                if self._is_local(conn):
                    self._close_local(conn, CLOSE_MOVED, "moved")
                else:
                    self._remote_close(conn, CLOSE_MOVED, "moved")

    async def _hand_over(self) -> None:
        """Leaving: store every room, let go of it, and send everyone elsewhere."""
        assert self.cluster is not None
        for session_id, room in list(self.rooms.items()):
            await self._store_room(room)
            try:
                await self.cluster.release(session_id)
            except (RedisError, OSError) as exc:
                log.warning("releasing a session failed: %s", exc)
            for conn in room.conns.values():
                if not self._is_local(conn):
                    self._remote_close(conn, CLOSE_MOVED, "moved")
        self.rooms.clear()
        for conn in list(self.peers):
            self._close_local(conn, CLOSE_MOVED, "server restart")


_ROLES: dict[bytes, m.Role] = {b"visitor": "visitor", b"agent": "agent", b"watcher": "watcher"}


def _holds(grant: Grant, session: Session) -> bool:
    """Whether a token still serves: an agent's only while they are the session's agent
    (not after a hand-over); a watcher's is checked by the room (core/room.py)."""
    if grant.role != "agent" or grant.holder is None:
        return True
    return session.agent_key is not None and hmac.compare_digest(grant.holder, session.agent_key)


def _stores(room: Room, message: m.ClientMessage) -> bool | Callable[[], bool]:
    """Whether a message's effects must be stored: page data only when `_page_changed`."""
    if not isinstance(message, m.Events):
        return True
    info = room.session.info
    return lambda: _page_changed(room, info)


def _page_changed(room: Room, before: PageInfo | None) -> bool:
    """Whether page data changed what the Sessions list shows of the page (a page
    load's Meta event), since `before`: only then are its effects stored."""
    return room.session.info is not before


def orjson_session(session: Session) -> str:
    return encode_session(session).decode()
