"""`guards_from_url`: the GuardStore that `store.url` names (nothing connects yet)."""

from __future__ import annotations

from cobrowse.store.guards import GuardRules, GuardStore
from cobrowse.store.guards_memory import MemoryGuardStore
from cobrowse.store.guards_redis import RedisGuardStore
from cobrowse.store.url import StoreUrlError, parse_store_url

__all__ = ["StoreUrlError", "guards_from_url"]


def guards_from_url(
    url: str, rules: GuardRules, *, prefix: str | None = None, timeout_seconds: float = 5.0
) -> GuardStore:
    """`memory://` (this process alone) or `redis://...` (every node on that Redis and
    prefix shares limits, used links, sign-ins and SSO logins); StoreUrlError otherwise.
    `prefix` (when given) wins over the URL's `?prefix=`."""
    parsed = parse_store_url(url)
    if parsed.kind == "memory":
        return MemoryGuardStore(rules)
    return RedisGuardStore.from_url(
        parsed.redis_url,
        rules,
        prefix=parsed.prefix if prefix is None else prefix,
        timeout_seconds=timeout_seconds,
    )
