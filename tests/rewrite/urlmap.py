"""The fixed URL map every rewriter test uses."""

from __future__ import annotations

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
