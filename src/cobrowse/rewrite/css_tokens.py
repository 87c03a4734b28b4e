"""CSS tokens as the CSS Syntax tokenizer makes them, with their decoded contents.

For the asset masker (`rewrite.css_mask`): each token keeps its span in the text, and
the characters a reader of the decoded stylesheet sees in it (escapes such as `\\45 `
decoded to `E`), each with the span of the text it came from, so that a masked
character can be replaced where it was written and nothing else changes.

Kinds: ws, comment, string, url (unquoted `url(...)`), badurl, hash, at, number (with its
unit or `%`), function (`name(`, also `url(` before a quoted URL), ident, delim (any
other single character, `;` `{` `}` `(` ... included).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Token", "decode", "tokens"]

# Possessive and atomic wherever a name, string or URL goes on: nothing backtracks into
# them, so tokenizing takes time linear in the text (an escape takes its up to six hex
# digits whole, as the tokenizer does).
_ESC = r"\\(?>[0-9a-fA-F]{1,6}(?:\r\n|[ \t\n\r\f])?|[^\n\r\f0-9a-fA-F])"
_NAME_CHAR = rf"(?:[A-Za-z0-9_\-\u0080-\U0010ffff]|{_ESC})"
_IDENT = rf"(?:--|-?(?:[A-Za-z_\u0080-\U0010ffff]|{_ESC})){_NAME_CHAR}*+"
_NUMBER = r"[+-]?(?:[0-9]++(?:\.[0-9]++)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?"
_STRING = (
    r""""(?:[^"\\\n\r\f]|\\[\s\S]|\\\Z)*+(?:"|(?=[\n\r\f])|\Z)"""
    r"""|'(?:[^'\\\n\r\f]|\\[\s\S]|\\\Z)*+(?:'|(?=[\n\r\f])|\Z)"""
)
_WS = r"[ \t\n\r\f]"
_URL_CHAR = rf"""(?:[^()"'\\ \t\n\r\f\x00-\x08\x0b\x0e-\x1f\x7f]|{_ESC})"""
_TOKEN = re.compile(
    rf"""
    (?P<ws>{_WS}++)
    | (?P<comment>/\*[\s\S]*?(?:\*/|\Z))
    | (?P<string>{_STRING})
    | (?P<hash>\#{_NAME_CHAR}++)
    | (?P<at>@{_IDENT})
    | (?P<url>[uU][rR][lL]\({_WS}*+(?!["'])(?P<uurl>{_URL_CHAR}*+){_WS}*+(?:\)|\Z))
    | (?P<badurl>[uU][rR][lL]\((?!{_WS}*+["'])(?:[^)\\]|\\[\s\S]|\\\Z)*+(?:\)|\Z))
    | (?P<number>{_NUMBER}(?:{_IDENT}|%)?)
    | (?P<function>{_IDENT}\()
    | (?P<ident>{_IDENT})
    | (?P<delim>[\s\S])
    """,
    re.VERBOSE,
)
_NUMBER_PART = re.compile(_NUMBER)
_DECODE = re.compile(
    r"\\(?:(?P<hex>[0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(?P<nl>\r\n|[\n\r\f])|(?P<ch>[\s\S]))"
    r"|\\\Z"
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    start: int
    end: int
    # The span holding the token's decoded contents: a string's between its quotes, a
    # url's URL (a badurl's text inside the parentheses), a name's characters (after
    # `#`, `@`; before `(`), a comment's text, a number's digits and unit. (start,
    # start) for delims and white space.
    body: tuple[int, int]


def tokens(text: str) -> Iterator[Token]:
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        assert m is not None  # `delim` takes any character
        kind = m.lastgroup or "delim"
        if kind == "uurl":  # the inner group of url
            kind = "url"
        start, end = m.span()
        if kind == "url":
            body = m.span("uurl")
        elif kind == "badurl":
            body = (start + 4, end - 1 if text[end - 1] == ")" else end)
        elif kind == "string":
            quote = text[start]
            stop = end - 1 if end - start >= 2 and text[end - 1] == quote else end
            if stop == end - 1 and _escaped(text, start + 1, stop):
                stop = end  # `"...\"` at the end: the quote is escaped, never closed
            body = (start + 1, stop)
        elif kind == "comment":
            stop = end - 2 if end - start >= 4 and text.endswith("*/", start, end) else end
            body = (start + 2, stop)
        elif kind in ("hash", "at"):
            body = (start + 1, end)
        elif kind == "function":
            body = (start, end - 1)
        elif kind in ("ident", "number"):
            body = (start, end)
        else:
            body = (start, start)
        yield Token(kind, start, end, body)
        pos = end


def _escaped(text: str, start: int, stop: int) -> bool:
    backslashes = 0
    i = stop - 1
    while i >= start and text[i] == "\\":
        backslashes += 1
        i -= 1
    return backslashes % 2 == 1


def number_end(text: str, token: Token) -> int:
    """Where a number token's numeric part ends (its unit or `%` follow)."""
    m = _NUMBER_PART.match(text, token.start)
    return token.end if m is None else m.end()


def decode(text: str, start: int, stop: int) -> tuple[str, list[tuple[int, int]]]:
    """The decoded characters of `text[start:stop]` and the span each came from."""
    chunk = text[start:stop]
    if "\\" not in chunk:
        return chunk, [(start + i, start + i + 1) for i in range(len(chunk))]
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = start
    while pos < stop:
        at = text.find("\\", pos, stop)
        if at < 0:
            at = stop
        for i in range(pos, at):
            out.append(text[i])
            spans.append((i, i + 1))
        if at >= stop:
            break
        m = _DECODE.match(text, at, stop)
        assert m is not None  # a backslash at the end matches `\\\Z` only at EOF
        if m.group("hex") is not None:
            code = int(m.group("hex"), 16)
            ok = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
            out.append(chr(code) if ok else "\ufffd")
            spans.append(m.span())
        elif m.group("ch") is not None:
            out.append(m.group("ch"))
            spans.append(m.span())
        pos = max(m.end(), at + 1)
    return "".join(out), spans
