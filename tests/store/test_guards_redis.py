"""What only the Redis guard store has: a TTL on every key, no secret in Redis, key
prefixes, a Redis that does not answer (refuse, never allow), and the factory."""

from __future__ import annotations

import socket

import pytest

from cobrowse.core.links import AgentLink
from cobrowse.store.guards import GuardUnavailable, Pending
from cobrowse.store.guards_factory import guards_from_url
from cobrowse.store.guards_memory import MemoryGuardStore
from cobrowse.store.guards_redis import RedisGuardStore, hashed
from cobrowse.store.url import StoreUrlError
from tests.store.guard_backends import RULES, T0, GuardBackend

JTI = "jti-" + "q" * 20
STATE = "state-" + "s" * 24


async def fill(store: RedisGuardStore | MemoryGuardStore) -> str:
    """One of everything; returns the agent's cookie."""
    await store.attempt("join", ["user:hunter2-typed-as-a-name"], now=T0)
    await store.attempt("login", ["addr:10.1.2.3"], now=T0)
    await store.ceiling_attempt("join", now=T0)
    await store.use_link(AgentLink(agent="Asha", jti=JTI, expires_at=T0 + 300), now=T0)
    await store.begin_login(STATE, Pending("nonce", "verifier", T0 + 600), now=T0, max_pending=9)
    return await store.sign_in("Asha", now=T0)


async def test_every_key_expires_and_no_secret_is_kept(redis_guards: GuardBackend) -> None:
    s = redis_guards.store()
    assert isinstance(s, RedisGuardStore)
    cookie = await fill(s)
    raw = redis_guards.raw()
    p = redis_guards.prefix
    keys = sorted(await raw.keys("*"))
    ttls = {k: await raw.pttl(k) / 1000 for k in keys}

    def near(key: str, expected: float) -> bool:
        return expected - 30 < ttls[key] <= expected

    assert near(f"{p}lim:join:{hashed('user:hunter2-typed-as-a-name')}", 100.0)
    assert near(f"{p}lim:login:{hashed('addr:10.1.2.3')}", 30.0)
    assert near(f"{p}ceil:join", 60.0)
    assert near(f"{p}links", 300 + 30.0)  # the link's life and the leeway
    assert near(f"{p}agent:{hashed(cookie)}", 3600.0)
    assert near(f"{p}sso:{hashed(STATE)}", 600.0)
    assert near(f"{p}ssos", 600.0)
    assert len(keys) == 7 and all(ttl > 0 for ttl in ttls.values())
    dump = " ".join(keys)
    for key in keys:
        kind = await raw.type(key)
        if kind == "string":
            dump += " " + str(await raw.get(key))
        elif kind == "hash":
            dump += " " + str(await raw.hgetall(key))
        else:
            dump += " " + str(await raw.zrange(key, 0, -1))
    for secret in (cookie, STATE, JTI, "hunter2", "10.1.2.3"):
        assert secret not in dump


async def test_two_prefixes_share_nothing(redis_guards: GuardBackend) -> None:
    (a,) = redis_guards.nodes(1, prefix="one:")
    (b,) = redis_guards.nodes(1, prefix="two:")
    cookie = await a.sign_in("Asha", now=T0)
    assert await b.agent(cookie, now=T0) is None
    for _ in range(4):
        await a.attempt("join", ["k"], now=T0)
    assert not (await b.attempt("join", ["k"], now=T0)).refused
    assert await b.use_link(AgentLink("Asha", JTI, T0 + 60), now=T0)
    assert await a.use_link(AgentLink("Asha", JTI, T0 + 60), now=T0)


async def test_garbage_in_redis_is_an_error_not_an_agent(redis_guards: GuardBackend) -> None:
    s = redis_guards.store()
    raw = redis_guards.raw()
    await raw.set(f"{redis_guards.prefix}agent:{hashed('c' * 43)}", "{not json", px=10_000)
    with pytest.raises(GuardUnavailable, match="cannot read"):
        await s.agent("c" * 43, now=T0)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


async def test_a_redis_that_does_not_answer_refuses_everything() -> None:
    s = RedisGuardStore.from_url(f"redis://127.0.0.1:{closed_port()}/0", RULES, prefix="x:")
    link = AgentLink(agent="Asha", jti=JTI, expires_at=T0 + 60)
    calls = [
        s.attempt("join", ["k"], now=T0),
        s.forgive("join", ["k"], now=T0),
        s.failures("join", "k", now=T0),
        s.ceiling_attempt("join", now=T0),
        s.ceiling_forgive("join", now=T0),
        s.ceiling_count("join", now=T0),
        s.use_link(link, now=T0),
        s.sign_in("Asha", now=T0),
        s.agent("c" * 43, now=T0),
        s.sign_out("c" * 43),
        s.begin_login(STATE, Pending("n", "v", T0 + 60), now=T0, max_pending=9),
        s.take_login(STATE, now=T0),
    ]
    try:
        for call in calls:
            with pytest.raises(GuardUnavailable, match="Redis"):
                await call
        assert await s.ping() is False
    finally:
        await s.close()


async def test_the_factory_picks_by_url_and_connects_to_nothing() -> None:
    assert isinstance(guards_from_url("memory://", RULES), MemoryGuardStore)
    port = closed_port()
    s = guards_from_url(f"redis://127.0.0.1:{port}/3?prefix=blue:", RULES)
    assert isinstance(s, RedisGuardStore) and s.prefix == "blue:"
    assert s.redis.connection_pool.connection_kwargs["db"] == 3
    other = guards_from_url(f"redis://127.0.0.1:{port}/0?prefix=blue:", RULES, prefix="red:")
    assert isinstance(other, RedisGuardStore) and other.prefix == "red:"
    await s.close()
    await other.close()
    with pytest.raises(StoreUrlError):
        guards_from_url("postgres://x", RULES)
