"""atheris harness for the HTML and CSS rewriters: no exception (their safety nets are
bypassed), and a document whose URLs map nowhere comes back unchanged (CSS) or with
only the injection (HTML, outside the removals that happen whatever the map).

    .venv/bin/python fuzz/fuzz_rewrite.py -max_total_time=60
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from cobrowse.rewrite.css import _rewrite_css
    from cobrowse.rewrite.html import _rewrite_html
    from cobrowse.rewrite.urls import UrlMap

PROXY = {
    "https://portal.example.gov.in": "http://pa.cobrowse.localhost:8000",
    "https://cdn.example.gov.in": "http://pb.cobrowse.localhost:8000",
}
UPSTREAM = {v: k for k, v in PROXY.items()}
BASE = "https://portal.example.gov.in/itr/form?x=1"
MAPPED = UrlMap(base=BASE, proxy_origin_of=PROXY.get, upstream_origin_of=UPSTREAM.get)
NOTHING = UrlMap(base=BASE, proxy_origin_of=lambda _: None, upstream_origin_of=lambda _: None)
MARK = "<x-cobrowse-inject-marker>"


def one(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    out = _rewrite_html(text, MAPPED, inject=MARK)
    assert out.count(MARK) == text.count(MARK) + 1
    lowered = text.lower()
    if not any(w in lowered for w in ("integrity", "http-equiv", "importmap")):
        same = _rewrite_html(text, NOTHING, inject=MARK)
        at = same.index(MARK)
        assert same[:at] + same[at + len(MARK) :] == text
    once = _rewrite_css(text, MAPPED)
    assert _rewrite_css(once, MAPPED) == once
    assert _rewrite_css(text, NOTHING) == text


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
