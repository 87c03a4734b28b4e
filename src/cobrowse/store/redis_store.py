"""The session registry on Redis (redis-py asyncio): several nodes share it.

Keys (P is the prefix, default "cobrowse:"; H is the SHA-256 hex of a token: a token
itself is never written to Redis, as key or value):

    P s:<id>       the session, JSON (store/codec.py)   TTL max_duration + margin
    P st:<id>      set of the session's token hashes    TTL as its session
    P pin:<pin>    the session id, claimed with SET NX   TTL pin_ttl
    P t:<H>        the grant, JSON {"s": id, "r": role}  TTL as its session (what is left)
    P tomb:<H>     tombstone, JSON {"s", "r", "at"}      TTL TOMBSTONE_SECONDS
    P live         sorted set: session id -> the Redis time (ms) its key expires;
                   its own TTL is pushed out to the latest session's

Every multi-key step is one Lua script, so it is atomic across nodes: `create`
drops expired entries from `live`, checks capacity, claims the PIN with SET NX and
writes the session, its token and its `live` entry, or changes nothing. Saving keeps
the TTL the session got at creation (SET XX KEEPTTL), so no node's clock is needed.
Keys are passed as KEYS where known; forget derives the token keys inside the script,
so on Redis Cluster use a hash-tagged prefix ("{cobrowse}:") to keep them on one slot.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cobrowse.core.messages import Role
from cobrowse.core.pin import PinSpaceExhausted, new_pin
from cobrowse.core.session import EndReason, Session, Timeouts
from cobrowse.store.base import (
    TOMBSTONE_SECONDS,
    CapacityError,
    Grant,
    NewSession,
    Tombstone,
    UnknownSession,
)
from cobrowse.store.codec import (
    decode_grant,
    decode_session,
    decode_tombstone,
    encode_grant,
    encode_session,
    encode_tombstone,
)
from cobrowse.store.redis_client import NOW_MS_LUA, ms, redis_client
from cobrowse.store.url import DEFAULT_PREFIX

# Past max_duration the server's sweep ends and forgets a session; the margin lets it
# still read the session (and write tombstones) then. Only a node that died leaves keys
# to expire by themselves.
DEFAULT_MARGIN_SECONDS = 300.0
PIN_CLAIMS = 64  # as core/pin.py: with the space half full, 64 failures are 2**-64
MGET_CHUNK = 500

_NOW_MS = NOW_MS_LUA

# KEYS: live, session, pin, token, token set
# ARGV: max_sessions, id, session json, session ttl ms, pin ttl ms, grant json, token hash
CREATE = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
if not redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[5]) then return -1 end
local ttl = tonumber(ARGV[4])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('SET', KEYS[4], ARGV[6], 'PX', ttl)
redis.call('SADD', KEYS[5], ARGV[7])
redis.call('PEXPIRE', KEYS[5], ttl)
return 1
"""
)

# KEYS: session, token, token set; ARGV: grant json, token hash
ISSUE = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
redis.call('SADD', KEYS[3], ARGV[2])
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return 1
"""

# KEYS: pin; ARGV: id
RETIRE_PIN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: pin; ARGV: prefix
BY_PIN = """
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('GET', ARGV[1] .. 's:' .. id)
"""

# KEYS: session, pin, token set, live; ARGV: id, tombstone json, tombstone ttl ms, prefix
FORGET = """
local hashes = redis.call('SMEMBERS', KEYS[3])
for _, h in ipairs(hashes) do
  redis.call('DEL', ARGV[4] .. 't:' .. h)
  redis.call('SET', ARGV[4] .. 'tomb:' .. h, ARGV[2], 'PX', ARGV[3])
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return #hashes
"""

# KEYS: live; returns the ids of sessions whose keys have not expired
LIVE_IDS = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""
)

COUNT = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
)


def token_hash(token: str) -> str:
    """What Redis knows of a token. Tokens carry 256 random bits: a plain hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class RedisSessionStore:
    def __init__(
        self,
        redis: Redis,
        *,
        max_sessions: int,
        prefix: str = DEFAULT_PREFIX,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        randbelow: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        self.redis = redis
        self.max_sessions = max_sessions
        self.prefix = prefix
        self.margin_seconds = margin_seconds
        self._randbelow = randbelow
        self._create = redis.register_script(CREATE)
        self._issue = redis.register_script(ISSUE)
        self._retire_pin = redis.register_script(RETIRE_PIN)
        self._by_pin = redis.register_script(BY_PIN)
        self._forget = redis.register_script(FORGET)
        self._live_ids = redis.register_script(LIVE_IDS)
        self._count = redis.register_script(COUNT)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        max_sessions: int,
        prefix: str = DEFAULT_PREFIX,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        timeout_seconds: float = 5.0,
        max_connections: int = 64,
        randbelow: Callable[[int], int] = secrets.randbelow,
    ) -> RedisSessionStore:
        """A store on a redis-py URL (see store/url.py for ours); connects lazily. At most
        `max_connections` commands are in flight; more wait (up to the timeout) for one."""
        redis = redis_client(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(
            redis,
            max_sessions=max_sessions,
            prefix=prefix,
            margin_seconds=margin_seconds,
            randbelow=randbelow,
        )

    # --- keys -----------------------------------------------------------------

    def _k_session(self, session_id: str) -> str:
        return f"{self.prefix}s:{session_id}"

    def _k_tokens_of(self, session_id: str) -> str:
        return f"{self.prefix}st:{session_id}"

    def _k_pin(self, pin: str) -> str:
        return f"{self.prefix}pin:{pin}"

    def _k_token(self, hashed: str) -> str:
        return f"{self.prefix}t:{hashed}"

    def _k_tomb(self, hashed: str) -> str:
        return f"{self.prefix}tomb:{hashed}"

    @property
    def _k_live(self) -> str:
        return f"{self.prefix}live"

    # --- the Protocol ---------------------------------------------------------

    async def create(self, *, timeouts: Timeouts, now: float) -> NewSession:
        ttl = ms(timeouts.max_duration + self.margin_seconds)
        pin_ttl = ms(timeouts.pin_ttl)
        collided: set[str] = set()
        for _ in range(PIN_CLAIMS):
            session = Session(
                id="s_" + secrets.token_urlsafe(12),
                pin=new_pin(collided, randbelow=self._randbelow),
                created_at=now,
                timeouts=timeouts,
            )
            token = "vt_" + secrets.token_urlsafe(32)
            hashed = token_hash(token)
            done = await self._create(
                keys=[
                    self._k_live,
                    self._k_session(session.id),
                    self._k_pin(session.pin),
                    self._k_token(hashed),
                    self._k_tokens_of(session.id),
                ],
                args=[
                    self.max_sessions,
                    session.id,
                    encode_session(session),
                    ttl,
                    pin_ttl,
                    encode_grant(Grant(session.id, "visitor")),
                    hashed,
                ],
            )
            if done == 1:
                return NewSession(session=session, visitor_token=token)
            if done == 0:
                raise CapacityError("too many live sessions")
            if done == -1:  # another session (maybe on another node) holds this PIN
                collided.add(session.pin)
        raise PinSpaceExhausted("no free PIN; too many live sessions")

    async def get(self, session_id: str) -> Session | None:
        raw = await self.redis.get(self._k_session(session_id))
        return None if raw is None else decode_session(raw)

    async def by_pin(self, pin: str) -> Session | None:
        raw = await self._by_pin(keys=[self._k_pin(pin)], args=[self.prefix])
        return None if raw is None else decode_session(raw)

    async def save(self, session: Session) -> bool:
        stored = await self.redis.set(
            self._k_session(session.id), encode_session(session), xx=True, keepttl=True
        )
        return bool(stored)

    async def retire_pin(self, session: Session) -> None:
        await self._retire_pin(keys=[self._k_pin(session.pin)], args=[session.id])

    async def issue_agent_token(self, session: Session) -> str:
        return await self._issue_token(session.id, "agent", session.agent_key)

    async def issue_watcher_token(self, session: Session, watcher_id: str) -> str:
        return await self._issue_token(session.id, "watcher", watcher_id)

    async def grant(self, token: str) -> Grant | None:
        raw = await self.redis.get(self._k_token(token_hash(token)))
        return None if raw is None else decode_grant(raw)

    async def tombstone(self, token: str) -> Tombstone | None:
        raw = await self.redis.get(self._k_tomb(token_hash(token)))
        return None if raw is None else decode_tombstone(raw)

    async def live_sessions(self) -> list[Session]:
        ids: list[bytes] = await self._live_ids(keys=[self._k_live])
        sessions: list[Session] = []
        for start in range(0, len(ids), MGET_CHUNK):
            chunk = [self._k_session(i.decode()) for i in ids[start : start + MGET_CHUNK]]
            raws = await self.redis.mget(chunk)
            sessions.extend(decode_session(raw) for raw in raws if raw is not None)
        return sessions

    async def forget(self, session: Session, *, now: float) -> None:
        tomb = Tombstone(session.id, session.end_reason or EndReason.ADMIN, now)
        await self._forget(
            keys=[
                self._k_session(session.id),
                self._k_pin(session.pin),
                self._k_tokens_of(session.id),
                self._k_live,
            ],
            args=[session.id, encode_tombstone(tomb), ms(TOMBSTONE_SECONDS), self.prefix],
        )

    async def prune_tombstones(self, *, now: float) -> None:
        """Nothing to do: tombstones expire in Redis after TOMBSTONE_SECONDS."""
        return None

    async def count(self) -> int:
        return int(await self._count(keys=[self._k_live]))

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        await self.redis.aclose()

    # --- helpers --------------------------------------------------------------

    async def _issue_token(self, session_id: str, role: Role, holder: str | None = None) -> str:
        token = ("vt_" if role == "visitor" else "at_") + secrets.token_urlsafe(32)
        hashed = token_hash(token)
        done: Any = await self._issue(
            keys=[
                self._k_session(session_id),
                self._k_token(hashed),
                self._k_tokens_of(session_id),
            ],
            args=[encode_grant(Grant(session_id, role, holder)), hashed],
        )
        if done != 1:
            raise UnknownSession(session_id)
        return token
