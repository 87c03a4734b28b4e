"""What the browser's masker makes of a string an event carries (web/src/masking/
masker.ts, `string`): the value patterns on the text, and on every URL-encoded piece of
it (`?card=4111+1111+...`, `%45NTSV1234V`), a piece that decodes to a match becoming
`*`s. The server needs the same answer where it decides what the browser would mask (an
opaque asset URL, the agent's assets)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

from cobrowse.core.masking import Pattern, mask_text

__all__ = ["changed", "holds_value", "mask_string"]

# As the browser's masker cuts a string into URL pieces, and the base64 data: URLs it
# leaves alone (they carry images and fonts, not typed text).
_URL_PIECE = re.compile(r"""[^?&#=/;,\s"'()<>]+""")
_DATA_BASE64 = re.compile(r"""data:[^,\s"')]{0,100};base64,[A-Za-z0-9+/=]+""")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def changed(text: str, patterns: Sequence[Pattern]) -> list[int]:
    """The indices of `text` that the value patterns mask. Should the masker ever change
    the length, every letter and digit counts as masked (fails closed)."""
    if not text:
        return []
    masked = mask_text(text, patterns)
    if len(masked) != len(text):
        return [i for i, ch in enumerate(text) if ch.isalnum()]
    return [i for i, (a, b) in enumerate(zip(text, masked, strict=True)) if a != b]


def _decoded(piece: str) -> str | None:
    """decodeURIComponent of the piece with `+` as a space; None where it would throw."""
    text = piece.replace("+", " ")
    if _PERCENT.search(text):
        return None
    try:
        return unquote_to_bytes(text).decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def _js_length(text: str) -> int:
    """The length JavaScript gives `text` (UTF-16 code units)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def mask_string(value: str, patterns: Sequence[Pattern]) -> str:
    """`value` as the browser's masker sends it (masker.ts `string`, step for step): URL
    pieces that decode to a match become `*`s, then the patterns mask the text, but for
    base64 data: URLs."""
    if not value:
        return value
    keep = [m.span() for m in _DATA_BASE64.finditer(value)] if ";base64," in value else []
    out = value
    if "%" in value or "+" in value:

        def piece(m: re.Match[str]) -> str:
            raw = m.group(0)
            if ("%" not in raw and "+" not in raw) or any(s <= m.start() < e for s, e in keep):
                return raw
            decoded = _decoded(raw)
            if decoded is None or decoded == raw or not changed(decoded, patterns):
                return raw
            return "*" * _js_length(raw)

        out = _URL_PIECE.sub(piece, out)
    if not keep:
        return mask_text(out, patterns)
    result: list[str] = []
    last = 0
    for start, end in keep:
        result.append(mask_text(out[last:start], patterns) + out[start:end])
        last = end
    result.append(mask_text(out[last:], patterns))
    return "".join(result)


def holds_value(text: str, patterns: Sequence[Pattern]) -> bool:
    """Whether the browser's masker would change `text`."""
    return mask_string(text, patterns) != text
