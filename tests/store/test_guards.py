"""One suite for every GuardStore: memory and Redis (a real redis-server). Where the suite
speaks of two nodes, memory has one process: both "nodes" are the same store; on Redis
they are separate clients of one server and prefix. The pure limiters of
core/ratelimit.py are the oracle: a store must give the very same answers."""

from __future__ import annotations

import asyncio
import random

import pytest

from cobrowse.core.links import LEEWAY, AgentLink
from cobrowse.core.ratelimit import FailureLimiter, Verdict, WindowCounter
from cobrowse.core.roles import Role
from cobrowse.store.guards import CONSOLE_TTL, Agent, Ceiling, GuardRules, Limiter, Pending
from tests.store.guard_backends import CEILING, OTHER, POLICY, RULES, T0, GuardBackend

KEYS = ["agent:link:Asha", "addr:10.0.0.1"]

# --- failure limiters ------------------------------------------------------------------


async def test_a_limiter_answers_as_the_pure_one(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    oracle = FailureLimiter(POLICY)
    rng = random.Random(7)
    now = T0
    pool = ["k1", "k2", "k3"]
    for step in range(300):
        now += rng.choice([0.0, 0.25, 1.0, 7.5, 40.0])
        keys = rng.sample(pool, rng.randint(1, 2))
        node = a if step % 2 else b
        if rng.random() < 0.75:
            got = await node.attempt("join", keys, now=now)
            assert got == oracle.attempt(keys, now=now), (step, keys)
        else:
            await node.forgive("join", keys, now=now)
            oracle.forgive(keys, now=now)
        for key in pool:
            assert await node.failures("join", key, now=now) == oracle.failures(key, now=now)


async def test_slow_down_then_lockout_then_the_window_passes(guards: GuardBackend) -> None:
    s = guards.store()
    verdicts = [await s.attempt("join", KEYS, now=T0 + i) for i in range(5)]
    assert verdicts[:2] == [Verdict(), Verdict()]  # two free failures
    assert verdicts[2] == Verdict(delay=0.5) and verdicts[3] == Verdict(delay=1.0)
    assert verdicts[4] == Verdict(retry_after=100.0 - 1)  # locked since the 4th, at T0 + 3
    assert await s.failures("join", KEYS[0], now=T0 + 4) == 4  # a refusal is not counted
    assert await s.attempt("join", KEYS, now=T0 + 103) == Verdict()  # window passed
    assert await s.failures("join", KEYS[0], now=T0 + 103) == 1


async def test_a_lockout_reached_through_node_a_holds_on_node_b(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    for i in range(4):
        await a.attempt("join", ["agent:link:Mallory"], now=T0 + i)
    refused = await b.attempt("join", ["agent:link:Mallory", "addr:10.0.0.9"], now=T0 + 10)
    assert refused.refused and refused.retry_after == pytest.approx(93.0)
    assert await b.failures("join", "addr:10.0.0.9", now=T0 + 10) == 0  # nothing counted
    assert not (await b.attempt("join", ["agent:link:Other"], now=T0 + 10)).refused


async def test_parallel_guesses_on_two_nodes_cannot_pass_on_a_stale_count(
    guards: GuardBackend,
) -> None:
    a, b = guards.nodes(2)
    verdicts = await asyncio.gather(
        *((a if i % 2 else b).attempt("join", ["addr:10.0.0.66"], now=T0) for i in range(12))
    )
    assert sum(not v.refused for v in verdicts) == POLICY.lockout_failures
    assert await a.failures("join", "addr:10.0.0.66", now=T0) == POLICY.lockout_failures


async def test_forgive_takes_back_one_failure_on_every_node(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    await a.attempt("join", KEYS, now=T0)
    await a.attempt("join", KEYS, now=T0 + 1)
    await b.forgive("join", KEYS, now=T0 + 2)
    assert await a.failures("join", KEYS[1], now=T0 + 2) == 1
    await b.forgive("join", KEYS, now=T0 + 2)
    await b.forgive("join", KEYS, now=T0 + 2)  # nothing left: nothing happens
    assert await a.failures("join", KEYS[0], now=T0 + 2) == 0
    assert await a.attempt("join", KEYS, now=T0 + 3) == Verdict()


async def test_limiters_are_separate_and_keep_their_own_policy(guards: GuardBackend) -> None:
    s = guards.store()
    await s.attempt("login", ["user:asha"], now=T0)
    await s.attempt("login", ["user:asha"], now=T0)
    assert (await s.attempt("login", ["user:asha"], now=T0 + 1)).retry_after == 29.0
    assert await s.failures("join", "user:asha", now=T0 + 1) == 0
    assert await s.attempt("join", ["user:asha"], now=T0 + 1) == Verdict()
    assert await s.failures("login", "user:asha", now=T0 + 30) == 0  # OTHER's window
    assert OTHER.window == 30.0


async def test_handles_name_one_limiter_or_ceiling(guards: GuardBackend) -> None:
    s = guards.store()
    join, ceiling = Limiter(s, "join"), Ceiling(s, "join")
    assert await join.attempt(KEYS, now=T0) == Verdict()
    assert await join.failures(KEYS[0], now=T0) == 1
    await join.forgive(KEYS, now=T0)
    assert await join.failures(KEYS[0], now=T0) == 0
    assert await ceiling.attempt(now=T0) == 0.0 and await ceiling.count(now=T0) == 1
    await ceiling.forgive(now=T0)
    assert await ceiling.count(now=T0) == 0


async def test_unknown_names_are_a_clear_error(guards: GuardBackend) -> None:
    s = guards.store()
    with pytest.raises(ValueError, match="no limiter named 'nope'"):
        await s.attempt("nope", KEYS, now=T0)
    with pytest.raises(ValueError, match="no ceiling named 'nope'"):
        await s.ceiling_attempt("nope", now=T0)


async def test_odd_keys_are_just_keys(guards: GuardBackend) -> None:
    s = guards.store()
    odd = ["", "user:" + "x" * 5000, "addr:\u00e9\u0000 \n:*?[]", "lim:join:x"]
    for i in range(4):
        await s.attempt("join", odd, now=T0 + i)
    assert all([await s.failures("join", k, now=T0 + 4) == 4 for k in odd])
    assert await s.attempt("join", [], now=T0) == Verdict()


# --- ceilings ------------------------------------------------------------------------------


async def test_a_ceiling_answers_as_the_pure_one(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    oracle = WindowCounter(limit=CEILING.limit, window=CEILING.window)
    rng = random.Random(11)
    now = T0
    for step in range(200):
        now += rng.choice([0.0, 0.5, 5.0, 20.0, 59.5, 60.0])
        node = a if step % 3 else b
        if rng.random() < 0.7:
            assert await node.ceiling_attempt("join", now=now) == pytest.approx(
                oracle.attempt(now=now)
            ), step
        else:
            await node.ceiling_forgive("join", now=now)
            oracle.forgive(now=now)
        assert await node.ceiling_count("join", now=now) == oracle.count(now=now)


async def test_a_ceiling_is_shared_by_every_node(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    for i in range(3):
        assert await a.ceiling_attempt("join", now=T0 + i) == 0.0
    assert await b.ceiling_attempt("join", now=T0 + 10) == 50.0  # the first one ages out
    await b.ceiling_forgive("join", now=T0 + 10)
    assert await a.ceiling_count("join", now=T0 + 10) == 2
    assert await a.ceiling_attempt("join", now=T0 + 10) == 0.0
    assert await b.ceiling_count("join", now=T0 + 60) == 2  # T0's event is gone


# --- links ---------------------------------------------------------------------------------


def link(jti: str, *, exp: float = T0 + 300) -> AgentLink:
    return AgentLink(agent="Asha", jti=jti, expires_at=exp)


async def test_a_link_used_on_node_a_is_refused_on_node_b(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    assert await a.use_link(link("j" * 24), now=T0) is True
    assert await b.use_link(link("j" * 24), now=T0 + 1) is False
    assert await a.use_link(link("j" * 24), now=T0 + 300 + LEEWAY - 0.001) is False
    assert await b.use_link(link("k" * 24), now=T0 + 2) is True


async def test_used_links_are_bounded_and_fail_closed(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    for jti in ("a" * 16, "b" * 16, "c" * 16):
        assert await a.use_link(link(jti), now=T0)
    assert await b.use_link(link("d" * 16), now=T0) is False  # full: refused
    assert await b.use_link(link("a" * 16), now=T0) is False  # nothing was forgotten
    later = T0 + 300 + LEEWAY
    assert await b.use_link(link("d" * 16, exp=later + 300), now=later)  # the others expired
    assert await a.use_link(link("a" * 16, exp=later + 300), now=later)  # remembered no more


# --- sign-ins ------------------------------------------------------------------------------


async def test_a_sign_in_on_a_is_seen_on_b_and_a_sign_out_on_b_on_a(
    guards: GuardBackend,
) -> None:
    a, b = guards.nodes(2)
    cookie = await a.sign_in("Asha Rao", now=T0, via="account", subject="asha")
    assert len(cookie) >= 43
    expected = Agent(name="Asha Rao", expires_at=T0 + 3600, via="account", id="account:asha")
    assert await b.agent(cookie, now=T0 + 5) == expected
    assert await a.agent(cookie, now=T0 + 5) == expected
    await b.sign_out(cookie)
    assert await a.agent(cookie, now=T0 + 6) is None
    assert await b.agent(cookie, now=T0 + 6) is None
    await a.sign_out(cookie)  # twice: nothing happens


async def test_a_sign_in_keeps_its_role_and_team_on_every_node(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    cookie = await a.sign_in("Meera", now=T0, role=Role.SUPERVISOR, team="Refunds")
    agent = await b.agent(cookie, now=T0 + 1)
    assert agent is not None and (agent.role, agent.team) == (Role.SUPERVISOR, "Refunds")
    plain = await b.agent(await a.sign_in("Asha", now=T0), now=T0 + 1)
    assert plain is not None and (plain.role, plain.team) == (Role.AGENT, None)


async def test_open_consoles_are_seen_by_every_node_until_they_go_quiet(
    guards: GuardBackend,
) -> None:
    a, b = guards.nodes(2)
    asha = Agent("Asha", T0 + 3600, "account", "account:asha")
    ravi = Agent("Ravi", T0 + 3600, "account", "account:ravi", role=Role.SUPERVISOR)
    assert await b.consoles(now=T0) == []
    await a.seen_console(asha, now=T0)
    await b.seen_console(ravi, now=T0 + 10)
    await a.seen_console(asha, now=T0 + 5)  # once per agent, the latest time
    assert sorted(x.id for x in await b.consoles(now=T0 + 20)) == ["account:asha", "account:ravi"]
    assert [x.id for x in await a.consoles(now=T0 + 5 + CONSOLE_TTL)] == ["account:ravi"]
    assert (await a.consoles(now=T0 + 5 + CONSOLE_TTL))[0].role is Role.SUPERVISOR
    assert await b.consoles(now=T0 + 10 + CONSOLE_TTL) == []


async def test_sign_ins_expire_and_are_each_their_own(guards: GuardBackend) -> None:
    s = guards.store()
    link_in = await s.sign_in("Asha", now=T0)
    sso_in = await s.sign_in("Asha", now=T0 + 100, via="sso", subject="sub-1")
    assert link_in != sso_in
    assert (await s.agent(link_in, now=T0 + 1)) == Agent("Asha", T0 + 3600, "link", "link:Asha")
    assert (await s.agent(sso_in, now=T0 + 3600)) == Agent("Asha", T0 + 3700, "sso", "sso:sub-1")
    assert await s.agent(link_in, now=T0 + 3600) is None
    await s.sign_out(link_in)
    assert await s.agent(sso_in, now=T0 + 3600) is not None


@pytest.mark.parametrize("cookie", [None, "", "not-a-cookie", "x" * 100_000, "\u00e9\u0000"])
async def test_no_cookie_or_a_strange_one_is_no_agent(
    guards: GuardBackend, cookie: str | None
) -> None:
    s = guards.store()
    await s.sign_in("Asha", now=T0)
    assert await s.agent(cookie, now=T0) is None
    await s.sign_out(cookie)


# --- SSO logins ----------------------------------------------------------------------------


def pending(expires_at: float = T0 + 600) -> Pending:
    return Pending(nonce="n" * 32, verifier="v" * 43, expires_at=expires_at)


async def test_an_sso_login_started_on_a_finishes_once_on_b(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    await a.begin_login("state-1", pending(), now=T0, max_pending=10)
    taken = await asyncio.gather(
        b.take_login("state-1", now=T0 + 5), a.take_login("state-1", now=T0 + 5)
    )
    assert sorted(taken, key=lambda p: p is None) == [pending(), None]
    assert await b.take_login("state-1", now=T0 + 6) is None


async def test_an_expired_or_unknown_sso_login_is_none(guards: GuardBackend) -> None:
    s = guards.store()
    await s.begin_login("state-1", pending(T0 + 600), now=T0, max_pending=10)
    assert await s.take_login("state-1", now=T0 + 600) is None
    assert await s.take_login("state-1", now=T0 + 1) is None  # it was used up all the same
    assert await s.take_login("never-started", now=T0) is None
    assert await s.take_login("", now=T0) is None


async def test_sso_logins_are_bounded_the_oldest_make_room(guards: GuardBackend) -> None:
    a, b = guards.nodes(2)
    for i in range(4):
        await (a if i % 2 else b).begin_login(
            f"state-{i}", pending(T0 + 600 + i), now=T0 + i, max_pending=3
        )
    assert await a.take_login("state-0", now=T0 + 10) is None
    for i in (1, 2, 3):
        assert await b.take_login(f"state-{i}", now=T0 + 10) == pending(T0 + 600 + i)


async def test_expired_sso_logins_make_room_first(guards: GuardBackend) -> None:
    s = guards.store()
    await s.begin_login("old", pending(T0 + 10), now=T0, max_pending=2)
    await s.begin_login("kept", pending(T0 + 600), now=T0, max_pending=2)
    await s.begin_login("new", pending(T0 + 700), now=T0 + 100, max_pending=2)
    assert await s.take_login("kept", now=T0 + 100) is not None
    assert await s.take_login("new", now=T0 + 100) is not None


async def test_max_pending_must_be_positive(guards: GuardBackend) -> None:
    with pytest.raises(ValueError, match="max_pending"):
        await guards.store().begin_login("s", pending(), now=T0, max_pending=0)


async def test_ping(guards: GuardBackend) -> None:
    assert await guards.store().ping() is True


def test_rules_refuse_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="ceiling 'x'"):
        GuardRules(ceilings={"x": type(CEILING)(limit=0)})
    with pytest.raises(ValueError, match="agent_ttl"):
        GuardRules(agent_ttl=0)
    assert RULES.policy("join") is POLICY
