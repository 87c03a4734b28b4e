"""`store_from_url`: the SessionStore that `store.url` names (nothing connects yet)."""

from __future__ import annotations

from cobrowse.store.async_memory import AsyncMemorySessionStore
from cobrowse.store.base import SessionStore
from cobrowse.store.redis_store import DEFAULT_MARGIN_SECONDS, RedisSessionStore
from cobrowse.store.url import StoreUrlError, parse_store_url

__all__ = ["StoreUrlError", "store_from_url"]


def store_from_url(
    url: str,
    *,
    max_sessions: int,
    prefix: str | None = None,
    margin_seconds: float = DEFAULT_MARGIN_SECONDS,
    timeout_seconds: float = 5.0,
) -> SessionStore:
    """`memory://` or `redis://HOST:PORT/DB` / `rediss://...`; StoreUrlError otherwise.
    `prefix` (when given) wins over the URL's `?prefix=`."""
    parsed = parse_store_url(url)
    if parsed.kind == "memory":
        return AsyncMemorySessionStore(max_sessions=max_sessions)
    return RedisSessionStore.from_url(
        parsed.redis_url,
        max_sessions=max_sessions,
        prefix=parsed.prefix if prefix is None else prefix,
        margin_seconds=margin_seconds,
        timeout_seconds=timeout_seconds,
    )


async def store_problem(url: str, *, timeout_seconds: float = 3.0) -> str | None:
    """Why the store that `url` names cannot be used now (Redis does not answer), or
    None; checked before a server starts listening."""
    store = store_from_url(url, max_sessions=1, timeout_seconds=timeout_seconds)
    try:
        if await store.ping():
            return None
        return f"store.url: the store at {redacted(url)} does not answer"
    finally:
        await store.close()


def redacted(url: str) -> str:
    """The URL without a password."""
    scheme, sep, rest = url.partition("://")
    _, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}"
