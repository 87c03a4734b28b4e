"""PINs: format, uniqueness, exhaustion, normalizing what an agent types."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.core.pin import (
    PIN_LENGTH,
    PinSpaceExhausted,
    display_pin,
    new_pin,
    normalize_pin,
)


def scripted(values: list[int]) -> tuple[Callable[[int], int], list[int]]:
    """A randbelow that returns `values` in order and records its bounds."""
    it: Iterator[int] = iter(values)
    bounds: list[int] = []

    def randbelow(n: int) -> int:
        bounds.append(n)
        return next(it)

    return randbelow, bounds


def test_pin_is_six_ascii_digits_from_the_whole_space() -> None:
    randbelow, bounds = scripted([7])
    assert new_pin(set(), randbelow=randbelow) == "000007"
    assert bounds == [10**6]
    assert PIN_LENGTH == 6


@pytest.mark.parametrize(
    ("value", "pin"), [(0, "000000"), (42, "000042"), (999_999, "999999"), (123_456, "123456")]
)
def test_zero_padding(value: int, pin: str) -> None:
    assert new_pin(set(), randbelow=scripted([value])[0]) == pin


def test_real_randomness_gives_valid_pins() -> None:
    pins = {new_pin(set()) for _ in range(50)}
    assert all(re.fullmatch(r"[0-9]{6}", p) for p in pins)
    assert len(pins) > 40  # not a constant


def test_taken_pins_are_skipped() -> None:
    randbelow, bounds = scripted([111_111, 222_222, 333_333])
    pin = new_pin({"111111", "222222"}, randbelow=randbelow)
    assert pin == "333333"
    assert len(bounds) == 3


def test_taken_can_be_any_container() -> None:
    taken = {"000001": "s_a"}  # a dict keyed by PIN, as the store passes
    assert new_pin(taken, randbelow=scripted([1, 2])[0]) == "000002"


def test_exhaustion_after_attempts() -> None:
    randbelow, bounds = scripted([5] * 100)
    with pytest.raises(PinSpaceExhausted, match="no free PIN"):
        new_pin({"000005"}, randbelow=randbelow, attempts=10)
    assert len(bounds) == 10


def test_default_attempts_is_64() -> None:
    randbelow, bounds = scripted([5] * 64 + [6])
    with pytest.raises(PinSpaceExhausted):
        new_pin({"000005"}, randbelow=randbelow)
    assert len(bounds) == 64


def test_last_attempt_can_succeed() -> None:
    randbelow, _ = scripted([5, 5, 6])
    assert new_pin({"000005"}, randbelow=randbelow, attempts=3) == "000006"


def test_exhaustion_is_a_runtime_error() -> None:
    assert issubclass(PinSpaceExhausted, RuntimeError)


@pytest.mark.parametrize(
    "text",
    [
        "123456",
        "123 456",
        "123-456",
        " 123456 ",
        "1 2 3 4 5 6",
        "12-34-56",
        "123\u00a0456",
        "123\t456",
        "--123456--",
    ],
)
def test_normalize_accepts_grouped_pins(text: str) -> None:
    assert normalize_pin(text) == "123456"


def test_normalize_keeps_leading_zeros() -> None:
    assert normalize_pin("000 042") == "000042"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "12345",
        "1234567",
        "123 4567",
        "12345a",
        "abcdef",
        "123.456",
        "123_456",
        "123,456",
        "+123456",
        "-12345",
        "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
        "12345\u0666",  # one Arabic-Indic digit
        "\u0967\u0968\u0969\u096a\u096b\u096c",  # Devanagari digits
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits
        "12345\u00b2",  # superscript two (isdigit, not a decimal)
        "123\n456",
        "123\u200b456",  # zero-width space
    ],
)
def test_normalize_rejects(text: str) -> None:
    assert normalize_pin(text) is None


@given(st.integers(0, 10**6 - 1))
def test_normalize_display_round_trip(value: int) -> None:
    pin = f"{value:06d}"
    shown = display_pin(pin)
    assert shown == f"{pin[:3]} {pin[3:]}"
    assert normalize_pin(shown) == pin
    assert normalize_pin(pin) == pin


@given(st.text(max_size=12))
def test_normalize_result_is_always_six_ascii_digits(text: str) -> None:
    result = normalize_pin(text)
    assert result is None or re.fullmatch(r"[0-9]{6}", result)


def test_display_pin() -> None:
    assert display_pin("123456") == "123 456"
    assert display_pin("000001") == "000 001"
