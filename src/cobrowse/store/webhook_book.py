"""Where the nodes of one deployment keep their webhook deliveries for the admin: on the
Redis of `store.url`, so that any node lists every node's (server/webhooks.py).

Each delivery is one JSON value (core/webhook_delivery.py record_of) under
`<prefix>hook:d:<id>`, indexed by creation time in the sorted set `<prefix>hook:recent`;
the newest `keep` are kept, a value lives at most `ttl` seconds. On `memory://` there
is no book: a node lists its own deliveries from memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from redis.asyncio import Redis

from cobrowse.store.redis_client import redis_client
from cobrowse.store.url import parse_store_url

TTL = 7 * 24 * 3600  # seconds a delivery's record is kept at most


class RedisDeliveryBook:
    def __init__(self, redis: Redis, *, prefix: str, keep: int, ttl: int = TTL) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keep = keep
        self.ttl = ttl

    @classmethod
    def from_url(cls, url: str, *, keep: int, timeout_seconds: float = 5.0) -> RedisDeliveryBook:
        parsed = parse_store_url(url)
        redis = redis_client(parsed.redis_url, timeout_seconds=timeout_seconds, max_connections=4)
        return cls(redis, prefix=parsed.prefix, keep=keep)

    def _index(self) -> str:
        return f"{self.prefix}hook:recent"

    def _key(self, delivery_id: str) -> str:
        return f"{self.prefix}hook:d:{delivery_id}"

    async def save(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Write (or overwrite) these deliveries, then drop all but the newest `keep`."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for record in records:
                pipe.set(self._key(record["id"]), json.dumps(record), ex=self.ttl)
                pipe.zadd(self._index(), {record["id"]: record["at"]})
            await pipe.execute()
        old = await self.redis.zrange(self._index(), 0, -(self.keep + 1))
        if old:
            ids = [raw.decode() if isinstance(raw, bytes) else str(raw) for raw in old]
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zrem(self._index(), *ids)
                pipe.delete(*(self._key(i) for i in ids))
                await pipe.execute()

    async def recent(self) -> list[dict[str, Any]]:
        """Every kept delivery, newest first."""
        ids = await self.redis.zrevrange(self._index(), 0, self.keep - 1)
        if not ids:
            return []
        keys = [self._key(raw.decode() if isinstance(raw, bytes) else str(raw)) for raw in ids]
        found = []
        for value in await self.redis.mget(keys):
            if value is not None:  # expired meanwhile
                record = json.loads(value)
                if isinstance(record, dict):
                    found.append(record)
        return found

    async def close(self) -> None:
        await self.redis.aclose()
