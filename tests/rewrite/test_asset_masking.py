"""What the agent's asset route makes of stylesheets and SVG images: named golden files
(tests/fixtures/rewrite/css_mask, svg_mask), and properties: a value written in any way
a renderer decodes is masked, and masking never changes a stylesheet's tokens."""

from __future__ import annotations

import base64
import io
import re
import string
import xml.dom.minidom
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.masking import BUILTIN_PATTERNS, DEFAULT_PATTERNS, mask_text
from cobrowse.rewrite.assets import mask_agent_asset
from cobrowse.rewrite.css_mask import mask_css
from cobrowse.rewrite.css_tokens import decode, tokens
from cobrowse.rewrite.svg_mask import MAX_DEPTH, mask_svg, mask_svg_data_url
from tests.core.test_masking import aadhaars, cards, ibans, pans
from tests.rewrite import golden

PATTERNS = [BUILTIN_PATTERNS[name] for name in DEFAULT_PATTERNS]
PAN = "ENTSV1234V"

CSS_CASES = golden.cases("css_mask", "css")
SVG_CASES = golden.cases("svg_mask", "svg")


def test_there_are_enough_cases() -> None:
    assert len(CSS_CASES) >= 7 and len(SVG_CASES) >= 12
    assert golden.orphans("css_mask", "css") == golden.orphans("svg_mask", "svg") == []


@pytest.mark.parametrize("case", CSS_CASES)
def test_css_golden(case: str) -> None:
    golden.check("css_mask", "css", case, masked_css)


@pytest.mark.parametrize("case", SVG_CASES)
def test_svg_golden(case: str) -> None:
    golden.check("svg_mask", "svg", case, masked_svg)


def masked_css(text: str) -> str:
    return mask_agent_asset(text.encode(), "text/css", PATTERNS).body.decode()


def masked_svg(text: str) -> str:
    return mask_agent_asset(text.encode(), "image/svg+xml", PATTERNS).body.decode()


# --- what a reader sees ---------------------------------------------------------------


def kinds(css: str) -> list[str]:
    return [t.kind for t in tokens(css)]


def shown_css(css: str) -> list[str]:
    """Every string, URL and name of a stylesheet, decoded."""
    return [decode(css, *t.body)[0] for t in tokens(css) if t.body[0] != t.body[1]]


def drawn_svg(svg: bytes) -> str:
    """The text of every <text> element, as a DOM reads it (references decoded)."""
    doc = xml.dom.minidom.parse(io.BytesIO(svg))
    out = []
    for text in doc.getElementsByTagName("text"):
        parts: list[str] = []
        stack = [text]
        while stack:
            node = stack.pop()
            if node.nodeType in (node.TEXT_NODE, node.CDATA_SECTION_NODE):
                parts.append(node.data)
            stack.extend(reversed(node.childNodes))
        out.append(re.sub(r"\s+", "", "".join(parts)))
    return "\n".join(out)


def test_the_golden_stylesheets_keep_their_tokens_and_lose_their_values() -> None:
    for case in CSS_CASES:
        source = golden.read(golden.FIXTURES / "css_mask" / f"{case}.in.css")
        masked = masked_css(source)
        if case != "data_url_svg":
            assert kinds(masked) == kinds(source), case
        assert PAN not in " ".join(shown_css(masked)), case


def test_the_golden_svgs_draw_no_value_and_stay_well_formed() -> None:
    for case in SVG_CASES:
        source = golden.read(golden.FIXTURES / "svg_mask" / f"{case}.in.svg")
        masked = masked_svg(source).encode()
        assert PAN not in drawn_svg(masked), case
        assert PAN not in masked.decode(), case


def test_a_refused_svg_keeps_its_size_only() -> None:
    out = mask_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="4em" viewBox="0 0 120 64">'
        b"<foreignObject/></svg>",
        PATTERNS,
    )
    doc = xml.dom.minidom.parseString(out).documentElement
    assert {k: v for k, v in doc.attributes.items()} == {
        "xmlns": "http://www.w3.org/2000/svg",
        "width": "120",
        "height": "4em",
        "viewBox": "0 0 120 64",
    }
    assert doc.childNodes.length == 0
    # A size that is not a plain length is not copied.
    odd = mask_svg(f'<svg width="{PAN}"><foreignObject/></svg>'.encode(), PATTERNS)
    assert PAN.encode() not in odd and b"width" not in odd


def test_deep_nesting_is_refused_not_recursed() -> None:
    deep = "<g>" * (MAX_DEPTH + 5) + PAN + "</g>" * (MAX_DEPTH + 5)
    out = mask_svg(f'<svg xmlns="http://www.w3.org/2000/svg">{deep}</svg>'.encode(), PATTERNS)
    assert out.endswith(b'<svg xmlns="http://www.w3.org/2000/svg"/>')


def test_the_response_charset_decides_how_an_svg_is_read() -> None:
    latin = f'<svg xmlns="http://www.w3.org/2000/svg"><text>caf\xe9 {PAN}</text></svg>'
    got = mask_agent_asset(latin.encode("latin-1"), "image/svg+xml; charset=ISO-8859-1", PATTERNS)
    assert got.content_type == "image/svg+xml"
    assert "café **********" in got.body.decode("utf-8")


def test_a_stylesheet_is_read_in_the_encoding_the_browser_reads_it_in() -> None:
    # A UTF-16 BOM (else the value hides between NULs), a header, an @charset.
    css = f'p::after {{ content: "café € {PAN}" }}'
    for body, content_type in [
        (b"\xff\xfe" + css.encode("utf-16-le"), "text/css"),
        (css.encode("cp1252"), "text/css; charset=latin1"),
        (b'@charset "ascii"; ' + css.encode("cp1252"), "text/css"),
    ]:
        got = mask_agent_asset(body, content_type, PATTERNS)
        assert got.content_type == "text/css; charset=utf-8"
        assert 'content: "café € **********" }' in got.body.decode("utf-8")


def test_without_patterns_an_asset_is_served_as_it_is() -> None:
    body = f"<svg><text>{PAN}</text><foreignObject/></svg>".encode()
    assert mask_agent_asset(body, "image/svg+xml", []).body is body
    font = b"wOF2\x00\x01" + PAN.encode()
    assert mask_agent_asset(font, "font/woff2", PATTERNS).body is font


def test_nested_svg_data_urls_are_masked_to_a_limit() -> None:
    inner = f'<svg xmlns="http://www.w3.org/2000/svg"><text>{PAN}</text></svg>'
    url = "data:image/svg+xml;base64," + base64.b64encode(inner.encode()).decode()
    for _ in range(3):
        outer = f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}"/></svg>'
        url = "data:image/svg+xml," + quote(outer)
    masked = mask_svg_data_url(url, PATTERNS)
    assert masked.startswith("data:image/svg+xml;base64,")
    text = base64.b64decode(masked.split(",", 1)[1]).decode()
    while "base64," in text:
        text = base64.b64decode(text.split("base64,", 1)[1].split('"', 1)[0]).decode()
    assert PAN not in text
    assert mask_svg_data_url("data:image/png;base64,AAAA", PATTERNS) == "data:image/png;base64,AAAA"


# --- properties -----------------------------------------------------------------------

secrets = st.one_of(pans(), aadhaars(), cards(), ibans())


def css_escaped(draw: st.DrawFn, text: str) -> str:
    """`text` with some characters as CSS escapes (hex, with or without a space)."""
    out = []
    for i, ch in enumerate(text):
        how = draw(st.sampled_from(["plain", "plain", "hex", "hex6"]))
        if how == "hex":
            out.append(f"\\{ord(ch):x} ")  # the space ends the escape: it is not text
        elif how == "hex6":
            after = text[i + 1 : i + 2]
            out.append(f"\\{ord(ch):06x}" + (" " if after.isspace() else ""))
        else:
            out.append(ch)
    return "".join(out)


@st.composite
def stylesheets(draw: st.DrawFn) -> tuple[str, str]:
    secret = draw(secrets)
    compact = secret.replace(" ", "").replace("-", "")
    place = draw(st.sampled_from(["content", "split", "url", "class", "custom", "comment"]))
    filler = draw(st.text(alphabet=string.ascii_letters + " ", max_size=8))
    if place == "content":
        rule = f'.x::after {{ content: "{filler}{css_escaped(draw, secret)}"; }}'
    elif place == "split":
        cut = draw(st.integers(1, len(secret) - 1))
        a, b = css_escaped(draw, secret[:cut]), css_escaped(draw, secret[cut:])
        rule = f'.x::before {{ content: "{a}" "{b}"; }}'
    elif place == "url":
        rule = f".x {{ background: url(/i/{quote(compact)}.png) }}"
    elif place == "class":
        rule = f".{css_escaped(draw, 'x' + compact)} {{ color: red }}"
    elif place == "custom":
        rule = f":root {{ --v: x{css_escaped(draw, compact)}; }}"
    else:
        rule = f"/* {secret} */ .x {{ color: red }}"
    around = draw(st.sampled_from(["", "a { b: c }\n", "@media print { .y { z: 1 } }\n"]))
    return around + rule + "\n" + around, compact


@settings(max_examples=200, deadline=None)
@given(stylesheets())
def test_a_value_in_a_stylesheet_is_masked_and_the_tokens_stay(case: tuple[str, str]) -> None:
    css, compact = case
    masked = mask_css(css, PATTERNS)
    assert kinds(masked) == kinds(css)
    shown = "".join(shown_css(masked))
    assert compact not in shown.replace(" ", "").replace("-", "")
    assert mask_text(shown, PATTERNS) == shown or "*" in shown


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable + "\\\"'(){};:/*é€", max_size=80), secrets)
def test_any_stylesheet_keeps_its_tokens(text: str, secret: str) -> None:
    for css in (text, text + secret, secret + text, f'{text}"{secret}"{text}'):
        assert kinds(mask_css(css, PATTERNS)) == kinds(css)


def xml_referenced(draw: st.DrawFn, text: str) -> str:
    out = []
    for ch in text:
        how = draw(st.sampled_from(["plain", "dec", "hex"]))
        out.append(
            ch if how == "plain" else f"&#{ord(ch)};" if how == "dec" else f"&#x{ord(ch):X};"
        )
    return "".join(out)


@st.composite
def svgs(draw: st.DrawFn) -> tuple[str, str]:
    secret = draw(secrets)
    compact = secret.replace(" ", "").replace("-", "")
    cuts = sorted(draw(st.sets(st.integers(1, len(compact) - 1), max_size=4)))
    pieces = [compact[a:b] for a, b in zip([0, *cuts], [*cuts, len(compact)], strict=True)]
    joiner = draw(st.sampled_from(["", "\n  ", "<!-- -->"]))
    spans = [f'<tspan x="{i * 9}">{xml_referenced(draw, p)}</tspan>' for i, p in enumerate(pieces)]
    text = f'<text y="20">{joiner.join(spans)}</text>'
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="30">{text}</svg>', compact


@settings(max_examples=200, deadline=None)
@given(svgs())
def test_a_value_drawn_by_an_svg_is_masked(case: tuple[str, str]) -> None:
    svg, compact = case
    masked = mask_svg(svg.encode(), PATTERNS)
    assert compact not in drawn_svg(masked)
    assert "*" * len(compact) in drawn_svg(masked)


@pytest.mark.parametrize(
    "unit",
    ["\\41", "\\41 ", "a\\4", "url(\\41", "#\\4", '"\\', "-\\41a", "1\\41", "url(a b", "/*"],
)
def test_long_repetitive_stylesheets_complete(unit: str) -> None:
    """Nothing backtracks: a tokenizer that did would not finish these."""
    css = unit * 5000 + PAN
    assert kinds(mask_css(css, PATTERNS)) == kinds(css)
