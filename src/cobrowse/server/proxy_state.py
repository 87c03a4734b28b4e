"""Per-app proxy state: hosts, access, upstream clients, the agent's asset cache."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from cobrowse.config import Config
from cobrowse.core.continuation import ContinuationBook, Handoff, WriteBack, write_back
from cobrowse.core.netcheck import AddressPolicy
from cobrowse.core.origins import OriginList
from cobrowse.core.proxy_hosts import GO_PATH, ProxyAccess, ProxyHosts
from cobrowse.rewrite.urls import UrlMap, origin_of
from cobrowse.server.upstream import Upstream

CACHEABLE_PREFIXES = ("image/", "font/", "text/css", "application/font", "application/x-font")
MAX_ASSET_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Asset:
    content_type: str
    body: bytes


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

    async def wait_for(self, label: str, path: str, *, timeout: float) -> Asset | None:
        """The asset, waiting a little: the mirror may ask before the visitor's fetch ends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (item := self.get(label, path)) is None and loop.time() < deadline:
            await asyncio.sleep(0.1)
        return item


def cacheable(content_type: str) -> bool:
    return content_type.lower().startswith(CACHEABLE_PREFIXES)


@dataclass(slots=True)
class ProxyState:
    config: Config
    sites: OriginList
    hosts: ProxyHosts = field(init=False)
    access: ProxyAccess = field(default_factory=ProxyAccess)
    upstream: Upstream = field(init=False)
    policy: AddressPolicy = field(init=False)
    assets: dict[str, AssetCache] = field(default_factory=dict)
    asset_tokens: dict[str, str] = field(default_factory=dict)  # token -> session id
    parent_origins: dict[str, str] = field(default_factory=dict)  # the page under the overlay
    redirects: dict[str, int] = field(default_factory=dict)  # redirects in a row, per session
    continuation: ContinuationBook = field(default_factory=ContinuationBook)
    _token_of: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        p = self.config.proxy
        self.hosts = ProxyHosts.for_base_url(domain=p.domain, base_url=self.config.base_url)
        self.policy = AddressPolicy.parse(p.allowed_networks)
        self.upstream = Upstream(policy=self.policy, timeout=p.upstream_timeout_seconds)

    def url_map(
        self, session_id: str, base: str, *, navigating: bool = True, fallback: bool = True
    ) -> UrlMap:
        """The session's map: allowed origins and (loads only, up to
        proxy.max_other_origins) other origins get proxy hosts; a navigation to another
        origin, or a load past the limit, goes to /__cobrowse/go (unless not `fallback`).
        For a response to a subresource request (not `navigating`) its redirects are
        loads too."""
        hosts = self.hosts
        limit = self.config.proxy.max_other_origins

        def proxy_origin_of(origin: str) -> str | None:
            if self.sites.allows(origin):
                return hosts.origin(hosts.label_for(session_id, origin))
            if hosts.is_proxy_origin(origin):
                return None  # a proxy host already
            label = hosts.other_label_for(session_id, origin, limit=limit)
            return None if label is None else hosts.origin(label)

        def navigation_origin_of(origin: str) -> str | None:
            if self.sites.allows(origin):
                return hosts.origin(hosts.label_for(session_id, origin))
            label = hosts.label_of(session_id, origin)
            return None if label is None else hosts.origin(label)

        def upstream_origin_of(origin: str) -> str | None:
            return hosts.upstream_of(session_id, origin)

        def go(url: str) -> str | None:
            origin = origin_of(url)
            if origin is None or hosts.is_proxy_origin(origin):
                return None
            return GO_PATH + quote(url, safe="")

        return UrlMap(
            base=base,
            proxy_origin_of=proxy_origin_of,
            upstream_origin_of=upstream_origin_of,
            navigation_origin_of=navigation_origin_of if navigating else None,
            fallback=go if fallback else None,
        )

    def prepare(self, session_id: str) -> None:
        """Labels for every allowed origin without a wildcard, so pages know them all."""
        for pattern in self.sites.patterns:
            if pattern.port is not None and not pattern.host.startswith("*."):
                self.hosts.label_for(session_id, str(pattern))

    def cache(self, session_id: str) -> AssetCache:
        cache = self.assets.get(session_id)
        if cache is None:
            cache = AssetCache(max_bytes=self.config.proxy.asset_cache_bytes)
            self.assets[session_id] = cache
        return cache

    def asset_token(self, session_id: str) -> str:
        token = self._token_of.get(session_id)
        if token is None:
            token = secrets.token_urlsafe(18)
            self._token_of[session_id] = token
            self.asset_tokens[token] = session_id
        return token

    def agent_view(self, session_id: str, base_url: str) -> list[tuple[bytes, bytes]]:
        """Byte replacements that point proxy origins in page data at the asset route."""
        token = self._token_of.get(session_id)
        if token is None:
            return []
        pairs = []
        for origin in self.hosts.origins(session_id).values():
            label = origin.split("://", 1)[1].split(".", 1)[0]
            pairs.append((origin.encode(), f"{base_url}/assets/{token}/{label}".encode()))
        return pairs

    def write_back(self, handoff: Handoff, *, now: float) -> WriteBack:
        """What the continuation point writes back for the site, from the session's jar."""
        jar = self.upstream.jar(handoff.session_id)
        host = (urlsplit(handoff.origin).hostname or "").lower()
        return write_back(
            jar.baselines.get(host, []), jar.records(), host=host, now=now, deleted=jar.deleted
        )

    async def forget(self, session_id: str, *, now: float | None = None) -> None:
        book = self.continuation
        when = time.time() if now is None else now
        results = {t: self.write_back(h, now=when) for t, h in book.returns_of(session_id)}
        book.ended(session_id, results, now=when)
        self.hosts.forget(session_id)
        self.access.forget(session_id)
        self.assets.pop(session_id, None)
        self.parent_origins.pop(session_id, None)
        self.redirects.pop(session_id, None)
        token = self._token_of.pop(session_id, None)
        if token is not None:
            self.asset_tokens.pop(token, None)
        await self.upstream.forget(session_id)
