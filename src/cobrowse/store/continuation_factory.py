"""`continuation_store_from_url`: the ContinuationStore that `store.url` names (nothing
connects yet)."""

from __future__ import annotations

from cobrowse.store.continuation_memory import MemoryContinuationStore
from cobrowse.store.continuation_redis import RedisContinuationStore
from cobrowse.store.continuation_store import ContinuationStore
from cobrowse.store.redis_store import DEFAULT_MARGIN_SECONDS
from cobrowse.store.url import parse_store_url


def continuation_store_from_url(
    url: str,
    *,
    max_duration_seconds: float,
    margin_seconds: float = DEFAULT_MARGIN_SECONDS,
    timeout_seconds: float = 5.0,
) -> ContinuationStore:
    """`memory://` or `redis://...` (store/url.py); StoreUrlError otherwise. On Redis a
    return ticket lives at most the session's longest life plus the margin the session
    store gives its sessions too."""
    parsed = parse_store_url(url)
    if parsed.kind == "memory":
        return MemoryContinuationStore()
    return RedisContinuationStore.from_url(
        parsed.redis_url,
        ttl_seconds=max_duration_seconds + margin_seconds,
        prefix=parsed.prefix,
        timeout_seconds=timeout_seconds,
    )
