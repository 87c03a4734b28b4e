"""Text as a reader sees it, built from pieces of a file, and masked back into them.

The asset maskers (`rewrite.css_mask`, `rewrite.svg_mask`) decode what a renderer would
show (escapes, character references, text split over elements), search that with the
value patterns, and replace only the pieces of the file that the masked characters came
from. A `View` is that decoded text with, for each character, where it came from (or
None for a character only the view has, such as a separator).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from cobrowse.core.masking import Pattern
from cobrowse.core.masking_urls import changed, mask_string

__all__ = ["Slot", "View", "one_slot"]

Slot = Hashable  # where a character came from: a piece of the file, in the masker's terms


def one_slot(slot: Slot) -> Callable[[int], Slot]:
    """Every character of a segment from the one `slot`."""
    return lambda _i: slot


@dataclass(slots=True)
class View:
    """Decoded text made of segments; each maps its characters' indices to the piece of
    the file they came from (or has no map: text only the view has, a separator)."""

    _parts: list[str] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)
    _slots: list[Callable[[int], Slot] | None] = field(default_factory=list)
    _size: int = 0

    def add(self, text: str, slot_of: Callable[[int], Slot] | None) -> None:
        """`text`, whose i-th character came from `slot_of(i)` (None: from no piece)."""
        if not text:
            return
        self._parts.append(text)
        self._starts.append(self._size)
        self._slots.append(slot_of)
        self._size += len(text)

    def __len__(self) -> int:
        return self._size

    def text(self) -> str:
        return "".join(self._parts)

    def parts(self) -> list[tuple[str, Callable[[int], Slot] | None]]:
        """The segments, to add to another view."""
        return list(zip(self._parts, self._slots, strict=True))

    def masked(self, patterns: Sequence[Pattern], *, urls: bool = False) -> set[Slot]:
        """The slots of the characters the patterns mask (`urls`: as `mask_string`)."""
        if not self._size:
            return set()
        text = self.text()
        if urls:
            masked = mask_string(text, patterns)
            if len(masked) == len(text):
                hits = [i for i, (a, b) in enumerate(zip(text, masked, strict=True)) if a != b]
            else:  # a piece with characters past U+FFFF: fail closed
                hits = [i for i, ch in enumerate(text) if ch.isalnum()]
        else:
            hits = changed(text, patterns)
        out: set[Slot] = set()
        for i in hits:
            k = bisect_right(self._starts, i) - 1
            slot_of = self._slots[k]
            slot = None if slot_of is None else slot_of(i - self._starts[k])
            if slot is not None:
                out.add(slot)
        return out
