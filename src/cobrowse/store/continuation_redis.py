"""The continuation point's tickets on Redis (redis-py asyncio): any node redeems a
hand-off, takes a return ticket or serves a write-back another node made.

Keys (P is the prefix, as store/redis_store.py; S a session id; H the SHA-256 hex of a
ticket, which keys and values never hold in plain; B the SHA-256 hex of a binding):

    P ct:ho:H    a hand-off ticket: [S, site origin], HANDOFF_TTL
    P ct:hos:S   set: the hashes of S's hand-off tickets (its TTL reset to
                 HANDOFF_TTL on each, so it outlives them)
    P ct:im:S    set: the site origins whose cookies came in (once per S and origin)
    P ct:rt:H    a return ticket: [S, site origin, B]
    P ct:rs:S    hash: site origin -> H of its newest return ticket
    P ct:en:H    an ended session's write-back for its return ticket: B, then the
                 WriteBack as JSON (store/continuation_store.py), RETURN_TTL_AFTER_END

Everything but the hand-off and the ended write-backs lives at most `ttl_seconds` from
its last write, which the caller sets to the session's longest life plus a margin; the
session's end removes it. Each step two nodes may race on is one command or one Lua
script: redeeming (GETDEL), claiming the import (SADD), issuing a return ticket (the
older one of its session and origin deleted), taking one (the binding's hash compared
and the key deleted together), the end (write-backs kept only for tickets still live).
A binding is compared as its hash: equal hashes of 256-bit secrets, in a comparison
whose timing tells nothing of the binding. Keys derived inside scripts need a
hash-tagged prefix ("{cobrowse}:") on Redis Cluster, as the other stores' do.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from redis.asyncio import Redis

from cobrowse.core.continuation import HANDOFF_TTL, RETURN_TTL_AFTER_END, Handoff, WriteBack
from cobrowse.store.continuation_store import decode_write_back, encode_write_back
from cobrowse.store.proxy_redis import secret_hash
from cobrowse.store.redis_client import ms, redis_client, text
from cobrowse.store.url import DEFAULT_PREFIX

# KEYS: ho, hos; ARGV: [S, origin] json, ticket hash, ms
HANDOFF = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
"""

# KEYS: im; ARGV: origin, ms
CLAIM_IMPORT = """
local n = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n
"""

# KEYS: rs, rt; ARGV: prefix, origin, ticket hash, [S, origin, B] json, ms
RETURN_TICKET = """
local old = redis.call('HGET', KEYS[1], ARGV[2])
if old then redis.call('DEL', ARGV[1] .. 'ct:rt:' .. old) end
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
"""

# KEYS: rt; ARGV: prefix, ticket hash, B
TAKE_RETURN = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
local d = cjson.decode(v)
if d[3] ~= ARGV[3] then return false end
redis.call('DEL', KEYS[1])
local rs = ARGV[1] .. 'ct:rs:' .. d[1]
if redis.call('HGET', rs, d[2]) == ARGV[2] then redis.call('HDEL', rs, d[2]) end
return v
"""

# KEYS: en; ARGV: B
TAKE_ENDED = """
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, 64) ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return string.sub(v, 65)
"""

# KEYS: rs, im, hos; ARGV: prefix, S, ms after the end, then (ticket hash, write-back json)*
ENDED = """
local p = ARGV[1] .. 'ct:'
for i = 4, #ARGV, 2 do
  local v = redis.call('GET', p .. 'rt:' .. ARGV[i])
  if v then
    local d = cjson.decode(v)
    if d[1] == ARGV[2] then
      redis.call('SET', p .. 'en:' .. ARGV[i], d[3] .. ARGV[i + 1], 'PX', ARGV[3])
      redis.call('DEL', p .. 'rt:' .. ARGV[i])
    end
  end
end
for _, h in ipairs(redis.call('HVALS', KEYS[1])) do redis.call('DEL', p .. 'rt:' .. h) end
for _, h in ipairs(redis.call('SMEMBERS', KEYS[3])) do redis.call('DEL', p .. 'ho:' .. h) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
"""


class RedisContinuationStore:
    def __init__(self, redis: Redis, *, ttl_seconds: float, prefix: str = DEFAULT_PREFIX) -> None:
        self.redis = redis
        self.ttl_ms = ms(ttl_seconds)
        self.prefix = prefix
        self._handoff = redis.register_script(HANDOFF)
        self._claim_import = redis.register_script(CLAIM_IMPORT)
        self._return_ticket = redis.register_script(RETURN_TICKET)
        self._take_return = redis.register_script(TAKE_RETURN)
        self._take_ended = redis.register_script(TAKE_ENDED)
        self._ended = redis.register_script(ENDED)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl_seconds: float,
        prefix: str = DEFAULT_PREFIX,
        timeout_seconds: float = 5.0,
        max_connections: int = 16,
    ) -> RedisContinuationStore:
        """A store on a redis-py URL (store/url.py has ours); connects lazily."""
        redis = redis_client(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(redis, ttl_seconds=ttl_seconds, prefix=prefix)

    def _k(self, name: str, key: str) -> str:
        return f"{self.prefix}ct:{name}:{key}"

    async def handoff(self, session_id: str, origin: str, *, now: float) -> str:
        ticket = secrets.token_urlsafe(32)
        hashed = secret_hash(ticket)
        await self._handoff(
            keys=[self._k("ho", hashed), self._k("hos", session_id)],
            args=[orjson.dumps([session_id, origin]), hashed, ms(HANDOFF_TTL)],
        )
        return ticket

    async def redeem(self, ticket: str, *, now: float) -> Handoff | None:
        raw = await self.redis.getdel(self._k("ho", secret_hash(ticket)))
        if raw is None:
            return None
        session_id, origin = orjson.loads(raw)
        return Handoff(session_id, origin)

    async def claim_import(self, handoff: Handoff) -> bool:
        added = await self._claim_import(
            keys=[self._k("im", handoff.session_id)], args=[handoff.origin, self.ttl_ms]
        )
        return int(added) == 1

    async def return_ticket(self, handoff: Handoff) -> tuple[str, str]:
        ticket, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        hashed = secret_hash(ticket)
        value = orjson.dumps([handoff.session_id, handoff.origin, secret_hash(binding)])
        await self._return_ticket(
            keys=[self._k("rs", handoff.session_id), self._k("rt", hashed)],
            args=[self.prefix, handoff.origin, hashed, value, self.ttl_ms],
        )
        return ticket, binding

    async def take_return(self, ticket: str, binding: str) -> Handoff | None:
        hashed = secret_hash(ticket)
        raw = await self._take_return(
            keys=[self._k("rt", hashed)], args=[self.prefix, hashed, secret_hash(binding)]
        )
        if not raw:
            return None
        session_id, origin, _ = orjson.loads(raw)
        return Handoff(session_id, origin)

    async def take_ended(self, ticket: str, binding: str, *, now: float) -> WriteBack | None:
        raw = await self._take_ended(
            keys=[self._k("en", secret_hash(ticket))], args=[secret_hash(binding)]
        )
        return decode_write_back(raw) if raw else None

    async def returns_of(self, session_id: str) -> list[tuple[str, Handoff]]:
        raw: dict[Any, Any] = await self.redis.hgetall(self._k("rs", session_id))
        return [(text(h), Handoff(session_id, text(origin))) for origin, h in raw.items()]

    async def ended(self, session_id: str, results: dict[str, WriteBack], *, now: float) -> None:
        args: list[Any] = [self.prefix, session_id, ms(RETURN_TTL_AFTER_END)]
        for hashed, result in results.items():
            args += [hashed, encode_write_back(result)]
        s = session_id
        await self._ended(keys=[self._k("rs", s), self._k("im", s), self._k("hos", s)], args=args)

    async def close(self) -> None:
        await self.redis.aclose()
