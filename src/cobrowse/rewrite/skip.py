"""The HTML rewriter's fast path: one regex that skips markup that cannot need rewriting.

Once the runtime is injected and outside SVG and MathML, most of a page is text, end
tags, comments, and start tags of ordinary elements whose attributes cannot hold a URL
to rewrite. `skip_pattern` matches a run of all that at C speed; the token it stops at
goes through the rewriter's careful token-by-token path, and tests check that the two
agree on every input.

- A URL attribute (href, src...) is skipped when its value starts like a relative URL:
  "/" but not "//", "/\\" or "/&" (tabs and newlines between ignored, as URL parsing does), a
  name without ":" or "&" after it, or any character but a letter, a backslash or "&".
- A srcset, ping or srcdoc is skipped when it has no ":", no backslash, no "//" and no
  character reference but "&amp;" anywhere.
- A style attribute is skipped when each "url(" holds a relative URL and no other "("
  follows an "l" or a "t" (image-set), with no backslash and no reference but "&amp;".
- An event handler (`on*`) is skipped when its value holds none of the JavaScript
  rewriter's trigger words (`rewrite.js.TRIGGERS`) and no character reference but
  "&amp;"; a plain script's body likewise when it holds none of them.
- integrity and http-equiv always stop it; so do special elements (raw text, script
  unless it is a plain one without an import map, svg, math, base).
- Names are matched in lower case only (literal tries are several times faster than
  case-insensitive alternations): a start tag with an upper-case letter in a name is
  never skipped and takes the careful path.
"""

from __future__ import annotations

import re
from typing import Any

from cobrowse.rewrite.attributes import URL_ATTRIBUTES
from cobrowse.rewrite.js import TRIGGERS

__all__ = ["skip_pattern"]

_ALWAYS = ("http-equiv", *(n for n, r in URL_ATTRIBUTES.items() if r.kind == "drop"))
_CSS_NAMES = tuple(n for n, r in URL_ATTRIBUTES.items() if r.kind == "css")
_URL_NAMES = tuple(n for n, r in URL_ATTRIBUTES.items() if r.kind == "url")
_STRICT_NAMES = tuple(n for n, r in URL_ATTRIBUTES.items() if r.kind in ("srcset", "urls", "html"))


def _trie(words: tuple[str, ...]) -> str:
    """A regex alternation of `words` that branches on one character at a time."""
    tree: dict[str, dict[str, Any]] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(tree)


def _value(dq: str, sq: str, uq: str) -> str:
    # Either "=" and a value of the kind, or no "=" at all (never a value left behind).
    # An unquoted value never starts with a quote (that would be an unclosed quoted one).
    value = rf"""(?>"{dq}"|'{sq}'|(?!["']){uq}(?=[\t\n\f\r >]))"""
    return rf"(?>[\t\n\f\r ]*+=[\t\n\f\r ]*+{value}|(?![\t\n\f\r ]*+=))"


_ATTR_END = r"[\t\n\f\r /=>]"
_ANY_VALUE = _value(r'[^"]*+', r"[^']*+", r"[^\t\n\f\r >]++")
# How a relative URL can start (after leading C0 controls and spaces): "/" but not "//"
# (nor "/\", nor with tabs or newlines between, which URL parsing removes, nor "/&", whose
# character reference may be another "/"), a name that is not a scheme (no ":" after
# it), or any other character but a letter, "\" or "&".
_RELATIVE_START = r"""(?:/(?![\t\n\r]*+[/\\&])
    |[a-zA-Z][a-zA-Z0-9+.\-\t\n\r]*+(?![:&])|[^a-zA-Z/\\&\x00-\x20])"""
_RELATIVE = rf"(?=[\x00-\x20]*+{_RELATIVE_START})"
_URL_VALUE = _value(rf"{_RELATIVE}[^\"]*+", rf"{_RELATIVE}[^']*+", rf"{_RELATIVE}[^\t\n\f\r >]++")
# Several URLs or a document: no ":", "\" or "//" anywhere, no reference but "&amp;".
_STRICT_VALUE = _value(
    r"""(?:[^"&:\\/]|/(?![\t\n\r]*+[/\\])|&amp;)*+""",
    r"""(?:[^'&:\\/]|/(?![\t\n\r]*+[/\\])|&amp;)*+""",
    r"""(?:[^\t\n\f\r >&:\\/]|/(?![/\\])|&amp;)++""",
)
# Declarations: every "url(" holds a relative URL; no other "(" after an "l" or a "t"
# (image-set), no "\", no reference but "&amp;".
_CSS_URL = rf"""(?<=[uU][rR][lL])\((?=[\t\n\f\r ]*+['"]?+[\x00-\x20]*+{_RELATIVE_START})"""
_CSS_VALUE = _value(
    rf"""(?:[^"&\\(]|(?<![lLtT])\(|{_CSS_URL}|&amp;)*+""",
    rf"""(?:[^'&\\(]|(?<![lLtT])\(|{_CSS_URL}|&amp;)*+""",
    rf"""(?:[^\t\n\f\r >&\\(]|(?<![lLtT])\(|{_CSS_URL}|&amp;)++""",
)
# A script type that is not an import map (whose JSON holds URLs).
_NOT_IMPORTMAP = _value(
    r"""(?![^"]*+(?i:importmap))[^"]*+""",
    r"""(?![^']*+(?i:importmap))[^']*+""",
    r"""(?![^\t\n\f\r >]*+(?i:importmap))[^\t\n\f\r >]++""",
)
# Text without any trigger word: runs of characters that start none, and such a
# character where no trigger word starts. `extra`: characters that end the run.
_FIRSTS = "".join(sorted({t[0] for t in TRIGGERS}))
_TRIGGER_WORD = _trie(TRIGGERS)


def _no_trigger(extra: str) -> str:
    return rf"(?>[^{_FIRSTS}{extra}]++|(?!{_TRIGGER_WORD})[{_FIRSTS}])"


_HANDLER_VALUE = _value(
    rf"""(?:{_no_trigger('"&')}|&amp;)*+""",
    rf"""(?:{_no_trigger("'&")}|&amp;)*+""",
    r"(?:" + _no_trigger(r"\t\n\f\r >&") + r"|&amp;)++",
)
_SCRIPT_TEXT = _no_trigger("<")
_LOWER_NAME = r"[^\t\n\f\r />A-Z][^\t\n\f\r /=>A-Z]*+"
_OF_INTEREST = rf"(?:{_trie((*_ALWAYS, *_CSS_NAMES, *_URL_NAMES, *_STRICT_NAMES))}{_ATTR_END}|on)"
_STRICT_ATTRIBUTE = _trie(_STRICT_NAMES) + _ATTR_END
_CSS_ATTRIBUTE = _trie(_CSS_NAMES) + _ATTR_END
_URL_ATTRIBUTE = _trie(_URL_NAMES) + _ATTR_END


def skip_pattern(special_elements: tuple[str, ...]) -> re.Pattern[str]:
    """The skipping regex; start tags of `special_elements` (lower case) always stop it."""
    special = _trie(special_elements) + r"[\t\n\f\r />]"
    return re.compile(
        rf"""(?>
            [^<]++
          | </(?>[a-zA-Z][^\t\n\f\r />]*+(?>[\t\n\f\r /]++|{_LOWER_NAME}{_ANY_VALUE})*+>
                |(?![a-zA-Z])[^>]*+>)
          | <(?!{special})[a-z][^\t\n\f\r />A-Z]*+
              (?>[\t\n\f\r /]++
                | (?!{_OF_INTEREST}){_LOWER_NAME}{_ANY_VALUE}
                | (?={_CSS_ATTRIBUTE}){_LOWER_NAME}{_CSS_VALUE}
                | (?={_URL_ATTRIBUTE}){_LOWER_NAME}{_URL_VALUE}
                | (?={_STRICT_ATTRIBUTE}){_LOWER_NAME}{_STRICT_VALUE}
                | (?=on){_LOWER_NAME}{_HANDLER_VALUE}
              )*+>
          | <script(?=[\t\n\f\r />])
              (?>[\t\n\f\r /]++
                | type(?={_ATTR_END}){_NOT_IMPORTMAP}
                | (?!{_OF_INTEREST}|type{_ATTR_END}){_LOWER_NAME}{_ANY_VALUE}
                | (?={_URL_ATTRIBUTE}){_LOWER_NAME}{_URL_VALUE}
              )*+>(?>{_SCRIPT_TEXT}|<(?!/[sS][cC][rR][iI][pP][tT][\t\n\f\r />]|!--))*+
              (?=</[sS][cC][rR][iI][pP][tT][\t\n\f\r />])
          | <!--(?>>|->|[\s\S]*?--!?>)
          | <[!?](?!--)[^>]*+>
          | <(?![a-zA-Z/!?])
        )*+""",
        re.VERBOSE,
    )
