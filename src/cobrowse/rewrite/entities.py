"""HTML character references in attribute values and text.

Attribute values are decoded with the HTML tokenizer's attribute rule: a named reference
without its `;` that is followed by `=` or an alphanumeric stays as written, so
`?a=1&copy=2` keeps its `&copy`. Values are encoded again only when they changed.
"""

from __future__ import annotations

import html
import re
from html.entities import html5

__all__ = ["decode_attribute", "decode_text", "encode_attribute", "encode_text"]

_CHARREF = re.compile(r"&(?:#[xX][0-9a-fA-F]+;?|#[0-9]+;?|([a-zA-Z][a-zA-Z0-9]*)(;?))")
_LONGEST_NAME = max(len(name) for name in html5)
_NEEDS_QUOTES = re.compile(r"""[\t\n\f\r "'=<>`]""")


def _decode_ref(m: re.Match[str]) -> str:
    name, semi = m.group(1), m.group(2)
    if name is None:  # numeric; html.unescape applies the replacement table
        return html.unescape(m.group(0))
    if semi and name + ";" in html5:
        return html5[name + ";"]
    for k in range(min(len(name), _LONGEST_NAME), 0, -1):
        prefix = name[:k]
        if prefix in html5:  # a legacy reference that works without ";"
            if k < len(name):
                following = name[k]
            else:
                end = m.end()
                following = semi or m.string[end : end + 1]
            if following and (following == "=" or following.isalnum()):
                return m.group(0)
            return html5[prefix] + name[k:] + semi
    return m.group(0)


def decode_attribute(value: str) -> str:
    """The value an HTML parser sees for a raw attribute value."""
    if "&" not in value:
        return value
    return _CHARREF.sub(_decode_ref, value)


def decode_text(value: str) -> str:
    """The text an HTML parser sees for raw character data (outside raw-text elements)."""
    return html.unescape(value) if "&" in value else value


def encode_attribute(value: str, quote: str) -> str:
    """A raw attribute value (without the quotes) that decodes back to `value`; `<` and
    `>` are encoded too, as serializers do, so that a value holding markup (srcdoc) stays
    readable as such.

    `quote` is `"`, `'`, or `""` for an unquoted value; an unquoted value that would not
    survive unquoted comes back wrapped in double quotes.
    """
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote == '"':
        return value.replace('"', "&quot;")
    if quote == "'":
        return value.replace("'", "&#39;")
    if value and _NEEDS_QUOTES.search(value) is None:
        return value
    return '"' + value.replace('"', "&quot;") + '"'


def encode_text(value: str) -> str:
    """Raw character data that decodes back to `value`."""
    return value.replace("&", "&amp;").replace("<", "&lt;")
