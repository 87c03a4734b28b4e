"""Opaque asset URLs on the rewriting side: which URLs the rewriters hand to the map's
`opaque` (loads the agent's mirror makes too, resolved as the browser resolves them),
which they never do (navigations, scripts, the base), and the ids (core/asset_ids.py)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.asset_ids import (
    ASSET_PATH,
    ID_LENGTH,
    MAX_ASSET_IDS,
    AssetIds,
    HoldsValuesMemo,
    asset_id,
    may_hold_values,
)
from cobrowse.core.masking import BUILTIN_PATTERNS, DEFAULT_PATTERNS, mask_text, parse_pattern
from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.html import rewrite_html
from cobrowse.rewrite.urls import UrlMap, rewrite_load, rewrite_url
from tests.rewrite.urlmap import PROXY_ORIGINS, URL_MAP, session_map

PATTERNS = [BUILTIN_PATTERNS[name] for name in DEFAULT_PATTERNS]
SITE = "https://portal.example.gov.in"
PROXY = PROXY_ORIGINS[SITE]


def recording(m: UrlMap = URL_MAP) -> tuple[UrlMap, list[str]]:
    """`m` whose `opaque` gives every URL an opaque one and records what it was given."""
    seen: list[str] = []

    def opaque(url: str) -> str:
        seen.append(url)
        return f"{PROXY}{ASSET_PATH}{len(seen)}"

    return dataclasses.replace(m, opaque=opaque), seen


def test_a_load_is_resolved_as_the_browser_resolves_it() -> None:
    m, seen = recording()
    assert rewrite_load("img/a.png#x", m) == f"{PROXY}{ASSET_PATH}1#x"
    rewrite_load("/root.png?v=1", m)
    rewrite_load("//cdn.example.gov.in/f.woff2", m)
    rewrite_load("https:same.png", m)
    rewrite_load("..\\up\\b.png?q=a\\b", m)
    rewrite_load("  https://CDN.example.gov.in:443/x y.png\t", m)
    rewrite_load("img/é.png?q=é", m)
    assert seen == [
        f"{SITE}/itr/img/a.png",
        f"{SITE}/root.png?v=1",
        "https://cdn.example.gov.in/f.woff2",
        f"{SITE}/itr/same.png",
        f"{SITE}/up/b.png?q=a\\b",
        "https://cdn.example.gov.in/x%20y.png",
        f"{SITE}/itr/img/%C3%A9.png?q=%C3%A9",
    ]


def test_what_is_no_load_is_never_handed_over() -> None:
    m, seen = recording()
    for url in ("#frag", "", "  ", "data:image/png;base64,AAAA", "javascript:x()", "mailto:a@b"):
        assert rewrite_load(url, m) == rewrite_url(url, URL_MAP)
    assert seen == []


def test_without_an_answer_a_load_maps_as_before() -> None:
    m = dataclasses.replace(URL_MAP, opaque=lambda url: None)
    for url in ("a.png", "/b.png", f"{SITE}/c.png", "https://elsewhere.test/d.png"):
        assert rewrite_load(url, m) == rewrite_url(url, URL_MAP)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_without_opaque_a_load_is_exactly_rewrite_url(url: str) -> None:
    assert rewrite_load(url, URL_MAP) == rewrite_url(url, URL_MAP)
    m = session_map()
    assert rewrite_load(url, m) == rewrite_url(url, session_map())


def test_an_absolute_map_resolves_relative_urls_first() -> None:
    m = dataclasses.replace(URL_MAP, base=f"{SITE}/css/theme.css", absolute=True)
    assert rewrite_url("../fonts/a.woff2", m) == f"{PROXY}/fonts/a.woff2"
    assert rewrite_url("/img/b.png?x=1", m) == f"{PROXY}/img/b.png?x=1"
    assert rewrite_url("https:c.png", m) == f"{PROXY}/css/c.png"
    assert rewrite_url("#f", m) == "#f"
    assert rewrite_url("data:x", m) == "data:x"
    assert rewrite_url("../x.png", URL_MAP) == "../x.png"  # not absolute: kept relative


def test_html_hands_over_the_loads_the_mirror_makes_and_nothing_else() -> None:
    m, seen = recording()
    html = (
        '<link rel="stylesheet" href="s.css"><link rel="canonical" href="canon">'
        '<link rel="preload" as="font" href="f.woff2" crossorigin>'
        '<link rel="icon" href="i.ico"><base href="/itr/base/">'
        '<script src="app.js"></script><a href="next">n</a><form action="post"></form>'
        '<img src="img.png" srcset="s1.png 1x, s2.png 2x"><video poster="p.jpg">'
        '<source src="v.mp4"></video><iframe src="frame.html"></iframe>'
        '<div style="background: url(bg.png)"></div><table background="t.png"></table>'
        "<style>@import 'imp.css'; .a { background: image-set('set.png' 1x) }</style>"
        '<svg><image href="svg.png"/><use href="#icon"/><a href="svg-link">x</a></svg>'
    )
    out = rewrite_html(html, m, inject="")
    names = [url.rsplit("/", 1)[1] for url in seen]
    assert names == [
        "s.css",
        "f.woff2",
        "i.ico",
        "img.png",
        "s1.png",
        "s2.png",
        "p.jpg",
        "v.mp4",
        "bg.png",
        "t.png",
        "imp.css",
        "set.png",
        "svg.png",
    ]
    # After <base>, URLs resolve against it.
    assert seen[3] == f"{SITE}/itr/base/img.png"
    for kept in (
        'href="canon"',
        'src="app.js"',
        'href="next"',
        'action="post"',
        'src="frame.html"',
    ):
        assert kept in out
    assert f'href="{PROXY}{ASSET_PATH}1"' in out and 'href="#icon"' in out


def test_css_hands_over_urls_imports_and_image_sets() -> None:
    m, seen = recording()
    css = "@import url(a.css); @import 'b.css'; .x { background: url(\"c.png\") }"
    css += " .y { background: image-set('d.png' 1x, url(e.png) 2x) } .z { content: 'f.png' }"
    rewrite_css(css, m)
    assert [url.rsplit("/", 1)[1] for url in seen] == ["a.css", "b.css", "c.png", "d.png", "e.png"]


# --- the ids ----------------------------------------------------------------------------

KEY = bytes(range(32))
IBAN = "DE89370400440532013000"


def ids(**kw: object) -> AssetIds:
    values: dict[str, object] = {"key": KEY, "patterns": PATTERNS, "room": MAX_ASSET_IDS}
    values.update(kw)
    return AssetIds(**values)  # type: ignore[arg-type]


def test_an_id_is_letters_only_stable_and_the_key_s() -> None:
    url = f"{SITE}/fonts/inter.{IBAN}.woff2"
    one = asset_id(KEY, url)
    assert re.fullmatch(rf"[a-z]{{{ID_LENGTH}}}", one)
    assert asset_id(KEY, url) == one
    assert asset_id(bytes(32), url) != one  # another session's key: another id
    assert asset_id(KEY, url + "?") != one
    assert asset_id(KEY, url, 1) != one
    assert len({asset_id(KEY, f"{url}{i}") for i in range(2000)}) == 2000


def test_only_a_url_the_browser_would_mask_gets_an_id() -> None:
    book = ids()
    plain = f"{SITE}/fonts/inter.3c2f9a1b.woff2"
    assert book.url_for(plain, PROXY + plain[len(SITE) :], PROXY) is None
    for url in (
        f"{SITE}/fonts/inter.{IBAN}.woff2",
        f"{SITE}/img/x.png?pan=%45NTSV1234V",  # only URL-decoded
        f"{SITE}/img/x.png?card=4111+1111+1111+1111",
    ):
        opaque = book.url_for(url, PROXY + url[len(SITE) :], PROXY)
        assert opaque is not None and opaque.startswith(PROXY + ASSET_PATH)
        assert book.minted[opaque.rsplit("/", 1)[1]] == url
        assert mask_text(opaque, PATTERNS) == opaque
    assert len(book.minted) == 3


def test_an_id_a_pattern_would_match_is_drawn_again() -> None:
    url = f"{SITE}/x.png?pan=ENTSV1234V"
    first = asset_id(KEY, url)
    letters = parse_pattern({"name": "first", "regex": first[:20]}, "test")
    book = ids(patterns=[*PATTERNS, letters])
    opaque = book.url_for(url, PROXY + url[len(SITE) :], PROXY)
    assert opaque == f"{PROXY}{ASSET_PATH}{asset_id(KEY, url, 1)}"
    # A pattern that matches every id: none is handed out (the URL stays, masked).
    anything = parse_pattern({"name": "any", "regex": "[a-z]{28}"}, "test")
    proxy_url = PROXY + url[len(SITE) :]
    assert ids(patterns=[*PATTERNS, anything]).url_for(url, proxy_url, PROXY) is None


def test_a_full_session_hands_out_no_more_ids() -> None:
    book = ids(room=1)
    a, b = "/a?pan=ENTSV1234V", "/b?pan=ENTSV1234V"
    assert book.url_for(SITE + a, PROXY + a, PROXY) is not None
    assert book.url_for(SITE + a, PROXY + a, PROXY) is not None  # the same id again
    assert book.url_for(SITE + b, PROXY + b, PROXY) is None


def test_a_document_that_holds_no_value_needs_no_ids() -> None:
    page = '<img src="/img/logo.3c2f9a1b.png"><p>Acknowledgement 1234</p>'
    assert not may_hold_values(page, f"{SITE}/itr/", PATTERNS)
    for held in (
        f'<img src="/img/logo.{IBAN}.png">',
        '<img src="img/&#69;NTSV1234V.png">',
        '<div style="background: url(img/\\45 NTSV1234V.png)"></div>',
        '<img src="x.png?pan=%45NTSV1234V">',
    ):
        assert may_hold_values(page + held, f"{SITE}/itr/", PATTERNS), held
    assert may_hold_values(page, f"{SITE}/returns/ENTSV1234V/", PATTERNS)  # its own URL


def test_the_memo_answers_as_the_scan_does_and_scans_a_document_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cobrowse.core.asset_ids as asset_ids

    scans: list[str] = []
    real = asset_ids.may_hold_values

    def counted(document: str, url: str, patterns: object) -> bool:
        scans.append(document)
        return real(document, url, patterns)  # type: ignore[arg-type]

    monkeypatch.setattr(asset_ids, "may_hold_values", counted)
    memo = HoldsValuesMemo(size=2)
    page = '<img src="/img/logo.3c2f9a1b.png">'
    held = page + f'<img src="/img/logo.{IBAN}.png">'
    assert memo(page, f"{SITE}/itr/", PATTERNS) is False
    assert memo(page, f"{SITE}/itr/", PATTERNS) is False
    assert memo(held, f"{SITE}/itr/", PATTERNS) is True
    assert memo(held, f"{SITE}/itr/", PATTERNS) is True
    assert scans == [page, held]
    # Another URL, or other patterns, is another question.
    assert memo(page, f"{SITE}/returns/ENTSV1234V/", PATTERNS) is True
    assert memo(held, f"{SITE}/itr/", []) is False
    assert len(scans) == 4
    # Bounded: the least recently used answer went, and is asked again.
    assert memo(page, f"{SITE}/itr/", PATTERNS) is False
    assert len(scans) == 5
