"""What the browser's masker makes of a string an event carries (web/src/masking/
masker.ts, `string`): the value patterns on the text, and on every URL-encoded piece of
it (`?card=4111+1111+...`, `%45NTSV1234V`), a piece that decodes to a match becoming
`*`s. The server needs the same answer where it decides what the browser would mask (an
opaque asset URL, the agent's assets)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote_plus

from cobrowse.core.masking import Pattern, mask_text

__all__ = ["changed", "holds_value", "mask_string"]

# As the browser's masker cuts a string into URL pieces.
_URL_PIECE = re.compile(r"""[^?&#=/;,\s"'()<>]+""")


def changed(text: str, patterns: Sequence[Pattern]) -> list[int]:
    """The indices of `text` that the value patterns mask. Should the masker ever change
    the length, every letter and digit counts as masked (fails closed)."""
    if not text:
        return []
    masked = mask_text(text, patterns)
    if len(masked) != len(text):
        return [i for i, ch in enumerate(text) if ch.isalnum()]
    return [i for i, (a, b) in enumerate(zip(text, masked, strict=True)) if a != b]


def mask_string(value: str, patterns: Sequence[Pattern]) -> str:
    """`value` as the browser's masker sends it; the same length."""
    out = list(value)
    for i in changed(value, patterns):
        out[i] = "*"
    if "%" in value or "+" in value:
        for piece in _URL_PIECE.finditer(value):
            raw = piece.group(0)
            if "%" not in raw and "+" not in raw:
                continue
            decoded = unquote_plus(raw)
            if decoded != raw and changed(decoded, patterns):
                out[piece.start() : piece.end()] = "*" * len(raw)
    return "".join(out)


def holds_value(text: str, patterns: Sequence[Pattern]) -> bool:
    """Whether the browser's masker would change `text`."""
    return mask_string(text, patterns) != text
