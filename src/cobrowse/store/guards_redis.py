"""The guards on Redis (redis-py asyncio): every node that shares the store shares them.

Keys (P is the prefix, as store/redis_store.py; H is the SHA-256 hex of what it names:
limiter keys, link ids, cookies and SSO states never appear in Redis themselves):

    P lim:<name>:<H>   hash {n: failures, last: caller's time}   TTL the policy's window
    P ceil:<name>      sorted set: one member per counted event,  TTL the window
                       scored by the caller's time
    P links            sorted set: used link ids (H), scored by   TTL the longest left
                       the time until which they are remembered
    P agent:<H>        the signed-in agent, JSON                  TTL agent_ttl
    P sso:<H>          an SSO login under way, JSON               TTL until it expires
    P ssos             sorted set: those logins (H) by expiry     TTL the longest left

Each check-and-set is one Lua script, so it is atomic across nodes: a limiter reads its
keys' records and counts the failure unless one of them is locked out (the verdict
itself is computed here from the records it read, by core/ratelimit.verdict); a ceiling
drops old events, then counts one unless full; a link id is added unless known or the
set is full; an SSO state is taken (read and deleted) at most once. Records carry the
caller's times, so fake clocks work; TTLs only make sure nothing outlives its purpose.
The SSO scripts derive key names inside Lua: on Redis Cluster use a hash-tagged prefix.
Redis failing (down, timeouts, a script error) raises GuardUnavailable.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable
from typing import Any, TypeVar

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cobrowse.core.links import AgentLink, remembered_until
from cobrowse.core.ratelimit import Verdict, alive, verdict
from cobrowse.core.roles import Role, parse_role, parse_team
from cobrowse.store.guards import (
    CONSOLE_TTL,
    MAX_CONSOLES,
    MAX_STATE,
    Agent,
    GuardRules,
    GuardUnavailable,
    Pending,
    agent_json,
    check_max_pending,
    new_agent,
    usable_cookie,
)
from cobrowse.store.redis_client import ms, redis_client
from cobrowse.store.url import DEFAULT_PREFIX

T = TypeVar("T")

# KEYS: one record per limiter key; ARGV: now, window, lockout_failures, window ms.
# Returns the records as they were (n, last; n = 0 for none), then 1 if counted.
ATTEMPT = """
local now, window, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out, refused = {}, false
local function live(key)
  local rec = redis.call('HMGET', key, 'n', 'last')
  local n, last = tonumber(rec[1]), tonumber(rec[2])
  if n and last and now < last + window then return n, rec[2] end
  return 0, false
end
for _, key in ipairs(KEYS) do
  local n, last = live(key)
  out[#out + 1] = n
  out[#out + 1] = last or ''
  if n >= lockout then refused = true end
end
if refused then out[#out + 1] = 0; return out end
for _, key in ipairs(KEYS) do
  local n = live(key)
  redis.call('HSET', key, 'n', n + 1, 'last', ARGV[1])
  redis.call('PEXPIRE', key, ARGV[4])
end
out[#out + 1] = 1
return out
"""

# KEYS: limiter records; ARGV: now, window
FORGIVE = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local rec = redis.call('HMGET', key, 'n', 'last')
  local n, last = tonumber(rec[1]), tonumber(rec[2])
  if n and last and now < last + window and n > 1 then
    redis.call('HSET', key, 'n', n - 1)
  else
    redis.call('DEL', key)
  end
end
return 1
"""

# Drops the events of a ceiling (KEYS[1]) that are `window` (ARGV[2]) old at `now` (ARGV[1]).
_EXPIRE_EVENTS = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
while true do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 or tonumber(first[2]) + window > now then break end
  redis.call('ZREM', KEYS[1], first[1])
end
"""

# ARGV: now, window, limit, member, window ms. Returns false (counted) or the oldest's time.
CEILING_ATTEMPT = (
    _EXPIRE_EVENTS
    + """
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return false
"""
)

CEILING_FORGIVE = _EXPIRE_EVENTS + "redis.call('ZPOPMAX', KEYS[1])\nreturn 1\n"

CEILING_COUNT = _EXPIRE_EVENTS + "return redis.call('ZCARD', KEYS[1])\n"

# KEYS: links; ARGV: now, link hash, remembered until, max entries, ttl ms
USE_LINK = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1
"""

# KEYS: login, logins; ARGV: json, hash, expires_at, ttl ms, now, max pending, prefix
BEGIN_LOGIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
while redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  redis.call('DEL', ARGV[7] .. 'sso:' .. oldest[1])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return 1
"""

# KEYS: login, logins; ARGV: hash
TAKE_LOGIN = """
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return value
"""


def hashed(value: str) -> str:
    """What Redis knows of a key, cookie, link id or state."""
    return hashlib.sha256(value.encode()).hexdigest()


def _time(now: float) -> str:
    """A time as Lua and Redis scores read it back exactly."""
    return repr(float(now))


class RedisGuardStore:
    def __init__(self, redis: Redis, rules: GuardRules, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.redis = redis
        self.rules = rules
        self.prefix = prefix
        self._attempt = redis.register_script(ATTEMPT)
        self._forgive = redis.register_script(FORGIVE)
        self._ceiling_attempt = redis.register_script(CEILING_ATTEMPT)
        self._ceiling_forgive = redis.register_script(CEILING_FORGIVE)
        self._ceiling_count = redis.register_script(CEILING_COUNT)
        self._use_link = redis.register_script(USE_LINK)
        self._begin_login = redis.register_script(BEGIN_LOGIN)
        self._take_login = redis.register_script(TAKE_LOGIN)

    @classmethod
    def from_url(
        cls,
        url: str,
        rules: GuardRules,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_seconds: float = 5.0,
        max_connections: int = 64,
    ) -> RedisGuardStore:
        """A store on a redis-py URL (store/url.py); connects lazily, on first use."""
        redis = redis_client(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(redis, rules, prefix=prefix)

    # --- keys -------------------------------------------------------------------------

    def _k_record(self, limiter: str, key: str) -> str:
        return f"{self.prefix}lim:{limiter}:{hashed(key)}"

    def _k_ceiling(self, name: str) -> str:
        return f"{self.prefix}ceil:{name}"

    @property
    def _k_links(self) -> str:
        return f"{self.prefix}links"

    def _k_agent(self, cookie: str) -> str:
        return f"{self.prefix}agent:{hashed(cookie)}"

    def _k_login(self, state_hash: str) -> str:
        return f"{self.prefix}sso:{state_hash}"

    @property
    def _k_logins(self) -> str:
        return f"{self.prefix}ssos"

    @property
    def _k_consoles(self) -> str:
        return f"{self.prefix}consoles"

    # --- limiters -----------------------------------------------------------------------

    async def attempt(self, limiter: str, keys: list[str], *, now: float) -> Verdict:
        policy = self.rules.policy(limiter)
        if not keys:
            return Verdict()
        out: list[Any] = await self._run(
            "count a failure",
            self._attempt(
                keys=[self._k_record(limiter, key) for key in keys],
                args=[
                    _time(now),
                    _time(policy.window),
                    policy.lockout_failures,
                    ms(policy.window),
                ],
            ),
        )
        try:
            pairs = out[:-1]
            records = [
                (int(pairs[i]), float(pairs[i + 1]))
                for i in range(0, len(pairs), 2)
                if int(pairs[i]) > 0
            ]
        except (ValueError, TypeError, IndexError):
            raise GuardUnavailable("the guard store answered a limiter with nonsense") from None
        return verdict(policy, records, now=now)

    async def forgive(self, limiter: str, keys: list[str], *, now: float) -> None:
        policy = self.rules.policy(limiter)
        if keys:
            await self._run(
                "take back a failure",
                self._forgive(
                    keys=[self._k_record(limiter, key) for key in keys],
                    args=[_time(now), _time(policy.window)],
                ),
            )

    async def failures(self, limiter: str, key: str, *, now: float) -> int:
        policy = self.rules.policy(limiter)
        n, last = await self._run(
            "read a limiter", self.redis.hmget(self._k_record(limiter, key), ["n", "last"])
        )
        if n is None or last is None or not alive(policy, float(last), now=now):
            return 0
        return int(n)

    # --- ceilings -----------------------------------------------------------------------

    async def ceiling_attempt(self, name: str, *, now: float) -> float:
        ceiling = self.rules.ceiling(name)
        oldest = await self._run(
            "count an event",
            self._ceiling_attempt(
                keys=[self._k_ceiling(name)],
                args=[
                    _time(now),
                    _time(ceiling.window),
                    ceiling.limit,
                    f"{_time(now)}:{secrets.token_hex(8)}",
                    ms(ceiling.window),
                ],
            ),
        )
        return 0.0 if oldest is None else float(oldest) + ceiling.window - now

    async def ceiling_forgive(self, name: str, *, now: float) -> None:
        ceiling = self.rules.ceiling(name)
        await self._run(
            "take back an event",
            self._ceiling_forgive(
                keys=[self._k_ceiling(name)], args=[_time(now), _time(ceiling.window)]
            ),
        )

    async def ceiling_count(self, name: str, *, now: float) -> int:
        ceiling = self.rules.ceiling(name)
        count = await self._run(
            "count events",
            self._ceiling_count(
                keys=[self._k_ceiling(name)], args=[_time(now), _time(ceiling.window)]
            ),
        )
        return int(count)

    # --- links --------------------------------------------------------------------------

    async def use_link(self, link: AgentLink, *, now: float) -> bool:
        until = remembered_until(link)
        if until <= now:  # verify_link refuses such a link already; never remember it
            return False
        done = await self._run(
            "use a link",
            self._use_link(
                keys=[self._k_links],
                args=[
                    _time(now),
                    hashed(link.jti),
                    _time(until),
                    self.rules.max_links,
                    ms(until - now),
                ],
            ),
        )
        return bool(done == 1)

    # --- sign-ins -----------------------------------------------------------------------

    async def sign_in(
        self,
        name: str,
        *,
        now: float,
        via: str = "link",
        subject: str | None = None,
        role: Role = Role.AGENT,
        team: str | None = None,
    ) -> str:
        cookie = secrets.token_urlsafe(32)
        agent = new_agent(
            name,
            now=now,
            ttl=self.rules.agent_ttl,
            via=via,
            subject=subject,
            role=role,
            team=team,
        )
        value = orjson.dumps(agent_json(agent))
        await self._run(
            "sign an agent in",
            self.redis.set(self._k_agent(cookie), value, px=ms(self.rules.agent_ttl)),
        )
        return cookie

    async def agent(self, cookie: str | None, *, now: float) -> Agent | None:
        if not usable_cookie(cookie):
            return None
        raw = await self._run("read a sign-in", self.redis.get(self._k_agent(cookie or "")))
        if raw is None:
            return None
        agent = _agent(raw)
        return agent if agent.expires_at > now else None

    async def sign_out(self, cookie: str | None) -> None:
        if usable_cookie(cookie):
            await self._run("sign an agent out", self.redis.delete(self._k_agent(cookie or "")))

    # --- SSO logins ---------------------------------------------------------------------

    async def begin_login(
        self, state: str, pending: Pending, *, now: float, max_pending: int
    ) -> None:
        check_max_pending(max_pending)
        if not state or len(state) > MAX_STATE:
            raise ValueError("an SSO state must be 1-512 characters")
        if pending.expires_at <= now:
            return  # expired already: nothing to remember
        h = hashed(state)
        value = orjson.dumps(
            {"nonce": pending.nonce, "verifier": pending.verifier, "e": pending.expires_at}
        )
        await self._run(
            "remember an SSO login",
            self._begin_login(
                keys=[self._k_login(h), self._k_logins],
                args=[
                    value,
                    h,
                    _time(pending.expires_at),
                    ms(pending.expires_at - now),
                    _time(now),
                    max_pending,
                    self.prefix,
                ],
            ),
        )

    async def take_login(self, state: str, *, now: float) -> Pending | None:
        if not state or len(state) > MAX_STATE:
            return None
        h = hashed(state)
        raw = await self._run(
            "take an SSO login",
            self._take_login(keys=[self._k_login(h), self._k_logins], args=[h]),
        )
        if raw is None:
            return None
        try:
            data = orjson.loads(raw)
            pending = Pending(
                nonce=str(data["nonce"]),
                verifier=str(data["verifier"]),
                expires_at=float(data["e"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise GuardUnavailable("the guard store holds an SSO login it cannot read") from None
        return pending if pending.expires_at > now else None

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        await self.redis.aclose()

    # --- consoles open ------------------------------------------------------------------

    async def seen_console(self, agent: Agent, *, now: float) -> None:
        """One hash, agent id -> their sign-in and until when; stale fields are dropped
        by the readers (a console asks every few seconds, so the hash stays small)."""
        value = orjson.dumps({**agent_json(agent), "until": now + CONSOLE_TTL})
        await self._run("note an open console", self.redis.hset(self._k_consoles, agent.id, value))

    async def consoles(self, *, now: float) -> list[Agent]:
        raw: dict[bytes | str, bytes | str] = await self._run(
            "read the open consoles", self.redis.hgetall(self._k_consoles)
        )
        alive: list[Agent] = []
        stale: list[bytes | str] = []
        for field_name, value in raw.items():
            try:
                until = float(orjson.loads(value)["until"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                until = 0.0
            if until > now:
                alive.append(_agent(value))
            else:
                stale.append(field_name)
        if stale:
            await self._run("drop closed consoles", self.redis.hdel(self._k_consoles, *stale))
        return alive[:MAX_CONSOLES]

    async def _run(self, what: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except (RedisError, OSError, TimeoutError) as exc:
            raise GuardUnavailable(
                f"the guard store (Redis) could not {what}: {type(exc).__name__}: {exc}"[:300]
            ) from exc


def _agent(raw: bytes | str) -> Agent:
    try:
        data = orjson.loads(raw)
        return Agent(
            name=str(data["n"]),
            expires_at=float(data["e"]),
            via=str(data["v"]),
            id=str(data["i"]),
            role=parse_role(data.get("r", "agent")),
            team=parse_team(data.get("t")),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise GuardUnavailable("the guard store holds a sign-in it cannot read") from None
