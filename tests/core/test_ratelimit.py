"""Failed-attempt throttling: free failures, doubling delays, lockout, windows, keys."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.ratelimit import FailureLimiter, Policy, Verdict, WindowCounter

T0 = 10_000.0
POLICY = Policy(free_failures=3, lockout_failures=10, base_delay=0.25, max_delay=2.0, window=900.0)
A = ["agent:asha"]
IP = ["ip:10.0.0.1"]


def limiter(policy: Policy = POLICY, max_keys: int = 100_000) -> FailureLimiter:
    return FailureLimiter(policy, max_keys=max_keys)


def fail_n(lim: FailureLimiter, keys: list[str], n: int, now: float = T0) -> None:
    for _ in range(n):
        lim.fail(keys, now=now)


def test_default_policy() -> None:
    assert Policy() == POLICY


def test_verdict() -> None:
    assert not Verdict().refused
    assert not Verdict(delay=1.0).refused
    assert Verdict(retry_after=0.5).refused


def test_unknown_key_is_free() -> None:
    lim = limiter()
    assert lim.check(A, now=T0) == Verdict(0.0, 0.0)
    assert lim.failures("agent:asha", now=T0) == 0


def test_free_failures_cost_nothing() -> None:
    lim = limiter()
    for n in range(3):
        assert lim.check(A, now=T0) == Verdict(0.0, 0.0), n
        lim.fail(A, now=T0)
    assert lim.failures(A[0], now=T0) == 3


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(3, 0.25), (4, 0.5), (5, 1.0), (6, 2.0), (7, 2.0), (9, 2.0)],
)
def test_delay_doubles_up_to_the_cap(failures: int, delay: float) -> None:
    lim = limiter()
    fail_n(lim, A, failures)
    verdict = lim.check(A, now=T0)
    assert verdict.delay == delay
    assert verdict.retry_after == 0.0 and not verdict.refused


def test_lockout_at_lockout_failures() -> None:
    lim = limiter()
    fail_n(lim, A, 10)
    verdict = lim.check(A, now=T0 + 100)
    assert verdict.refused
    assert verdict.retry_after == pytest.approx(800.0)


def test_lockout_counts_from_the_latest_failure() -> None:
    lim = limiter()
    fail_n(lim, A, 9, now=T0)
    lim.fail(A, now=T0 + 500)
    assert lim.check(A, now=T0 + 600).retry_after == pytest.approx(800.0)


def test_window_expiry_exact_boundary() -> None:
    lim = limiter()
    fail_n(lim, A, 10)
    assert lim.check(A, now=T0 + 900 - 1e-6).refused
    assert lim.check(A, now=T0 + 900) == Verdict(0.0, 0.0)
    assert lim.failures(A[0], now=T0 + 900) == 0


def test_failures_are_forgotten_after_the_window_not_per_failure() -> None:
    lim = limiter()
    lim.fail(A, now=T0)
    lim.fail(A, now=T0 + 800)  # refreshes the record
    assert lim.failures(A[0], now=T0 + 1000) == 2
    assert lim.failures(A[0], now=T0 + 1700) == 0


def test_strictest_verdict_over_keys() -> None:
    lim = limiter()
    fail_n(lim, A, 5)  # delay 1.0
    fail_n(lim, IP, 4)  # delay 0.5
    assert lim.check(A + IP, now=T0).delay == 1.0
    assert lim.check(IP, now=T0).delay == 0.5
    fail_n(lim, IP, 6)  # IP locked out
    verdict = lim.check(A + IP, now=T0 + 10)
    assert verdict.refused and verdict.retry_after == pytest.approx(890.0)
    assert verdict.delay == 1.0


def test_fail_counts_every_key() -> None:
    lim = limiter()
    lim.fail(A + IP, now=T0)
    assert lim.failures(A[0], now=T0) == 1
    assert lim.failures(IP[0], now=T0) == 1
    assert lim.failures("other", now=T0) == 0


def test_success_does_not_reset() -> None:
    lim = limiter()
    fail_n(lim, A, 5)
    lim.check(A, now=T0)  # checking is not an attempt
    assert lim.failures(A[0], now=T0) == 5


def test_attempt_counts_up_front() -> None:
    lim = limiter()
    verdicts = [lim.attempt(A, now=T0) for _ in range(11)]
    assert [v.delay for v in verdicts[:3]] == [0.0, 0.0, 0.0]
    assert [v.delay for v in verdicts[3:10]] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert not any(v.refused for v in verdicts[:10])
    assert verdicts[10].refused
    assert lim.failures(A[0], now=T0) == 10


def test_refused_attempt_is_not_counted_and_does_not_extend_the_lockout() -> None:
    lim = limiter()
    fail_n(lim, A, 10)
    verdict = lim.attempt(A, now=T0 + 100)
    assert verdict.refused
    assert lim.failures(A[0], now=T0 + 100) == 10
    assert not lim.check(A, now=T0 + 900).refused


def test_parallel_attempts_see_each_others_counts() -> None:
    lim = limiter()
    first = [lim.attempt(A, now=T0) for _ in range(4)]
    assert first[-1].delay == 0.25  # the fourth sees the three before it


def test_forgive_undoes_an_attempt() -> None:
    lim = limiter()
    fail_n(lim, A, 4)
    lim.attempt(A, now=T0)
    assert lim.failures(A[0], now=T0) == 5
    lim.forgive(A, now=T0)
    assert lim.failures(A[0], now=T0) == 4
    assert lim.check(A, now=T0).delay == 0.5


def test_forgive_down_to_zero_forgets_the_key() -> None:
    lim = limiter()
    lim.attempt(A + IP, now=T0)
    lim.forgive(A + IP, now=T0)
    assert lim.failures(A[0], now=T0) == 0
    assert lim.failures(IP[0], now=T0) == 0
    assert lim._records == {}
    lim.forgive(A, now=T0)  # nothing to forgive: no error, no negative count
    assert lim.failures(A[0], now=T0) == 0
    lim.fail(A, now=T0)
    assert lim.failures(A[0], now=T0) == 1


def test_forgive_after_the_window_is_a_no_op() -> None:
    lim = limiter()
    lim.attempt(A, now=T0)
    lim.forgive(A, now=T0 + 900)
    assert lim.failures(A[0], now=T0 + 900) == 0


def test_prune_forgets_expired_keys_only() -> None:
    lim = limiter()
    lim.fail(["old"], now=T0)
    lim.fail(["new"], now=T0 + 500)
    lim.prune(now=T0 + 900)
    assert set(lim._records) == {"new"}
    assert lim.failures("new", now=T0 + 900) == 1


def test_prune_halves_a_full_table_keeping_the_newest() -> None:
    lim = limiter(max_keys=4)
    for i in range(4):
        lim.fail([f"k{i}"], now=T0 + i)
    lim.prune(now=T0 + 10)
    assert set(lim._records) == {"k2", "k3"}


def test_table_is_bounded_by_max_keys() -> None:
    lim = limiter(max_keys=10)
    for i in range(100):
        lim.fail([f"k{i}"], now=T0 + i)
        assert len(lim._records) <= 10
    assert lim.failures("k99", now=T0 + 100) == 1


def test_custom_policy() -> None:
    policy = Policy(free_failures=0, lockout_failures=2, base_delay=1.0, max_delay=1.5, window=60.0)
    lim = limiter(policy)
    assert lim.attempt(A, now=T0).delay == 0.0  # no record yet
    assert lim.attempt(A, now=T0).delay == 1.5  # 1.0 * 2**1, capped at 1.5
    verdict = lim.attempt(A, now=T0 + 30)
    assert verdict.refused and verdict.retry_after == pytest.approx(30.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["attempt", "fail", "forgive", "check"]),
            st.sampled_from(["a", "b"]),
            st.floats(0, 300),
        ),
        max_size=40,
    )
)
def test_verdict_bounds(ops: list[tuple[str, str, float]]) -> None:
    lim = limiter()
    now = T0
    for op, key, dt in ops:
        now += dt
        verdict = getattr(lim, op)([key], now=now) if op != "forgive" else None
        if op == "forgive":
            lim.forgive([key], now=now)
        if isinstance(verdict, Verdict):
            assert 0.0 <= verdict.delay <= POLICY.max_delay
            assert 0.0 <= verdict.retry_after <= POLICY.window
        assert lim.failures(key, now=now) >= 0
        assert lim.failures(key, now=now) <= len(ops)


# --- the global ceiling -----------------------------------------------------------


def test_window_counter_allows_limit_per_window() -> None:
    c = WindowCounter(limit=3, window=60)
    assert [c.attempt(now=T0 + i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert c.attempt(now=T0 + 10) == pytest.approx(50.0)  # the first falls out at T+60
    assert c.count(now=T0 + 10) == 3  # a refused attempt is not counted
    assert c.attempt(now=T0 + 60) == 0.0
    assert c.attempt(now=T0 + 60.5) == pytest.approx(0.5)


def test_window_counter_forgive_takes_back_the_latest() -> None:
    c = WindowCounter(limit=2, window=60)
    c.attempt(now=T0)
    c.attempt(now=T0 + 1)
    c.forgive(now=T0 + 1)
    assert c.count(now=T0 + 1) == 1
    assert c.attempt(now=T0 + 2) == 0.0
    c.forgive(now=T0 + 500)  # nothing left: a no-op
    assert c.count(now=T0 + 500) == 0


@given(st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=300))
def test_window_counter_never_passes_more_than_limit_in_a_window(gaps: list[float]) -> None:
    c = WindowCounter(limit=7, window=60)
    now = T0
    passed: list[float] = []
    for gap in gaps:
        now += gap
        if c.attempt(now=now) == 0.0:
            passed.append(now)
    for i, t in enumerate(passed):
        assert sum(1 for u in passed[i:] if u < t + 60) <= 7
