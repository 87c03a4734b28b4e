"""Values written the way real pages write them (core/masking_fold.py): Unicode spaces,
dashes, digits of other scripts, compatibility forms and invisible characters. The
patterns match the normalised view; exactly the original characters of a match are
masked. Generated values of every built-in pattern, decorated at random, must be hidden
exactly as their plain ASCII form is, and nothing around them."""

from __future__ import annotations

import string
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.masking import BUILTIN_PATTERNS, mask_pieces, mask_text
from cobrowse.core.masking_fold import fold, fold_char
from cobrowse.core.masking_text import find_spans
from cobrowse.rewrite.assets import mask_agent_asset
from tests.core.test_masking import aadhaars, cards, ibans, pans

ALL = list(BUILTIN_PATTERNS.values())


def _chars(test: object) -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if test(chr(c))]  # type: ignore[operator]


def _category(*names: str) -> list[str]:
    return _chars(lambda ch: unicodedata.category(ch) in names)


ZEROS = _chars(lambda ch: unicodedata.category(ch) == "Nd" and unicodedata.decimal(ch) == 0)
SPACES = [*_category("Zs"), "\t", "\n", "\r", "\u2028", "\u2029"]
DASHES = [*_category("Pd"), "\u2212"]
INVISIBLES = [*_category("Cf"), "\u034f", "\ufe0f", "\U000e0100"]
# Compatibility forms NFKC turns into ASCII digits (not category Nd).
COMPAT_DIGITS = [
    "\u24ea\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468",  # circled
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",  # superscript
    "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089",  # subscript
]
# Offsets of A and a in forms NFKC turns into ASCII letters: full-width, mathematical
# bold and sans-serif bold, circled.
LETTER_FORMS = [(0xFF21, 0xFF41), (0x1D400, 0x1D41A), (0x1D5D4, 0x1D5EE), (0x24B6, 0x24D0)]


def test_the_red_team_cases_are_masked_exactly() -> None:
    cases = {
        "Aadhaar 3456\u00a07890\u00a01238.": "Aadhaar ****\u00a0****\u00a0****.",
        "3456\u202f7890\u202f1238": "****\u202f****\u202f****",
        "card 4532\u00a00151\u00a01283\u00a00366": "card ****\u00a0****\u00a0****\u00a0****",
        "+91\u202f98765\u00a043210": "+**\u202f*****\u00a0*****",
        "आधार ३४५६ ७८९० १२३८": "आधार **** **** ****",
        "ABCPE\u00ad1234F": "***********",
        "ABCPE\u200b1234F": "***********",
    }
    for text, masked in cases.items():
        assert mask_text(text, ALL) == masked, text


def test_fold_maps_back_to_the_original_characters() -> None:
    text = "a\u00ad\uff21\u2469\U0001d7cf-\u2013"
    folded = fold(text)
    assert folded.text == "aA101--"
    assert folded.src == [0, 2, 3, 3, 4, 5, 6]
    assert folded.original(1, 4) == (2, 4)  # A, 1, 0: the soft hyphen before is outside
    assert folded.original(0, 2) == (0, 3)  # a, A: the soft hyphen between is inside
    assert fold("plain\ttext\n").text == "plain text " and fold("plain").src is None


def test_the_checksums_run_on_the_folded_digits() -> None:
    # Devanagari 3456 7890 1239 fails Verhoeff as 345678901239 does; 1238 passes.
    bad = "".join(chr(0x966 + int(c)) if c.isdigit() else c for c in "3456 7890 1239")
    good = bad[:-1] + "\u096e"
    assert mask_text(bad, [BUILTIN_PATTERNS["aadhaar"]]) == bad
    assert mask_text(good, [BUILTIN_PATTERNS["aadhaar"]]) == "**** **** ****"
    assert mask_text("\uff14\uff15\uff13\uff12 0151 1283 0366", [BUILTIN_PATTERNS["card"]]) == (
        "**** **** **** ****"
    )
    assert mask_text("GB82\u00a0WEST\u00a01234\u00a05698\u00a07654\u00a033", ALL).startswith(
        "GB82"
    )  # mod 97 fails: nothing of it is an IBAN (nor a PAN, a card or an Aadhaar)


def test_without_normalisation_only_ascii_is_matched() -> None:
    text = "3456\u00a07890\u00a01238"
    assert mask_text(text, ALL, normalise=False) == text
    assert mask_text(text, ALL) == "****\u00a0****\u00a0****"


def test_pieces_mask_a_value_split_across_them_and_nothing_else() -> None:
    assert mask_pieces(["My PAN ", "ABCPE", "1234F", " ok"], ALL) == [
        "My PAN ",
        "*****",
        "*****",
        " ok",
    ]
    # A piece's own match stays masked even if the joined text has no match there.
    assert mask_pieces(["3456 7890 1238", "5"], ALL) == ["**** **** ****", "5"]
    assert mask_pieces(["ABCPE", " 1234F"], ALL) == ["ABCPE", " 1234F"]


def test_the_agents_assets_are_masked_on_the_normalised_view() -> None:
    """The asset route's stylesheets and SVGs: a value in Devanagari digits, with
    no-break spaces or an invisible character inside is masked there too."""
    css = 'p::after { content: "\u0969\u096a\u096b\u096c\u00a07890\u00a01238" } /* é */'
    out = mask_agent_asset(css.encode(), "text/css; charset=utf-8", ALL).body.decode()
    assert out == 'p::after { content: "****\u00a0****\u00a0****" } /* é */'
    svg = (
        "<svg><text>AB\u200bCPE1234F <tspan>\u0969\u096a\u096b\u096c 7890</tspan> 1238</text></svg>"
    )
    out = mask_agent_asset(svg.encode(), "image/svg+xml", ALL).body.decode()
    assert "CPE" not in out and "7890" not in out and "\u0969" not in out
    assert "*********** <tspan>**** ****</tspan> ****" in out


# --- generated values, decorated ---------------------------------------------------


@st.composite
def phones(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from("6789"))
    rest = "".join(draw(st.lists(st.sampled_from(string.digits), min_size=9, max_size=9)))
    number = first + rest
    sep = draw(st.sampled_from(["", " ", "-"]))
    return f"+91{draw(st.sampled_from([' ', '']))}{number[:5]}{sep}{number[5:]}"


@st.composite
def emails(draw: st.DrawFn) -> str:
    word = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
    sep = draw(st.sampled_from([".", "-", "_", "+"]))
    return f"{draw(word)}{sep}{draw(word)}@{draw(word)}.{draw(st.sampled_from(['in', 'co.in']))}"


@st.composite
def accounts(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(st.sampled_from(string.digits), min_size=9, max_size=18)))


values = st.one_of(pans(), aadhaars(), cards(), ibans(), phones(), emails(), accounts())


@st.composite
def decorated(draw: st.DrawFn) -> tuple[str, str, list[bool]]:
    """(plain value, the value decorated, for each decorated character whether masking
    must hide it): the plain value's hidden characters (masked as ASCII, without
    normalisation) in any form, and invisible characters inserted inside the value."""
    plain = draw(values)
    raw = mask_text(plain, ALL, normalise=False)
    assert raw != plain
    out: list[str] = []
    hide: list[bool] = []
    for i, (ch, masked) in enumerate(zip(plain, raw, strict=True)):
        if i > 0:
            for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
                out.append(draw(st.sampled_from(INVISIBLES)))
                hide.append(True)
        out.append(_dress(draw, ch))
        hide.append(masked == "*")
    return plain, "".join(out), hide


def _dress(draw: st.DrawFn, ch: str) -> str:
    """`ch` in another form that folds back to it (or itself)."""
    if ch.isdigit():
        how = draw(st.integers(0, 3))
        if how == 1:
            return chr(ord(draw(st.sampled_from(ZEROS))) + int(ch))
        if how == 2:
            return draw(st.sampled_from(COMPAT_DIGITS))[int(ch)]
        return ch
    if ch.isalpha():
        upper, lower = draw(st.sampled_from(LETTER_FORMS))
        if draw(st.booleans()):
            return ch
        if ch.isupper():
            return chr(upper + ord(ch) - ord("A"))
        return chr(lower + ord(ch) - ord("a"))
    if ch == " ":
        return draw(st.sampled_from(SPACES))
    if ch == "-":
        return draw(st.sampled_from(DASHES))
    if ch == "+":
        return draw(st.sampled_from(["+", "\uff0b", "\ufe62"]))
    if ch == "@":
        return draw(st.sampled_from(["@", "\uff20", "\ufe6b"]))
    if ch == ".":
        return draw(st.sampled_from([".", "\uff0e"]))
    return ch


# Text around a value that no pattern can match (no digits, no "@"), joined to it by a
# character that lets no pattern run on (no space or dash: an IBAN's groups would).
inert = st.text(alphabet=st.sampled_from("abcXYZ ,.;:!?()\u00a0\u2003ñé\u200b"), max_size=30)
joint = st.sampled_from([",", ";", ":", "(", ")", "=", "|", "/", '"', "\u00ab", "\u3001"])


@settings(max_examples=600, deadline=None)
@given(inert, joint, decorated(), joint, inert)
def test_decorated_values_are_hidden_exactly_as_their_plain_form(
    before: str, j1: str, value: tuple[str, str, list[bool]], j2: str, after: str
) -> None:
    plain, dressed, hide = value
    text = before + j1 + dressed + j2 + after
    out = mask_text(text, ALL)
    assert len(out) == len(text)
    start = len(before) + len(j1)
    end = start + len(dressed)
    assert out[:start] == text[:start] and out[end:] == text[end:], (plain, text, out)
    for i, must_hide in enumerate(hide):
        got = out[start + i]
        assert got == ("*" if must_hide else dressed[i]), (plain, dressed, i, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_masking_the_folded_text_and_the_raw_text_agree(text: str) -> None:
    """What is hidden in the folded view is hidden at its source, and a hidden original
    character is the source of a matched folded character or an invisible one inside."""
    folded = fold(text)
    assert fold(folded.text).text == folded.text  # folding is idempotent
    src = folded.src if folded.src is not None else list(range(len(folded.text)))
    assert len(src) == len(folded.text) and src == sorted(src)
    assert "".join(fold_char(text[j]) for j in sorted(set(src))) == folded.text
    out = mask_text(text, ALL)
    assert len(out) == len(text)
    assert all(a == b or b == "*" for a, b in zip(text, out, strict=True))
    matched = find_spans(folded.text, ALL)
    folded_out = mask_text(folded.text, ALL, normalise=False)
    inside = {src[i] for s, e in matched for i in range(s, e)}
    for i, ch in enumerate(folded_out):
        if ch == "*" and folded.text[i] != "*":
            assert out[src[i]] == "*", (text, i)
    for j, ch in enumerate(out):
        if ch == "*" and text[j] != "*":
            between = any(s <= j <= e for s, e in _covered(matched, src))
            assert j in inside or (fold_char(text[j]) == "" and between), (text, j)


def _covered(matched: list[tuple[int, int]], src: list[int]) -> list[tuple[int, int]]:
    return [(src[s], src[e - 1]) for s, e in matched]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=12), min_size=1, max_size=6),
    values,
)
def test_pieces_hide_at_least_what_the_joined_text_hides(pieces: list[str], value: str) -> None:
    cut = len(value) // 2
    pieces = [*pieces[:1], value[:cut], value[cut:], *pieces[1:]]
    joined = "".join(pieces)
    out = mask_pieces(pieces, ALL)
    assert [len(p) for p in out] == [len(p) for p in pieces]
    whole = mask_text(joined, ALL)
    for a, b, c in zip(joined, "".join(out), whole, strict=True):
        assert b in (a, "*") and (c != "*" or b == "*")


@pytest.mark.parametrize("zero", ZEROS)
def test_every_script_s_digits_fold_to_ascii(zero: str) -> None:
    digits = "".join(chr(ord(zero) + d) for d in range(10))
    assert fold(digits).text == "0123456789"
