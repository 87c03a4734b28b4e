"""Properties of the rewriters on arbitrary and markup-like text."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.rewrite.css import _rewrite_css
from cobrowse.rewrite.entities import decode_attribute
from cobrowse.rewrite.html import _rewrite_html, rewrite_html
from cobrowse.rewrite.js import mentions_trigger
from cobrowse.rewrite.urls import UrlMap, _map, rewrite_url
from tests.rewrite.strategies import SETTINGS, css_text, markup
from tests.rewrite.urlmap import BASE, URL_MAP

INJECT = "<script src=/__cobrowse/runtime.js></script>"
NOTHING_MAPPED = UrlMap(
    base=BASE, proxy_origin_of=lambda _: None, upstream_origin_of=lambda _: None
)


@SETTINGS
@given(st.one_of(markup, st.text(max_size=300)))
def test_html_never_raises_and_injects_once(text: str) -> None:
    marker = "<x-cobrowse-inject-marker>"
    out = _rewrite_html(text, URL_MAP, inject=marker)  # without the safety net
    assert out.count(marker) == text.count(marker) + 1


@SETTINGS
@given(st.one_of(markup, st.text(max_size=300)))
def test_html_with_nothing_mapped_only_gains_the_injection(text: str) -> None:
    lowered = text.lower()
    if "integrity" in lowered or "http-equiv" in lowered or "importmap" in lowered:
        return  # removals happen whatever the map
    if mentions_trigger(decode_attribute(text)):
        return  # so does JavaScript rewriting
    marker = "<x-cobrowse-inject-marker>"
    out = _rewrite_html(text, NOTHING_MAPPED, inject=marker)
    at = out.index(marker)
    assert out[:at] + out[at + len(marker) :] == text


@SETTINGS
@given(st.one_of(css_text, st.text(max_size=300)))
def test_css_never_raises_and_nothing_mapped_is_identity(text: str) -> None:
    assert isinstance(_rewrite_css(text, URL_MAP), str)  # without the safety net
    assert _rewrite_css(text, NOTHING_MAPPED) == text


@SETTINGS
@given(st.one_of(markup, st.text(max_size=200)))
def test_url_never_raises_and_nothing_mapped_is_identity(text: str) -> None:
    assert isinstance(_map(text, URL_MAP, URL_MAP.proxy_origin_of), str)  # no safety net
    assert isinstance(_map(text, URL_MAP, URL_MAP.upstream_origin_of), str)
    assert rewrite_url(text, NOTHING_MAPPED) == text


_HOSTILE = [
    "<a " + "b" * 200_000,
    "<a href='" + "x" * 200_000,
    "<a " + 'b="c" ' * 40_000,
    "<a " + "b=c" * 60_000,
    "<" * 200_000,
    "<a" * 100_000,
    "</a" * 100_000,
    "<!--" * 50_000,
    "<!" * 100_000,
    "<script>" + "<!--<script>" * 30_000,
    "<svg>" * 50_000,
    "<svg><p>" * 30_000,
    "<td style='" + "url(" * 50_000,
    "<a href=" + "&amp;" * 50_000 + ">",
    "<a href='" + "&#" * 80_000 + "'>",
    "<img srcset='" + "https://cdn.example.gov.in/a.png 1x," * 10_000 + "'>",
    "<div " + "a" * 100_000 + "=" + "b" * 100_000,
    "x" * 1_000_000,
]
_HOSTILE_CSS = [
    "url(" * 100_000,
    "/*" * 100_000,
    '"' * 100_000,
    "\\" * 200_000,
    "image-set(" * 50_000,
    "url(https://cdn.example.gov.in/" + "a\\(" * 50_000,
    "@import " * 50_000,
]


@pytest.mark.parametrize("index", range(len(_HOSTILE)))
def test_html_is_linear_on_hostile_input(index: int) -> None:
    text = _HOSTILE[index]
    start = time.perf_counter()
    _rewrite_html(text, URL_MAP, inject=INJECT)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("index", range(len(_HOSTILE_CSS)))
def test_css_is_linear_on_hostile_input(index: int) -> None:
    text = _HOSTILE_CSS[index]
    start = time.perf_counter()
    _rewrite_css(text, URL_MAP)
    assert time.perf_counter() - start < 2.0


# --- hardening: what the browser will see (docs/threat-model.md T9) -------------------

_ALLOWED_HOSTS = {"portal.example.gov.in", "cdn.example.gov.in"}


def _leaks_upstream(value: str) -> bool:
    """Whether a URL attribute value, as a browser's URL parser reads it, points straight
    at an allowed upstream origin (which would bypass the proxy)."""
    url = value.strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )
    url = url.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").lower()
    if url.startswith("http:"):
        return False  # the allowed origins are https; http://host is another origin
    for prefix in ("https://", "//", "https:/", "https:"):
        if url.startswith(prefix):
            rest = url[len(prefix) :].lstrip("/")
            host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            host = host.rsplit("@", 1)[-1].split(":", 1)[0]
            return host in _ALLOWED_HOSTS
    return False


def _url_attributes(html: str) -> list[tuple[str, str, str]]:
    from selectolax.lexbor import LexborHTMLParser

    from cobrowse.rewrite.attributes import URL_ATTRIBUTES

    found = []
    for node in LexborHTMLParser(html).root.traverse() if html.strip() else []:
        tag = (node.tag or "").lower()
        if tag.startswith("-") or tag in ("noscript", "meta"):
            continue  # a meta's href is inert (refresh URLs have their own tests)
        if any((p.tag or "").lower() == "noscript" for p in _ancestors(node)):
            continue  # raw text when scripts run (as in the visitor's browser)
        for name, value in (node.attributes or {}).items():
            rule = URL_ATTRIBUTES.get(name.lower())
            if rule is not None and rule.kind == "url" and rule.applies_to(tag) and value:
                found.append((tag, name, value))
    return found


def _ancestors(node: object) -> list[object]:
    out = []
    parent = getattr(node, "parent", None)
    while parent is not None:
        out.append(parent)
        parent = getattr(parent, "parent", None)
    return out


@SETTINGS
@given(markup)
def test_html_never_leaves_an_allowed_origin_url_in_a_url_attribute(text: str) -> None:
    out = rewrite_html(text, URL_MAP, inject=INJECT)
    leaks = [a for a in _url_attributes(out) if _leaks_upstream(a[2])]
    assert not leaks, (text, out, leaks)


@SETTINGS
@given(st.one_of(css_text, st.text(max_size=300)))
def test_css_rewriting_is_idempotent(text: str) -> None:
    """Proxy origins are not allowed origins: rewriting rewritten CSS changes nothing."""
    once = _rewrite_css(text, URL_MAP)
    assert _rewrite_css(once, URL_MAP) == once


@SETTINGS
@given(st.one_of(markup, st.text(max_size=300)))
def test_html_rewriting_is_idempotent_apart_from_the_injection(text: str) -> None:
    once = _rewrite_html(text, URL_MAP, inject="")
    assert _rewrite_html(once, URL_MAP, inject="") == once
