"""Guard stores for the shared suite: memory, or nodes on the test Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from redis.asyncio import Redis

from cobrowse.core.ratelimit import Policy
from cobrowse.store.guards import GuardRules, GuardStore, Window
from cobrowse.store.guards_memory import MemoryGuardStore
from cobrowse.store.guards_redis import RedisGuardStore

T0 = 1_800_000_000.0
POLICY = Policy(free_failures=2, lockout_failures=4, base_delay=0.5, max_delay=2.0, window=100.0)
OTHER = Policy(free_failures=1, lockout_failures=2, base_delay=1.0, max_delay=1.0, window=30.0)
CEILING = Window(limit=3, window=60.0)
RULES = GuardRules(
    limiters={"join": POLICY, "login": OTHER},
    ceilings={"join": CEILING},
    agent_ttl=3600.0,
    max_links=3,
)


@dataclass
class GuardBackend:
    """Makes guard stores of one kind; on Redis, each store is a node of its own."""

    kind: str
    url: str
    prefix: str = field(default_factory=lambda: f"g{secrets.token_hex(4)}:")
    opened: list[GuardStore | Redis] = field(default_factory=list)

    def nodes(
        self, count: int = 2, *, rules: GuardRules = RULES, prefix: str | None = None
    ) -> list[GuardStore]:
        if self.kind == "memory":
            one = MemoryGuardStore(rules)
            self.opened.append(one)
            return [one] * count
        stores: list[GuardStore] = []
        for _ in range(count):
            node = RedisGuardStore.from_url(self.url, rules, prefix=prefix or self.prefix)
            self.opened.append(node)
            stores.append(node)
        return stores

    def store(self, *, rules: GuardRules = RULES) -> GuardStore:
        return self.nodes(1, rules=rules)[0]

    def raw(self) -> Redis:
        """A plain client on the test Redis (decoded strings), for looking inside."""
        client = Redis.from_url(self.url, decode_responses=True)
        self.opened.append(client)
        return client


async def open_guard_backend(kind: str, redis_url: str = "") -> AsyncIterator[GuardBackend]:
    """A GuardBackend of `kind` (on an emptied Redis database); closes its stores after."""
    if kind == "memory":
        b = GuardBackend("memory", "memory://")
    else:
        b = GuardBackend("redis", redis_url)
        flush = Redis.from_url(redis_url)
        await flush.flushdb()
        await flush.aclose()
    yield b
    for opened in reversed(b.opened):
        await (opened.aclose() if isinstance(opened, Redis) else opened.close())
