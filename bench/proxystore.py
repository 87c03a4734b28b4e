"""The proxy store's cost per proxied request: memory beside Redis (a local redis-server
started for the run), same calls as server/proxy.py makes for a page load (with one
Set-Cookie) and for an image, plus the per-request aiohttp client the jar now needs.

    PYTHONPATH=.:src python bench/proxystore.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable

from tests.redis_server import redis_server
from yarl import URL

from cobrowse.config import Config, ProxyConfig, StoreConfig
from cobrowse.server.proxy_state import Asset, ProxyState

SITE = "http://portal.test:8001"
IMAGE = Asset("image/png", secrets.token_bytes(10 * 1024))


async def page(state: ProxyState, label: str, credential: str, n: int) -> None:
    """A credentialed HTML load: who, the labels, the jar in and out, the counter, the
    config's parent origin."""
    target = await state.target(label)
    assert target is not None
    assert await state.session_of(credential) == target.session_id
    hosts = await state.session_hosts(target.session_id)
    jar = await state.jar(target.session_id)
    jar.update_cookies_from_headers([f"seen={n}; Path=/"], URL(SITE + "/"))
    await state.save_jar(target.session_id, jar)
    await state.count_redirect(target.session_id, 200)
    assert await state.settle(hosts)
    await state.parent_origin(target.session_id)


async def image(state: ProxyState, label: str, credential: str, n: int) -> None:
    """A credentialed image: who, the labels, the jar in, the counter, the asset kept."""
    target = await state.target(label)
    assert target is not None
    assert await state.session_of(credential) == target.session_id
    await state.session_hosts(target.session_id)
    await state.jar(target.session_id)
    await state.count_redirect(target.session_id, 200)
    await state.put_asset(target.session_id, label, f"/img/{n % 50}.png", IMAGE)


async def client(state: ProxyState, label: str, credential: str, n: int) -> None:
    """The aiohttp client each credentialed request now gets around its jar."""
    jar = await state.jar("s1")
    await state.upstream.client(jar).close()


Step = Callable[[ProxyState, str, str, int], Awaitable[None]]


async def measure(url: str, step: Step, requests: int) -> list[float]:
    cfg = Config(proxy=ProxyConfig(allowed_origins=(SITE,)), store=StoreConfig(url=url))
    state = ProxyState(cfg, cfg.allowed_origins)
    origin, ticket = await state.open_overlay("s1", SITE, parent=SITE, now=time.time())
    label = state.hosts.label_of_host(origin.split("://", 1)[1])
    redeemed = await state.redeem(ticket, now=time.time())
    assert label is not None and redeemed is not None
    jar = await state.jar("s1")  # a realistic jar: a login and a few site cookies
    jar.update_cookies_from_headers(
        [f"c{i}={secrets.token_urlsafe(24)}; Path=/; HttpOnly" for i in range(8)], URL(SITE)
    )
    await state.save_jar("s1", jar)
    for n in range(50):  # warm up (connections, scripts loaded)
        await step(state, label, redeemed[1], n)
    times: list[float] = []
    for n in range(requests):
        started = time.perf_counter()
        await step(state, label, redeemed[1], n)
        times.append(time.perf_counter() - started)
    await state.forget("s1")
    await state.close()
    return times


def us(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95)]
    return f"median {statistics.median(times) * 1e6:7.0f} us   p95 {p95 * 1e6:7.0f} us"


async def main(requests: int) -> None:
    with redis_server() as server:
        for name, step in (("page load", page), ("image", image), ("client", client)):
            memory = await measure("memory://", step, requests)
            redis = await measure(server.url + f"?prefix=b{secrets.token_hex(3)}:", step, requests)
            extra = (statistics.median(redis) - statistics.median(memory)) * 1e6
            print(f"{name:10} memory: {us(memory)}")
            print(f"{name:10} redis:  {us(redis)}   extra (median): {extra:6.0f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
