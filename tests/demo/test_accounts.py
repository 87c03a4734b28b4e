from __future__ import annotations

import itertools

import pytest

from cobrowse.demo.accounts import (
    SessionStore,
    demo_name,
    holder_type,
    is_valid_pan,
    login_error,
    mask_pan,
    normalize_pan,
)


@pytest.mark.parametrize("pan", ["ABCPE1234F", "AAAPZ0000Z", "ZZZCA9999A"])
def test_well_formed_pans(pan: str) -> None:
    assert is_valid_pan(pan)


@pytest.mark.parametrize(
    "pan",
    ["", "ABCPE1234", "ABCPE1234FF", "ABCP1234F", "ABCPE12345", "1BCPE1234F", "ABCPE1234 ",
     "abcpe1234f", "ABCPE\uff11\uff12\uff13\uff14F", "ABCPE-1234F"],
)  # fmt: skip
def test_malformed_pans(pan: str) -> None:
    assert not is_valid_pan(pan)


def test_lowercase_is_accepted_after_normalising() -> None:
    assert normalize_pan("  abcpe1234f ") == "ABCPE1234F"
    assert is_valid_pan(normalize_pan("abcpe1234f"))


def test_mask_pan_hides_the_digits() -> None:
    assert mask_pan("ABCPE1234F") == "ABCPE****F"
    assert mask_pan("junk") == "****"


def test_demo_identity_follows_the_pan() -> None:
    assert demo_name("ABCPS1234F").endswith("Sharma")  # 5th letter: surname initial
    assert demo_name("ABCPS1234F") == demo_name("ABCPS1234F")
    assert holder_type("ABCPE1234F") == "Individual"
    assert holder_type("ABCCE1234F") == "Company"


def test_login_check() -> None:
    assert login_error("ABCPE1234F", "demo1234") is None
    assert login_error("ABCPE1234F", "demo12345") is not None
    assert login_error("ABCPE1234F", "") == "Enter your password."
    assert "valid PAN" in (login_error("ABCPE123", "demo1234") or "")
    assert login_error("", "demo1234") == "Enter your PAN."


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_expire_when_idle_and_end_on_logout() -> None:
    clock = FakeClock()
    counter = itertools.count()
    store = SessionStore(clock=clock, ttl=60, token_factory=lambda: f"t{next(counter)}")
    token = store.create("ABCPE1234F")
    clock.now += 59
    session = store.get(token)
    assert session is not None and session.pan == "ABCPE1234F"
    clock.now += 59  # activity above refreshed the idle timer
    assert store.get(token) is not None
    clock.now += 61
    assert store.get(token) is None
    other = store.create("ABCPE1234F")
    store.end(other)
    assert store.get(other) is None
    assert store.get(None) is None
    assert store.get("unknown") is None


def test_sessions_are_bounded() -> None:
    counter = itertools.count()
    store = SessionStore(max_sessions=3, token_factory=lambda: f"t{next(counter)}")
    tokens = [store.create("ABCPE1234F") for _ in range(5)]
    assert len(store) == 3
    assert store.get(tokens[0]) is None
    assert store.get(tokens[-1]) is not None


def test_real_tokens_are_long_and_distinct() -> None:
    store = SessionStore()
    a, b = store.create("ABCPE1234F"), store.create("ABCPE1234F")
    assert a != b and len(a) >= 40
