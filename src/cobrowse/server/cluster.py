"""Nodes on one Redis: who owns which session, and the relay between nodes.

Each live session is run by one node, its owner (its room is in that node's memory,
core/room.py); a participant may be connected to any node. A node that holds a
connection whose room is elsewhere forwards what the connection says to the owner's
input stream, and the owner answers into the output stream of the connection's node:

    P node:<n>        this node is alive (PX node_timeout, refreshed 4 times per timeout)
    P nodes           sorted set of the nodes seen, by last heartbeat (Redis time, ms)
    P nodes:next      the counter that numbers nodes (a node's number is never reused)
    P own:<id>        the number of the node that owns the session (PX as the session)
    P owned:<n>       set of the sessions node n claimed (for adopting them if n dies)
    P room:<id>       the room's state without the page (store/room_codec.py)
    P file:<id>:<f>   the bytes of a file offered in the session
    P in:<n>          stream: inputs for the rooms node n owns (attach, message, detach,
                      calls: join, offer, download, end)
    P out:<n>         stream: frames and closes for node n's connections, call replies

Streams are read with XREAD by the one node they belong to, which trims what it has
read (XTRIM MINID); their entries carry the session id, and ownership is checked
before acting. Frames leave in order: every XADD of a node goes through one queue
that one task flushes as a pipeline.

A thread refreshes `node:<n>` (so an event loop busy under load does not make the node
look gone), as long as the loop turns; a loop stuck for LOOP_STALL_LIMIT lets it go.
Ownership moves only from a node that is gone (its `node:` key expired): a claim is
one Lua script, so when two nodes try, one wins. A node that finds its own key gone
(paused past the timeout, or Redis restarted) may have lost sessions, and checks each.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cobrowse.store.redis_client import NOW_MS_LUA, redis_client, text

log = logging.getLogger("cobrowse.cluster")

CONN_BITS = 32  # a connection's number: node << CONN_BITS | its number on the node
STREAM_CAP = 200_000  # entries a stream may hold when its reader is gone (approximate)
CALL_TIMEOUT = 5.0
CLIENT_CONNECTIONS = 32  # each of a node's two clients (writes and calls; reads)
READ_COUNT = 512
MAX_QUEUED = 100_000  # messages waiting for Redis
TRIM_EVERY = 0.2  # seconds between trims of what a node read from its streams
TRIM = b"trim"  # a queued trim of a stream, not a message
LOOP_STALL_LIMIT = 10.0  # seconds without a turn of the loop: the heartbeat stops

Fields = dict[bytes, bytes]

# KEYS: node, nodes. ARGV: node number, ttl ms. Says this node is alive; returns 1 when
# its key had expired (others may have taken its sessions over).
_ALIVE = (
    NOW_MS_LUA
    + """
local lost = 0
if not redis.call('SET', KEYS[1], '1', 'XX', 'PX', ARGV[2]) then
  lost = 1
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
return lost
"""
)

# KEYS: nodes. ARGV: prefix. The nodes seen whose key is gone.
_DEAD = """
local dead = {}
for _, n in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('EXISTS', ARGV[1] .. 'node:' .. n) == 0 then table.insert(dead, n) end
end
return dead
"""

# KEYS: own, session. ARGV: this node, ttl ms, prefix, session id.
# The owner after the claim: this node when the session had none, or one that is gone;
# false when the session is not in the store.
_CLAIM = """
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. 'node:' .. cur) == 1 then
  return cur
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', ARGV[3] .. 'owned:' .. ARGV[1], ARGV[4])
if cur and cur ~= ARGV[1] then redis.call('SREM', ARGV[3] .. 'owned:' .. cur, ARGV[4]) end
return ARGV[1]
"""

# KEYS: own. ARGV: this node, prefix, session id. Let go of a session this node owns.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', ARGV[2] .. 'owned:' .. ARGV[1], ARGV[3])
return 1
"""


class Handler(Protocol):
    """The hub, as the cluster calls it (from its reader and heartbeat tasks)."""

    async def on_input(self, fields: Fields) -> None: ...

    async def on_output(self, fields: Fields) -> None: ...

    async def on_nodes(self, *, dead: set[int], lost: bool) -> None: ...


class CallFailed(RuntimeError):
    """A call to the owner of a session got no answer (the owner is gone or slow)."""


@dataclass(slots=True)
class Cluster:
    redis: Redis
    reader: Redis  # its own connections: XREAD BLOCK holds one
    prefix: str
    node_timeout: float = 1.0
    url: str = ""  # for the heartbeat thread's own client
    node: int = 0
    handler: Handler | None = None
    _queue: list[tuple[str, Fields]] = field(default_factory=list)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _flushed: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _calls: dict[str, asyncio.Future[Fields]] = field(default_factory=dict)
    _call_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _stopping: bool = False
    _scripts: dict[str, Any] = field(default_factory=dict)
    # The heartbeat runs in a thread, so a busy event loop does not make the node look
    # dead (its sessions would move away under load); the loop ticks `_loop_tick`, and a
    # loop silent for LOOP_STALL_LIMIT stops the heartbeat (a hung node does die).
    _loop_tick: float = 0.0
    _lost: bool = False
    _beating: threading.Event = field(default_factory=threading.Event)
    _heart: threading.Thread | None = None

    @classmethod
    def from_url(cls, url: str, *, prefix: str, node_timeout: float) -> Cluster:
        def client() -> Redis:
            return redis_client(url, timeout_seconds=5.0, max_connections=CLIENT_CONNECTIONS)

        return cls(
            redis=client(), reader=client(), prefix=prefix, node_timeout=node_timeout, url=url
        )

    # --- keys --------------------------------------------------------------------

    def k(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def node_of(self, conn: int) -> int:
        return conn >> CONN_BITS

    # --- life --------------------------------------------------------------------

    async def start(self, handler: Handler) -> None:
        self.handler = handler
        self._scripts = {
            name: self.redis.register_script(src)
            for name, src in (
                ("alive", _ALIVE),
                ("dead", _DEAD),
                ("claim", _CLAIM),
                ("release", _RELEASE),
            )
        }
        self.node = int(await self.redis.incr(self.k("nodes", "next")))
        await self._scripts["alive"](keys=self._alive_keys(), args=self._alive_args())
        self._loop_tick = time.monotonic()
        self._heart = threading.Thread(target=self._beat_forever, name="heartbeat", daemon=True)
        self._heart.start()
        loop = asyncio.get_running_loop()
        for work in (self._read_forever(), self._flush_forever(), self._watch_forever()):
            self._tasks.append(loop.create_task(work))
        log.info("node %d joined", self.node)

    async def stop(self) -> None:
        """Leave: flush what is queued, stop reading, and say this node is gone."""
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            await asyncio.wait_for(self.flush(), timeout=2.0)
        self._stopping = True
        self._beating.set()
        if self._heart is not None:
            await asyncio.to_thread(self._heart.join, 5.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(RedisError, OSError):
            pipe = self.redis.pipeline(transaction=False)
            pipe.delete(
                self.k("node", self.node), self.k("in", self.node), self.k("out", self.node)
            )
            pipe.zrem(self.k("nodes"), self.node)
            await pipe.execute()
        for call in self._calls.values():
            call.cancel()
        await self.redis.aclose()
        await self.reader.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    # --- ownership ---------------------------------------------------------------

    async def claim(self, session_id: str, *, ttl: float) -> int | None:
        """Own the session unless a live node does; the owner after, or None when the
        session is not in the store."""
        got = await self._scripts["claim"](
            keys=[self.k("own", session_id), self.k("s", session_id)],
            args=[self.node, int(ttl * 1000), self.prefix, session_id],
        )
        return None if got is None else int(got)

    async def owner(self, session_id: str) -> int | None:
        got = await self.redis.get(self.k("own", session_id))
        return None if got is None else int(got)

    async def release(self, session_id: str) -> None:
        await self._scripts["release"](
            keys=[self.k("own", session_id)], args=[self.node, self.prefix, session_id]
        )

    async def owned_by(self, node: int) -> list[str]:
        return [text(s) for s in await self.redis.smembers(self.k("owned", node))]

    async def adopting(self, node: int) -> bool:
        """Whether this node takes up the sessions of a dead node (one node does)."""
        return bool(await self.redis.set(self.k("adopt", node), self.node, nx=True, px=10_000))

    async def buried(self, node: int) -> None:
        """A dead node's sessions were adopted: drop what is left of it."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(self.k("owned", node), self.k("in", node), self.k("out", node))
        pipe.zrem(self.k("nodes"), node)
        await pipe.execute()

    # --- room state --------------------------------------------------------------

    async def save_room(self, session_id: str, raw: bytes, *, ttl: float) -> None:
        await self.redis.set(self.k("room", session_id), raw, px=int(ttl * 1000))

    async def load_room(self, session_id: str) -> bytes | None:
        raw = await self.redis.get(self.k("room", session_id))
        return None if raw is None else _bytes(raw)

    async def save_file(self, session_id: str, file_id: str, data: bytes, *, ttl: float) -> None:
        await self.redis.set(self.k("file", session_id, file_id), data, px=int(ttl * 1000))

    async def load_files(self, session_id: str, ids: Iterable[str]) -> dict[str, bytes]:
        wanted = list(ids)
        if not wanted:
            return {}
        got = await self.redis.mget([self.k("file", session_id, f) for f in wanted])
        return {f: _bytes(d) for f, d in zip(wanted, got, strict=True) if d is not None}

    async def drop_session(self, session_id: str, file_ids: Iterable[str]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(self.k("room", session_id), *(self.k("file", session_id, f) for f in file_ids))
        pipe.eval(_RELEASE, 1, self.k("own", session_id), self.node, self.prefix, session_id)
        await pipe.execute()

    # --- messages ----------------------------------------------------------------

    def to_owner(self, node: int, fields: Fields) -> None:
        self._send(self.k("in", node), fields)

    def to_node(self, node: int, fields: Fields) -> None:
        self._send(self.k("out", node), fields)

    async def call(self, node: int, fields: Fields, *, timeout: float = CALL_TIMEOUT) -> Fields:
        """Ask the owner `node` to run an operation; its reply, or CallFailed."""
        call_id = f"{self.node}.{next(self._call_ids)}"
        answer: asyncio.Future[Fields] = asyncio.get_running_loop().create_future()
        self._calls[call_id] = answer
        try:
            self.to_owner(
                node, {**fields, b"k": b"x", b"i": call_id.encode(), b"f": b"%d" % self.node}
            )
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise CallFailed(f"node {node} did not answer") from None
        finally:
            self._calls.pop(call_id, None)

    def reply(self, to: Fields, fields: Fields) -> None:
        self.to_node(int(to[b"f"]), {**fields, b"k": b"r", b"i": to[b"i"]})

    async def flush(self) -> None:
        """Wait until everything queued so far is written to Redis."""
        while self._queue:
            self._flushed.clear()
            self._wake.set()
            await self._flushed.wait()

    def _send(self, key: str, fields: Fields) -> None:
        if len(self._queue) >= MAX_QUEUED:  # Redis is away: the oldest go (participants
            del self._queue[0]  # start afresh after their reconnect anyway)
            log.error("relay queue full: a message between nodes was dropped")
        self._queue.append((key, fields))
        self._wake.set()

    # --- tasks -------------------------------------------------------------------

    async def _flush_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(0)  # what the other ready tasks send goes in the same batch
            while self._queue:
                batch, self._queue = self._queue, []
                await _retrying("relaying", lambda: self._write(batch))  # noqa: B023
            self._flushed.set()

    async def _write(self, batch: list[tuple[str, Fields]]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for key, fields in batch:
            if fields.get(b"k") == TRIM:
                pipe.xtrim(key, minid=fields[b"minid"].decode())
            else:
                pipe.xadd(key, fields, maxlen=STREAM_CAP, approximate=True)  # type: ignore[arg-type]
        await pipe.execute(raise_on_error=False)

    def _send_trim(self, key: str, minid: str) -> None:
        self._queue.append((key, {b"k": TRIM, b"minid": minid.encode()}))
        self._wake.set()

    async def _read_forever(self) -> None:
        streams = {self.k("in", self.node): "0-0", self.k("out", self.node): "0-0"}
        inbox = self.k("in", self.node)
        trimmed = 0.0
        assert self.handler is not None
        while True:
            got = await _retrying(
                "reading the streams",
                lambda: self.reader.xread(streams, count=READ_COUNT, block=1000),  # type: ignore[arg-type]
            )
            for key, entries in got or []:
                name = key.decode() if isinstance(key, bytes) else key
                for entry_id, fields in entries:
                    streams[name] = entry_id
                    try:
                        if name == inbox:
                            await self.handler.on_input(fields)
                        elif fields.get(b"k") == b"r":
                            self._answered(fields)
                        else:
                            await self.handler.on_output(fields)
                    except Exception:
                        log.exception("a relayed message failed (%r)", fields.get(b"k"))
            now = time.monotonic()
            if now - trimmed >= TRIM_EVERY:  # what was read goes, a few times a second
                trimmed = now
                for name, last in streams.items():
                    if last != "0-0":
                        ms, _, seq = text(last).partition("-")
                        self._send_trim(name, f"{ms}-{int(seq) + 1}")

    def _answered(self, fields: Fields) -> None:
        answer = self._calls.get(fields.get(b"i", b"").decode())
        if answer is not None and not answer.done():
            answer.set_result(fields)

    def _alive_keys(self) -> list[str]:
        return [self.k("node", self.node), self.k("nodes")]

    def _alive_args(self) -> list[int]:
        return [self.node, int(self.node_timeout * 1000)]

    def _beat_forever(self) -> None:
        """The heartbeat thread: say this node is alive while its loop turns."""
        client = SyncRedis.from_url(self.url, socket_timeout=2.0, socket_connect_timeout=2.0)
        alive = client.register_script(_ALIVE)
        try:
            while not self._beating.wait(self.node_timeout / 4):
                if time.monotonic() - self._loop_tick > LOOP_STALL_LIMIT:
                    continue  # the loop is hung: let this node be taken for gone
                try:
                    if alive(keys=self._alive_keys(), args=self._alive_args()):
                        self._lost = True
                except (RedisError, OSError) as exc:
                    log.warning("heartbeat failed: %s", exc)
        finally:
            client.close()

    async def _watch_forever(self) -> None:
        """The loop's side: tick, and act on nodes gone (and on having been taken for
        gone)."""
        assert self.handler is not None
        while True:
            await asyncio.sleep(self.node_timeout / 4)
            self._loop_tick = time.monotonic()
            try:
                dead = {
                    int(n)
                    for n in await self._scripts["dead"](keys=[self.k("nodes")], args=[self.prefix])
                }
            except (RedisError, OSError) as exc:
                log.warning("reading the nodes failed: %s", exc)
                continue
            lost, self._lost = self._lost, False
            if lost:
                log.warning("node %d: its key had expired; checking its sessions", self.node)
            try:
                await self.handler.on_nodes(dead=dead, lost=lost)
            except Exception:
                log.exception("handling the nodes' state failed")


async def _retrying(what: str, step: Callable[[], Awaitable[Any]]) -> Any:
    """Run `step` until it works: Redis may restart; nothing queued is dropped."""
    delay = 0.05
    while True:
        try:
            return await step()
        except (RedisError, OSError) as exc:
            log.warning("%s failed, retrying: %s", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def encode_args(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data)


def decode_args(raw: bytes | None) -> Any:
    return None if not raw else orjson.loads(raw)
