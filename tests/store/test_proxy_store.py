"""One suite for every ProxyStore: memory, and two "nodes" (two stores on one Redis
prefix) that must agree on everything of a session."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis
from yarl import URL

from cobrowse.core.proxy_hosts import ProxyHosts, Target, new_label
from cobrowse.server.upstream import SessionCookieJar
from cobrowse.store.proxy_memory import MemoryProxyStore
from cobrowse.store.proxy_redis import RedisProxyStore
from cobrowse.store.proxy_store import Asset, ProxyStore
from tests.redis_server import RedisServer

T0 = 1_000_000.0
TTL = 4 * 3600.0 + 300.0
CACHE_BYTES = 1000
SITE = "https://efiling.example.gov.in"
SITE_URL = URL(SITE + "/itr/")


@dataclass
class Nodes:
    kind: str
    a: ProxyStore
    b: ProxyStore
    prefix: str
    url: str
    opened: list[ProxyStore] = field(default_factory=list)

    async def raw_keys(self) -> list[str]:
        client = Redis.from_url(self.url, decode_responses=True)
        try:
            return sorted(await client.keys(self.prefix + "*"))
        finally:
            await client.aclose()

    async def ttls(self) -> dict[str, int]:
        client = Redis.from_url(self.url, decode_responses=True)
        try:
            return {k: await client.pttl(k) for k in await client.keys(self.prefix + "*")}
        finally:
            await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def nodes(request: pytest.FixtureRequest) -> AsyncIterator[Nodes]:
    prefix = f"t{secrets.token_hex(4)}:"
    if request.param == "memory":
        hosts = ProxyHosts.for_base_url(domain="cobrowse.localhost", base_url="http://x:8000")
        one = MemoryProxyStore(hosts=hosts, asset_cache_bytes=CACHE_BYTES)
        yield Nodes("memory", one, one, prefix, "")
        return
    server: RedisServer = request.getfixturevalue("redis_srv")
    a, b = (
        RedisProxyStore.from_url(
            server.url, ttl_seconds=TTL, asset_cache_bytes=CACHE_BYTES, prefix=prefix
        )
        for _ in range(2)
    )
    yield Nodes("redis", a, b, prefix, server.url)
    await a.close()
    await b.close()


def site(session_id: str, origin: str = SITE, *, other: bool = False) -> Target:
    return Target(session_id, origin, new_label(), other)


async def jar_of(store: ProxyStore, session_id: str) -> SessionCookieJar:
    return SessionCookieJar.from_state(await store.jar(session_id))


async def save(store: ProxyStore, session_id: str, jar: SessionCookieJar) -> None:
    await store.update_jar(session_id, jar.take_changes())


def sent(jar: SessionCookieJar, url: URL = SITE_URL) -> dict[str, str]:
    return {k: v.coded_value for k, v in jar.filter_cookies(url).items()}


# --- hosts ---------------------------------------------------------------------------


async def test_a_label_made_on_one_node_resolves_on_the_other(nodes: Nodes) -> None:
    proposed = site("s1")
    held = await nodes.a.claim([proposed], limit=5)
    assert held == {SITE: proposed}
    assert await nodes.b.target(proposed.label) == proposed
    assert await nodes.b.targets("s1") == {SITE: proposed}
    assert await nodes.b.targets("s2") == {}
    assert await nodes.b.target(new_label()) is None


async def test_two_nodes_claiming_one_origin_at_once_agree_on_one_label(nodes: Nodes) -> None:
    first, second = site("s1"), site("s1")
    held_a, held_b = await asyncio.gather(
        nodes.a.claim([first], limit=5), nodes.b.claim([second], limit=5)
    )
    assert held_a == held_b
    winner = held_a[SITE]
    assert winner in (first, second)
    loser = second if winner == first else first
    assert await nodes.a.target(loser.label) is None
    assert await nodes.b.targets("s1") == {SITE: winner}


async def test_the_other_origin_limit_holds_across_nodes(nodes: Nodes) -> None:
    others = [site("s1", f"https://cdn{i}.test", other=True) for i in range(8)]
    results = await asyncio.gather(
        *(
            (nodes.a if i % 2 else nodes.b).claim([target], limit=3)
            for i, target in enumerate(others)
        )
    )
    assert sum(len(r) for r in results) == 3
    assert len(await nodes.a.targets("s1")) == 3
    # An allowed origin is never counted nor refused.
    assert SITE in await nodes.b.claim([site("s1")], limit=3)


async def test_a_label_another_target_holds_is_drawn_again(nodes: Nodes) -> None:
    taken = site("s1")
    await nodes.a.claim([taken], limit=5)
    clash = Target("s2", SITE, taken.label)
    held = (await nodes.b.claim([clash], limit=5))[SITE]
    assert held.label != taken.label and held.session_id == "s2"
    assert await nodes.a.target(taken.label) == taken


# --- access --------------------------------------------------------------------------


async def test_a_ticket_issued_on_one_node_redeems_once_on_the_other(nodes: Nodes) -> None:
    ticket = await nodes.a.ticket("s1", now=T0)
    redeemed = await nodes.b.redeem(ticket, now=T0 + 1)
    assert redeemed is not None
    session_id, credential = redeemed
    assert session_id == "s1"
    assert await nodes.a.redeem(ticket, now=T0 + 1) is None
    assert await nodes.b.redeem(ticket, now=T0 + 1) is None
    assert await nodes.a.session_of(credential) == "s1"
    again = await nodes.a.redeem(await nodes.b.ticket("s1", now=T0), now=T0 + 2)
    assert again == ("s1", credential)  # one credential per session
    assert await nodes.a.session_of("not-a-credential") is None


async def test_a_ticket_raced_by_two_nodes_is_redeemed_once(nodes: Nodes) -> None:
    ticket = await nodes.a.ticket("s1", now=T0)
    results = await asyncio.gather(*(n.redeem(ticket, now=T0) for n in (nodes.a, nodes.b) * 4))
    assert len([r for r in results if r is not None]) == 1


# --- cookies -------------------------------------------------------------------------


async def test_a_cookie_set_through_one_node_is_sent_through_the_other(nodes: Nodes) -> None:
    jar = await jar_of(nodes.a, "s1")
    jar.update_cookies_from_headers(
        [
            "sid=a=b==; Path=/; HttpOnly; Secure; SameSite=Lax",
            'pref="dark"; Domain=example.gov.in; Path=/; Max-Age=3600',
        ],
        SITE_URL,
    )
    await save(nodes.a, "s1", jar)
    there = await jar_of(nodes.b, "s1")
    assert sent(there) == {"sid": "a=b==", "pref": '"dark"'}
    assert sent(there, URL("https://other.example.gov.in/")) == {"pref": '"dark"'}
    assert {c.name: c for c in there.records()} == {c.name: c for c in jar.records()}
    assert await nodes.b.jar("s2") == await nodes.b.jar("nobody")


async def test_two_concurrent_updates_keep_both_cookies(nodes: Nodes) -> None:
    start = await jar_of(nodes.a, "s1")
    start.update_cookies_from_headers(["old=1; Path=/", "gone=1; Path=/"], SITE_URL)
    await save(nodes.a, "s1", start)
    on_a, on_b = await jar_of(nodes.a, "s1"), await jar_of(nodes.b, "s1")
    on_a.update_cookies_from_headers(["from_a=1; Path=/"], SITE_URL)
    on_b.update_cookies_from_headers(["from_b=2; Path=/", "gone=; Max-Age=0; Path=/"], SITE_URL)
    await asyncio.gather(save(nodes.a, "s1", on_a), save(nodes.b, "s1", on_b))
    after = await jar_of(nodes.a, "s1")
    assert sent(after) == {"old": "1", "from_a": "1", "from_b": "2"}
    assert [(c.name, c.path) for c in after.deleted] == [("gone", "/")]


async def test_the_hand_off_state_travels_with_the_jar(nodes: Nodes) -> None:
    jar = await jar_of(nodes.a, "s1")
    jar.import_cookies([("sid", "old"), ("pref", "x")], url=SITE_URL, script_visible={"pref"})
    await save(nodes.a, "s1", jar)
    on_b = await jar_of(nodes.b, "s1")
    assert [c.name for c in on_b.baselines["efiling.example.gov.in"]] == ["sid", "pref"]
    # The guess travelled too: a Domain cookie of that name replaces the host-only copy.
    on_b.update_cookies_from_headers(["sid=new; Domain=example.gov.in; Path=/"], SITE_URL)
    await save(nodes.b, "s1", on_b)
    final = await jar_of(nodes.a, "s1")
    assert {(c.name, c.domain, c.value) for c in final.records()} == {
        ("sid", "example.gov.in", "new"),
        ("pref", "efiling.example.gov.in", "x"),
    }
    assert (await nodes.a.jar("s1")).guessed == {("efiling.example.gov.in", "pref")}


# --- assets and the rest -------------------------------------------------------------


async def test_an_asset_cached_on_one_node_is_served_on_the_other(nodes: Nodes) -> None:
    await nodes.a.put_asset("s1", "plabel", "/a.css?v=1", Asset("text/css", b"body{}\x00\xff"))
    assert await nodes.b.asset("s1", "plabel", "/a.css?v=1") == Asset("text/css", b"body{}\x00\xff")
    assert await nodes.b.asset("s1", "plabel", "/a.css") is None
    assert await nodes.b.asset("s2", "plabel", "/a.css?v=1") is None
    await nodes.b.put_asset("s1", "plabel", "/b.png", Asset("image/png", b"b"))
    await nodes.b.put_asset("s1", "other", "/c.png", Asset("image/png", b"c"))
    assert await nodes.a.asset_paths("s1", "plabel") == ["/a.css?v=1", "/b.png"]
    assert await nodes.a.asset_paths("s2", "plabel") == []


async def test_assets_are_bounded_in_real_bytes_oldest_first(nodes: Nodes) -> None:
    for i in range(4):
        await (nodes.a if i % 2 else nodes.b).put_asset("s1", "l", f"/{i}", Asset("x", b"0" * 300))
    kept = [i for i in range(4) if await nodes.a.asset("s1", "l", f"/{i}") is not None]
    assert kept == [1, 2, 3]  # 900 of 1000 bytes
    await nodes.b.put_asset("s1", "l", "/1", Asset("x", b"1" * 250))  # replaced: newest now
    await nodes.a.put_asset("s1", "l", "/4", Asset("x", b"4" * 500))
    kept = [i for i in range(5) if await nodes.a.asset("s1", "l", f"/{i}") is not None]
    assert kept == [1, 4]  # 2 and 3 went first; 750 bytes
    await nodes.a.put_asset("s1", "l", "/big", Asset("x", b"b" * (CACHE_BYTES + 1)))
    assert await nodes.b.asset("s1", "l", "/big") is None
    assert await nodes.b.asset("s1", "l", "/4") is not None
    if isinstance(nodes.b, RedisProxyStore):
        assert await nodes.b.asset_bytes("s1") == 750


async def test_the_asset_token_is_one_per_session_on_every_node(nodes: Nodes) -> None:
    assert await nodes.a.token_of("s1") is None
    tokens = await asyncio.gather(nodes.a.asset_token("s1"), nodes.b.asset_token("s1"))
    assert tokens[0] == tokens[1]
    assert await nodes.b.token_of("s1") == tokens[0]
    assert await nodes.a.session_of_token(tokens[0]) == "s1"
    assert await nodes.a.session_of_token("nope") is None


async def test_opaque_asset_ids_are_one_key_and_one_map_per_session(nodes: Nodes) -> None:
    key_a, key_b = await asyncio.gather(nodes.a.asset_id_key("s1"), nodes.b.asset_id_key("s1"))
    assert key_a == key_b and len(key_a[0]) == 32 and key_a[1] == 0
    other_key, _ = await nodes.b.asset_id_key("s2")
    assert other_key != key_a[0]
    await nodes.a.put_asset_ids("s1", {"aaaa": SITE + "/f.woff2?v=1", "bbbb": SITE + "/i.png"})
    await nodes.b.put_asset_ids("s1", {"aaaa": SITE + "/other", "cccc": SITE + "/c.css"})
    assert await nodes.b.asset_id_url("s1", "aaaa") == SITE + "/f.woff2?v=1"  # kept once
    assert await nodes.a.asset_id_url("s1", "cccc") == SITE + "/c.css"
    assert await nodes.a.asset_id_key("s1") == (key_a[0], 3)
    # Another session's ids are not this one's; an unknown id is nothing.
    assert await nodes.b.asset_id_url("s2", "aaaa") is None
    assert await nodes.b.asset_id_url("s1", "dddd") is None
    await nodes.a.put_asset_ids("s1", {})


async def test_parent_origin_and_redirects_are_shared(nodes: Nodes) -> None:
    assert await nodes.a.parent_origin("s1") == ""
    await nodes.a.set_parent_origin("s1", SITE)
    assert await nodes.b.parent_origin("s1") == SITE
    assert await nodes.a.redirected("s1", redirect=True) == 1
    assert await nodes.b.redirected("s1", redirect=True) == 2
    assert await nodes.a.redirected("s1", redirect=False) == 0
    assert await nodes.b.redirected("s1", redirect=True) == 1
    await nodes.a.reset_redirects("s1")
    assert await nodes.b.redirected("s1", redirect=True) == 1


async def fill(store: ProxyStore, session_id: str) -> tuple[Target, str, str, str]:
    target = site(session_id)
    await store.claim([target, site(session_id, "https://cdn.test", other=True)], limit=5)
    ticket = await store.ticket(session_id, now=T0)
    redeemed = await store.redeem(ticket, now=T0)
    assert redeemed is not None
    spare = await store.ticket(session_id, now=T0)
    token = await store.asset_token(session_id)
    await store.put_asset(session_id, target.label, "/a.css", Asset("text/css", b"a"))
    await store.asset_id_key(session_id)
    await store.put_asset_ids(session_id, {"abcd": SITE + "/x.png"})
    await store.set_parent_origin(session_id, SITE)
    await store.redirected(session_id, redirect=True)
    jar = await jar_of(store, session_id)
    jar.import_cookies([("sid", "1")], url=SITE_URL, script_visible=set())
    jar.update_cookies_from_headers(["x=; Max-Age=0"], SITE_URL)
    await save(store, session_id, jar)
    return target, redeemed[1], spare, token


async def test_forget_on_one_node_removes_everything_of_the_session(nodes: Nodes) -> None:
    target, credential, spare, token = await fill(nodes.a, "s1")
    kept, kept_credential, _, kept_token = await fill(nodes.a, "s2")
    await nodes.b.forget("s1")
    assert await nodes.a.targets("s1") == {}
    assert await nodes.a.target(target.label) is None
    assert await nodes.a.session_of(credential) is None
    assert await nodes.a.redeem(spare, now=T0) is None
    assert await nodes.a.session_of_token(token) is None
    assert await nodes.a.token_of("s1") is None
    assert await nodes.a.asset("s1", target.label, "/a.css") is None
    assert await nodes.a.asset_id_url("s1", "abcd") is None
    assert (await nodes.a.asset_id_key("s1"))[1] == 0
    assert await nodes.a.asset_id_url("s2", "abcd") == SITE + "/x.png"
    assert await nodes.a.parent_origin("s1") == ""
    assert await nodes.a.redirected("s1", redirect=True) == 1
    await nodes.a.reset_redirects("s1")
    assert await nodes.a.jar("s1") == await nodes.a.jar("nobody")
    # The other session is untouched.
    assert await nodes.a.target(kept.label) == kept
    assert await nodes.a.session_of(kept_credential) == "s2"
    assert await nodes.a.session_of_token(kept_token) == "s2"
    if nodes.kind == "redis":
        await nodes.b.forget("s1")  # what the redirect count and the id key above wrote
        await nodes.b.forget("s2")
        assert await nodes.raw_keys() == []


async def test_every_key_expires_with_its_session(nodes: Nodes) -> None:
    if nodes.kind != "redis":
        pytest.skip("memory forgets on the session's end only")
    await fill(nodes.a, "s1")
    ttls = await nodes.ttls()
    assert len(ttls) >= 15
    assert all(0 < ttl <= TTL * 1000 for ttl in ttls.values()), ttls
    assert {k for k, ttl in ttls.items() if ttl > 60_000} == {
        k for k in ttls if ":px:tk:" not in k
    }  # the one spare ticket lives 60 s
