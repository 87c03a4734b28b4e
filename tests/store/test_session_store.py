"""One suite for every SessionStore: memory and Redis (a real redis-server, started
once for this module). Where the suite speaks of two nodes, memory has one process:
both "nodes" are the same store; on Redis they are separate clients of one server."""

from __future__ import annotations

import asyncio
import re

import pytest

from cobrowse.core.control import Control
from cobrowse.core.pin import PinSpaceExhausted
from cobrowse.core.session import EndReason, Session, State
from cobrowse.store.base import (
    TOMBSTONE_SECONDS,
    CapacityError,
    Grant,
    NewSession,
    Tombstone,
    UnknownSession,
)
from tests.store.backends import T0, TIMEOUTS, Backend, create, small_space

# --- creation, lookup ---------------------------------------------------------


async def test_create(backend: Backend) -> None:
    s = backend.store()
    new = await create(s)
    session = new.session
    assert isinstance(session, Session)
    assert re.fullmatch(r"s_[A-Za-z0-9_-]{16}", session.id)
    assert re.fullmatch(r"[0-9]{6}", session.pin)
    assert session.created_at == T0
    assert session.timeouts == TIMEOUTS
    assert session.state is State.CREATED and session.control is Control.VIEW
    assert new.visitor_token.startswith("vt_") and len(new.visitor_token) >= 40
    assert await s.count() == 1
    assert await s.get(session.id) == session
    assert await s.by_pin(session.pin) == session


async def test_unknown_ids_and_pins(backend: Backend) -> None:
    s = backend.store()
    session = (await create(s)).session
    assert await s.get("s_nope") is None
    other = "000000" if session.pin != "000000" else "000001"
    assert await s.by_pin(other) is None
    assert await s.by_pin("") is None


async def test_the_store_hands_out_copies_and_keeps_what_is_saved(backend: Backend) -> None:
    s = backend.store()
    session = (await create(s)).session
    session.join(agent_name="Asha", now=T0 + 1)
    assert (await s.get(session.id)).state is State.CREATED  # type: ignore[union-attr]
    assert await s.save(session) is True
    stored = await s.get(session.id)
    assert stored == session and stored is not session


async def test_node_b_sees_what_node_a_saved(backend: Backend) -> None:
    a, b = backend.nodes(2)
    session = (await create(a)).session
    assert await b.get(session.id) == session
    assert await b.by_pin(session.pin) == session
    session.join(agent_name="Asha Rao", agent_key="k" * 43, now=T0 + 5)
    session.consent(allow=True, now=T0 + 9)
    session.apply_control(role="agent", action="request")
    session.presence(role="visitor", connected=False, now=T0 + 12.5)
    assert await a.save(session)
    seen = await b.get(session.id)
    assert seen == session
    assert seen is not None and seen.state is State.ACTIVE and seen.control is Control.REQUESTED
    assert seen.agent_key == "k" * 43 and seen.visitor_left_at == T0 + 12.5
    seen.end(EndReason.VISITOR_STOPPED, now=T0 + 20)
    assert await b.save(seen)
    back = await a.get(session.id)
    assert back is not None and back.end_reason is EndReason.VISITOR_STOPPED
    assert back.ended_at == T0 + 20 and back.agent_key is None


async def test_save_of_a_forgotten_session_stores_nothing(backend: Backend) -> None:
    s = backend.store()
    session = (await create(s)).session
    await s.forget(session, now=T0 + 1)
    session.end(EndReason.ADMIN, now=T0 + 2)
    assert await s.save(session) is False
    assert await s.get(session.id) is None
    assert await s.count() == 0


async def test_ids_pins_and_tokens_are_unique_under_concurrency(backend: Backend) -> None:
    a, b = backend.nodes(2, max_sessions=500)
    news = await asyncio.gather(*(create(a if i % 2 else b) for i in range(300)))
    assert len({n.session.id for n in news}) == 300
    assert len({n.session.pin for n in news}) == 300
    assert len({n.visitor_token for n in news}) == 300
    assert await a.count() == 300
    found = await asyncio.gather(*(b.by_pin(n.session.pin) for n in news))
    assert [f.id if f else None for f in found] == [n.session.id for n in news]


@pytest.mark.parametrize("round_", range(3))
async def test_two_nodes_never_hand_out_the_same_pin(backend: Backend, round_: int) -> None:
    # 20 sessions from a space of 40 PINs, created at once on two nodes: most draws
    # collide, and only one claim of each PIN may win.
    a, b = backend.nodes(2, randbelow=small_space(40))
    news = await asyncio.gather(*(create(a if i % 2 else b) for i in range(20)))
    pins = [n.session.pin for n in news]
    assert len(set(pins)) == 20
    assert all(int(p) < 40 for p in pins)
    for n in news:
        owner = await a.by_pin(n.session.pin)
        assert owner is not None and owner.id == n.session.id


async def test_no_free_pin(backend: Backend) -> None:
    (s,) = backend.nodes(1, randbelow=small_space(3))
    news = [await create(s) for _ in range(3)]
    assert sorted(n.session.pin for n in news) == ["000000", "000001", "000002"]
    with pytest.raises(PinSpaceExhausted):
        await create(s)
    assert await s.count() == 3  # the failed attempts left nothing behind


# --- tokens --------------------------------------------------------------------


async def test_visitor_token_grant(backend: Backend) -> None:
    s = backend.store()
    new = await create(s)
    assert await s.grant(new.visitor_token) == Grant(new.session.id, "visitor")
    assert await s.grant("vt_forged") is None
    assert await s.grant("") is None


async def test_agent_tokens(backend: Backend) -> None:
    a, b = backend.nodes(2)
    new = await create(a)
    t1 = await a.issue_agent_token(new.session)
    t2 = await b.issue_agent_token(new.session)  # e.g. a second console tab, elsewhere
    assert t1.startswith("at_") and t1 != t2 and len(t1) >= 40
    assert await b.grant(t1) == Grant(new.session.id, "agent")
    assert await a.grant(t2) == Grant(new.session.id, "agent")
    assert await a.grant(new.visitor_token) == Grant(new.session.id, "visitor")


async def test_no_agent_token_for_a_forgotten_session(backend: Backend) -> None:
    s = backend.store()
    session = (await create(s)).session
    await s.forget(session, now=T0)
    with pytest.raises(UnknownSession):
        await s.issue_agent_token(session)


async def test_tokens_of_sessions_are_separate(backend: Backend) -> None:
    s = backend.store()
    x, y = await create(s), await create(s)
    assert (await s.grant(x.visitor_token)) == Grant(x.session.id, "visitor")
    assert (await s.grant(y.visitor_token)) == Grant(y.session.id, "visitor")


# --- PINs ----------------------------------------------------------------------


async def test_retire_pin(backend: Backend) -> None:
    a, b = backend.nodes(2)
    session = (await create(a)).session
    await b.retire_pin(session)
    assert await a.by_pin(session.pin) is None
    assert await a.get(session.id) == session  # the session itself lives on
    await a.retire_pin(session)  # idempotent


async def test_retire_and_forget_leave_a_reused_pin_alone(backend: Backend) -> None:
    (s,) = backend.nodes(1, randbelow=small_space(1))  # every PIN is 000000
    first = (await create(s)).session
    with pytest.raises(PinSpaceExhausted):
        await create(s)
    await s.retire_pin(first)
    second = (await create(s)).session
    assert second.pin == first.pin == "000000"
    await s.retire_pin(first)
    await s.forget(first, now=T0)
    assert await s.by_pin("000000") == second


# --- live sessions, forget, tombstones ------------------------------------------


async def test_live_sessions(backend: Backend) -> None:
    a, b = backend.nodes(2)
    x, y = (await create(a)).session, (await create(b)).session
    assert {s.id for s in await a.live_sessions()} == {x.id, y.id}
    await b.forget(x, now=T0)
    assert [s.id for s in await a.live_sessions()] == [y.id]
    assert await a.live_sessions() == [y]


async def test_forget_turns_tokens_into_tombstones(backend: Backend) -> None:
    a, b = backend.nodes(2)
    new = await create(a)
    session = new.session
    agent = await a.issue_agent_token(session)
    session.join(agent_name="Asha", now=T0 + 5)
    session.end(EndReason.VISITOR_STOPPED, now=T0 + 50)
    await a.save(session)
    await b.forget(session, now=T0 + 51)
    assert await a.get(session.id) is None
    assert await a.by_pin(session.pin) is None
    assert await a.count() == 0
    for token in (new.visitor_token, agent):
        assert await a.grant(token) is None
        assert await a.tombstone(token) == Tombstone(session.id, EndReason.VISITOR_STOPPED, T0 + 51)
    assert await a.tombstone("vt_unknown") is None


async def test_live_tokens_have_no_tombstone(backend: Backend) -> None:
    s = backend.store()
    new = await create(s)
    assert await s.tombstone(new.visitor_token) is None


async def test_forget_a_live_session_records_admin(backend: Backend) -> None:
    s = backend.store()
    new = await create(s)
    await s.forget(new.session, now=T0 + 1)
    tomb = await s.tombstone(new.visitor_token)
    assert tomb is not None and tomb.reason is EndReason.ADMIN


async def test_forget_twice_is_harmless(backend: Backend) -> None:
    a, b = backend.nodes(2)
    new = await create(a)
    new.session.end(EndReason.AGENT_LEFT, now=T0 + 1)
    await a.forget(new.session, now=T0 + 2)
    await b.forget(new.session, now=T0 + 3)  # e.g. two nodes' sweeps
    tomb = await a.tombstone(new.visitor_token)
    assert tomb == Tombstone(new.session.id, EndReason.AGENT_LEFT, T0 + 2)


async def test_forget_leaves_other_sessions_alone(backend: Backend) -> None:
    s = backend.store()
    x, y = await create(s), await create(s)
    await s.forget(x.session, now=T0)
    assert await s.get(y.session.id) == y.session
    assert await s.by_pin(y.session.pin) == y.session
    assert await s.grant(y.visitor_token) == Grant(y.session.id, "visitor")


# --- capacity ------------------------------------------------------------------


async def test_capacity(backend: Backend) -> None:
    s = backend.store(max_sessions=2)
    x = await create(s)
    await create(s)
    with pytest.raises(CapacityError, match="too many live sessions"):
        await create(s)
    assert await s.count() == 2
    await s.forget(x.session, now=T0)
    await create(s)  # room again
    assert await s.count() == 2


async def test_capacity_counts_ended_but_unforgotten_sessions(backend: Backend) -> None:
    s = backend.store(max_sessions=1)
    x = await create(s)
    x.session.end(EndReason.ADMIN, now=T0)
    await s.save(x.session)
    with pytest.raises(CapacityError):
        await create(s)


async def test_capacity_holds_across_nodes_under_concurrency(backend: Backend) -> None:
    a, b = backend.nodes(2, max_sessions=10)
    results = await asyncio.gather(
        *(create(a if i % 2 else b) for i in range(40)), return_exceptions=True
    )
    made = [r for r in results if isinstance(r, NewSession)]
    refused = [r for r in results if isinstance(r, CapacityError)]
    assert len(made) == 10 and len(refused) == 30
    assert await a.count() == 10 and await b.count() == 10
    assert len(await b.live_sessions()) == 10


# --- expiry ----------------------------------------------------------------------


async def test_memory_prunes_tombstones_by_the_clock_it_is_given(
    memory_backend: Backend,
) -> None:
    # Memory keeps time by the `now` it is given; Redis by TTLs (below).
    s = memory_backend.store()
    old, new = await create(s), await create(s)
    await s.forget(old.session, now=T0)
    await s.forget(new.session, now=T0 + 100)
    await s.prune_tombstones(now=T0 + TOMBSTONE_SECONDS - 0.001)
    assert await s.tombstone(old.visitor_token) is not None
    await s.prune_tombstones(now=T0 + TOMBSTONE_SECONDS)
    assert await s.tombstone(old.visitor_token) is None
    assert await s.tombstone(new.visitor_token) is not None
    await s.prune_tombstones(now=T0 + 100 + TOMBSTONE_SECONDS)
    assert await s.tombstone(new.visitor_token) is None


# --- health ------------------------------------------------------------------------


async def test_ping(backend: Backend) -> None:
    s = backend.store()
    assert await s.ping() is True
