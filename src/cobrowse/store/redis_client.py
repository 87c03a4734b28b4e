"""The one way the Redis stores connect (sessions, guards, proxy state, continuation
tickets): a bounded pool, timeouts, a short retry on a dropped connection."""

from __future__ import annotations

import math
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

# Lua: `now`, Redis's own clock in Unix milliseconds (one clock for every node).
NOW_MS_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""


def redis_client(url: str, *, timeout_seconds: float, max_connections: int) -> Redis:
    """A client on a redis-py URL (store/url.py has ours); connects lazily."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
    )
    return Redis.from_pool(pool)


def ms(seconds: float) -> int:
    """A duration as Redis takes it (PX): milliseconds, at least one."""
    return max(1, math.ceil(seconds * 1000))


def text(raw: Any) -> str:
    """A value Redis answered (bytes, as our clients do not decode) as a string."""
    return raw.decode() if isinstance(raw, bytes) else str(raw)
