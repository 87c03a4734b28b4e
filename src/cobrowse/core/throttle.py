"""Per-connection limits: a message-rate token bucket and concurrent-connection caps.

Pure: time is passed in (`now`, seconds). The WebSocket shell (server/ws.py) keeps
one `TokenBucket` per socket and one `ConnectionCaps` per app. What happens when a
limit is hit is decided there (docs/protocol.md): the socket is closed with 4429.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_second` sustained, `burst` at once (a full snapshot plus a mutation storm)."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_second > 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")


@dataclass(slots=True)
class TokenBucket:
    """Starts full; every message takes one token; tokens come back at `rate.per_second`."""

    rate: Rate
    tokens: float = field(init=False)
    last: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.rate.burst)

    def take(self, *, now: float, cost: float = 1.0) -> bool:
        """Take `cost` tokens if there are enough; False (and nothing taken) if not."""
        if self.last is not None and now > self.last:
            elapsed = now - self.last
            self.tokens = min(float(self.rate.burst), self.tokens + elapsed * self.rate.per_second)
        if self.last is None or now > self.last:
            self.last = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


@dataclass(slots=True)
class ConnectionCaps:
    """Open sockets per client address and per session, each under its own cap."""

    per_address: int
    per_session: int
    _by_address: dict[str, int] = field(default_factory=dict)
    _by_session: dict[str, int] = field(default_factory=dict)

    def open_address(self, address: str) -> bool:
        """Count a new socket from `address`; False (not counted) past the cap."""
        return _take(self._by_address, address, self.per_address)

    def close_address(self, address: str) -> None:
        _give(self._by_address, address)

    def open_session(self, session_id: str) -> bool:
        """Count an authenticated socket of `session_id`; False (not counted) past the cap."""
        return _take(self._by_session, session_id, self.per_session)

    def close_session(self, session_id: str) -> None:
        _give(self._by_session, session_id)

    def count(self, *, address: str | None = None, session_id: str | None = None) -> int:
        if address is not None:
            return self._by_address.get(address, 0)
        return self._by_session.get(session_id or "", 0)


def _take(counts: dict[str, int], key: str, cap: int) -> bool:
    current = counts.get(key, 0)
    if current >= cap:
        return False
    counts[key] = current + 1
    return True


def _give(counts: dict[str, int], key: str) -> None:
    current = counts.get(key, 0)
    if current <= 1:
        counts.pop(key, None)
    else:
        counts[key] = current - 1
