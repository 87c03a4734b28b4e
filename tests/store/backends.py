"""Stores for the shared suite: memory, or nodes on the test Redis (tests/redis_server.py)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis

from cobrowse.core.session import Timeouts
from cobrowse.store.async_memory import AsyncMemorySessionStore
from cobrowse.store.base import NewSession, SessionStore
from cobrowse.store.redis_store import DEFAULT_MARGIN_SECONDS, RedisSessionStore

T0 = 1_000_000.0
TIMEOUTS = Timeouts(pin_ttl=600.0, max_duration=4 * 3600.0)


@dataclass
class Backend:
    """Makes stores of one kind; on Redis, each store is a node of its own."""

    kind: str
    url: str
    prefix: str = field(default_factory=lambda: f"t{secrets.token_hex(4)}:")
    opened: list[SessionStore] = field(default_factory=list)

    def nodes(
        self,
        count: int = 2,
        *,
        max_sessions: int = 100,
        randbelow: Callable[[int], int] = secrets.randbelow,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        prefix: str | None = None,
    ) -> list[SessionStore]:
        if self.kind == "memory":
            one = AsyncMemorySessionStore(max_sessions=max_sessions, randbelow=randbelow)
            self.opened.append(one)
            return [one] * count
        stores: list[SessionStore] = []
        for _ in range(count):
            node = RedisSessionStore.from_url(
                self.url,
                max_sessions=max_sessions,
                prefix=prefix or self.prefix,
                margin_seconds=margin_seconds,
                randbelow=randbelow,
            )
            self.opened.append(node)
            stores.append(node)
        return stores

    def store(self, **options: object) -> SessionStore:
        return self.nodes(1, **options)[0]  # type: ignore[arg-type]

    def raw(self) -> Redis:
        """A plain client on the test Redis (decoded strings), for looking inside."""
        client = Redis.from_url(self.url, decode_responses=True)
        self.opened.append(_Closer(client))  # type: ignore[arg-type]
        return client


@dataclass
class _Closer:
    client: Redis

    async def close(self) -> None:
        await self.client.aclose()


async def open_backend(kind: str, redis_url: str = "") -> AsyncIterator[Backend]:
    """A Backend of `kind` (on an emptied Redis database); closes its stores after."""
    if kind == "memory":
        b = Backend("memory", "memory://")
    else:
        b = Backend("redis", redis_url)
        flush = Redis.from_url(redis_url)
        await flush.flushdb()
        await flush.aclose()
    yield b
    for opened in reversed(b.opened):
        await opened.close()


async def create(s: SessionStore, now: float = T0, timeouts: Timeouts = TIMEOUTS) -> NewSession:
    return await s.create(timeouts=timeouts, now=now)


def small_space(size: int) -> Callable[[int], int]:
    """PINs drawn from 000000 .. size-1: collisions on purpose."""
    return lambda _n: secrets.randbelow(size)
