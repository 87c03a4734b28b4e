"""CSS rewriting: named golden files."""

from __future__ import annotations

import pytest

from cobrowse.rewrite.css import rewrite_css
from tests.rewrite import golden
from tests.rewrite.urlmap import URL_MAP

CASES = golden.cases("css", "css")


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15
    assert golden.orphans("css", "css") == []


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    golden.check("css", "css", case, lambda text: rewrite_css(text, URL_MAP))


def test_unchanged_stylesheet_is_the_same_object() -> None:
    text = ".a { color: red; background: url(/x.png) }"
    assert rewrite_css(text, URL_MAP) is text


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # each the only URL of its stylesheet: the skipping of stylesheets without any
        # must not skip it
        ("a{b:URL(https://cdn.example.gov.in/x)}", "a{b:URL(http://pb.cobrowse.localhost:8000/x)}"),
        (
            '@IMPORT "https://cdn.example.gov.in/x";',
            '@IMPORT "http://pb.cobrowse.localhost:8000/x";',
        ),
        (
            'a{b:IMAGE-SET("https://cdn.example.gov.in/x" 1x)}',
            'a{b:IMAGE-SET("http://pb.cobrowse.localhost:8000/x" 1x)}',
        ),
        (
            'a{b:-WebKit-Image-Set("https://cdn.example.gov.in/x" 1x)}',
            'a{b:-WebKit-Image-Set("http://pb.cobrowse.localhost:8000/x" 1x)}',
        ),
        (
            "a{b:\\75 rl(https://cdn.example.gov.in/x)}",
            "a{b:\\75 rl(http://pb.cobrowse.localhost:8000/x)}",
        ),
        (
            "a{b:u\\72 l(https://cdn.example.gov.in/x)}",
            "a{b:u\\72 l(http://pb.cobrowse.localhost:8000/x)}",
        ),
        (
            '@\\69mport "https://cdn.example.gov.in/x";',
            '@\\69mport "http://pb.cobrowse.localhost:8000/x";',
        ),
        (
            'a{b:\\69mage-set("https://cdn.example.gov.in/x" 1x)}',
            'a{b:\\69mage-set("http://pb.cobrowse.localhost:8000/x" 1x)}',
        ),
        (
            "a{b:ur\\l(https://cdn.example.gov.in/x)}",
            "a{b:ur\\l(http://pb.cobrowse.localhost:8000/x)}",
        ),
    ],
)
def test_a_lone_url_however_spelled_is_rewritten(text: str, expected: str) -> None:
    assert rewrite_css(text, URL_MAP) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a{b:ur/**/l(https://cdn.example.gov.in/x)}",
        'a{content:"url(https://cdn.example.gov.in/x)"}',
        "/* url(https://cdn.example.gov.in/x) */",
        "a{b:a\\75 rl(https://cdn.example.gov.in/x)}",
        "a{b:\\41 \\75 rl(https://cdn.example.gov.in/x)}",
        '@\\69mports "https://cdn.example.gov.in/x";',
        'a{b:"https://cdn.example.gov.in/x"}',
    ],
)
def test_what_is_not_a_url_token_stays_the_same_object(text: str) -> None:
    assert rewrite_css(text, URL_MAP) is text
