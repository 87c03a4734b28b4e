"""CSS: rewrite the URLs of `url(...)`, `@import "..."` and `image-set("...")`.

A small scanner built on one compiled regex walks the text token by token, so comments,
strings and escapes are skipped as wholes (`content: "url(x)"` and `/* url(x) */` are
left alone). Names are read as the CSS tokenizer reads them: `\75 rl(` and `U\52L(` are
`url(`, `@\69mport` is `@import` (and `a\75 rl(` is the function `aurl(`). URLs are
unescaped before they are rewritten and escaped again only when they changed; every
other byte is kept. A stylesheet without any `url(`, `@import`, `image-set(` or
backslash passes unscanned (the same object).
"""

from __future__ import annotations

import re

from cobrowse.rewrite.urls import UrlMap, rewrite_load

__all__ = ["escape_string", "escape_url", "rewrite_css"]

_STRING = r""""(?:[^"\\\n]++|\\[\s\S])*+(?:"|(?=\n)|\Z)|'(?:[^'\\\n]++|\\[\s\S])*+(?:'|(?=\n)|\Z)"""
_WS = r"[ \t\n\r\f]*+"
# An escape: up to six hex digits and one optional white space, or any other character.
_ESCAPED = r"\\(?:[0-9a-fA-F]{1,6}(?:\r\n|[ \t\n\r\f])?|[^\n\r\f0-9a-fA-F])"
_UNQUOTED_CHAR = r"""[^()"'\\ \t\n\r\f\x00-\x08\x0b\x0e-\x1f\x7f]"""
_DQ_BODY = r"""(?:[^"\\\n]++|\\[\s\S])*+(?:"|(?=\n)|\Z)"""
_SQ_BODY = r"""(?:[^'\\\n]++|\\[\s\S])*+(?:'|(?=\n)|\Z)"""
# Runs are possessive (`++`, `*+`): where a string or URL ends does not depend on it, and
# the regex engine then never steps back through them one character at a time.
# Tokens of interest; all text between matches is copied unchanged. Every token starts
# with one of a few characters, matched first as one character class so that the regex
# engine skips to the next candidate in C (a leading alternation would be tried at every
# position); each alternative then checks, looking back, which character that was.
_FIRST = r"""[/uU@iI"'\\-]"""
# A name with an escape in it (`\75 rl(` is `url(`, `@\69mport` is `@import`): the
# scanner takes it whole and `_rewrite_css` decodes it to see which it is. `_ESCAPE_REST`
# is an escape after its backslash.
_ESCAPE_REST = r"(?:[0-9a-fA-F]{1,6}(?:\r\n|[ \t\n\r\f])?|[^\n\r\f0-9a-fA-F])"
_NAME_REST = rf"(?:[\w-]++|{_ESCAPED})*+"
_COMMON = rf"""
    (?<=/)(?P<comment>\*[\s\S]*?(?:\*/|\Z))
    | (?<=[uU])(?<![\w\\-][uU])(?P<url>[rR][lL]\({_WS}
        (?:(?P<qurl>{_STRING})|(?P<uurl>(?:{_UNQUOTED_CHAR}++|{_ESCAPED})*))
        {_WS}\))
    | (?<=@)(?P<import>[iI][mM][pP][oO][rR][tT]{_WS})(?P<istring>{_STRING})
    | (?<=[iI])(?<![\w\\-][iI])(?P<imageset>[mM][aA][gG][eE]-[sS][eE][tT]\()
    | (?<=-)(?<![\w\\-]-)(?P<wimageset>[wW][eE][bB][kK][iI][tT]-[iI][mM][aA][gG][eE]-[sS][eE][tT]\()
    | (?<=")(?P<dstring>{_DQ_BODY})
    | (?<=')(?P<sstring>{_SQ_BODY})
    | (?<=\\)(?<![\w\\-]\\)(?P<ename>{_ESCAPE_REST}{_NAME_REST})
    | (?<=[uUiI-])(?<![\w\\-][uUiI-])(?P<lname>[\w-]*+{_ESCAPED}{_NAME_REST})
    | (?<=@)(?P<eimport>[\w-]*+{_ESCAPED}{_NAME_REST})
    | (?<=\\)[\s\S]
"""
_TOKEN = re.compile(_FIRST + "(?:" + _COMMON + ")", re.VERBOSE)
# Inside image-set( ... ) parentheses are counted too: strings at its level are URLs.
_IMAGE_SET_TOKEN = re.compile(
    r"""[/uU@iI"'\\()-](?:""" + _COMMON + r"| (?<=\()(?P<open>) | (?<=\))(?P<close>))",
    re.VERBOSE,
)
# What a stylesheet needs for any of its URLs to be rewritten (the tokens above that
# rewrite: a `url(`, an `@import` string, the strings of an `image-set(`) or a backslash
# (which may spell one of them): without any of these it passes as it is, unscanned.
_MAY_HOLD_URLS = re.compile(
    r"[uU][rR][lL]\(|@[iI][mM][pP][oO][rR][tT]|[iI][mM][aA][gG][eE]-[sS][eE][tT]\(|\\"
)
# What follows `url(` (the rest of `_COMMON`'s url) and `@import` (its string).
_URL_REST = re.compile(
    rf"""{_WS}(?:(?P<qurl>{_STRING})|(?P<uurl>(?:{_UNQUOTED_CHAR}++|{_ESCAPED})*)){_WS}\)"""
)
_IMPORT_REST = re.compile(rf"{_WS}(?P<istring>{_STRING})")
_IMAGE_SETS = frozenset(("image-set", "-webkit-image-set"))
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(\r\n|[\n\r\f])|([\s\S]))")
_UNQUOTED_NEEDS_ESCAPE = re.compile(r"""[()"'\\\s\x00-\x1f\x7f]""")
_ASCII_NEEDS_ESCAPE = re.compile(r"""[()"'\\\x00-\x20\x7f]""")
_QUOTED_NEEDS_ESCAPE = {q: re.compile(r"[\\\n\r\f" + q + "]") for q in "\"'"}


def _unescape_char(m: re.Match[str]) -> str:
    hex_digits, newline, char = m.group(1), m.group(2), m.group(3)
    if hex_digits is not None:
        code = int(hex_digits, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return "\ufffd"
        return chr(code)
    if newline is not None or char is None:
        return ""  # an escaped newline (inside a string) is a line continuation
    return char


def _unescape(text: str) -> str:
    return _ESCAPE.sub(_unescape_char, text) if "\\" in text else text


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    return "\\" + ch if ch in "()\"'\\" else f"\\{ord(ch):x} "


def _escape_unquoted(url: str) -> str:
    if url.isascii() and _ASCII_NEEDS_ESCAPE.search(url) is None:
        return url  # the usual URL, checked by a cheaper class (\s in ASCII: \t-\r, \x1c-\x20)
    return _UNQUOTED_NEEDS_ESCAPE.sub(_escape_char, url)


def _escape_quoted_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    return "\\" + ch if ch in "\\\"'" else f"\\{ord(ch):x} "


def _escape_quoted(url: str, quote: str) -> str:
    pattern = _QUOTED_NEEDS_ESCAPE.get(quote)
    if pattern is None:  # not a CSS quote: as asked
        pattern = re.compile(r"[\\\n\r\f]|" + re.escape(quote))
    return pattern.sub(_escape_quoted_char, url)


def escape_url(url: str) -> str:
    """`url` as the inside of an unquoted `url(...)`."""
    return _escape_unquoted(url)


def escape_string(text: str, quote: str) -> str:
    """`text` as the inside of a CSS string between `quote`s."""
    return _escape_quoted(text, quote)


def _rewrite_string(token: str, m: UrlMap) -> str | None:
    """A quoted CSS string token holding a URL -> the rewritten token, or None."""
    quote = token[0]
    closed = len(token) >= 2 and token.endswith(quote) and not _ends_escaped(token[1:-1])
    body = token[1:-1] if closed else token[1:]
    url = _unescape(body)
    new = rewrite_load(url, m)
    if new == url:
        return None
    return quote + _escape_quoted(new, quote) + (quote if closed else "")


def _ends_escaped(body: str) -> bool:
    backslashes = len(body) - len(body.rstrip("\\"))
    return backslashes % 2 == 1


def _rewrite_unquoted(raw: str, m: UrlMap) -> str | None:
    url = _unescape(raw)
    new = rewrite_load(url, m)
    if new == url:
        return None
    return _escape_unquoted(new)


def rewrite_css(text: str, m: UrlMap) -> str:
    """Rewrite the URLs of a stylesheet (or a style attribute's declarations)."""
    try:
        if _MAY_HOLD_URLS.search(text) is None:
            return text
        return _rewrite_css(text, m)
    except Exception:  # never raise: a stylesheet we cannot follow passes unchanged
        return text


def _rewrite_css(text: str, m: UrlMap) -> str:
    out: list[str] = []
    last = 0
    pos = 0
    n = len(text)
    depths: list[int] = []  # for each open image-set(, the parenthesis depth inside it
    while pos < n:
        tok = (_IMAGE_SET_TOKEN if depths else _TOKEN).search(text, pos)
        if tok is None:
            break
        pos = tok.end()  # never empty: every alternative consumes a character
        kind = tok.lastgroup
        new: str | None = None
        span = tok.span()
        if kind == "url":
            qurl = tok.group("qurl")
            if qurl is not None:
                new, span = _rewrite_string(qurl, m), tok.span("qurl")
            else:
                new, span = _rewrite_unquoted(tok.group("uurl"), m), tok.span("uurl")
        elif kind == "istring":
            new, span = _rewrite_string(tok.group("istring"), m), tok.span("istring")
        elif kind == "imageset" or kind == "wimageset":
            depths.append(1)
        elif kind == "open" and depths:
            depths[-1] += 1
        elif kind == "close" and depths:
            depths[-1] -= 1
            if depths[-1] == 0:
                depths.pop()
        elif (kind == "dstring" or kind == "sstring") and depths and depths[-1] == 1:
            new = _rewrite_string(text[span[0] : span[1]], m)
        elif kind == "ename" or kind == "lname" or kind == "eimport":
            name = _unescape(text[span[0] : span[1]]).lower()
            rest: re.Match[str] | None = None
            if kind == "eimport":
                if name == "@import":
                    rest = _IMPORT_REST.match(text, pos)
            elif text.startswith("(", pos):
                if name == "url":
                    rest = _URL_REST.match(text, pos + 1)
                elif name in _IMAGE_SETS:
                    depths.append(1)
                    pos += 1
            if rest is not None:
                pos = rest.end()
                group = rest.lastgroup or "uurl"
                token = rest.group(group)
                span = rest.span(group)
                new = _rewrite_unquoted(token, m) if group == "uurl" else _rewrite_string(token, m)
        if new is not None:
            out.append(text[last : span[0]])
            out.append(new)
            last = span[1]
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)
