"""Per-app proxy state: the naming of proxy hosts, this node's upstream connector, and
everything per session through the proxy store (store/proxy_store.py), which is shared
by every node when `store.url` is Redis.

A proxied request works on a snapshot of its session's labels (`session_hosts`): the
rewriters are synchronous and propose labels for origins they meet; `settle` claims
them in the store, and when one did not stand the caller rewrites again (at most
SETTLE_ROUNDS times). The cookie jar is loaded before an upstream request (`jar`) and
what the response changed is written back (`save_jar`). The continuation point's
tickets (`continuation`, store/continuation_store.py) are shared the same way; at the
session's end (`forget`) the write-back of each live return ticket is kept there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from redis.exceptions import RedisError

from cobrowse.config import Config
from cobrowse.core.asset_ids import MAX_ASSET_IDS, AssetIds, HoldsValuesMemo, is_asset_id
from cobrowse.core.continuation import Handoff, WriteBack, write_back
from cobrowse.core.masking import MASK_CHAR, Pattern
from cobrowse.core.masking_urls import mask_string
from cobrowse.core.netcheck import AddressPolicy
from cobrowse.core.origins import OriginList
from cobrowse.core.proxy_hosts import GO_PATH, ProxyAccess, ProxyHosts, SessionHosts, Target
from cobrowse.rewrite.urls import UrlMap, origin_of, rewrite_url
from cobrowse.server.upstream import SessionCookieJar, Upstream
from cobrowse.store.continuation_factory import continuation_store_from_url
from cobrowse.store.continuation_store import ContinuationStore
from cobrowse.store.proxy_factory import proxy_store_from_url
from cobrowse.store.proxy_memory import AssetCache, MemoryProxyStore
from cobrowse.store.proxy_store import (
    ASSET_POLL_SECONDS,
    MAX_ASSET_BYTES,
    Asset,
    ProxyStore,
    cacheable,
)

__all__ = ["MAX_ASSET_BYTES", "Asset", "AssetCache", "ProxyState", "cacheable"]

SETTLE_ROUNDS = 3  # rewrites of one response when other nodes claim the same origins
log = logging.getLogger("cobrowse.proxy")

VIEW_KEEP_SECONDS = 60.0  # a view unused this long is dropped
VIEW_REFRESH_SECONDS = 1.0  # a node's copy of a session's agent view (Redis), at most this old
_MEMORY_ONLY = (
    "with a Redis proxy store this state is only reachable through ProxyState's async "
    "methods (open_overlay replaces the overlay route's synchronous calls)"
)


class NamingHosts(ProxyHosts):
    """Proxy host names only: with a shared store no label is made on this node's own."""

    def claim(self, proposed: Target, *, limit: int) -> Target | None:
        raise RuntimeError(_MEMORY_ONLY)


class ProxyState:
    def __init__(
        self,
        config: Config,
        sites: OriginList,
        store: ProxyStore | None = None,
        continuation: ContinuationStore | None = None,
    ):
        self.config = config
        self.sites = sites
        p = config.proxy
        self.hosts = ProxyHosts.for_base_url(domain=p.domain, base_url=config.base_url)
        self.store: ProxyStore = store or proxy_store_from_url(
            config.store.url,
            hosts=self.hosts,
            max_duration_seconds=config.session.max_duration_seconds,
            asset_cache_bytes=p.asset_cache_bytes,
        )
        if isinstance(self.store, MemoryProxyStore):
            self.hosts = self.store.hosts  # one mapping: the synchronous calls see it too
        else:
            h = self.hosts
            self.hosts = NamingHosts(domain=h.domain, scheme=h.scheme, port=h.port)
        self.policy = AddressPolicy.parse(p.allowed_networks)
        self.upstream = Upstream(policy=self.policy, timeout=p.upstream_timeout_seconds)
        self.continuation: ContinuationStore = continuation or continuation_store_from_url(
            config.store.url, max_duration_seconds=config.session.max_duration_seconds
        )
        self._views: dict[str, tuple[float, list[tuple[bytes, bytes]]]] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._may_hold_values = HoldsValuesMemo()

    # --- hosts ----------------------------------------------------------------------

    async def session_hosts(self, session_id: str) -> SessionHosts:
        known = await self.store.targets(session_id)
        limit = self.config.proxy.max_other_origins
        return SessionHosts(names=self.hosts, session_id=session_id, limit=limit, known=known)

    async def settle(self, hosts: SessionHosts) -> bool:
        """Claims what the rewriters proposed; True when it all stood (else rewrite)."""
        if not hosts.proposed:
            return True
        limit = self.config.proxy.max_other_origins
        claimed = await self.store.claim(list(hosts.proposed.values()), limit=limit)
        return hosts.settle(claimed)

    async def target(self, label: str) -> Target | None:
        return await self.store.target(label)

    async def origins(self, session_id: str) -> dict[str, str]:
        """Upstream origin -> proxy origin, for every label of a session."""
        targets = await self.store.targets(session_id)
        return {o: self.hosts.origin(t.label) for o, t in targets.items()}

    def url_map(
        self, hosts: SessionHosts, base: str, *, navigating: bool = True, fallback: bool = True
    ) -> UrlMap:
        """The session's map: allowed origins and (loads only, up to
        proxy.max_other_origins) other origins get proxy hosts; a navigation to another
        origin, or a load past the limit, goes to /__cobrowse/go (unless not `fallback`).
        For a response to a subresource request (not `navigating`) its redirects are
        loads too. New labels are proposals in `hosts` until `settle`."""
        names = self.hosts

        def proxy_origin_of(origin: str) -> str | None:
            if self.sites.allows(origin):
                return names.origin(hosts.label_for(origin))
            if names.is_proxy_origin(origin):
                return None  # a proxy host already
            label = hosts.other_label_for(origin)
            return None if label is None else names.origin(label)

        def navigation_origin_of(origin: str) -> str | None:
            if self.sites.allows(origin):
                return names.origin(hosts.label_for(origin))
            label = hosts.label_of(origin)
            return None if label is None else names.origin(label)

        def go(url: str) -> str | None:
            origin = origin_of(url)
            if origin is None or names.is_proxy_origin(origin):
                return None
            return GO_PATH + quote(url, safe="")

        return UrlMap(
            base=base,
            proxy_origin_of=proxy_origin_of,
            upstream_origin_of=hosts.upstream_of,
            navigation_origin_of=navigation_origin_of if navigating else None,
            fallback=go if fallback else None,
        )

    # --- opaque asset URLs (core/asset_ids.py) ----------------------------------------

    async def asset_ids(
        self, session_id: str, hosts: SessionHosts, *, document: str, url: str
    ) -> AssetIds | None:
        """What the rewrite of `document` (at upstream `url`) gives the subresource URLs
        that hold a value pattern of the session's sites; None when no URL in it can."""
        patterns = self.config.masking_rules.patterns_for(hosts.origins())
        if not patterns or not self._may_hold_values(document, url, patterns):
            return None
        key, count = await self.store.asset_id_key(session_id)
        return AssetIds(key=key, patterns=patterns, room=max(0, MAX_ASSET_IDS - count))

    def opaque_map(self, m: UrlMap, ids: AssetIds) -> UrlMap:
        """`m`, with loads the agent's mirror makes too given opaque URLs by `ids`."""
        names = self.hosts
        plain = dataclasses.replace(m, fallback=None)

        def opaque(url: str) -> str | None:
            proxy_url = rewrite_url(url, plain)
            origin = origin_of(proxy_url)
            if origin is None or not names.is_proxy_origin(origin):
                return None  # not proxied (a data: URL, past the other-origin limit)
            return ids.url_for(url, proxy_url, origin)

        return dataclasses.replace(m, opaque=opaque)

    async def keep_asset_ids(self, session_id: str, ids: AssetIds) -> None:
        """Stores what a rewrite handed out: before its document is sent."""
        if ids.minted:
            await self.store.put_asset_ids(session_id, ids.minted)

    async def asset_url(self, session_id: str, ident: str) -> str | None:
        """The upstream URL of one of the session's opaque asset ids."""
        if not is_asset_id(ident):
            return None
        return await self.store.asset_id_url(session_id, ident)

    # --- access -----------------------------------------------------------------------

    async def open_overlay(
        self, session_id: str, origin: str, *, parent: str | None, now: float
    ) -> tuple[str, str]:
        """What the overlay route sets up: labels for every allowed origin without a
        wildcard (so pages know them all), the asset token, the page under the overlay,
        and a ticket. Returns (the proxy origin of `origin`, the ticket)."""
        hosts = await self.session_hosts(session_id)
        for pattern in self.sites.patterns:
            if pattern.port is not None and not pattern.host.startswith("*."):
                hosts.label_for(str(pattern))
        label = hosts.label_for(origin)
        for _ in range(SETTLE_ROUNDS):
            if await self.settle(hosts):
                break
        label = hosts.label_of(origin) or label
        token = await self.store.asset_token(session_id)
        if parent:
            await self.store.set_parent_origin(session_id, parent)
        ticket = await self.store.ticket(session_id, now=now)
        self._views[session_id] = (time.monotonic(), self._view(token, hosts.targets()))
        return self.hosts.origin(label), ticket

    async def redeem(self, ticket: str, *, now: float) -> tuple[str, str] | None:
        return await self.store.redeem(ticket, now=now)

    async def session_of(self, credential: str | None) -> str | None:
        return await self.store.session_of(credential) if credential else None

    async def parent_origin(self, session_id: str) -> str:
        return await self.store.parent_origin(session_id)

    async def count_redirect(self, session_id: str, status: int) -> int:
        """Redirects in a row so far, this response counted (0 for anything else)."""
        redirect = status in (301, 302, 303, 307, 308)
        return await self.store.redirected(session_id, redirect=redirect)

    async def reset_redirects(self, session_id: str) -> None:
        await self.store.reset_redirects(session_id)

    # --- cookies ----------------------------------------------------------------------

    async def jar(self, session_id: str) -> SessionCookieJar:
        """The session's jar as the store has it now, for one request."""
        return SessionCookieJar.from_state(await self.store.jar(session_id))

    async def save_jar(self, session_id: str, jar: SessionCookieJar) -> None:
        """Writes back what changed in `jar` since it was loaded (or last saved)."""
        changes = jar.take_changes()
        if changes:
            await self.store.update_jar(session_id, changes)

    async def write_back(self, handoff: Handoff, *, now: float) -> WriteBack:
        """What the continuation point writes back for the site, from the session's jar."""
        state = await self.store.jar(handoff.session_id)
        jar = SessionCookieJar.from_state(state)  # what a request would send now
        host = (urlsplit(handoff.origin).hostname or "").lower()
        return write_back(
            state.baselines.get(host, ()), jar.records(), host=host, now=now, deleted=jar.deleted
        )

    # --- the agent's assets -----------------------------------------------------------

    async def put_asset(self, session_id: str, label: str, path: str, asset: Asset) -> None:
        await self.store.put_asset(session_id, label, path, asset)

    async def session_of_asset_token(self, token: str) -> str | None:
        return await self.store.session_of_token(token)

    async def wait_for_asset(
        self,
        session_id: str,
        label: str,
        path: str,
        *,
        timeout: float,
        patterns: Sequence[Pattern] = (),
    ) -> Asset | None:
        """The asset, waiting a little: the mirror may ask before the visitor's fetch
        ends (on any node). With `patterns`, a `path` the visitor's browser masked (a URL
        a script made, that no rewriter could give an opaque one) is the one asset whose
        path it masks to exactly that: never a guess with some value shown, and nothing
        when two assets mask alike."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        masked = bool(patterns) and MASK_CHAR in path
        while (
            item := await self._asset_or_masked(session_id, label, path, masked, patterns)
        ) is None:
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(ASSET_POLL_SECONDS)
        return item

    async def _asset_or_masked(
        self, session_id: str, label: str, path: str, masked: bool, patterns: Sequence[Pattern]
    ) -> Asset | None:
        item = await self.store.asset(session_id, label, path)
        if item is not None or not masked:
            return item
        origin = self.hosts.origin(label)
        held = [
            p
            for p in await self.store.asset_paths(session_id, label)
            if mask_string(origin + p, patterns)[len(origin) :] == path
        ]
        if len(set(held)) != 1:
            return None
        return await self.store.asset(session_id, label, held[0])

    async def mirror_map(self, session_id: str, token: str, label: str, path: str) -> UrlMap:
        """URLs in a stylesheet the asset route serves (`label`, `path`): resolved
        against its proxy URL, and every proxy origin of the session pointed at the asset
        route, as `agent_view` points them in page data (the mirror loads from there
        only)."""
        targets = await self.store.targets(session_id)
        base = self.config.base_url
        routes = {
            self.hosts.origin(t.label): f"{base}/assets/{token}/{t.label}" for t in targets.values()
        }
        return UrlMap(
            base=self.hosts.origin(label) + path,
            proxy_origin_of=routes.get,
            upstream_origin_of=lambda _origin: None,
            absolute=True,
        )

    def agent_view(self, session_id: str, base_url: str) -> list[tuple[bytes, bytes]]:
        """Byte replacements that point proxy origins in page data at the asset route.

        Synchronous (the hub calls it for every page frame). With the memory store it is
        exact; with Redis it is this node's copy, made when this node opened the overlay
        and refreshed in the background when older than VIEW_REFRESH_SECONDS."""
        store = self.store
        if isinstance(store, MemoryProxyStore):
            token = store._token_of.get(session_id)
            if token is None:
                return []
            return self._view(token, store.hosts.targets(session_id))
        view = self._views.get(session_id)
        if view is None or time.monotonic() - view[0] > VIEW_REFRESH_SECONDS:
            self._refresh_view(session_id)
        return [] if view is None else view[1]

    def _view(self, token: str, targets: dict[str, Target]) -> list[tuple[bytes, bytes]]:
        base = self.config.base_url
        return [
            (self.hosts.origin(t.label).encode(), f"{base}/assets/{token}/{t.label}".encode())
            for t in targets.values()
        ]

    async def load_view(self, session_id: str) -> None:
        """Make this node's copy of the session's agent view now (an agent connects
        here): the page it is sent first is shown with its assets. Memory needs none."""
        if isinstance(self.store, MemoryProxyStore):
            return
        try:
            token = await self.store.token_of(session_id)
            if token is not None:
                targets = await self.store.targets(session_id)
                self._views[session_id] = (time.monotonic(), self._view(token, targets))
        except (RedisError, OSError) as exc:
            log.warning("loading the agent's view failed: %s", exc)

    def _refresh_view(self, session_id: str) -> None:
        if session_id in self._refreshing:
            return
        # Views no frame asked for in a while: their sessions ended or moved elsewhere.
        stale = time.monotonic() - VIEW_KEEP_SECONDS
        self._views = {k: v for k, v in self._views.items() if v[0] > stale}

        async def refresh() -> None:
            try:
                token = await self.store.token_of(session_id)
                targets = await self.store.targets(session_id)
                if token is not None:
                    self._views[session_id] = (time.monotonic(), self._view(token, targets))
            except (RedisError, OSError) as exc:  # the old view serves meanwhile
                log.warning("refreshing the agent's view failed: %s", exc)
            finally:
                self._refreshing.pop(session_id, None)

        self._refreshing[session_id] = asyncio.get_running_loop().create_task(refresh())

    # --- the end ----------------------------------------------------------------------

    async def forget(self, session_id: str, *, now: float | None = None) -> None:
        book = self.continuation
        when = time.time() if now is None else now
        live = await book.returns_of(session_id)
        results = {key: await self.write_back(h, now=when) for key, h in live}
        await book.ended(session_id, results, now=when)
        self._views.pop(session_id, None)
        await self.store.forget(session_id)

    async def close(self) -> None:
        """The upstream connector and the stores' clients (Redis): at shutdown."""
        for task in list(self._refreshing.values()):
            task.cancel()
        await self.upstream.close()
        await self.store.close()
        await self.continuation.close()

    # --- synchronous, memory store only -----------------------------------------------
    # What the overlay route in api.py (and tests) still call directly; with Redis they
    # raise, and api.py must call `await open_overlay(...)` instead.

    def _memory(self) -> MemoryProxyStore:
        if not isinstance(self.store, MemoryProxyStore):
            raise RuntimeError(_MEMORY_ONLY)
        return self.store

    @property
    def access(self) -> ProxyAccess:
        return self._memory().access

    @property
    def parent_origins(self) -> dict[str, str]:
        return self._memory().parent_origins

    @property
    def asset_tokens(self) -> dict[str, str]:
        return self._memory().asset_tokens

    def cache(self, session_id: str) -> AssetCache:
        return self._memory().cache(session_id)

    def asset_token(self, session_id: str) -> str:
        return self._memory().asset_token_now(session_id)

    def prepare(self, session_id: str) -> None:
        """Labels for every allowed origin without a wildcard, so pages know them all."""
        hosts = self._memory().hosts
        for pattern in self.sites.patterns:
            if pattern.port is not None and not pattern.host.startswith("*."):
                hosts.label_for(session_id, str(pattern))
