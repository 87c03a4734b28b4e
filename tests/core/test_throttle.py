"""The token bucket and the connection caps, with plain numbers for time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.throttle import ConnectionCaps, Rate, TokenBucket


def test_a_full_bucket_allows_the_burst_then_refuses() -> None:
    bucket = TokenBucket(Rate(per_second=10, burst=5))
    assert [bucket.take(now=100.0) for _ in range(6)] == [True] * 5 + [False]


def test_tokens_come_back_at_the_rate_and_never_past_the_burst() -> None:
    bucket = TokenBucket(Rate(per_second=4, burst=5))
    for _ in range(5):
        assert bucket.take(now=100.0)
    assert not bucket.take(now=100.125)  # half a token back
    assert bucket.take(now=100.25)  # one token back
    assert not bucket.take(now=100.25)
    # A long pause refills to the burst, not beyond it.
    assert [bucket.take(now=1000.0) for _ in range(6)] == [True] * 5 + [False]


def test_a_clock_going_back_gives_no_tokens() -> None:
    bucket = TokenBucket(Rate(per_second=1, burst=1))
    assert bucket.take(now=50.0)
    assert not bucket.take(now=10.0)
    assert not bucket.take(now=50.5)
    assert bucket.take(now=51.0)


def test_a_refused_take_takes_nothing() -> None:
    bucket = TokenBucket(Rate(per_second=1, burst=3))
    assert bucket.take(now=0.0, cost=2)
    assert not bucket.take(now=0.0, cost=2)
    assert bucket.take(now=0.0, cost=1)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=0.5, max_value=1000),
    st.integers(min_value=1, max_value=200),
    st.lists(st.floats(min_value=0, max_value=10), max_size=200),
)
def test_never_more_than_burst_plus_rate_times_elapsed(
    per_second: float, burst: int, gaps: list[float]
) -> None:
    bucket = TokenBucket(Rate(per_second=per_second, burst=burst))
    now = 0.0
    allowed = 0
    for gap in gaps:
        now += gap
        while bucket.take(now=now):
            allowed += 1
    assert allowed <= burst + per_second * now + 1e-6


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Rate(per_second=0, burst=1)
    with pytest.raises(ValueError):
        Rate(per_second=1, burst=0)


def test_connection_caps_count_per_key_and_free_on_close() -> None:
    caps = ConnectionCaps(per_address=2, per_session=1)
    assert caps.open_address("a") and caps.open_address("a")
    assert not caps.open_address("a")
    assert caps.open_address("b")  # another address has its own count
    caps.close_address("a")
    assert caps.open_address("a")
    assert caps.open_session("s1") and not caps.open_session("s1") and caps.open_session("s2")
    caps.close_session("s1")
    assert caps.count(session_id="s1") == 0 and caps.open_session("s1")
    caps.close_address("nobody")  # closing what was never opened changes nothing
    assert caps.count(address="nobody") == 0
