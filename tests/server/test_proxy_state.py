"""ProxyState on two nodes (two ProxyStates on one Redis prefix), and on memory: what a
proxied request on one node leaves for the next request on the other."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from yarl import URL

from cobrowse.config import Config, ProxyConfig, StoreConfig
from cobrowse.core.continuation import Handoff
from cobrowse.rewrite.urls import rewrite_url
from cobrowse.server.proxy_state import Asset, ProxyState
from cobrowse.store.proxy_memory import MemoryProxyStore
from tests.redis_server import RedisServer, redis_server

SITE = "http://portal.test:8001"
CDN = "https://cdn.example"
T0 = 1_000_000.0


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def config(url: str) -> Config:
    return Config(
        proxy=ProxyConfig(allowed_origins=(SITE,), max_other_origins=2),
        store=StoreConfig(url=url),
    )


@pytest.fixture(params=["memory", "redis"])
async def two(request: pytest.FixtureRequest) -> AsyncIterator[tuple[ProxyState, ProxyState]]:
    if request.param == "memory":
        one = ProxyState(config("memory://"), config("memory://").allowed_origins)
        yield one, one
        await one.close()
        return
    server: RedisServer = request.getfixturevalue("redis_srv")
    url = f"{server.url}?prefix=t{secrets.token_hex(4)}:"
    a, b = (ProxyState(config(url), config(url).allowed_origins) for _ in range(2))
    yield a, b
    await a.close()
    await b.close()


async def test_an_overlay_opened_on_one_node_is_entered_on_the_other(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    proxy_origin, ticket = await a.open_overlay("s1", SITE, parent=SITE, now=T0)
    label = b.hosts.label_of_host(proxy_origin.split("://", 1)[1])
    assert label is not None
    target = await b.target(label)
    assert target is not None and (target.session_id, target.upstream_origin) == ("s1", SITE)
    redeemed = await b.redeem(ticket, now=T0)
    assert redeemed is not None and redeemed[0] == "s1"
    assert await a.session_of(redeemed[1]) == "s1"
    assert await b.parent_origin("s1") == SITE
    assert await b.origins("s1") == {SITE: proxy_origin}


async def test_rewriting_on_two_nodes_at_once_gives_one_host_per_origin(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    hosts_a, hosts_b = await a.session_hosts("s1"), await b.session_hosts("s1")
    url = CDN + "/font.woff2"
    map_a = a.url_map(hosts_a, base=SITE + "/", navigating=False)
    map_b = b.url_map(hosts_b, base=SITE + "/", navigating=False)
    first_a, first_b = rewrite_url(url, map_a), rewrite_url(url, map_b)
    assert first_a != first_b  # each node proposed a label of its own
    stood = await asyncio.gather(a.settle(hosts_a), b.settle(hosts_b))
    assert sorted(stood) == [False, True]
    assert rewrite_url(url, map_a) == rewrite_url(url, map_b)  # the rewrite again agrees
    assert await a.origins("s1") == await b.origins("s1")


async def test_other_origins_past_the_limit_go_through_the_fallback(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    for node, n in ((a, 1), (b, 2)):
        hosts = await node.session_hosts("s1")
        rewrite_url(f"https://cdn{n}.example/x.png", node.url_map(hosts, base=SITE + "/"))
        assert await node.settle(hosts)
    hosts = await a.session_hosts("s1")
    out = rewrite_url("https://cdn3.example/x.png", a.url_map(hosts, base=SITE + "/"))
    assert out.startswith("/__cobrowse/go?url=")
    assert await a.settle(hosts)
    assert len(await b.origins("s1")) == 2


async def test_a_login_on_one_node_is_sent_by_the_other_and_written_back(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    jar = await a.jar("s1")
    jar.import_cookies([("sid", "before")], url=URL(SITE + "/"), script_visible=set())
    await a.save_jar("s1", jar)
    jar = await b.jar("s1")
    jar.update_cookies_from_headers(["sid=after; Path=/; HttpOnly"], URL(SITE + "/login"))
    await b.save_jar("s1", jar)
    again = await a.jar("s1")
    assert {k: v.value for k, v in again.filter_cookies(URL(SITE + "/")).items()} == {
        "sid": "after"
    }
    result = await a.write_back(Handoff("s1", SITE), now=T0)
    assert result.carried == 1
    assert [h.split(";")[0] for h in result.headers] == ["sid=after"]


async def test_the_end_on_one_node_leaves_the_write_back_for_the_other(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    handoff = await b.continuation.redeem(await a.continuation.handoff("s1", SITE, now=T0), now=T0)
    assert handoff == Handoff("s1", SITE)
    assert await a.continuation.claim_import(handoff)
    jar = await a.jar("s1")
    jar.import_cookies([("sid", "before")], url=URL(SITE + "/"), script_visible=set())
    await a.save_jar("s1", jar)
    ticket, binding = await a.continuation.return_ticket(handoff)
    jar = await b.jar("s1")
    jar.update_cookies_from_headers(["sid=after; Path=/; HttpOnly"], URL(SITE + "/login"))
    await b.save_jar("s1", jar)
    await b.forget("s1", now=T0)
    assert await a.continuation.take_return(ticket, binding) is None  # the session is over
    result = await a.continuation.take_ended(ticket, binding, now=T0 + 1)
    assert result is not None and [h.split(";")[0] for h in result.headers] == ["sid=after"]
    assert await b.continuation.take_ended(ticket, binding, now=T0 + 1) is None


async def test_an_asset_request_on_one_node_waits_for_the_load_on_the_other(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    waiting = asyncio.create_task(b.wait_for_asset("s1", "plabel", "/a.css", timeout=30.0))
    await asyncio.sleep(0)  # the agent asks first
    assert not waiting.done()
    await a.put_asset("s1", "plabel", "/a.css", Asset("text/css", b"body{}"))
    assert await waiting == Asset("text/css", b"body{}")
    assert await b.wait_for_asset("s1", "plabel", "/b.css", timeout=0.0) is None


async def test_the_agent_view_of_another_node_follows_the_store(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    proxy_origin, _ = await a.open_overlay("s1", SITE, parent=None, now=T0)
    view = a.agent_view("s1", a.config.base_url)
    assert [old for old, _ in view] == [proxy_origin.encode()]
    if not isinstance(b.store, MemoryProxyStore):
        assert b.agent_view("s1", b.config.base_url) == []  # not yet seen on this node
        await b._refreshing["s1"]
    assert b.agent_view("s1", b.config.base_url) == view


async def test_forget_on_one_node_ends_the_session_s_proxy_state_everywhere(
    two: tuple[ProxyState, ProxyState],
) -> None:
    a, b = two
    proxy_origin, ticket = await a.open_overlay("s1", SITE, parent=SITE, now=T0)
    await a.put_asset("s1", "plabel", "/a.css", Asset("text/css", b"x"))
    await b.forget("s1", now=T0)
    label = a.hosts.label_of_host(proxy_origin.split("://", 1)[1])
    assert label is not None and await a.target(label) is None
    assert await a.redeem(ticket, now=T0) is None
    assert await a.wait_for_asset("s1", "plabel", "/a.css", timeout=0.0) is None


async def test_the_synchronous_calls_are_the_memory_store_s_only() -> None:
    memory = ProxyState(config("memory://"), config("memory://").allowed_origins)
    memory.prepare("s1")
    assert memory.asset_token("s1") == await memory.store.asset_token("s1")
    assert list(memory.hosts.origins("s1")) == [SITE]
    await memory.close()
    shared = ProxyState(config("redis://127.0.0.1:1/0"), config("memory://").allowed_origins)
    with pytest.raises(RuntimeError, match="async"):
        shared.prepare("s1")
    with pytest.raises(RuntimeError, match="async"):
        shared.hosts.label_for("s1", SITE)
    with pytest.raises(RuntimeError, match="async"):
        _ = shared.access
    await shared.close()
