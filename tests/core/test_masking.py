"""Masking rules: built-in patterns with their checksums, rule validation, the rule set
sent to the browser, and the reference masker (fuzzed)."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.masking import (
    BUILTIN_PATTERNS,
    MaskingError,
    check_selector,
    compile_rules,
    find_spans,
    mask_text,
)
from cobrowse.core.masking_checks import luhn_valid, mod97_valid, verhoeff_digit
from cobrowse.core.masking_regex import MAX_COST, MAX_WIDTH, parse
from tests.core.masking_fixture import FIXTURE, dump

ALL = list(BUILTIN_PATTERNS.values())


def test_golden_fixture_is_what_python_emits() -> None:
    """The TypeScript tests read this file: if it is stale, the two sides could drift."""
    assert (FIXTURE / "golden.json").read_text(encoding="utf-8") == dump(), (
        "regenerate: .venv/bin/python -m tests.core.masking_fixture"
    )


def test_builtins_are_bounded_and_reparse_to_themselves() -> None:
    for pattern in ALL:
        again = parse(pattern.regex.source)
        assert again.source == pattern.regex.source
        assert pattern.regex.cost <= MAX_COST and pattern.regex.width <= MAX_WIDTH


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("PAN ABCDE1234F.", "PAN **********."),
        ("2345 6789 0124", "**** **** ****"),
        ("2345 6789 0123", "2345 6789 0123"),  # Verhoeff fails: not an Aadhaar
        ("4111 1111 1111 1111", "**** **** **** ****"),
        ("ref 20241124", "ref 20241124"),
        ("mail me: a@b.in", "mail me: *@*.**"),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text, ALL) == masked


def test_a_failed_check_is_retried_one_position_later() -> None:
    # "1234 2345 6789" fails Verhoeff; the Aadhaar starting at the second group is found.
    assert find_spans("1234 2345 6789 0124", [BUILTIN_PATTERNS["aadhaar"]]) == [(5, 19)]


# --- generated secrets -------------------------------------------------------------

_upper = st.sampled_from(string.ascii_uppercase)
_digit = st.sampled_from(string.digits)


@st.composite
def pans(draw: st.DrawFn) -> str:
    letters = draw(st.lists(_upper, min_size=6, max_size=6))
    digits = draw(st.lists(_digit, min_size=4, max_size=4))
    pan = "".join(letters[:5]) + "".join(digits) + letters[5]
    return pan.lower() if draw(st.booleans()) else pan


def _grouped(digits: str, groups: list[int], sep: str) -> str:
    out, i = [], 0
    for g in groups:
        out.append(digits[i : i + g])
        i += g
    return sep.join(out)


@st.composite
def aadhaars(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from("23456789")) + "".join(
        draw(st.lists(_digit, min_size=10, max_size=10))
    )
    number = body + verhoeff_digit(body)
    return _grouped(number, [4, 4, 4], draw(st.sampled_from(["", " ", "-"])))


def _luhn_complete(body: str) -> str:
    for d in string.digits:
        if luhn_valid(body + d):
            return body + d
    raise AssertionError


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from([15, 16, 19, 13]))
    body = "".join(draw(st.lists(_digit, min_size=length - 1, max_size=length - 1)))
    number = _luhn_complete(body)
    sep = draw(st.sampled_from(["", " ", "-"]))
    if length == 15:
        return _grouped(number, [4, 6, 5], sep)
    return _grouped(number, [4] * (length // 4) + ([length % 4] if length % 4 else []), sep)


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = "".join(draw(st.lists(_upper, min_size=2, max_size=2)))
    alnum = st.sampled_from(string.ascii_uppercase + string.digits)
    bban = "".join(draw(st.lists(alnum, min_size=11, max_size=30)))
    moved = bban + country + "00"
    value = int("".join(str(int(c, 36)) for c in moved))
    check = f"{98 - value % 97:02d}"
    iban = country + check + bban
    assert mod97_valid(iban)
    if draw(st.booleans()):
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


secrets = st.one_of(pans(), aadhaars(), cards(), ibans())
# Text around a secret: anything, joined to it by a character that is not a letter or digit.
around = st.text(max_size=60)
separator = st.sampled_from([" ", "\n", ": ", "=", "(", ")", "/", ",", '"', "\u00a0", "|"])


@settings(max_examples=400, deadline=None)
@given(around, separator, secrets, separator, around)
def test_generated_secrets_in_arbitrary_text_never_survive(
    before: str, sep1: str, secret: str, sep2: str, after: str
) -> None:
    text = before + sep1 + secret + sep2 + after
    out = mask_text(text, ALL)
    assert len(out) == len(text)
    start = len(before) + len(sep1)
    hidden = out[start : start + len(secret)]
    assert all(not ch.isalnum() for ch in hidden), (text, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_keeps_length_and_only_gains_stars(text: str) -> None:
    out = mask_text(text, ALL)
    assert len(out) == len(text)
    assert all(a == b or b == "*" for a, b in zip(text, out, strict=True))


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["a", "1", "a@", "1 ", "A1", "+9", "-", "."]), st.integers(500, 3000))
def test_long_repetitive_text_completes(unit: str, n: int) -> None:
    """Adversarial inputs for backtracking finish (each pattern is bounded; see
    core/masking_regex.py for the proof); this only checks they do not crash."""
    mask_text(unit * n, ALL)


# --- configuration -------------------------------------------------------------------


def _rules(**kw: object) -> object:
    base: dict[str, object] = {"selectors": ["[data-cobrowse-mask]"], "patterns": ["pan"]}
    base.update(kw)
    return compile_rules(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"selectors": ["div >> p"]}, "not a valid CSS selector"),
        ({"selectors": ["a{color:red}"]}, "no braces"),
        ({"selectors": ["[data-x"]}, "unclosed"),
        ({"selectors": ["p::before"]}, "pseudo-elements"),
        ({"allow": ["h1)"]}, "unbalanced"),
        ({"patterns": ["passport"]}, "unknown pattern 'passport'"),
        ({"custom_patterns": [{"name": "x", "regex": "a+"}]}, "unbounded"),
        ({"custom_patterns": [{"name": "pan", "regex": "a"}]}, "built-in"),
        ({"custom_patterns": [{"name": "Bad Name", "regex": "a"}]}, "name must be"),
        ({"custom_patterns": [{"name": "x", "regex": "ab", "check": "crc"}]}, "check must"),
        ({"custom_patterns": [{"name": "x", "regex": "ab", "colour": 1}]}, "unknown key"),
        ({"sites": [{"selectors": [".x"]}]}, "origin is required"),
        ({"sites": [{"origin": "example.in"}]}, "not an origin"),
        ({"sites": [{"origin": "https://a.in", "urls": ["itr/*"]}]}, "starting with '/'"),
        ({"sites": [{"origin": "https://a.in", "private_by_default": "maybe"}]}, "true or false"),
    ],
)
def test_bad_rules_are_refused_with_the_entry_named(kw: dict[str, object], words: str) -> None:
    with pytest.raises(MaskingError, match=words.replace("(", r"\(").replace(")", r"\)")):
        _rules(**kw)


def test_selector_accepts_what_browsers_accept() -> None:
    for sel in ["input[type=password]", "[autocomplete^=cc-]", "form .pan, #aadhaar", "a:not(.x)"]:
        assert check_selector(f"  {sel} ") == sel


def test_site_rules_apply_only_to_their_origin_and_add_to_the_global_ones() -> None:
    rules = compile_rules(
        selectors=[".card"],
        patterns=["pan"],
        custom_patterns=[{"name": "emp", "regex": r"EMP-\d{6}"}],
        sites=[
            {"origin": "https://*.example.in", "selectors": [".salary"], "patterns": ["emp"]},
            {"origin": "https://example.in", "urls": ["/itr/*"], "private_by_default": True},
        ],
    )
    other = rules.browser_rules("https://other.in")
    assert other["selectors"] == [".card", "[data-cobrowse-mask]", "input[type=password]"]
    assert [p["name"] for p in other["patterns"]] == ["pan"]
    sub = rules.browser_rules("https://portal.example.in")
    assert ".salary" in sub["selectors"] and [p["name"] for p in sub["patterns"]] == ["pan", "emp"]
    bare = rules.browser_rules("https://example.in")
    assert ".salary" not in bare["selectors"]  # *.example.in is subdomains only
    scoped = bare["scopes"][1]
    assert scoped["private"] is True and scoped["urls"] == ["^/itr/[^/?#]*(?:[?#].*)?$"]
    assert json.loads(json.dumps(bare)) == bare  # plain JSON


def test_passwords_and_the_attribute_are_always_masked() -> None:
    rules = compile_rules(selectors=[".x"], patterns=[])
    assert {"[data-cobrowse-mask]", "input[type=password]"} <= set(rules.base.selectors)


def test_patterns_for_several_origins_add_up() -> None:
    rules = compile_rules(
        selectors=[],
        patterns=["pan"],
        custom_patterns=[{"name": "emp", "regex": r"EMP-\d{6}"}],
        sites=[{"origin": "https://a.in", "urls": ["/x/*"], "patterns": ["emp"]}],
    )
    assert [p.name for p in rules.patterns_for([])] == ["pan"]
    assert [p.name for p in rules.patterns_for(["https://b.in", "https://a.in"])] == ["pan", "emp"]
