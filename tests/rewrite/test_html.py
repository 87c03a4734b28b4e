"""HTML rewriting: named golden files, plus the fast path checked against the careful one."""

from __future__ import annotations

import pytest

from cobrowse.rewrite import html as html_module
from cobrowse.rewrite.html import _rewrite_html, rewrite_html
from tests.rewrite import golden
from tests.rewrite.test_csp import POLICY
from tests.rewrite.urlmap import URL_MAP, session_map

INJECT = '<script src="/__cobrowse/runtime.js"></script>'
CASES = golden.cases("html", "html")


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    assert golden.orphans("html", "html") == []


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    golden.check("html", "html", case, lambda text: rewrite_html(text, URL_MAP, inject=INJECT))


PROXY_CASES = golden.cases("html_proxy", "html")


def test_there_are_proxy_cases() -> None:
    assert len(PROXY_CASES) >= 3
    assert golden.orphans("html_proxy", "html") == []


@pytest.mark.parametrize("case", PROXY_CASES)
def test_golden_as_a_session_maps(case: str) -> None:
    """As the proxy rewrites: other origins get hosts for loads (at most 3 here), a
    navigation only uses a host that exists, the rest goes through the go path, and
    meta policies are rewritten."""
    golden.check(
        "html_proxy",
        "html",
        case,
        lambda text: rewrite_html(text, session_map(limit=3), inject=INJECT, policy=POLICY),
    )


@pytest.mark.parametrize("case", CASES)
def test_skipping_changes_nothing(case: str) -> None:
    """The regex that skips uninteresting markup agrees with the token-by-token path."""
    text = golden.read(golden.FIXTURES / "html" / f"{case}.in.html")
    assert _rewrite_html(text, URL_MAP, inject=INJECT, fast=True) == _rewrite_html(
        text, URL_MAP, inject=INJECT, fast=False
    )


def test_inject_is_placed_once_and_never_before_the_doctype() -> None:
    out = rewrite_html("<!DOCTYPE html><p>x</p><head></head>", URL_MAP, inject="<i-n>")
    assert out == "<!DOCTYPE html><i-n><p>x</p><head></head>"


def test_no_injection_when_inject_is_empty() -> None:
    text = "<!DOCTYPE html><html><head><title>t</title></head></html>"
    assert rewrite_html(text, URL_MAP, inject="") == text


def test_unchanged_document_is_returned_as_is() -> None:
    text = '<!DOCTYPE html><html><head></head><body><a href="/x">x</a></body></html>'
    out = rewrite_html(text, URL_MAP, inject="")
    assert out == text


def test_an_internal_error_still_injects_after_the_doctype(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(html_module._Rewriter, "run", broken)
    text = '<!DOCTYPE html>\n<html lang="en"><head><title>t</title>'
    assert rewrite_html(text, URL_MAP, inject="<i-n>") == (
        '<!DOCTYPE html>\n<html lang="en"><head><i-n><title>t</title>'
    )
    assert rewrite_html("<p>x", URL_MAP, inject="<i-n>") == "<i-n><p>x"


def test_urls_after_a_base_are_read_against_it() -> None:
    """The rewriters for URL attributes are made once per document; a <base> changes
    the map they read against, and so every URL after it: here the scheme that a
    scheme-relative URL takes (http before the base, https after)."""
    from tests.rewrite.urlmap import PROXY_ORIGINS, url_map

    m = url_map("http://portal.example.gov.in/itr/page.html")
    out = rewrite_html(
        '<a href="//portal.example.gov.in/one">1</a>'
        '<base href="https://portal.example.gov.in/">'
        '<a href="//portal.example.gov.in/two">2</a>',
        m,
        inject="",
    )
    proxy = PROXY_ORIGINS["https://portal.example.gov.in"]
    assert 'href="//portal.example.gov.in/one"' in out  # http: not a proxied origin
    assert f'href="{proxy}/two"' in out
