"""One suite for every ContinuationStore: memory, and two "nodes" (two stores on one
Redis prefix) that must agree on every ticket of the continuation point."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from cobrowse.core.continuation import HANDOFF_TTL, RETURN_TTL_AFTER_END, Handoff, WriteBack
from cobrowse.store.continuation_factory import continuation_store_from_url
from cobrowse.store.continuation_memory import MemoryContinuationStore
from cobrowse.store.continuation_redis import RedisContinuationStore
from cobrowse.store.continuation_store import (
    ContinuationStore,
    decode_write_back,
    encode_write_back,
)
from cobrowse.store.redis_store import DEFAULT_MARGIN_SECONDS
from tests.redis_server import RedisServer

T0 = 1_000_000.0
MAX_DURATION = 4 * 3600.0
TTL = MAX_DURATION + DEFAULT_MARGIN_SECONDS
SITE = "https://efiling.example.gov.in"
OTHER = "https://other.example"
RESULT = WriteBack(("sid=after; Path=/; HttpOnly", "old=; Path=/; Max-Age=0"), 2, ("sso.example",))


@dataclass
class Nodes:
    kind: str
    a: ContinuationStore
    b: ContinuationStore
    prefix: str
    url: str

    async def raw(self) -> dict[str, tuple[int, bytes]]:
        """Every key of the prefix: (its TTL in ms, all it holds, joined)."""
        client = Redis.from_url(self.url)
        try:
            out: dict[str, tuple[int, bytes]] = {}
            for key in await client.keys(self.prefix + "*"):
                kind = (await client.type(key)).decode()
                parts: list[bytes] = []
                if kind == "string":
                    parts = [await client.get(key) or b""]
                elif kind == "hash":
                    parts = [b for kv in (await client.hgetall(key)).items() for b in kv]
                elif kind == "set":
                    parts = list(await client.smembers(key))
                else:
                    raise AssertionError(f"{key!r} is a {kind}")
                out[key.decode()] = (await client.pttl(key), b"\n".join(parts))
            return out
        finally:
            await client.aclose()

    async def expire_all(self, pattern: str) -> None:
        """Stands for the time passing: what TTLs would drop by then, dropped now."""
        client = Redis.from_url(self.url)
        try:
            for key in await client.keys(self.prefix + pattern):
                await client.delete(key)
        finally:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def nodes(request: pytest.FixtureRequest) -> AsyncIterator[Nodes]:
    prefix = f"t{secrets.token_hex(4)}:"
    if request.param == "memory":
        one = MemoryContinuationStore()
        yield Nodes("memory", one, one, prefix, "")
        return
    server: RedisServer = request.getfixturevalue("redis_srv")
    a, b = (
        continuation_store_from_url(
            f"{server.url}?prefix={prefix}", max_duration_seconds=MAX_DURATION
        )
        for _ in range(2)
    )
    assert isinstance(a, RedisContinuationStore)
    yield Nodes("redis", a, b, prefix, server.url)
    await a.close()
    await b.close()


def test_the_factory_gives_memory_for_memory_urls() -> None:
    assert isinstance(
        continuation_store_from_url("memory://", max_duration_seconds=60), MemoryContinuationStore
    )


def test_a_write_back_survives_its_json() -> None:
    assert decode_write_back(encode_write_back(RESULT)) == RESULT
    empty = WriteBack((), 0, ())
    assert decode_write_back(encode_write_back(empty)) == empty


# --- hand-off ------------------------------------------------------------------------


async def test_a_handoff_issued_on_one_node_redeems_once_on_the_other(nodes: Nodes) -> None:
    ticket = await nodes.a.handoff("s1", SITE, now=T0)
    assert await nodes.b.redeem(ticket, now=T0 + 1) == Handoff("s1", SITE)
    assert await nodes.a.redeem(ticket, now=T0 + 1) is None
    assert await nodes.b.redeem(ticket, now=T0 + 1) is None
    assert await nodes.b.redeem("made-up", now=T0) is None


async def test_a_handoff_raced_by_eight_redeems_is_redeemed_once(nodes: Nodes) -> None:
    ticket = await nodes.a.handoff("s1", SITE, now=T0)
    results = await asyncio.gather(*(n.redeem(ticket, now=T0) for n in (nodes.a, nodes.b) * 4))
    assert [r for r in results if r is not None] == [Handoff("s1", SITE)]


async def test_a_handoff_expires_after_a_minute(nodes: Nodes) -> None:
    ticket = await nodes.a.handoff("s1", SITE, now=T0)
    if nodes.kind == "redis":
        ttls = {k: ttl for k, (ttl, _) in (await nodes.raw()).items()}
        assert ttls and all(0 < ttl <= HANDOFF_TTL * 1000 for ttl in ttls.values()), ttls
        await nodes.expire_all("ct:ho:*")
    assert await nodes.b.redeem(ticket, now=T0 + HANDOFF_TTL) is None


async def test_the_imported_mark_is_one_per_session_and_origin_on_every_node(
    nodes: Nodes,
) -> None:
    h = Handoff("s1", SITE)
    claims = await asyncio.gather(*(n.claim_import(h) for n in (nodes.a, nodes.b) * 4))
    assert sorted(claims) == [False] * 7 + [True]
    assert await nodes.b.claim_import(h) is False
    assert await nodes.b.claim_import(Handoff("s1", OTHER)) is True
    assert await nodes.a.claim_import(Handoff("s2", SITE)) is True


# --- return tickets ------------------------------------------------------------------


async def test_a_return_ticket_from_one_node_is_taken_on_the_other_with_its_binding_once(
    nodes: Nodes,
) -> None:
    h = Handoff("s1", SITE)
    ticket, binding = await nodes.a.return_ticket(h)
    assert await nodes.b.take_return(ticket, "") is None
    assert await nodes.b.take_return(ticket, binding[:-1] + "x") is None
    assert await nodes.b.take_return("made-up", binding) is None
    assert await nodes.a.returns_of("s1") != []
    taken = await asyncio.gather(*(n.take_return(ticket, binding) for n in (nodes.a, nodes.b) * 4))
    assert [t for t in taken if t is not None] == [h]
    assert await nodes.a.take_return(ticket, binding) is None
    assert await nodes.b.returns_of("s1") == []


async def test_a_newer_return_ticket_voids_the_older_one_of_its_session_and_origin(
    nodes: Nodes,
) -> None:
    h = Handoff("s1", SITE)
    old, old_binding = await nodes.a.return_ticket(h)
    elsewhere, elsewhere_binding = await nodes.a.return_ticket(Handoff("s1", OTHER))
    new, binding = await nodes.b.return_ticket(h)
    assert await nodes.a.take_return(old, old_binding) is None
    assert sorted(o.origin for _, o in await nodes.a.returns_of("s1")) == sorted([OTHER, SITE])
    assert await nodes.a.take_return(new, binding) == h
    assert await nodes.b.take_return(elsewhere, elsewhere_binding) == Handoff("s1", OTHER)


# --- the end ---------------------------------------------------------------------------


async def end(store: ContinuationStore, session_id: str, result: WriteBack, now: float) -> None:
    """What ProxyState.forget does: a write-back for each live return ticket."""
    results = {key: result for key, _ in await store.returns_of(session_id)}
    await store.ended(session_id, results, now=now)


async def test_an_ended_write_back_is_served_once_by_any_node(nodes: Nodes) -> None:
    h = Handoff("s1", SITE)
    ticket, binding = await nodes.a.return_ticket(h)
    spare = await nodes.a.handoff("s1", SITE, now=T0)
    await nodes.a.claim_import(h)
    kept, kept_binding = await nodes.a.return_ticket(Handoff("s2", SITE))
    await end(nodes.a, "s1", RESULT, T0)
    assert await nodes.b.take_return(ticket, binding) is None  # the live ticket is gone
    assert await nodes.b.redeem(spare, now=T0) is None  # no hand-off after the end
    assert await nodes.b.claim_import(h) is True  # the mark went with the session
    assert await nodes.b.take_ended(ticket, "", now=T0 + 1) is None  # binding needed
    assert await nodes.b.take_ended(ticket, binding + "x", now=T0 + 1) is None
    taken = await asyncio.gather(
        *(n.take_ended(ticket, binding, now=T0 + 1) for n in (nodes.a, nodes.b) * 4)
    )
    assert [t for t in taken if t is not None] == [RESULT]
    assert await nodes.a.take_ended(ticket, binding, now=T0 + 1) is None
    # The other session is untouched.
    assert await nodes.b.take_return(kept, kept_binding) == Handoff("s2", SITE)


async def test_an_ended_write_back_expires(nodes: Nodes) -> None:
    ticket, binding = await nodes.a.return_ticket(Handoff("s1", SITE))
    await end(nodes.b, "s1", RESULT, T0)
    if nodes.kind == "redis":
        ttls = {k: ttl for k, (ttl, _) in (await nodes.raw()).items()}
        assert list(ttls) == [f"{nodes.prefix}ct:en:" + k.rsplit(":", 1)[1] for k in ttls]
        assert all(0 < ttl <= RETURN_TTL_AFTER_END * 1000 for ttl in ttls.values()), ttls
        await nodes.expire_all("ct:en:*")
    late = T0 + RETURN_TTL_AFTER_END
    assert await nodes.a.take_ended(ticket, binding, now=late) is None


async def test_a_ticket_taken_before_the_end_keeps_no_write_back(nodes: Nodes) -> None:
    h = Handoff("s1", SITE)
    ticket, binding = await nodes.a.return_ticket(h)
    results = {key: RESULT for key, _ in await nodes.a.returns_of("s1")}
    assert await nodes.b.take_return(ticket, binding) == h  # while the end is computed
    await nodes.a.ended("s1", results, now=T0)
    assert await nodes.b.take_ended(ticket, binding, now=T0) is None


# --- what Redis holds ----------------------------------------------------------------


async def fill(store: ContinuationStore) -> list[str]:
    """A hand-off, a mark, return tickets live and ended: the secrets made."""
    handoff = await store.handoff("s1", SITE, now=T0)
    await store.claim_import(Handoff("s1", SITE))
    live = await store.return_ticket(Handoff("s1", SITE))
    ended = await store.return_ticket(Handoff("s2", SITE))
    await end(store, "s2", RESULT, T0)
    return [handoff, *live, *ended]


async def test_every_key_has_a_ttl(nodes: Nodes) -> None:
    if nodes.kind != "redis":
        pytest.skip("memory drops tickets by its own clock")
    await fill(nodes.a)
    raw = await nodes.raw()
    names = {k.split(":")[2] for k in raw}
    assert names == {"ho", "hos", "im", "rt", "rs", "en"}
    for key, (ttl, _) in raw.items():
        limit = {"ho": HANDOFF_TTL, "hos": HANDOFF_TTL, "en": RETURN_TTL_AFTER_END}
        assert 0 < ttl <= limit.get(key.split(":")[2], TTL) * 1000, key


async def test_no_ticket_or_binding_is_in_redis_in_plain(nodes: Nodes) -> None:
    if nodes.kind != "redis":
        pytest.skip("Redis only")
    made = await fill(nodes.a)
    raw = await nodes.raw()
    held = b"".join(k.encode() + value for k, (_, value) in raw.items())
    assert raw and not [s for s in made if s.encode() in held]
