"""PINs: 6 digits from the OS CSPRNG, unique among live sessions."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Container

PIN_LENGTH = 6
_SPACE = 10**PIN_LENGTH


class PinSpaceExhausted(RuntimeError):
    """No free PIN was found: far too many live sessions for a 6-digit space."""


def new_pin(
    taken: Container[str],
    *,
    randbelow: Callable[[int], int] = secrets.randbelow,
    attempts: int = 64,
) -> str:
    """Draw a PIN that is not in `taken`.

    With fewer than half the space in use, 64 draws fail with probability
    below 2**-64; beyond that the caller has a capacity problem, not bad luck.
    """
    for _ in range(attempts):
        pin = f"{randbelow(_SPACE):0{PIN_LENGTH}d}"
        if pin not in taken:
            return pin
    raise PinSpaceExhausted("no free PIN; too many live sessions")


def normalize_pin(text: str) -> str | None:
    """The canonical PIN from what an agent typed ("123 456", "123-456"), or None."""
    digits = "".join(ch for ch in text if ch not in " -\u00a0\t")
    if len(digits) != PIN_LENGTH or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def display_pin(pin: str) -> str:
    """Grouped for reading aloud: "123 456"."""
    return f"{pin[:3]} {pin[3:]}"
