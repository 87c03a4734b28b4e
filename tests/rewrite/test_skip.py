"""The fast path (cobrowse.rewrite.skip) against the careful token-by-token path."""

from __future__ import annotations

from hypothesis import given

from cobrowse.rewrite.html import _rewrite_html
from tests.rewrite.strategies import SETTINGS, markup
from tests.rewrite.urlmap import URL_MAP

INJECT = "<script src=/__cobrowse/runtime.js></script>"


@SETTINGS
@given(markup)
def test_skipping_regex_agrees_with_the_careful_path(text: str) -> None:
    for inject in ("", INJECT):  # without injection, skipping starts at the first byte
        fast = _rewrite_html(text, URL_MAP, inject=inject, fast=True)
        slow = _rewrite_html(text, URL_MAP, inject=inject, fast=False)
        assert fast == slow


def _all_values() -> list[str]:
    leads = ["", " ", "\t"]
    schemes = ["https", "HTTPS", "ht\ntps", "javascript", ""]
    colons = [":", "&#58;", "&colon;", ""]
    slashes = ["//", "/", "\\\\", "/\t/", "&#47;/", "/&#47;", "/&#x2f;", "/&sol;"]
    hosts = ["cdn.example.gov.in/x", "x"]
    return [
        a + b + c + d + e
        for a in leads
        for b in schemes
        for c in colons
        for d in slashes
        for e in hosts
    ]


def _all_tags() -> list[str]:
    tags = []
    for value in _all_values():
        for quote in ('"', "'", ""):
            q = value if quote else value.replace(" ", "").replace("\t", "")
            tags += [
                f"<a href={quote}{q}{quote}>",
                f"<img srcset={quote}/a.png 1x, {q} 2x{quote}>",
                f"<div style={quote}color:red;background:url({q}){quote}>",
                f"<td style={quote}background:url('{q}'){quote}>",
                f"<a ping={quote}/p {q}{quote}>",
                f"<iframe srcdoc={quote}<img src={q}>{quote}></iframe>",
                f"<script src={quote}{q}{quote} type=module></script>",
            ]
    return tags


def test_skipping_regex_agrees_on_every_url_shape() -> None:
    """Exhaustive over the ways a value can (or cannot) start an absolute URL, which
    random generation rarely hits all at once."""
    lines = _all_tags()
    separator = "\n<!--next-->\n"
    text = separator.join(lines)
    fast = _rewrite_html(text, URL_MAP, inject="", fast=True).split(separator)
    slow = _rewrite_html(text, URL_MAP, inject="", fast=False).split(separator)
    assert len(fast) == len(slow)
    diverging = [(line, f, s) for line, f, s in zip(lines, fast, slow, strict=False) if f != s]
    assert diverging == []
