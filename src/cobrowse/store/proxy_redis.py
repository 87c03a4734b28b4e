"""The proxy's state on Redis (redis-py asyncio): any node serves any proxied request.

Keys (P is the prefix, as store/redis_store.py; S a session id; H the SHA-256 hex of
a ticket, credential or token, which keys never hold in plain):

    P px:end:S     the session's deadline marker, SET NX with the TTL on its first write;
                   every other key of S is given what is left of it (PEXPIRE to its
                   PTTL), so all of a session's proxy state expires together
    P px:h:S       hash: upstream origin -> [label, other]
    P px:n:S       how many other labels S has
    P px:l:LABEL   [S, upstream origin, other], claimed with SET NX
    P px:tk:H      ticket -> S, 60 s;  P px:tks:S  set of S's ticket hashes
    P px:cr:S      "credential H";     P px:crh:H  credential -> S
    P px:at:S      "token H";          P px:ath:H  asset token -> S
    P px:a:S       hash: "b" key -> body, "t" key -> content type (key: label NUL path)
    P px:ao:S      sorted set: key -> insertion number (oldest evicted first)
    P px:am:S      hash: size (real bytes of the bodies), seq
    P px:ik:S      the key of S's opaque asset ids (hex), SET NX
    P px:iu:S      hash: opaque asset id -> upstream URL (HSETNX)
    P px:po:S      the origin of the page under the overlay
    P px:rd:S      redirects in a row
    P px:c:S       hash: cookie identity [domain, path, name] -> the cookie
    P px:cb:S      hash: site host -> the jar right after the hand-off
    P px:cd:S      list: the deletions the site made, oldest first
    P px:cg:S      set: "host TAB name" copied in from a Cookie header (guesses)

Cookies are hash fields, one per identity (domain, path, name), rather than one
versioned value with a compare-and-retry: a response changes a few cookies, and two
responses on two nodes nearly always change different ones. Per-field HSET/HDEL merges
those without a retry or a lost cookie; when both change the same identity the last
write wins, as in a browser that gets two responses. Deletions are appended (RPUSH),
guesses added and removed per member; one script applies a request's changes.

Every step that two nodes may race on is one Lua script: claiming a label (the
other-origin limit counted there), redeeming a ticket (GETDEL, then the session's one
credential made once), the asset token, adding an asset and evicting down to the
bound, the jar update, forget. Keys derived inside scripts (forget, redeem) need a
hash-tagged prefix ("{cobrowse}:") on Redis Cluster, as the session store's do.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import orjson
from redis.asyncio import Redis

from cobrowse.core.proxy_hosts import TICKET_TTL, Target, new_label
from cobrowse.store.proxy_store import (
    MAX_ASSET_BYTES,
    Asset,
    JarChanges,
    JarState,
    cookie_key,
    decode_cookie,
    encode_cookie,
    encode_key,
)
from cobrowse.store.redis_client import ms, redis_client, text
from cobrowse.store.url import DEFAULT_PREFIX

LABEL_DRAWS = 16  # labels carry 50 random bits: a second draw is already rare

# KEYS[1] is the session's deadline marker, ARGV[1] the TTL (ms) it gets when new.
_TTL = """
redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1 end
local function keep(key) redis.call('PEXPIRE', key, ttl) end
"""

# KEYS: end, h, n, l; ARGV: ttl, origin, other (0/1), limit, label json, field json
CLAIM = (
    _TTL
    + """
local have = redis.call('HGET', KEYS[2], ARGV[2])
if have then return {2, have} end
if ARGV[3] == '1' and tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[4]) then
  return {0}
end
if not redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ttl) then return {-1} end
if ARGV[3] == '1' then redis.call('INCR', KEYS[3]); keep(KEYS[3]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[6])
keep(KEYS[2])
return {1}
"""
)

# KEYS: end, tk, tks; ARGV: ttl, session, ticket hash, ticket ms
TICKET = (
    _TTL
    + """
redis.call('SET', KEYS[2], ARGV[2], 'PX', math.min(tonumber(ARGV[4]), ttl))
redis.call('SADD', KEYS[3], ARGV[3])
keep(KEYS[3])
"""
)

# KEYS: tk; ARGV: prefix, ticket hash, new credential, its hash
REDEEM = """
local s = redis.call('GETDEL', KEYS[1])
if not s then return false end
local p = ARGV[1] .. 'px:'
local ttl = redis.call('PTTL', p .. 'end:' .. s)
if ttl < 1 then return false end
redis.call('SREM', p .. 'tks:' .. s, ARGV[2])
local cred = redis.call('GET', p .. 'cr:' .. s)
if cred then return {s, string.match(cred, '^(%S+)')} end
redis.call('SET', p .. 'cr:' .. s, ARGV[3] .. ' ' .. ARGV[4], 'PX', ttl)
redis.call('SET', p .. 'crh:' .. ARGV[4], s, 'PX', ttl)
return {s, ARGV[3]}
"""

# KEYS: end, at, ath; ARGV: ttl, token, its hash, session
ASSET_TOKEN = (
    _TTL
    + """
local have = redis.call('GET', KEYS[2])
if have then return string.match(have, '^(%S+)') end
redis.call('SET', KEYS[2], ARGV[2] .. ' ' .. ARGV[3], 'PX', ttl)
redis.call('SET', KEYS[3], ARGV[4], 'PX', ttl)
return ARGV[2]
"""
)

# KEYS: end, a, ao, am; ARGV: ttl, key, content type, body, max bytes
PUT_ASSET = (
    _TTL
    + """
local b, t = 'b' .. ARGV[2], 't' .. ARGV[2]
if redis.call('HEXISTS', KEYS[2], b) == 1 then
  redis.call('HINCRBY', KEYS[4], 'size', -redis.call('HSTRLEN', KEYS[2], b))
end
redis.call('HSET', KEYS[2], b, ARGV[4], t, ARGV[3])
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[4], 'seq', 1), ARGV[2])
local size = redis.call('HINCRBY', KEYS[4], 'size', #ARGV[4])
local max = tonumber(ARGV[5])
while size > max do
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not oldest then break end
  local n = redis.call('HSTRLEN', KEYS[2], 'b' .. oldest)
  redis.call('HDEL', KEYS[2], 'b' .. oldest, 't' .. oldest)
  redis.call('ZREM', KEYS[3], oldest)
  size = redis.call('HINCRBY', KEYS[4], 'size', -n)
end
keep(KEYS[2]); keep(KEYS[3]); keep(KEYS[4])
"""
)

# KEYS: end, ik, iu; ARGV: ttl, a new key (hex)
ASSET_ID_KEY = (
    _TTL
    + """
local key = redis.call('GET', KEYS[2])
if not key then
  key = ARGV[2]
  redis.call('SET', KEYS[2], key, 'PX', ttl)
end
return {key, redis.call('HLEN', KEYS[3])}
"""
)

# KEYS: end, iu; ARGV: ttl, id, url, id, url, ...
PUT_ASSET_IDS = (
    _TTL
    + """
for i = 2, #ARGV, 2 do redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) end
keep(KEYS[2])
"""
)

# KEYS: end, key; ARGV: ttl, value
SET_VALUE = (
    _TTL
    + """
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
"""
)

# KEYS: end, rd; ARGV: ttl
REDIRECTED = (
    _TTL
    + """
local n = redis.call('INCR', KEYS[2])
keep(KEYS[2])
return n
"""
)

# KEYS: end, c, cb, cd, cg; ARGV: ttl, changes json
UPDATE_JAR = (
    _TTL
    + """
local d = cjson.decode(ARGV[2])
for _, f in ipairs(d.removed) do redis.call('HDEL', KEYS[2], f) end
for _, kv in ipairs(d.put) do redis.call('HSET', KEYS[2], kv[1], kv[2]) end
for _, kv in ipairs(d.base) do redis.call('HSET', KEYS[3], kv[1], kv[2]) end
for _, v in ipairs(d.deleted) do redis.call('RPUSH', KEYS[4], v) end
for _, g in ipairs(d.unguessed) do redis.call('SREM', KEYS[5], g) end
for _, g in ipairs(d.guessed) do redis.call('SADD', KEYS[5], g) end
keep(KEYS[2]); keep(KEYS[3]); keep(KEYS[4]); keep(KEYS[5])
"""
)

# Every P px:<name>:S key; FORGET reads h, tks, cr and at by position.
_SESSION_KEYS = (
    "end",
    "h",
    "n",
    "tks",
    "cr",
    "at",
    "a",
    "ao",
    "am",
    "ik",
    "iu",
    "po",
    "rd",
    "c",
    "cb",
    "cd",
    "cg",
)

# KEYS: the session's keys (_SESSION_KEYS order); ARGV: prefix
FORGET = """
local p = ARGV[1] .. 'px:'
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do
  redis.call('DEL', p .. 'l:' .. cjson.decode(v)[1])
end
for _, h in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('DEL', p .. 'tk:' .. h) end
local cred = redis.call('GET', KEYS[5])
if cred then redis.call('DEL', p .. 'crh:' .. string.match(cred, '(%S+)$')) end
local token = redis.call('GET', KEYS[6])
if token then redis.call('DEL', p .. 'ath:' .. string.match(token, '(%S+)$')) end
return redis.call('DEL', unpack(KEYS))
"""


def secret_hash(secret: str) -> str:
    """What Redis knows of a ticket, credential or token (each 144+ random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class RedisProxyStore:
    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: float,
        asset_cache_bytes: int,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self.redis = redis
        self.ttl_ms = ms(ttl_seconds)
        self.asset_cache_bytes = asset_cache_bytes
        self.prefix = prefix
        self._claim = redis.register_script(CLAIM)
        self._ticket = redis.register_script(TICKET)
        self._redeem = redis.register_script(REDEEM)
        self._asset_token = redis.register_script(ASSET_TOKEN)
        self._put_asset = redis.register_script(PUT_ASSET)
        self._asset_id_key = redis.register_script(ASSET_ID_KEY)
        self._put_asset_ids = redis.register_script(PUT_ASSET_IDS)
        self._set_value = redis.register_script(SET_VALUE)
        self._redirected = redis.register_script(REDIRECTED)
        self._update_jar = redis.register_script(UPDATE_JAR)
        self._forget = redis.register_script(FORGET)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl_seconds: float,
        asset_cache_bytes: int,
        prefix: str = DEFAULT_PREFIX,
        timeout_seconds: float = 5.0,
        max_connections: int = 64,
    ) -> RedisProxyStore:
        """A store on a redis-py URL (store/url.py has ours); connects lazily."""
        redis = redis_client(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(
            redis,
            ttl_seconds=ttl_seconds,
            asset_cache_bytes=asset_cache_bytes,
            prefix=prefix,
        )

    def _k(self, name: str, key: str) -> str:
        return f"{self.prefix}px:{name}:{key}"

    # --- hosts --------------------------------------------------------------------

    async def targets(self, session_id: str) -> dict[str, Target]:
        raw: dict[Any, Any] = await self.redis.hgetall(self._k("h", session_id))
        out: dict[str, Target] = {}
        for origin, value in raw.items():
            label, other = orjson.loads(value)
            out[text(origin)] = Target(session_id, text(origin), label, other)
        return out

    async def target(self, label: str) -> Target | None:
        raw = await self.redis.get(self._k("l", label))
        if raw is None:
            return None
        session_id, origin, other = orjson.loads(raw)
        return Target(session_id, origin, label, other)

    async def claim(self, proposed: list[Target], *, limit: int) -> dict[str, Target]:
        out: dict[str, Target] = {}
        for target in proposed:
            claimed = await self._claim_one(target, limit=limit)
            if claimed is not None:
                out[target.upstream_origin] = claimed
        return out

    async def _claim_one(self, target: Target, *, limit: int) -> Target | None:
        s, origin, label = target.session_id, target.upstream_origin, target.label
        for _ in range(LABEL_DRAWS):
            done: list[Any] = await self._claim(
                keys=[self._k("end", s), self._k("h", s), self._k("n", s), self._k("l", label)],
                args=[
                    self.ttl_ms,
                    origin,
                    int(target.other),
                    limit,
                    orjson.dumps([s, origin, target.other]),
                    orjson.dumps([label, target.other]),
                ],
            )
            if done[0] == 1:
                return Target(s, origin, label, target.other)
            if done[0] == 2:
                held, other = orjson.loads(done[1])
                return Target(s, origin, held, other)
            if done[0] == 0:
                return None
            label = new_label()  # another target holds this label
        raise RuntimeError("no free proxy label")

    # --- access -------------------------------------------------------------------

    async def ticket(self, session_id: str, *, now: float) -> str:
        ticket = secrets.token_urlsafe(24)
        hashed = secret_hash(ticket)
        await self._ticket(
            keys=[self._k("end", session_id), self._k("tk", hashed), self._k("tks", session_id)],
            args=[self.ttl_ms, session_id, hashed, ms(TICKET_TTL)],
        )
        return ticket

    async def redeem(self, ticket: str, *, now: float) -> tuple[str, str] | None:
        hashed = secret_hash(ticket)
        credential = secrets.token_urlsafe(32)
        done: list[Any] | None = await self._redeem(
            keys=[self._k("tk", hashed)],
            args=[self.prefix, hashed, credential, secret_hash(credential)],
        )
        return None if not done else (text(done[0]), text(done[1]))

    async def session_of(self, credential: str) -> str | None:
        raw = await self.redis.get(self._k("crh", secret_hash(credential)))
        return None if raw is None else text(raw)

    # --- assets -------------------------------------------------------------------

    async def asset_token(self, session_id: str) -> str:
        token = secrets.token_urlsafe(18)
        held = await self._asset_token(
            keys=[
                self._k("end", session_id),
                self._k("at", session_id),
                self._k("ath", secret_hash(token)),
            ],
            args=[self.ttl_ms, token, secret_hash(token), session_id],
        )
        return text(held)

    async def token_of(self, session_id: str) -> str | None:
        raw = await self.redis.get(self._k("at", session_id))
        return None if raw is None else text(raw).split(" ", 1)[0]

    async def session_of_token(self, token: str) -> str | None:
        raw = await self.redis.get(self._k("ath", secret_hash(token)))
        return None if raw is None else text(raw)

    async def put_asset(self, session_id: str, label: str, path: str, asset: Asset) -> None:
        if len(asset.body) > min(MAX_ASSET_BYTES, self.asset_cache_bytes):
            return
        s = session_id
        await self._put_asset(
            keys=[self._k("end", s), self._k("a", s), self._k("ao", s), self._k("am", s)],
            args=[
                self.ttl_ms,
                f"{label}\0{path}",
                asset.content_type,
                asset.body,
                self.asset_cache_bytes,
            ],
        )

    async def asset(self, session_id: str, label: str, path: str) -> Asset | None:
        key = f"{label}\0{path}"
        body, content_type = await self.redis.hmget(self._k("a", session_id), "b" + key, "t" + key)
        if body is None or content_type is None:
            return None
        return Asset(text(content_type), body if isinstance(body, bytes) else body.encode())

    async def asset_paths(self, session_id: str, label: str) -> list[str]:
        keys = await self.redis.zrange(self._k("ao", session_id), 0, -1)
        prefix = label + "\0"
        return [key[len(prefix) :] for raw in keys if (key := text(raw)).startswith(prefix)]

    async def asset_bytes(self, session_id: str) -> int:
        """The real bytes the session's assets take (the bound's measure)."""
        raw = await self.redis.hget(self._k("am", session_id), "size")
        return 0 if raw is None else int(raw)

    # --- opaque asset URLs ---------------------------------------------------------

    async def asset_id_key(self, session_id: str) -> tuple[bytes, int]:
        s = session_id
        key, count = await self._asset_id_key(
            keys=[self._k("end", s), self._k("ik", s), self._k("iu", s)],
            args=[self.ttl_ms, secrets.token_hex(32)],
        )
        return bytes.fromhex(text(key)), int(count)

    async def put_asset_ids(self, session_id: str, ids: Mapping[str, str]) -> None:
        if not ids:
            return
        pairs = [part for ident, url in ids.items() for part in (ident, url)]
        await self._put_asset_ids(
            keys=[self._k("end", session_id), self._k("iu", session_id)],
            args=[self.ttl_ms, *pairs],
        )

    async def asset_id_url(self, session_id: str, ident: str) -> str | None:
        raw = await self.redis.hget(self._k("iu", session_id), ident)
        return None if raw is None else text(raw)

    # --- the rest -----------------------------------------------------------------

    async def set_parent_origin(self, session_id: str, origin: str) -> None:
        await self._set_value(
            keys=[self._k("end", session_id), self._k("po", session_id)],
            args=[self.ttl_ms, origin],
        )

    async def parent_origin(self, session_id: str) -> str:
        raw = await self.redis.get(self._k("po", session_id))
        return "" if raw is None else text(raw)

    async def redirected(self, session_id: str, *, redirect: bool) -> int:
        if not redirect:
            await self.reset_redirects(session_id)
            return 0
        count = await self._redirected(
            keys=[self._k("end", session_id), self._k("rd", session_id)], args=[self.ttl_ms]
        )
        return int(count)

    async def reset_redirects(self, session_id: str) -> None:
        await self.redis.delete(self._k("rd", session_id))

    async def jar(self, session_id: str) -> JarState:
        s = session_id
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hvals(self._k("c", s))
            pipe.hgetall(self._k("cb", s))
            pipe.lrange(self._k("cd", s), 0, -1)
            pipe.smembers(self._k("cg", s))
            cookies, baselines, deleted, guessed = await pipe.execute()
        return JarState(
            cookies=tuple(decode_cookie(raw) for raw in cookies),
            baselines={
                text(host): tuple(decode_cookie(c) for c in orjson.loads(raw))
                for host, raw in baselines.items()
            },
            deleted=tuple(decode_cookie(raw) for raw in deleted),
            guessed=frozenset(_guess(raw) for raw in guessed),
        )

    async def update_jar(self, session_id: str, changes: JarChanges) -> None:
        if not changes:
            return
        payload = {
            "put": [[encode_key(cookie_key(c)), encode_cookie(c).decode()] for c in changes.put],
            "removed": [encode_key(k) for k in changes.removed],
            "base": [
                [host, orjson.dumps([encode_cookie(c).decode() for c in cookies]).decode()]
                for host, cookies in changes.baselines.items()
            ],
            "deleted": [encode_cookie(c).decode() for c in changes.deleted],
            "guessed": [f"{h}\t{n}" for h, n in changes.guessed],
            "unguessed": [f"{h}\t{n}" for h, n in changes.unguessed],
        }
        s = session_id
        await self._update_jar(
            keys=[
                self._k("end", s),
                self._k("c", s),
                self._k("cb", s),
                self._k("cd", s),
                self._k("cg", s),
            ],
            args=[self.ttl_ms, orjson.dumps(payload)],
        )

    async def forget(self, session_id: str) -> None:
        await self._forget(
            keys=[self._k(name, session_id) for name in _SESSION_KEYS], args=[self.prefix]
        )

    async def close(self) -> None:
        await self.redis.aclose()


def _guess(raw: Any) -> tuple[str, str]:
    host, _, name = text(raw).partition("\t")
    return host, name
