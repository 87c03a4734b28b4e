"""The fixed URL map every rewriter test uses."""

from __future__ import annotations

from urllib.parse import quote

from cobrowse.rewrite.urls import UrlMap

BASE = "https://portal.example.gov.in/itr/form?x=1"
PROXY_ORIGINS = {
    "https://portal.example.gov.in": "http://pa.cobrowse.localhost:8000",
    "https://cdn.example.gov.in": "http://pb.cobrowse.localhost:8000",
}
UPSTREAM_ORIGINS = {proxy: upstream for upstream, proxy in PROXY_ORIGINS.items()}


def url_map(base: str = BASE) -> UrlMap:
    return UrlMap(
        base=base,
        proxy_origin_of=PROXY_ORIGINS.get,
        upstream_origin_of=UPSTREAM_ORIGINS.get,
    )


URL_MAP = url_map()


GO = "/__cobrowse/go?url="
PROXY_DOMAIN = ".cobrowse.localhost"
_OTHER_LABELS = "cdefghijk"


def session_map(base: str = BASE, *, limit: int = 3) -> UrlMap:
    """A map as a session's (server/proxy_state.py): the allowed origins' hosts are
    fixed; another origin gets the next host (pc, pd...) the first time a URL of it is
    loaded, while fewer than `limit` have one; a navigation only looks; what has no host
    goes through the go path."""
    others: dict[str, str] = {}

    def load(origin: str) -> str | None:
        if origin in PROXY_ORIGINS:
            return PROXY_ORIGINS[origin]
        if origin.partition("://")[2].partition(":")[0].endswith(PROXY_DOMAIN):
            return None
        if origin not in others and len(others) < limit:
            others[origin] = f"http://p{_OTHER_LABELS[len(others)]}.cobrowse.localhost:8000"
        return others.get(origin)

    def navigate(origin: str) -> str | None:
        return PROXY_ORIGINS.get(origin) or others.get(origin)

    def upstream(proxy: str) -> str | None:
        mine = {p: u for u, p in others.items()}
        return UPSTREAM_ORIGINS.get(proxy) or mine.get(proxy)

    def go(url: str) -> str | None:
        host = url.partition("://")[2].partition("/")[0].partition(":")[0]
        return None if host.endswith(PROXY_DOMAIN) else GO + quote(url, safe="")

    return UrlMap(
        base=base,
        proxy_origin_of=load,
        upstream_origin_of=upstream,
        navigation_origin_of=navigate,
        fallback=go,
    )
