"""The proxy's state in this process (store/proxy_store.py): one node, the default.

It keeps the pure bookkeeping objects themselves (ProxyHosts, ProxyAccess, an
AssetCache per session), which callers that have not moved to the async Protocol yet
may still use directly (server/proxy_state.py says which).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from cobrowse.core.proxy_hosts import ProxyAccess, ProxyHosts, Target
from cobrowse.store.proxy_store import MAX_ASSET_BYTES, Asset, JarChanges, JarState, apply_changes


@dataclass(slots=True)
class AssetCache:
    """Stylesheets, fonts and images the visitor's proxy fetched, newest kept."""

    max_bytes: int
    _items: OrderedDict[tuple[str, str], Asset] = field(default_factory=OrderedDict)
    _size: int = 0

    def put(self, label: str, path: str, asset: Asset) -> None:
        if len(asset.body) > min(MAX_ASSET_BYTES, self.max_bytes):
            return
        key = (label, path)
        old = self._items.pop(key, None)
        if old is not None:
            self._size -= len(old.body)
        self._items[key] = asset
        self._size += len(asset.body)
        while self._size > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._size -= len(dropped.body)

    def get(self, label: str, path: str) -> Asset | None:
        return self._items.get((label, path))

    def paths(self, label: str) -> list[str]:
        return [p for (held, p) in self._items if held == label]

    @property
    def size(self) -> int:
        return self._size


@dataclass(slots=True)
class MemoryProxyStore:
    hosts: ProxyHosts
    asset_cache_bytes: int
    access: ProxyAccess = field(default_factory=ProxyAccess)
    assets: dict[str, AssetCache] = field(default_factory=dict)
    asset_tokens: dict[str, str] = field(default_factory=dict)  # token -> session id
    parent_origins: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, int] = field(default_factory=dict)
    jars: dict[str, JarState] = field(default_factory=dict)
    id_keys: dict[str, bytes] = field(default_factory=dict)
    asset_ids: dict[str, dict[str, str]] = field(default_factory=dict)  # session -> id -> URL
    _token_of: dict[str, str] = field(default_factory=dict)

    # --- hosts --------------------------------------------------------------------

    async def targets(self, session_id: str) -> dict[str, Target]:
        return self.hosts.targets(session_id)

    async def target(self, label: str) -> Target | None:
        return self.hosts.target(label)

    async def claim(self, proposed: list[Target], *, limit: int) -> dict[str, Target]:
        out: dict[str, Target] = {}
        for target in proposed:
            claimed = self.hosts.claim(target, limit=limit)
            if claimed is not None:
                out[target.upstream_origin] = claimed
        return out

    # --- access -------------------------------------------------------------------

    async def ticket(self, session_id: str, *, now: float) -> str:
        return self.access.ticket(session_id, now=now)

    async def redeem(self, ticket: str, *, now: float) -> tuple[str, str] | None:
        return self.access.redeem(ticket, now=now)

    async def session_of(self, credential: str) -> str | None:
        return self.access.session_of(credential)

    # --- assets -------------------------------------------------------------------

    def cache(self, session_id: str) -> AssetCache:
        cache = self.assets.get(session_id)
        if cache is None:
            cache = AssetCache(max_bytes=self.asset_cache_bytes)
            self.assets[session_id] = cache
        return cache

    def asset_token_now(self, session_id: str) -> str:
        token = self._token_of.get(session_id)
        if token is None:
            token = secrets.token_urlsafe(18)
            self._token_of[session_id] = token
            self.asset_tokens[token] = session_id
        return token

    async def asset_token(self, session_id: str) -> str:
        return self.asset_token_now(session_id)

    async def token_of(self, session_id: str) -> str | None:
        return self._token_of.get(session_id)

    async def session_of_token(self, token: str) -> str | None:
        return self.asset_tokens.get(token)

    async def put_asset(self, session_id: str, label: str, path: str, asset: Asset) -> None:
        self.cache(session_id).put(label, path, asset)

    async def asset(self, session_id: str, label: str, path: str) -> Asset | None:
        cache = self.assets.get(session_id)
        return None if cache is None else cache.get(label, path)

    async def asset_paths(self, session_id: str, label: str) -> list[str]:
        cache = self.assets.get(session_id)
        return [] if cache is None else cache.paths(label)

    # --- opaque asset URLs ---------------------------------------------------------

    async def asset_id_key(self, session_id: str) -> tuple[bytes, int]:
        key = self.id_keys.setdefault(session_id, secrets.token_bytes(32))
        return key, len(self.asset_ids.get(session_id, {}))

    async def put_asset_ids(self, session_id: str, ids: Mapping[str, str]) -> None:
        held = self.asset_ids.setdefault(session_id, {})
        for ident, url in ids.items():
            held.setdefault(ident, url)

    async def asset_id_url(self, session_id: str, ident: str) -> str | None:
        return self.asset_ids.get(session_id, {}).get(ident)

    # --- the rest -----------------------------------------------------------------

    async def set_parent_origin(self, session_id: str, origin: str) -> None:
        self.parent_origins[session_id] = origin

    async def parent_origin(self, session_id: str) -> str:
        return self.parent_origins.get(session_id, "")

    async def redirected(self, session_id: str, *, redirect: bool) -> int:
        if not redirect:
            self.redirects.pop(session_id, None)
            return 0
        self.redirects[session_id] = self.redirects.get(session_id, 0) + 1
        return self.redirects[session_id]

    async def reset_redirects(self, session_id: str) -> None:
        self.redirects.pop(session_id, None)

    async def jar(self, session_id: str) -> JarState:
        return self.jars.get(session_id) or JarState()

    async def update_jar(self, session_id: str, changes: JarChanges) -> None:
        self.jars[session_id] = apply_changes(self.jars.get(session_id) or JarState(), changes)

    async def forget(self, session_id: str) -> None:
        self.hosts.forget(session_id)
        self.access.forget(session_id)
        self.assets.pop(session_id, None)
        self.parent_origins.pop(session_id, None)
        self.redirects.pop(session_id, None)
        self.jars.pop(session_id, None)
        self.id_keys.pop(session_id, None)
        self.asset_ids.pop(session_id, None)
        token = self._token_of.pop(session_id, None)
        if token is not None:
            self.asset_tokens.pop(token, None)

    async def close(self) -> None:
        return None
