"""The language of our server-rendered pages (core/lang.py)."""

from __future__ import annotations

import pytest

from cobrowse.core.lang import accepted, choose_lang, lang_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [("hi", "hi"), ("hi-IN", "hi"), ("HI_in", "hi"), ("en-GB", "en"), ("fr", None), ("", None)],
)
def test_lang_of(value: str, expected: str | None) -> None:
    assert lang_of(value) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("hi-IN,hi;q=0.9,en;q=0.8", "hi"),
        ("en-US,en;q=0.9,hi;q=0.8", "en"),
        ("fr-FR,hi;q=0.5", "hi"),  # the first of ours
        ("en;q=0.4,hi;q=0.7", "hi"),  # by quality, not order
        ("hi;q=0,en;q=0.1", "en"),  # q=0: not wanted
        ("hi;q=bogus,en;q=0.2", "en"),
        ("ta-IN,fr", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert accepted(header) == expected


def test_the_parameter_wins_then_the_header_then_english() -> None:
    assert choose_lang(query="en", accept_language="hi-IN") == "en"
    assert choose_lang(query="hi", accept_language="en") == "hi"
    assert choose_lang(query="klingon", accept_language="hi") == "hi"
    assert choose_lang(query=None, accept_language="de") == "en"
    assert choose_lang(query=None, accept_language=None) == "en"
