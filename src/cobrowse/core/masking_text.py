"""The reference masker: value patterns over text, as the visitor's browser runs them
(web/src/masking/patterns.ts; the golden cases in tests/fixtures/masking/ keep the two
equal).

Patterns match the text's normalised view (core/masking_fold.py: digits of any script,
any space, any dash, invisible characters, compatibility forms), and a match hides the
original characters behind it, whatever form they had: `२३४५ ६७८९ ०१२४` with no-break
spaces becomes `**** **** ****` with its no-break spaces kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cobrowse.core.masking_checks import passes
from cobrowse.core.masking_fold import fold, hidden
from cobrowse.core.masking_regex import SafeRegex

MASK_CHAR = "*"

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Pattern:
    name: str
    regex: SafeRegex
    check: str = "none"  # a checksum the match must pass
    boundary: str = "none"  # "digit": no digit right before or after the match
    ignore_case: bool = False

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compiled(self.regex.source, self.ignore_case)

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.regex.source,
            "flags": "i" if self.ignore_case else "",
            "check": self.check,
            "boundary": self.boundary,
        }


def _compiled(source: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(source, re.ASCII | (re.IGNORECASE if ignore_case else 0))


def _accept(text: str, start: int, end: int, matched: str, pattern: Pattern) -> Span | None:
    if _boundary_ok(text, start, end, pattern.boundary) and passes(pattern.check, matched):
        return (start, end)
    return None


def _boundary_ok(text: str, start: int, end: int, boundary: str) -> bool:
    if boundary == "none":
        return True
    near = (text[start - 1] if start > 0 else "", text[end] if end < len(text) else "")
    if boundary == "digit":
        return not any(c.isascii() and c.isdigit() for c in near)
    return not any(c.isascii() and c.isalnum() for c in near)


def _merged(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_spans(text: str, patterns: Iterable[Pattern]) -> list[Span]:
    """Where `patterns` match in `text` as it is (merged, sorted); `text` is normally a
    folded view (`spans` folds first).

    A match that fails its boundary or checksum is tried shorter (the longest shorter
    match that passes wins), then the search goes on one position later; after a match
    of a pattern with a checksum the search also goes on one position later, so a number
    glued to a neighbouring group of digits is still found. Linear in `len(text)`: every
    regex is bounded (core/masking_regex.py), so each position costs at most a constant."""
    spans: list[Span] = []
    for pattern in patterns:
        regex = pattern.compiled
        pos = 0
        while pos < len(text):
            m = regex.search(text, pos)
            if m is None:
                break
            start, end = m.span()
            found = _accept(text, start, end, m[0], pattern)
            ends = range(end - 1, start, -1) if found is None else ()
            for shorter in ends:
                m2 = regex.fullmatch(text, start, shorter)
                if m2 is not None and _accept(text, start, shorter, m2[0], pattern) is not None:
                    found = (start, shorter)
                    break
            if found is not None:
                spans.append(found)
            checked = pattern.check != "none" or pattern.boundary != "none"
            pos = start + 1 if found is None or checked else found[1]
    return _merged(spans)


def spans(text: str, patterns: Sequence[Pattern], *, normalise: bool = True) -> list[Span]:
    """The original characters of `text` each match covers (merged, sorted): matched in
    the folded view, mapped back (invisible characters inside a match included).
    `normalise=False` matches the text as it is (the baseline bench/masking.py measures)."""
    if not patterns or not text:
        return []
    if not normalise:
        return find_spans(text, patterns)
    folded = fold(text)
    found = find_spans(folded.text, patterns)
    if folded.src is None or not found:
        return found
    return _merged(folded.original(start, end) for start, end in found)


def _hide(text: str, ranges: Iterable[Span]) -> str:
    out = []
    last = 0
    for start, end in ranges:
        out.append(text[last:start])
        out.append("".join(MASK_CHAR if hidden(ch) else ch for ch in text[start:end]))
        last = end
    if last == 0:
        return text
    out.append(text[last:])
    return "".join(out)


def mask_text(text: str, patterns: Sequence[Pattern], *, normalise: bool = True) -> str:
    """`text` with every character of every match replaced by `*` but spaces, dashes and
    other punctuation (one `*` per character: the length stays)."""
    return _hide(text, spans(text, patterns, normalise=normalise))


def mask_pieces(pieces: Sequence[str], patterns: Sequence[Pattern]) -> list[str]:
    """Adjacent pieces of one text (the text nodes of one block in the browser), each
    masked for the matches in itself and for those in the joined text: a value split
    across pieces (`ABCDE` + `1234F`) loses exactly its characters in each piece."""
    if len(pieces) < 2:
        return [mask_text(p, patterns) for p in pieces]
    joined = spans("".join(pieces), patterns)
    out = []
    offset = 0
    for piece in pieces:
        end = offset + len(piece)
        own = spans(piece, patterns)
        cross = [(max(s, offset) - offset, min(e, end) - offset) for s, e in joined]
        out.append(_hide(piece, _merged([*own, *((s, e) for s, e in cross if s < e)])))
        offset = end
    return out


# Assets the agent's mirror loads by URL (proxy mode) that can carry readable text.
