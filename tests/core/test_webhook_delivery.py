"""Webhook signatures and the retry rules as data (core/webhook_delivery.py)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cobrowse.core import webhook_delivery as wd

SECRET = b"whsec_0123456789abcdef"
BODY = b'{"v":1,"id":"evt_1","type":"session.ended"}'
NOW = 1_800_000_000


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    header = wd.signature_header(SECRET, NOW, BODY)
    expected = hmac.new(SECRET, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    assert wd.verify(SECRET, header, BODY, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("secret", "body", "now", "problem"),
    [
        (SECRET, BODY + b" ", NOW, "does not match"),  # the body changed
        (SECRET, BODY.replace(b"ended", b"begun"), NOW, "does not match"),
        (b"another secret, as long", BODY, NOW, "does not match"),
        (SECRET, BODY, NOW + wd.REPLAY_WINDOW + 1, "replay window"),  # too old
        (SECRET, BODY, NOW - wd.REPLAY_WINDOW - 1, "replay window"),  # from the future
    ],
)
def test_verification_rejects_tampering_and_old_timestamps(
    secret: bytes, body: bytes, now: int, problem: str
) -> None:
    header = wd.signature_header(SECRET, NOW, BODY)
    with pytest.raises(wd.SignatureError, match=problem):
        wd.verify(secret, header, body, now=now)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    header = wd.signature_header(SECRET, NOW, BODY).replace(f"t={NOW}", f"t={NOW + 60}")
    with pytest.raises(wd.SignatureError, match="does not match"):
        wd.verify(SECRET, header, BODY, now=NOW + 60)


@pytest.mark.parametrize(
    "header", ["", "v1=abc", f"t={NOW}", "t=soon,v1=ab", f"t={NOW};v1=ab", "garbage"]
)
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(wd.SignatureError):
        wd.verify(SECRET, header, BODY, now=NOW)


def test_any_of_several_signatures_may_match() -> None:
    good = wd.sign(SECRET, NOW, BODY)
    assert wd.verify(SECRET, f"t={NOW},v1={'0' * 64},v1={good}", BODY, now=NOW) == NOW


# --- what an answer means --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "again"),
    [(None, True), (500, True), (502, True), (503, True), (429, True), (599, True),
     (400, False), (401, False), (404, False), (410, False), (301, False), (408, False)],
)  # fmt: skip
def test_what_is_tried_again(status: int | None, again: bool) -> None:
    assert wd.retryable(status) is again


POLICY = wd.RetryPolicy(max_attempts=6, base=1.0, cap=10.0, jitter=0.5)


def test_backoff_doubles_up_to_the_cap_with_jitter_below() -> None:
    assert [wd.backoff(POLICY, n, 0.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert [wd.backoff(POLICY, n, 0.999999) for n in range(1, 4)] == pytest.approx(
        [0.5, 1.0, 2.0], rel=1e-5
    )
    assert wd.backoff(POLICY, 1000, 0.0) == 10  # no overflow


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert wd.retry_after("7", now=NOW) == 7
    assert wd.retry_after("999999", now=NOW) == wd.MAX_RETRY_AFTER
    # 2027-01-15 08:00:30 UTC is NOW + 30
    assert wd.retry_after("Fri, 15 Jan 2027 08:00:30 GMT", now=NOW) == 30
    assert wd.retry_after("Fri, 15 Jan 2027 07:00:00 GMT", now=NOW) == 0
    assert wd.retry_after("soon", now=NOW) is None
    assert wd.retry_after(None, now=NOW) is None


def _delivery() -> wd.Delivery:
    return wd.Delivery(
        id="dlv_1",
        event_id="evt_1",
        event_type="session.ended",
        session_id="s1",
        endpoint="crm",
        created_at=NOW,
    )


def test_a_delivery_retried_until_it_lands() -> None:
    d = _delivery()
    assert d.record(POLICY, at=NOW, status=None, error="timeout after 1 s") == 1.0
    assert d.status is wd.Status.RETRYING and d.next_at == NOW + 1
    assert d.record(POLICY, at=NOW + 1, status=503, random=0.5) == 1.5
    assert d.record(POLICY, at=NOW + 3, status=429, retry_after_header="30") == 30
    assert d.record(POLICY, at=NOW + 33, status=204) is None
    assert d.status is wd.Status.DELIVERED and d.next_at is None and d.done_at == NOW + 33
    assert [(a.status, a.error, a.wait) for a in d.attempts] == [
        (None, "timeout after 1 s", 1.0),
        (503, "HTTP 503", 1.5),
        (429, "HTTP 429", 30),
        (204, None, None),
    ]


def test_a_final_refusal_is_not_retried() -> None:
    d = _delivery()
    assert d.record(POLICY, at=NOW, status=410) is None
    assert d.status is wd.Status.FAILED and len(d.attempts) == 1
    assert d.attempts[0].error == "HTTP 410"


def test_a_delivery_gives_up_after_max_attempts() -> None:
    d = _delivery()
    waits = [d.record(POLICY, at=NOW + n, status=500) for n in range(POLICY.max_attempts)]
    assert waits == [1, 2, 4, 8, 10, None]
    assert d.status is wd.Status.FAILED
    assert d.attempts[-1].error == "HTTP 500 (gave up after 6 attempts)"


def test_a_dropped_delivery() -> None:
    d = _delivery()
    d.record(POLICY, at=NOW, status=500)
    d.drop(at=NOW + 1)
    assert d.status is wd.Status.DROPPED and d.next_at is None and d.done_at == NOW + 1
