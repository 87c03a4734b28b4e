"""The JavaScript rewriter: the golden cases shared with the runtime, and properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.rewrite.js import (
    MAX_HITS,
    Kind,
    apply_edits,
    find_edits,
    mentions_trigger,
    rewrite_js,
)
from cobrowse.rewrite.urls import UrlMap, rewrite_url
from tests.rewrite.strategies import SETTINGS

GOLDEN = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "js" / "golden.json").read_text()
)
_ORIGINS: dict[str, str] = GOLDEN["origins"]
_MAP = UrlMap(
    base=GOLDEN["base"],
    proxy_origin_of=_ORIGINS.get,
    upstream_origin_of={p: u for u, p in _ORIGINS.items()}.get,
    absolute=True,
)


def map_specifier(specifier: str) -> str:
    """As the proxy maps a static import specifier: a load URL of the golden origins."""
    return rewrite_url(specifier, _MAP)


def rewrite(source: str, kind: Kind) -> str:
    return rewrite_js(source.encode(), kind, map_specifier).decode()


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_golden(case: dict[str, Any]) -> None:
    assert rewrite(case["input"], case["kind"]) == case["output"]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_golden_output_is_a_fixed_point(case: dict[str, Any]) -> None:
    """Rewriting rewritten code changes nothing: `__cobrowse$` arguments are not wrapped
    again (specifiers already mapped to proxy hosts stay as they are)."""
    once = case["output"]
    assert rewrite(once, case["kind"]) == once


# -- properties ---------------------------------------------------------------------

_ATOMS = st.sampled_from(
    [
        "location",
        "top",
        "parent",
        "window",
        "a",
        "document",
        "import.meta.url",
        "eval",
        '"s"',
        "1",
        "this",
        "é",
    ]
)
_NAMES = st.sampled_from(["location", "top", "parent", "eval", "href", "x", "url"])


def _extend(e: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(e, e)
    return st.one_of(
        st.tuples(e, _NAMES).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(e, _NAMES).map(lambda t: f"{t[0]}?.{t[1]}"),
        two.map(lambda t: f"{t[0]}({t[1]})"),
        two.map(lambda t: f"{t[0]}.postMessage({t[1]}, '*')"),
        e.map(lambda x: f"{x}.postMessage()"),
        e.map(lambda x: f"eval({x})"),
        e.map(lambda x: f"(0, {x})"),
        two.map(lambda t: f"{t[0]}.eval({t[1]})"),
        e.map(lambda x: f"import.meta.resolve({x})"),
        e.map(lambda x: f"import({x})"),
        e.map(lambda x: f"new {x}.b()"),
        e.map(lambda x: f"new {x}"),
        e.map(lambda x: f"(location = {x})"),
        two.map(lambda t: f"({t[0]}.location = {t[1]})"),
        two.map(lambda t: f"({t[0]}.top =\n {t[1]})"),
        e.map(lambda x: f"typeof {x}"),
        e.map(lambda x: f"delete {x}.top"),
        e.map(lambda x: f"{{location, top: {x}}}"),
        two.map(lambda t: f"[{t[0]}, {t[1]}]"),
        e.map(lambda x: f"`a${{{x}}}b`"),
        two.map(lambda t: f"{t[0]} +\n{t[1]}"),
        e.map(lambda x: f"((location) => {x})"),
        e.map(lambda x: f"(function (top) {{ return {x}; }})"),
        e.map(lambda x: f"({x})"),
    )


_EXPRESSIONS = st.recursive(_ATOMS, _extend, max_leaves=8)
_PROGRAMS = st.lists(_EXPRESSIONS, min_size=1, max_size=4).map(";\n".join)


_KINDS: list[Kind] = ["script", "module", "handler"]


def _parses(source: bytes) -> bool:
    return find_edits(source + b"\nlocation", "script").status != "unparsed"


@SETTINGS
@given(_PROGRAMS)
def test_rewritten_code_parses_keeps_lines_and_is_a_fixed_point(source: str) -> None:
    data = source.encode()
    if not _parses(data):
        return
    out = rewrite_js(data, "script", map_specifier)
    assert _parses(out), out
    assert out.count(b"\n") == data.count(b"\n")
    assert rewrite_js(out, "script", map_specifier) == out


@SETTINGS
@given(
    st.one_of(_PROGRAMS, st.text(max_size=300)), st.sampled_from(["script", "module", "handler"])
)
def test_never_raises_and_an_unparsed_script_passes_unchanged(source: str, kind: Kind) -> None:
    data = source.encode()
    edits = find_edits(data, kind)
    out = apply_edits(data, edits, map_specifier)
    if edits.status != "rewritten":
        assert out == data
    assert out.count(b"\n") == data.count(b"\n")


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(_KINDS))
def test_arbitrary_bytes_never_raise(data: bytes, kind: Kind) -> None:
    apply_edits(data, find_edits(data, kind), map_specifier)


def test_a_script_without_trigger_words_is_not_parsed() -> None:
    assert not mentions_trigger("function add(a, b) { return a + b; }")
    assert mentions_trigger(b"x.postMessage(1)")
    assert find_edits(b"var = ; nothing", "script").status == "unchanged"
    assert find_edits(b"var = ; location", "script").status == "unparsed"


@pytest.mark.parametrize(
    ("source", "kind", "expected"),
    [
        # A method named like a window property keeps its `this` (jQuery's `.parent()`).
        ("$(el).parent().top(1);", "script", "$(el).parent().top(1);"),
        ("x = new top();", "script", "x = new (__cobrowse$.w(top))();"),
        ("delete a.top; top++; [top] = a; for (top in a);", "script", None),
        ("export { top }; import { location } from './l.js';", "module", None),
        ("location = top;", "script", "location = __cobrowse$.a(location, __cobrowse$.w(top));"),
        (
            "a.location = b.location = c;",
            "script",
            '__cobrowse$.s(a, "location", __cobrowse$.s(b, "location", c));',
        ),
        ("w.location =\n  u;", "script", '__cobrowse$.s(w, "location", \nu);'),
        ("p.postMessage();", "script", "__cobrowse$.p(p);"),
        ("p?.postMessage(1, '*');", "script", None),
        ("({a = location} = o);", "script", "({a = __cobrowse$.w(location)} = o);"),
        ("return top", "handler", "return __cobrowse$.w(top)"),
        ("}); (function(){ top", "handler", None),
        ("import x from 'https://a.example/\\u0061.js';", "module", None),
    ],
)
def test_edge_cases(source: str, kind: Kind, expected: str | None) -> None:
    assert rewrite(source, kind) == (source if expected is None else expected)


def test_a_script_with_too_many_places_to_look_at_passes_through() -> None:
    """The context of each hit costs its siblings (tree-sitter walks down to the
    parent): past MAX_HITS the script passes as it came, so no script is quadratic."""
    many = ("x = [" + "top," * (MAX_HITS + 1) + "];").encode()
    assert find_edits(many, "script").status == "too_large"
    fewer = ("x = [" + "top," * 1000 + "];").encode()
    assert rewrite_js(fewer, "script").count(b"__cobrowse$.w(top)") == 1000
