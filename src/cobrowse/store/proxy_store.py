"""The proxy's per-session state behind one async Protocol: memory (one process) or
Redis (several nodes, no sticky routing).

What a store keeps, per session: the proxy host labels (core/proxy_hosts.py's rules),
overlay tickets and the visitor's proxy credential, the asset token and the assets the
agent's mirror reads, the opaque asset URLs (core/asset_ids.py: the key their ids are
made with, and id -> URL), the page under the overlay (its origin), the redirect counter,
and the upstream site's cookies (the jar's state: cookies, the baselines and deletions
the continuation point writes back from). The aiohttp clients stay on each node; a
request loads the jar's state, and writes back what its response changed
(`JarChanges`), so a Set-Cookie received on one node is sent by the next.

Everything of a session goes with `forget`, and (Redis) expires by itself at most
`ttl_seconds` after the session's first write, which the caller sets to the session's
longest life plus a margin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from cobrowse.core.continuation import Cookie
from cobrowse.core.proxy_hosts import Target

CACHEABLE_PREFIXES = ("image/", "font/", "text/css", "application/font", "application/x-font")
MAX_ASSET_BYTES = 8 * 1024 * 1024  # one asset; a session's cache is proxy.asset_cache_bytes
ASSET_POLL_SECONDS = 0.1  # how often a waiting asset read looks again


@dataclass(frozen=True, slots=True)
class Asset:
    content_type: str
    body: bytes


def cacheable(content_type: str) -> bool:
    return content_type.lower().startswith(CACHEABLE_PREFIXES)


CookieKey = tuple[str, str, str]  # (domain, path without its trailing "/", name): aiohttp's


def cookie_key(cookie: Cookie) -> CookieKey:
    """The identity two cookies share when one replaces the other (the jar's, as
    aiohttp keys it: "/a/" and "/a" are one path)."""
    return (cookie.domain, cookie.path.rstrip("/"), cookie.name)


@dataclass(frozen=True, slots=True)
class JarState:
    """A session's upstream cookies as a request loads them."""

    cookies: tuple[Cookie, ...] = ()
    baselines: dict[str, tuple[Cookie, ...]] = field(default_factory=dict)  # host -> jar
    deleted: tuple[Cookie, ...] = ()  # identities the site deleted, oldest first
    guessed: frozenset[tuple[str, str]] = frozenset()  # (host, name) copied in, path "/"


@dataclass(frozen=True, slots=True)
class JarChanges:
    """What one request changed: cookies set (by identity) or gone, deletions to
    append, baselines to replace, guesses made or disproved."""

    put: tuple[Cookie, ...] = ()
    removed: tuple[CookieKey, ...] = ()
    deleted: tuple[Cookie, ...] = ()
    baselines: dict[str, tuple[Cookie, ...]] = field(default_factory=dict)
    guessed: frozenset[tuple[str, str]] = frozenset()
    unguessed: frozenset[tuple[str, str]] = frozenset()

    def __bool__(self) -> bool:
        return bool(
            self.put
            or self.removed
            or self.deleted
            or self.baselines
            or self.guessed
            or self.unguessed
        )


def apply_changes(state: JarState, changes: JarChanges) -> JarState:
    """The state after `changes` (the memory store's update; Redis does the same per
    field in one script)."""
    cookies = {cookie_key(c): c for c in state.cookies}
    for key in changes.removed:
        cookies.pop(key, None)
    for cookie in changes.put:
        cookies[cookie_key(cookie)] = cookie
    return JarState(
        cookies=tuple(cookies.values()),
        baselines={**state.baselines, **changes.baselines},
        deleted=state.deleted + changes.deleted,
        guessed=(state.guessed - changes.unguessed) | changes.guessed,
    )


def encode_cookie(cookie: Cookie) -> bytes:
    return orjson.dumps(
        [
            cookie.name,
            cookie.value,
            cookie.domain,
            cookie.host_only,
            cookie.path,
            cookie.expires,
            cookie.secure,
            cookie.httponly,
            cookie.samesite,
        ]
    )


def decode_cookie(raw: bytes | str) -> Cookie:
    n, v, d, h, p, e, s, ho, ss = orjson.loads(raw)
    return Cookie(
        name=n,
        value=v,
        domain=d,
        host_only=h,
        path=p,
        expires=e,
        secure=s,
        httponly=ho,
        samesite=ss,
    )


def encode_key(key: CookieKey) -> str:
    return orjson.dumps(list(key)).decode()


class ProxyStore(Protocol):
    """Per-session proxy state. Times (`now`) are the caller's clock in seconds, used
    where the memory store checks lifetimes; Redis enforces them as TTLs."""

    # --- hosts (core/proxy_hosts.py) -------------------------------------------------

    async def targets(self, session_id: str) -> dict[str, Target]:
        """Upstream origin -> target, for every label of the session."""
        ...

    async def target(self, label: str) -> Target | None: ...

    async def claim(self, proposed: list[Target], *, limit: int) -> dict[str, Target]:
        """`ProxyHosts.claim` for each proposal, atomically per proposal: origin -> the
        target now held (the proposal, or what another node claimed first); an other
        origin refused past `limit` is left out."""
        ...

    # --- access ------------------------------------------------------------------

    async def ticket(self, session_id: str, *, now: float) -> str:
        """A one-time overlay ticket (core/proxy_hosts.py TICKET_TTL)."""
        ...

    async def redeem(self, ticket: str, *, now: float) -> tuple[str, str] | None:
        """(session id, the session's proxy credential) for a live ticket, used up."""
        ...

    async def session_of(self, credential: str) -> str | None: ...

    # --- the agent's assets --------------------------------------------------------

    async def asset_token(self, session_id: str) -> str:
        """The session's asset token, made on first use."""
        ...

    async def token_of(self, session_id: str) -> str | None:
        """The session's asset token if it has one (none is made)."""
        ...

    async def session_of_token(self, token: str) -> str | None: ...

    async def put_asset(self, session_id: str, label: str, path: str, asset: Asset) -> None:
        """Kept when at most MAX_ASSET_BYTES and the cache's size; the oldest go first
        while the session's assets are over `max_bytes` (real bytes of the bodies)."""
        ...

    async def asset(self, session_id: str, label: str, path: str) -> Asset | None: ...

    async def asset_paths(self, session_id: str, label: str) -> list[str]:
        """The paths of the assets kept for `label`, oldest first."""
        ...

    # --- opaque asset URLs (core/asset_ids.py) ---------------------------------------

    async def asset_id_key(self, session_id: str) -> tuple[bytes, int]:
        """The key the session's opaque asset ids are made with (made on first use, the
        same on every node), and how many ids the session has."""
        ...

    async def put_asset_ids(self, session_id: str, ids: Mapping[str, str]) -> None:
        """Keep id -> upstream URL; an id that is kept already keeps its URL."""
        ...

    async def asset_id_url(self, session_id: str, ident: str) -> str | None:
        """The upstream URL of one of the session's ids; None for anything else."""
        ...

    # --- the rest of a session ------------------------------------------------------

    async def set_parent_origin(self, session_id: str, origin: str) -> None: ...

    async def parent_origin(self, session_id: str) -> str:
        """The origin of the page under the overlay, or ""."""
        ...

    async def redirected(self, session_id: str, *, redirect: bool) -> int:
        """Count a response: redirects in a row so far (0 after any other response)."""
        ...

    async def reset_redirects(self, session_id: str) -> None: ...

    async def jar(self, session_id: str) -> JarState: ...

    async def update_jar(self, session_id: str, changes: JarChanges) -> None:
        """Merge one request's changes: per cookie identity, so two nodes updating the
        jar at once keep each other's cookies."""
        ...

    async def forget(self, session_id: str) -> None:
        """Everything of the session, on every node."""
        ...

    async def close(self) -> None: ...
