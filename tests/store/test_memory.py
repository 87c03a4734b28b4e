"""The in-memory registry: sessions, the PIN index, tokens and tombstones."""

from __future__ import annotations

import re

import pytest

from cobrowse.core.session import EndReason, Session, State, Timeouts
from cobrowse.store.memory import (
    TOMBSTONE_SECONDS,
    CapacityError,
    Grant,
    MemorySessionStore,
    NewSession,
    Tombstone,
)

T0 = 1_000_000.0
TIMEOUTS = Timeouts(pin_ttl=600.0)


def store(max_sessions: int = 100) -> MemorySessionStore:
    return MemorySessionStore(max_sessions=max_sessions)


def create(s: MemorySessionStore, now: float = T0) -> NewSession:
    return s.create(timeouts=TIMEOUTS, now=now)


def test_create() -> None:
    s = store()
    new = create(s)
    session = new.session
    assert isinstance(session, Session)
    assert re.fullmatch(r"s_[A-Za-z0-9_-]{16}", session.id)
    assert re.fullmatch(r"[0-9]{6}", session.pin)
    assert session.created_at == T0
    assert session.timeouts is TIMEOUTS
    assert session.state is State.CREATED
    assert new.visitor_token.startswith("vt_")
    assert len(new.visitor_token) >= 40
    assert len(s) == 1


def test_get_and_by_pin() -> None:
    s = store()
    session = create(s).session
    assert s.get(session.id) is session
    assert s.by_pin(session.pin) is session
    assert s.get("s_nope") is None
    other = "000000" if session.pin != "000000" else "000001"
    assert s.by_pin(other) is None


def test_ids_pins_and_tokens_are_unique() -> None:
    s = store(max_sessions=500)
    news = [create(s) for _ in range(300)]
    assert len({n.session.id for n in news}) == 300
    assert len({n.session.pin for n in news}) == 300
    assert len({n.visitor_token for n in news}) == 300
    assert all(s.by_pin(n.session.pin) is n.session for n in news)


def test_visitor_token_grant() -> None:
    s = store()
    new = create(s)
    assert s.grant(new.visitor_token) == Grant(new.session.id, "visitor")
    assert s.grant("vt_forged") is None
    assert s.grant("") is None


def test_agent_tokens() -> None:
    s = store()
    new = create(s)
    t1 = s.issue_agent_token(new.session)
    t2 = s.issue_agent_token(new.session)  # e.g. a second console tab
    assert t1.startswith("at_") and t1 != t2
    assert s.grant(t1) == Grant(new.session.id, "agent")
    assert s.grant(t2) == Grant(new.session.id, "agent")
    assert s.grant(new.visitor_token) == Grant(new.session.id, "visitor")


def test_tokens_of_sessions_are_separate() -> None:
    s = store()
    a, b = create(s), create(s)
    assert s.grant(a.visitor_token).session_id == a.session.id  # type: ignore[union-attr]
    assert s.grant(b.visitor_token).session_id == b.session.id  # type: ignore[union-attr]


def test_retire_pin() -> None:
    s = store()
    session = create(s).session
    s.retire_pin(session)
    assert s.by_pin(session.pin) is None
    assert s.get(session.id) is session  # the session itself lives on
    s.retire_pin(session)  # idempotent


def test_retire_pin_does_not_touch_a_reused_pin() -> None:
    s = store()
    first = create(s).session
    s.retire_pin(first)
    second = create(s).session
    second_pin = second.pin
    # Force the reuse case: another session now owns the first one's PIN.
    s._by_pin.pop(second_pin)
    second.pin = first.pin
    s._by_pin[first.pin] = second.id
    s.retire_pin(first)
    assert s.by_pin(first.pin) is second


def test_live_sessions() -> None:
    s = store()
    a, b = create(s).session, create(s).session
    assert {x.id for x in s.live_sessions()} == {a.id, b.id}
    s.forget(a, now=T0)
    assert [x.id for x in s.live_sessions()] == [b.id]


def test_forget_turns_tokens_into_tombstones() -> None:
    s = store()
    new = create(s)
    session = new.session
    agent = s.issue_agent_token(session)
    session.join(agent_name="Asha", now=T0 + 5)
    session.end(EndReason.VISITOR_STOPPED, now=T0 + 50)
    s.forget(session, now=T0 + 51)
    assert s.get(session.id) is None
    assert s.by_pin(session.pin) is None
    assert len(s) == 0
    for token in (new.visitor_token, agent):
        assert s.grant(token) is None
        assert s.tombstone(token) == Tombstone(session.id, EndReason.VISITOR_STOPPED, T0 + 51)
    assert s.tombstone("vt_unknown") is None


def test_live_tokens_have_no_tombstone() -> None:
    s = store()
    new = create(s)
    assert s.tombstone(new.visitor_token) is None


def test_forget_a_live_session_records_admin() -> None:
    s = store()
    new = create(s)
    s.forget(new.session, now=T0 + 1)
    tomb = s.tombstone(new.visitor_token)
    assert tomb is not None and tomb.reason is EndReason.ADMIN


def test_forget_twice_is_harmless() -> None:
    s = store()
    new = create(s)
    new.session.end(EndReason.AGENT_LEFT, now=T0 + 1)
    s.forget(new.session, now=T0 + 2)
    s.forget(new.session, now=T0 + 3)
    tomb = s.tombstone(new.visitor_token)
    assert tomb == Tombstone(new.session.id, EndReason.AGENT_LEFT, T0 + 2)


def test_forget_leaves_other_sessions_alone() -> None:
    s = store()
    a, b = create(s), create(s)
    s.forget(a.session, now=T0)
    assert s.get(b.session.id) is b.session
    assert s.by_pin(b.session.pin) is b.session
    assert s.grant(b.visitor_token) == Grant(b.session.id, "visitor")


def test_capacity() -> None:
    s = store(max_sessions=2)
    a = create(s)
    create(s)
    with pytest.raises(CapacityError, match="too many live sessions"):
        create(s)
    assert len(s) == 2
    s.forget(a.session, now=T0)
    create(s)  # room again
    assert len(s) == 2


def test_capacity_counts_ended_but_unforgotten_sessions() -> None:
    s = store(max_sessions=1)
    a = create(s)
    a.session.end(EndReason.ADMIN, now=T0)
    with pytest.raises(CapacityError):
        create(s)


def test_prune_tombstones() -> None:
    s = store()
    old, new = create(s), create(s)
    s.forget(old.session, now=T0)
    s.forget(new.session, now=T0 + 100)
    s.prune_tombstones(now=T0 + TOMBSTONE_SECONDS - 0.001)
    assert s.tombstone(old.visitor_token) is not None
    s.prune_tombstones(now=T0 + TOMBSTONE_SECONDS)
    assert s.tombstone(old.visitor_token) is None
    assert s.tombstone(new.visitor_token) is not None
    s.prune_tombstones(now=T0 + 100 + TOMBSTONE_SECONDS)
    assert s.tombstone(new.visitor_token) is None


def test_tombstone_lifetime() -> None:
    assert TOMBSTONE_SECONDS == 3600.0
