"""Throttling of failed attempts (wrong PINs), per key, with a pure clock.

Each key (an agent, an address) has a count of recent failures. The first
`free_failures` cost nothing; after that each answer is slowed down by a delay
that doubles per failure up to `max_delay`; from `lockout_failures` on, the key
is refused until `window` seconds have passed since its latest failure. A
success does not reset the count, so spacing guesses between real joins does
not help an attacker.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    free_failures: int = 3
    lockout_failures: int = 10
    base_delay: float = 0.25
    max_delay: float = 2.0
    window: float = 900.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """`retry_after` > 0: refuse now. Otherwise answer after `delay` seconds."""

    delay: float = 0.0
    retry_after: float = 0.0

    @property
    def refused(self) -> bool:
        return self.retry_after > 0


def alive(policy: Policy, last: float, *, now: float) -> bool:
    """Whether a key whose latest failure was at `last` still counts."""
    return now < last + policy.window


def verdict(policy: Policy, records: list[tuple[int, float]], *, now: float) -> Verdict:
    """The strictest verdict over the live records (failures, last failure) of some keys.

    The one rule every limiter shares: FailureLimiter here, and the stores of
    store/guards*.py, whose Redis side only reads the records and counts atomically.
    """
    delay = 0.0
    retry_after = 0.0
    for failures, last in records:
        if failures >= policy.lockout_failures:
            retry_after = max(retry_after, last + policy.window - now)
        elif failures >= policy.free_failures:
            step = failures - policy.free_failures
            delay = max(delay, min(policy.max_delay, policy.base_delay * 2**step))
    return Verdict(delay=delay, retry_after=retry_after)


@dataclass(slots=True)
class _Record:
    failures: int
    last: float


@dataclass(slots=True)
class FailureLimiter:
    policy: Policy
    max_keys: int = 100_000
    _records: dict[str, _Record] = field(default_factory=dict)

    def check(self, keys: list[str], *, now: float) -> Verdict:
        """The strictest verdict over `keys`, before an attempt is made."""
        records = [self._live(key, now) for key in keys]
        return verdict(
            self.policy, [(r.failures, r.last) for r in records if r is not None], now=now
        )

    def fail(self, keys: list[str], *, now: float) -> None:
        for key in keys:
            rec = self._live(key, now)
            if rec is None:
                if len(self._records) >= self.max_keys:
                    self.prune(now=now)
                self._records[key] = _Record(failures=1, last=now)
            else:
                rec.failures += 1
                rec.last = now

    def attempt(self, keys: list[str], *, now: float) -> Verdict:
        """Check, and unless refused count the attempt as a failure up front.

        Counting before the outcome is known means parallel guesses cannot all
        slip through on one stale count; `forgive` takes it back on success.
        """
        verdict = self.check(keys, now=now)
        if not verdict.refused:
            self.fail(keys, now=now)
        return verdict

    def forgive(self, keys: list[str], *, now: float) -> None:
        for key in keys:
            rec = self._live(key, now)
            if rec is not None:
                rec.failures -= 1
                if rec.failures <= 0:
                    del self._records[key]

    def failures(self, key: str, *, now: float) -> int:
        rec = self._live(key, now)
        return 0 if rec is None else rec.failures

    def prune(self, *, now: float) -> None:
        """Forget keys whose window has passed (and the oldest, if still full)."""
        self._records = {
            k: r for k, r in self._records.items() if alive(self.policy, r.last, now=now)
        }
        if len(self._records) >= self.max_keys:
            keep = sorted(self._records.items(), key=lambda kv: kv[1].last)
            self._records = dict(keep[len(keep) // 2 :])

    def _live(self, key: str, now: float) -> _Record | None:
        rec = self._records.get(key)
        if rec is not None and not alive(self.policy, rec.last, now=now):
            del self._records[key]
            return None
        return rec


@dataclass(slots=True)
class WindowCounter:
    """At most `limit` counted events in any `window` seconds, all callers together.

    The global ceiling on wrong PINs: however many agents and addresses an attacker
    spreads guesses over, the server as a whole answers at most `limit` wrong PINs
    per window. Memory is bounded by `limit` timestamps.
    """

    limit: int
    window: float = 60.0
    _times: deque[float] = field(default_factory=deque)

    def attempt(self, *, now: float) -> float:
        """Count an attempt up front and return 0, or return the seconds to wait."""
        self._expire(now)
        if len(self._times) >= self.limit:
            return self._times[0] + self.window - now
        self._times.append(now)
        return 0.0

    def forgive(self, *, now: float) -> None:
        """Take back the latest attempt (it turned out to be a success)."""
        self._expire(now)
        if self._times:
            self._times.pop()

    def count(self, *, now: float) -> int:
        self._expire(now)
        return len(self._times)

    def _expire(self, now: float) -> None:
        while self._times and self._times[0] + self.window <= now:
            self._times.popleft()
