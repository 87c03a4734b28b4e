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
