"""`proxy_store_from_url`: the ProxyStore that `store.url` names (nothing connects yet)."""

from __future__ import annotations

from cobrowse.core.proxy_hosts import ProxyHosts
from cobrowse.store.proxy_memory import MemoryProxyStore
from cobrowse.store.proxy_redis import RedisProxyStore
from cobrowse.store.proxy_store import ProxyStore
from cobrowse.store.redis_store import DEFAULT_MARGIN_SECONDS
from cobrowse.store.url import parse_store_url


def proxy_store_from_url(
    url: str,
    *,
    hosts: ProxyHosts,
    max_duration_seconds: float,
    asset_cache_bytes: int,
    margin_seconds: float = DEFAULT_MARGIN_SECONDS,
    timeout_seconds: float = 5.0,
) -> ProxyStore:
    """`memory://` or `redis://...` (store/url.py); StoreUrlError otherwise. On Redis
    a session's proxy state lives at most its longest life plus the margin the session
    store gives its sessions too."""
    parsed = parse_store_url(url)
    if parsed.kind == "memory":
        return MemoryProxyStore(hosts=hosts, asset_cache_bytes=asset_cache_bytes)
    return RedisProxyStore.from_url(
        parsed.redis_url,
        ttl_seconds=max_duration_seconds + margin_seconds,
        asset_cache_bytes=asset_cache_bytes,
        prefix=parsed.prefix,
        timeout_seconds=timeout_seconds,
    )
