"""What only the Redis store has: TTLs on every key, keys that expire by themselves,
no token anywhere in Redis, key prefixes, and a Redis that stops answering."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.exceptions import RedisError

from cobrowse.core.session import Timeouts
from cobrowse.store.base import TOMBSTONE_SECONDS, CapacityError
from cobrowse.store.redis_store import DEFAULT_MARGIN_SECONDS, RedisSessionStore, token_hash
from tests.redis_server import redis_server
from tests.store.backends import T0, TIMEOUTS, Backend, create


async def test_every_redis_key_expires(redis_backend: Backend) -> None:
    s = redis_backend.store()
    raw = redis_backend.raw()
    p = redis_backend.prefix
    kept = await create(s, timeouts=Timeouts(pin_ttl=120.0, max_duration=3600.0))
    agent = await s.issue_agent_token(kept.session)
    gone = await create(s)
    await s.forget(gone.session, now=T0)
    await s.prune_tombstones(now=T0 + 10 * TOMBSTONE_SECONDS)  # a no-op on Redis
    keys = sorted(await raw.keys("*"))
    assert keys and all(k.startswith(p) for k in keys)
    ttls = {k: await raw.pttl(k) / 1000 for k in keys}
    assert all(ttl > 0 for ttl in ttls.values()), ttls
    session_ttl = 3600.0 + DEFAULT_MARGIN_SECONDS
    sid = kept.session.id

    def near(ttl: float, expected: float) -> bool:
        return expected - 30 < ttl <= expected

    assert near(ttls[f"{p}s:{sid}"], session_ttl)
    assert near(ttls[f"{p}st:{sid}"], session_ttl)
    assert near(ttls[f"{p}pin:{kept.session.pin}"], 120.0)
    assert near(ttls[f"{p}t:{token_hash(kept.visitor_token)}"], session_ttl)
    assert near(ttls[f"{p}t:{token_hash(agent)}"], session_ttl)
    assert near(ttls[f"{p}tomb:{token_hash(gone.visitor_token)}"], TOMBSTONE_SECONDS)
    assert ttls[f"{p}live"] >= TIMEOUTS.max_duration  # as long as its longest session
    assert f"{p}s:{gone.session.id}" not in ttls and f"{p}pin:{gone.session.pin}" not in ttls


async def test_redis_keys_really_expire(redis_backend: Backend) -> None:
    s = redis_backend.store(margin_seconds=0.0)
    raw = redis_backend.raw()
    short = Timeouts(pin_ttl=0.3, max_duration=0.8)
    new = await create(s, timeouts=short)
    agent = await s.issue_agent_token(new.session)
    await asyncio.sleep(0.45)
    assert await s.by_pin(new.session.pin) is None  # the PIN went with its TTL
    assert await s.get(new.session.id) is not None and await s.count() == 1
    await asyncio.sleep(0.6)
    assert await s.get(new.session.id) is None
    assert await s.grant(new.visitor_token) is None and await s.grant(agent) is None
    assert await s.count() == 0 and await s.live_sessions() == []
    assert await raw.keys("*") == []
    await create(s, timeouts=short)  # its capacity was given back, too


async def test_an_expired_session_frees_its_place(redis_backend: Backend) -> None:
    s = redis_backend.store(max_sessions=1, margin_seconds=0.0)
    await create(s, timeouts=Timeouts(pin_ttl=0.1, max_duration=0.3))
    with pytest.raises(CapacityError):
        await create(s)
    await asyncio.sleep(0.4)
    await create(s)  # a node that died does not hold places for ever


# --- what Redis holds -------------------------------------------------------------


async def test_no_token_is_ever_written_to_redis(redis_backend: Backend) -> None:
    a, b = redis_backend.nodes(2)
    raw = redis_backend.raw()
    news = [await create(a) for _ in range(4)]
    tokens = [n.visitor_token for n in news]
    tokens += [await b.issue_agent_token(n.session) for n in news]
    news[0].session.join(agent_name="Asha", now=T0 + 1)
    await a.save(news[0].session)
    await a.forget(news[1].session, now=T0 + 2)  # tombstones too
    await b.forget(news[2].session, now=T0 + 3)
    seen: list[str] = []
    async for key in raw.scan_iter("*"):
        seen.append(key)
        kind = await raw.type(key)
        if kind == "string":
            seen.append(await raw.get(key) or "")
        elif kind == "set":
            seen.extend(await raw.smembers(key))
        elif kind == "zset":
            seen.extend(await raw.zrange(key, 0, -1))
        else:
            raise AssertionError(f"unexpected {kind} at {key}")
    text = "\n".join(seen)
    assert len(seen) > 20
    for token in tokens:
        secret = token.split("_", 1)[1]
        assert secret not in text and token not in text
        assert token_hash(token) in text  # what stands for it


async def test_prefixes_keep_deployments_apart(redis_backend: Backend) -> None:
    (one,) = redis_backend.nodes(1, prefix="one:", max_sessions=1)
    (two,) = redis_backend.nodes(1, prefix="two:", max_sessions=1)
    x = await create(one)
    y = await create(two)  # its own capacity
    assert await two.get(x.session.id) is None and await one.get(y.session.id) is None
    assert await two.grant(x.visitor_token) is None
    assert await one.count() == 1 and await two.count() == 1


async def test_ping_is_false_when_redis_is_down() -> None:
    with redis_server() as server:
        s = RedisSessionStore.from_url(server.url, max_sessions=10, timeout_seconds=2.0)
        try:
            assert await s.ping() is True
            await create(s)
            server.stop()
            started = time.monotonic()
            assert await s.ping() is False
            assert time.monotonic() - started < 5
            with pytest.raises(RedisError):
                await s.get("s_any")
            with pytest.raises(RedisError):
                await create(s)
        finally:
            await s.close()
