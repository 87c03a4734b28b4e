"""The normalised view of a text that the value patterns match, and the way back to the
original characters (docs/masking.md, "Values written the way pages write them").

Pages write the same number in many ways: `2345 6789 0124` with no-break spaces
(U+00A0, U+202F) between its groups, in Devanagari digits (`२३४५ ६७८९ ०१२४`), in
full-width forms, with a soft hyphen or a zero-width space inside. The built-in patterns
are written for ASCII (`[0-9]`, `[ -]?`), so each character is folded first:

- an invisible character (Unicode category Cf: soft hyphen, zero-width space and
  joiners, word joiner, BOM, ...; and the combining grapheme joiner and variation
  selectors) is dropped;
- a decimal digit of any script (category Nd) becomes its ASCII digit;
- a space of any kind (category Zs, tab, line and paragraph breaks) becomes ` `;
- a dash of any kind (category Pd, and U+2212 MINUS SIGN) becomes `-`;
- anything else becomes its NFKC form (full-width `\uff21` becomes `A`, `\u2460` becomes `1`),
  folded again by the rules above, one character at a time.

`fold` keeps, for every character of the folded text, the index of the original
character it came from, so a match in the folded text hides exactly the original
characters it covers. web/src/masking/fold.ts does the same (same golden fixtures).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Line breaks and tabs count as spaces (Zs holds only the horizontal ones).
_SPACES = frozenset("\t\n\v\f\r\x85\u2028\u2029")
_ASCII_SPACES = str.maketrans("\t\n\v\f\r", "     ")
# Invisible characters outside category Cf: the combining grapheme joiner, the Mongolian
# free variation selectors and the variation selectors.
_INVISIBLE_RANGES = ((0x034F, 0x034F), (0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
# Runs the fast path copies as they are: printable ASCII.
_SPECIAL = re.compile(r"[^\x20-\x7e]+")


def _invisible(ch: str, category: str) -> bool:
    if category == "Cf":
        return True
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _INVISIBLE_RANGES)


def _simple(ch: str) -> str | None:
    """The fold of `ch` by category alone, or None if its NFKC form decides."""
    category = unicodedata.category(ch)
    if _invisible(ch, category):
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    if category == "Zs" or ch in _SPACES:
        return " "
    if category == "Pd" or ch == "\u2212":
        return "-"
    return None


@lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """What one character becomes in the normalised view ("" if it is dropped)."""
    if ch.isascii():
        return " " if ch in _SPACES else ch
    simple = _simple(ch)
    if simple is not None:
        return simple
    nfkc = unicodedata.normalize("NFKC", ch)
    if nfkc == ch:
        return ch
    return "".join(s if (s := _simple(c)) is not None else c for c in nfkc)


def hidden(ch: str) -> bool:
    """Whether `ch`, inside a match, is replaced by the mask character: letters and
    digits in any form, and the invisible characters dropped from the match (kept
    as they are: spaces, dashes and other punctuation)."""
    if ch.isascii():
        return ch.isalnum()
    folded = fold_char(ch)
    return folded == "" or any(c.isalnum() for c in folded)


@dataclass(frozen=True, slots=True)
class Folded:
    """A text's normalised view. `src[i]` is the index in the original text of the
    character that folded character `i` came from (None: the same index)."""

    text: str
    src: list[int] | None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind folded characters [start, end) (end > start):
        from the first one's source to the last one's, with what was dropped between."""
        if self.src is None:
            return (start, end)
        return (self.src[start], self.src[end - 1] + 1)


def fold(text: str) -> Folded:
    """The normalised view of `text` (see the module's docstring)."""
    if text.isascii():
        return Folded(text.translate(_ASCII_SPACES), None)
    out: list[str] = []
    src: list[int] = []
    pos = 0
    for m in _SPECIAL.finditer(text):
        start, end = m.span()
        if start > pos:
            out.append(text[pos:start])
            src.extend(range(pos, start))
        for i in range(start, end):
            folded = fold_char(text[i])
            if folded:
                out.append(folded)
                src.extend([i] * len(folded))
        pos = end
    if pos < len(text):
        out.append(text[pos:])
        src.extend(range(pos, len(text)))
    return Folded("".join(out), src)
