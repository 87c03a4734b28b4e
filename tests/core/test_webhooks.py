"""Webhook events as data: which audit entries become events, what they carry, and the
endpoints a configuration may list (core/webhooks.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cobrowse.core import audit as a
from cobrowse.core import webhooks as wh

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
AT = 1_800_000_000.25
SID = "s_3kF9qLm2Xw"
EVENT_ID = "evt_" + "0123456789abcdef" * 2


def _entries() -> dict[str, a.AuditEntry]:
    """One audit entry per golden file, as the server records them."""
    return {
        "session.created": a.AuditEntry(
            at=AT,
            kind=a.Kind.SESSION_CREATED,
            actor=a.VISITOR,
            session_id=SID,
            address="203.0.113.9",
            detail="created from https://portal.example/customers/asha-rao",
            data={"origin": "https://portal.example/customers/asha-rao"},
        ),
        "session.joined": a.AuditEntry(
            at=AT,
            kind=a.Kind.JOIN_ATTEMPTED,
            actor="Asha Rao",
            session_id=SID,
            address="198.51.100.7",
            outcome="ok",
            detail="join attempt: ok",
            data={"agent_id": "account:asha", "via": "account"},
        ),
        "session.consent": a.consent_entry(at=AT, session_id=SID, allow=True),
        "control.granted": a.control_entry(at=AT, session_id=SID, actor=a.VISITOR, action="grant"),
        "control.revoked": a.control_entry(
            at=AT, session_id=SID, actor=a.VISITOR, action="revoke", reason="escape"
        ),
        "control.released": a.control_entry(
            at=AT, session_id=SID, actor="Asha Rao", action="release", reason="agent_left"
        ),
        "session.ended": a.ended_entry(
            at=AT, session_id=SID, reason="visitor_stopped", agent="Asha Rao"
        ),
        "session.handed_over": a.people_entry(
            at=AT,
            kind=a.Kind.SESSION_HANDED_OVER,
            session_id=SID,
            actor="Meera Iyer",
            target="Asha Rao",
            outcome="taken_over",
            detail="session handed over: Asha Rao (taken_over)",
            data={"to": "Meera Iyer"},
        ),
    }


@pytest.mark.parametrize("name", sorted(_entries()))
def test_each_event_matches_its_golden_payload(name: str) -> None:
    event = wh.event_of(_entries()[name], event_id=EVENT_ID)
    assert event is not None
    golden = json.loads((FIXTURES / f"{name}.json").read_text())
    assert wh.payload(event) == golden
    assert json.loads(wh.body(event)) == golden


def test_a_golden_file_for_every_event_type() -> None:
    names = {p.stem for p in FIXTURES.glob("*.json")}
    assert names == set(wh.EVENT_TYPES)


def test_the_ping_matches_its_golden_payload() -> None:
    golden = json.loads((FIXTURES / "webhook.ping.json").read_text())
    assert wh.payload(wh.ping(event_id=EVENT_ID, at=AT)) == golden


@pytest.mark.parametrize("name", sorted(_entries()))
def test_no_personal_data_reaches_a_payload(name: str) -> None:
    event = wh.event_of(_entries()[name], event_id=EVENT_ID)
    text = wh.body(event).decode() if event else ""
    for secret in ("Asha", "asha", "203.0.113.9", "198.51.100.7", "customers", "account:"):
        assert secret not in text


def test_an_endpoint_may_ask_for_the_agents_ids() -> None:
    entry = _entries()["session.joined"]
    event = wh.event_of(entry, event_id=EVENT_ID, agent_ids=True)
    assert event is not None
    assert event.data == {"actor": "agent", "via": "account", "agent_id": "account:asha"}


def _kinds_without_events() -> list[a.Kind]:
    return [k for k in a.Kind if k not in wh.EVENT_OF_KIND]


@pytest.mark.parametrize("kind", _kinds_without_events())
def test_other_kinds_are_no_event(kind: a.Kind) -> None:
    entry = a.AuditEntry(at=AT, kind=kind, actor="Asha Rao", session_id=SID)
    assert wh.event_of(entry, event_id=EVENT_ID) is None


@pytest.mark.parametrize("outcome", ["wrong_pin", "throttled", "paused", "expired"])
def test_a_failed_join_is_no_event(outcome: str) -> None:
    entry = a.AuditEntry(
        at=AT, kind=a.Kind.JOIN_ATTEMPTED, actor="x", session_id=SID, outcome=outcome
    )
    assert wh.event_of(entry, event_id=EVENT_ID) is None


def test_an_entry_without_a_session_is_no_event() -> None:
    entry = a.AuditEntry(at=AT, kind=a.Kind.JOIN_ATTEMPTED, actor="x", outcome="ok")
    assert wh.event_of(entry, event_id=EVENT_ID) is None


def test_reasons_are_only_known_words() -> None:
    ended = a.AuditEntry(
        at=AT, kind=a.Kind.SESSION_ENDED, actor="system", session_id=SID, outcome="ABCDE1234F"
    )
    revoked = a.control_entry(
        at=AT, session_id=SID, actor=a.VISITOR, action="revoke", reason="asha@example.com"
    )
    assert wh.event_of(ended, event_id=EVENT_ID).data["reason"] == "other"  # type: ignore[union-attr]
    assert wh.event_of(revoked, event_id=EVENT_ID).data["reason"] is None  # type: ignore[union-attr]


def test_consent_denied() -> None:
    denied = wh.event_of(a.consent_entry(at=AT, session_id=SID, allow=False), event_id=EVENT_ID)
    assert denied is not None and denied.type == "session.consent"
    assert denied.data == {"actor": "visitor", "allowed": False}


def test_event_ids() -> None:
    assert wh.new_event_id("ab" * 16) == "evt_" + "ab" * 16
    with pytest.raises(ValueError):
        wh.new_event_id("xyz")


# --- endpoints -----------------------------------------------------------------------


def _endpoint(**changes: Any) -> dict[str, Any]:
    return {"url": "https://crm.example/hooks/cobrowse?k=1", "secret_env": "HOOK", **changes}


def test_an_endpoint_with_defaults() -> None:
    (endpoint,) = wh.parse_endpoints([_endpoint()])
    assert endpoint.name == "crm.example/hooks/cobrowse"  # never the query
    assert endpoint.events == frozenset(wh.EVENT_TYPES)
    assert endpoint.timeout == 10.0
    assert endpoint.wants("session.ended") and not endpoint.agent_ids


def test_an_endpoint_with_its_events() -> None:
    (endpoint,) = wh.parse_endpoints(
        [_endpoint(name="crm", events=["session.ended"], timeout_seconds=2)]
    )
    assert endpoint.wants("session.ended") and endpoint.wants(wh.PING)
    assert not endpoint.wants("session.created")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "http://crm.example/hook"}, "must be https://"),
        ({"url": "ftp://crm.example/hook"}, "must be an https:// URL"),
        ({"url": "https://user:pw@crm.example/hook"}, "user name or password"),
        ({"url": "https://crm.example:99999/hook"}, "not a URL"),
        ({"url": ""}, "url is required"),
        ({"secret_file": "/etc/hook"}, "exactly one of secret_env"),
        ({"secret_env": ""}, "exactly one of secret_env"),
        ({"events": ["session.started"]}, "unknown event 'session.started'"),
        ({"events": []}, "non-empty list"),
        ({"timeout_seconds": 0}, "timeout_seconds must be more than 0"),
        ({"timeout_seconds": 61}, "at most 60"),
        ({"timeout_seconds": "soon"}, "must be a number"),
        ({"name": "a b"}, ".name:"),
        ({"allow_insecure": "maybe"}, "allow_insecure must be true or false"),
        ({"secret": "inline"}, "unknown key 'secret'"),
    ],
)
def test_bad_endpoints_are_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(wh.EndpointError, match=r"webhooks\.endpoints\[0\]") as info:
        wh.parse_endpoints([_endpoint(**changes)])
    assert message in str(info.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]:80/h"]
)
def test_plain_http_to_a_loopback_host(url: str) -> None:
    assert wh.parse_endpoints([_endpoint(url=url)])[0].url == url


def test_plain_http_elsewhere_only_when_allowed() -> None:
    url = "http://crm.internal/hook"
    assert wh.parse_endpoints([_endpoint(url=url, allow_insecure=True)])[0].url == url


def test_two_endpoints_need_two_names() -> None:
    with pytest.raises(wh.EndpointError, match="two endpoints are named"):
        wh.parse_endpoints([_endpoint(), _endpoint()])
