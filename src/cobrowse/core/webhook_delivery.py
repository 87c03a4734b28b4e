"""Webhook delivery rules: the signature, what an answer means, when to try again.

Pure: the server (server/webhooks.py) sends, and asks here what to do next. A
delivery is one event to one endpoint; it is tried until the receiver answers 2xx, a
final refusal comes (any other 4xx, a redirect), or `max_attempts` are used.
Network errors, timeouts, 5xx and 429 are tried again after an exponential back-off
with jitter, or after the receiver's Retry-After.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

from cobrowse.core.audit import iso_time

SIGNATURE_HEADER = "Cobrowse-Signature"
EVENT_ID_HEADER = "Cobrowse-Event-Id"
EVENT_TYPE_HEADER = "Cobrowse-Event-Type"
ATTEMPT_HEADER = "Cobrowse-Delivery-Attempt"
# How old a signature's timestamp a receiver accepts (either way), in seconds.
REPLAY_WINDOW = 300
# A Retry-After longer than this is taken as this (an hour).
MAX_RETRY_AFTER = 3600.0
MAX_ERROR = 200  # characters of an error kept for the admin


# --- signing ---------------------------------------------------------------------


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, as hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


class SignatureError(ValueError):
    pass


def verify(
    secret: bytes, header: str, body: bytes, *, now: float, tolerance: float = REPLAY_WINDOW
) -> int:
    """The timestamp of a valid `Cobrowse-Signature` header for `body`; SignatureError
    when it is malformed, signed with another secret or over another body, or older
    (or newer) than `tolerance` seconds. Several `v1=` values (during a secret's
    rotation) are each tried. docs/webhooks.md has this as a standalone recipe."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature header")
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("the header needs t= and v1=")
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("signature does not match")
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the replay window")
    return timestamp


# --- what an answer means --------------------------------------------------------


class Status(StrEnum):
    PENDING = "pending"  # not tried yet
    RETRYING = "retrying"  # tried, will be tried again at `next_at`
    DELIVERED = "delivered"  # a 2xx came
    FAILED = "failed"  # refused (4xx other than 429, a redirect) or out of attempts
    DROPPED = "dropped"  # the queue was full: this, the oldest waiting, was dropped


FINAL = frozenset({Status.DELIVERED, Status.FAILED, Status.DROPPED})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 8
    base: float = 1.0  # the first back-off, in seconds; each next one doubles
    cap: float = 600.0  # the longest back-off
    jitter: float = 0.5  # a back-off is taken at random in [d * (1 - jitter), d]


def retryable(status: int | None) -> bool:
    """None: no answer (a network error, a timeout)."""
    return status is None or status == 429 or 500 <= status <= 599


def backoff(policy: RetryPolicy, attempt: int, random: float) -> float:
    """The wait after failed attempt number `attempt` (1, 2, ...); `random` in [0, 1)."""
    full = min(policy.cap, policy.base * 2.0 ** min(attempt - 1, 62))
    return full * (1 - policy.jitter * random)


def retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds from a Retry-After header (seconds, or an HTTP date), at most an hour;
    None when there is none or it cannot be read."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return min(max(0.0, moment.timestamp() - now), MAX_RETRY_AFTER)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    at: float
    status: int | None  # the HTTP status, or None when none came
    error: str | None  # why it failed ("timeout", "HTTP 503", "connection refused: ...")
    wait: float | None  # the back-off chosen after it (None: no other attempt)


@dataclass(slots=True, kw_only=True)
class Delivery:
    """One event to one endpoint, and what became of it so far."""

    id: str
    event_id: str
    event_type: str
    session_id: str | None
    endpoint: str
    created_at: float
    status: Status = Status.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    next_at: float | None = None
    done_at: float | None = None

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def record(
        self,
        policy: RetryPolicy,
        *,
        at: float,
        status: int | None,
        error: str | None = None,
        retry_after_header: str | None = None,
        random: float = 0.0,
    ) -> float | None:
        """What an attempt at `at` got; returns the wait before the next attempt, or None
        when the delivery is over (delivered, or failed)."""
        number = len(self.attempts) + 1
        if status is not None and 200 <= status <= 299:
            self._finish(Status.DELIVERED, Attempt(at=at, status=status, error=None, wait=None))
            return None
        if error is None:
            error = f"HTTP {status}" if status is not None else "no answer"
        error = error[:MAX_ERROR]
        if not retryable(status) or number >= policy.max_attempts:
            if retryable(status):
                error += f" (gave up after {number} attempts)"
            self._finish(Status.FAILED, Attempt(at=at, status=status, error=error, wait=None))
            return None
        wait = retry_after(retry_after_header, now=at) if status is not None else None
        if wait is None:
            wait = backoff(policy, number, random)
        self.attempts.append(Attempt(at=at, status=status, error=error, wait=wait))
        self.status = Status.RETRYING
        self.next_at = at + wait
        return wait

    def drop(self, *, at: float) -> None:
        self.status = Status.DROPPED
        self.next_at = None
        self.done_at = at

    def _finish(self, status: Status, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        self.status = status
        self.next_at = None
        self.done_at = attempt.at


def record_of(d: Delivery) -> dict[str, Any]:
    """A delivery as the admin sees it (GET /api/v1/webhooks/deliveries): plain JSON."""
    last = d.last
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "session_id": d.session_id,
        "endpoint": d.endpoint,
        "status": d.status.value,
        "attempts": len(d.attempts),
        "last_status": last.status if last else None,
        "last_error": last.error if last else None,
        "next_retry": iso_time(d.next_at) if d.next_at is not None else None,
        "created": iso_time(d.created_at),
        "at": d.created_at,
        "finished": iso_time(d.done_at) if d.done_at is not None else None,
        "history": [
            {"time": iso_time(a.at), "status": a.status, "error": a.error, "wait_seconds": a.wait}
            for a in d.attempts
        ],
    }
