"""The regex subset masking patterns may use: parsed, bounded, emitted canonically."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.masking_regex import MAX_COST, RegexError, parse


@pytest.mark.parametrize(
    ("text", "source"),
    [
        (r"\d{3}", "[0-9]{3}"),
        (r"EMP-\d{6}", r"EMP-[0-9]{6}"),
        (r"a\-b\@c[\-@]", r"a-b@c[\-@]"),
        (r"(ab|cd)?x", r"(?:ab|cd)?x"),
        (r"[a-c\d_]{1,4}", r"[a-c0-9_]{1,4}"),
        (r"a.b", "a[^\\n\\r]b"),
        (r"\w\s", "[A-Za-z0-9_][ \\t\\n\\r\\f\\v]"),
    ],
)
def test_canonical_form(text: str, source: str) -> None:
    assert parse(text).source == source


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a*", "unbounded"),
        ("a+", "unbounded"),
        ("a{2,}", "quantifiers"),
        ("a{1,65}", "quantifiers"),
        (r"(a)\1", r"\1"),
        ("(?=a)b", "lookaround"),
        ("(?i)abc", "lookaround"),
        ("^abc", "anchors"),
        ("abc$", "anchors"),
        ("a??", "cannot follow"),
        ("[abc", "missing ]"),
        ("(abc", "missing )"),
        ("abc)", "unexpected"),
        ("a?", "empty string"),
        ("", "non-empty"),
        (r"\D", "not allowed"),
        (r"\bab", "not allowed"),
        ("(a|a){1,64}", "ambiguous"),
        ("[0-9]{1,64}[0-9]{1,64}[0-9]{1,64}", "ambiguous"),
        ("[z-a]", "bad range"),
        ("a" * 600, "at most"),
        ("(?:[a-z]{64}){5}", "characters long"),
    ],
)
def test_refused(text: str, words: str) -> None:
    with pytest.raises(RegexError, match=re.escape(words)):
        parse(text)


def test_a_class_followed_by_a_disjoint_character_adds_instead_of_multiplying() -> None:
    assert parse("[a-z]{1,64}@[a-z]{1,63}").cost < 200
    with pytest.raises(RegexError):
        parse("[a-z@]{1,64}@[a-z]{1,64}[a-z0-9]{1,64}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_accepted_or_refused_cleanly(text: str) -> None:
    try:
        safe = parse(text)
    except RegexError:
        return
    # What is accepted compiles in Python exactly as emitted, and is bounded.
    re.compile(safe.source, re.ASCII)
    assert safe.cost <= MAX_COST
    assert parse(safe.source).source == safe.source  # canonical form is a fixed point


_atoms = st.sampled_from(["a", "b", "[0-9]", "[a-z]", r"\d", r"\-", "x"])


@st.composite
def _bounded_patterns(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        atom = draw(_atoms)
        low = draw(st.integers(1, 8))
        high = draw(st.integers(low, 16))
        parts.append(f"{atom}{{{low},{high}}}")
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(_bounded_patterns(), st.text(alphabet="ab0129x-z", max_size=300))
def test_accepted_patterns_agree_with_re_on_matches(pattern: str, text: str) -> None:
    try:
        safe = parse(pattern)
    except RegexError:
        return
    original = re.compile(pattern.replace(r"\d", "[0-9]"), re.ASCII)
    assert [m.span() for m in re.finditer(safe.source, text, re.ASCII)] == [
        m.span() for m in original.finditer(text)
    ]
