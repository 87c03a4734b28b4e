"""A stylesheet the agent's mirror loads, with the value patterns masked in what it shows
and in what it says, without breaking its syntax (docs/masking.md, "Stylesheets").

The stylesheet is tokenized (`rewrite.css_tokens`) and searched decoded, escapes and
all, in these views:
  - every string on its own (`content: "\\45 NTSV1234V"` is a PAN);
  - the strings of one declaration joined (`content: "ENTSV" "1234V"` shows one text);
  - every `url(...)` and comment on its own;
  - the runs of names, numbers and punctuation between those (selectors, custom
    properties, unquoted values: `.ENTSV1234V`, `--x: ENTSV1234V`).
Each view is also searched URL-decoded piece by piece, as the browser's masker does.
A masked character is replaced where it was written, by what keeps the token it is in:
`*` inside strings and URLs, the escape `\\*` in names (an identifier stays one, and
`.\\*\\*` matches the masked class the mirror's DOM has); a comment that holds a value
becomes `/**/`. So the tokens, and with them the rules, stay as they were. Numbers are
left as they are: they size and place things and never show as text, and a long run of
digits in one (a precise coordinate) may well pass a checksum.

`data:image/svg+xml` URLs (in `url()` or strings) are handed to `data_url`, which
masks the SVG inside (rewrite.svg_mask).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cobrowse.core.masking import Pattern
from cobrowse.rewrite.css import escape_string, escape_url
from cobrowse.rewrite.css_tokens import Token, decode, number_end, tokens
from cobrowse.rewrite.views import Slot, View, one_slot

__all__ = ["mask_css"]

_STRUCTURE = frozenset(";{}")
_REPLACE = {"quoted": "*", "name": "\\*"}
_NAMES = frozenset(("hash", "at", "function", "ident"))


def _spans_of(decoded: str, spans: list[tuple[int, int]], kind: str) -> Callable[[int], Slot]:
    """Slots of `kind` for decoded characters; in names and numbers only letters and
    digits have one (signs, hyphens and dots stay: they shape the token)."""
    if kind == "quoted":
        return lambda i: (spans[i][0], spans[i][1], kind)
    return lambda i: (spans[i][0], spans[i][1], kind) if decoded[i].isalnum() else None


def _add(view: View, text: str, token: Token, kind: str) -> None:
    """The decoded body of `token` into `view`, its characters slots of `kind`."""
    start, stop = token.body
    decoded, spans = decode(text, start, stop)
    view.add(decoded, _spans_of(decoded, spans, kind))


def _add_number(view: View, text: str, token: Token) -> None:
    """A number is searched (a value next to it is still found) but never masked: it
    sizes and places things, never shows as text. Its unit is a name."""
    split = number_end(text, token)
    view.add(text[token.start : split], None)
    decoded, spans = decode(text, split, token.end)
    view.add(decoded, _spans_of(decoded, spans, "name"))


def mask_css(
    text: str,
    patterns: Sequence[Pattern],
    *,
    data_url: Callable[[str], str] | None = None,
) -> str:
    """`text` (a stylesheet, or a style attribute's declarations) masked."""
    if not patterns or not text:
        return text
    toks = list(tokens(text))
    views: list[View] = []
    replaced: dict[int, str] = {}  # token index -> its new text (data URLs)
    run = View()
    joined = View()
    strings_in_declaration = 0

    def end_run() -> None:
        nonlocal run
        if len(run):
            views.append(run)
        run = View()

    def end_declaration() -> None:
        nonlocal joined, strings_in_declaration
        if strings_in_declaration > 1:
            views.append(joined)
        joined = View()
        strings_in_declaration = 0

    for index, tok in enumerate(toks):
        kind = tok.kind
        if kind in ("string", "url", "badurl", "comment"):
            end_run()
            if kind in ("string", "url") and data_url is not None:
                new = _data_url(text, tok, data_url)
                if new is not None:
                    replaced[index] = new
                    continue
            own = View()
            if kind == "comment":
                span = (tok.start, tok.end, "comment")
                own.add(text[tok.body[0] : tok.body[1]], one_slot(span))
            else:
                _add(own, text, tok, "quoted")
            views.append(own)
            if kind == "string":
                _add(joined, text, tok, "quoted")
                strings_in_declaration += 1
        elif kind == "delim" and text[tok.start] in _STRUCTURE:
            end_run()
            end_declaration()
        elif kind in _NAMES:
            prefix = text[tok.start : tok.body[0]]
            run.add(prefix, None)
            _add(run, text, tok, "name")
            run.add(text[tok.body[1] : tok.end], None)
        elif kind == "number":
            _add_number(run, text, tok)
        else:
            run.add(text[tok.start : tok.end], None)
    end_run()
    end_declaration()

    masked: set[Slot] = set()
    for view in views:
        masked |= view.masked(patterns, urls=True)
    if not masked and not replaced:
        return text
    return _rebuild(text, toks, masked, replaced)


def _data_url(text: str, tok: Token, data_url: Callable[[str], str]) -> str | None:
    start, stop = tok.body
    url, _ = decode(text, start, stop)
    stripped = url.strip(" \t\n\r\f")
    if not stripped[:18].lower().startswith("data:image/svg+xml"):
        return None
    new = data_url(stripped)
    if new == stripped:
        return None
    if tok.kind == "url":
        return text[tok.start : start] + escape_url(new) + text[stop : tok.end]
    quote = text[tok.start]
    return quote + escape_string(new, quote) + text[stop : tok.end]


def _rebuild(text: str, toks: list[Token], masked: set[Slot], replaced: dict[int, str]) -> str:
    edits: list[tuple[int, int, str]] = []
    for index, new in replaced.items():
        edits.append((toks[index].start, toks[index].end, new))
    for slot in masked:
        assert isinstance(slot, tuple)
        start, end, kind = slot
        if kind == "comment":
            edits.append((start, end, "/**/"))
        else:
            edits.append((start, end, _REPLACE[kind]))
    edits.sort()
    out: list[str] = []
    last = 0
    for start, end, new in edits:
        if start < last:
            continue  # inside a comment or data URL already replaced whole
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)
