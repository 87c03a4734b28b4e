"""The script edit cache: once per key, bounded by bytes, single flight, size cap."""

from __future__ import annotations

import asyncio
import threading

from cobrowse.rewrite.js import RULES_VERSION, Edits, Kind, find_edits
from cobrowse.server.js_cache import JsCache, etag_of
from cobrowse.server.metrics import Metrics


def counts(metrics: Metrics) -> dict[str, float]:
    out = {}
    for metric in metrics.registry.collect():
        if metric.name == "cobrowse_js_rewrite":
            for s in metric.samples:
                if s.name.endswith("_total"):
                    out[s.labels["outcome"]] = s.value
    return out


class Counting:
    """find_edits, counting its calls; `gate` holds parses until it is set."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, source: bytes, kind: Kind) -> Edits:
        self.calls += 1
        self.gate.wait(timeout=60)
        return find_edits(source, kind)


async def test_a_script_is_parsed_once_then_served_from_the_cache() -> None:
    metrics = Metrics()
    parse = Counting()
    cache = JsCache(max_bytes=1 << 20, max_script_bytes=1 << 20, metrics=metrics, parse=parse)
    src = b"var u = location.href;"
    first = await cache.rewrite(src, "script", None)
    second = await cache.rewrite(src, "script", None)
    assert first == second == b"var u = __cobrowse$.w(location).href;"
    assert parse.calls == 1
    assert await cache.rewrite(src, "module", None) == first  # another kind: another key
    assert parse.calls == 2
    assert await cache.rewrite(b"f(1)", "script", None) is None  # nothing to edit
    assert counts(metrics) == {
        "rewritten": 2,
        "cached": 1,
        "unchanged": 1,
        "unparsed": 0,
        "too_large": 0,
    }


async def test_concurrent_requests_for_one_script_parse_it_once() -> None:
    metrics = Metrics()
    parse = Counting()
    parse.gate.clear()
    cache = JsCache(max_bytes=1 << 20, max_script_bytes=1 << 20, metrics=metrics, parse=parse)
    src = b"top.location.reload()"
    tasks = [asyncio.create_task(cache.rewrite(src, "script", None)) for _ in range(5)]
    while not cache._pending:  # the first one is parsing
        await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)  # the others reach the pending parse
    parse.gate.set()
    results = await asyncio.gather(*tasks)
    assert len(set(results)) == 1 and results[0] is not None
    assert parse.calls == 1
    assert counts(metrics)["cached"] == 4


async def test_the_cache_is_bounded_by_bytes_least_recently_used_first() -> None:
    parse = Counting()
    scripts = [f"location.x{i} = {i};".encode() for i in range(20)]
    one = find_edits(scripts[0], "script").size + 80  # an entry, with its key
    cache = JsCache(max_bytes=one * 3, max_script_bytes=1 << 20, parse=parse)
    for s in scripts:
        await cache.edits(s, "script")
    assert len(cache) == 3 and cache.size <= one * 3
    await cache.edits(scripts[-1], "script")  # still there
    assert parse.calls == 20
    await cache.edits(scripts[0], "script")  # evicted long ago
    assert parse.calls == 21


async def test_a_script_above_the_cap_is_never_parsed() -> None:
    metrics = Metrics()
    parse = Counting()
    cache = JsCache(max_bytes=1 << 20, max_script_bytes=10, metrics=metrics, parse=parse)
    assert await cache.rewrite(b"location.href = 1;", "script", None) is None
    assert parse.calls == 0
    assert counts(metrics)["too_large"] == 1


async def test_a_script_that_does_not_parse_is_counted() -> None:
    metrics = Metrics()
    cache = JsCache(max_bytes=1 << 20, max_script_bytes=1 << 20, metrics=metrics)
    assert await cache.rewrite(b"var = ; location", "script", None) is None
    assert counts(metrics)["unparsed"] == 1


def test_etag_names_the_bytes_and_the_rules() -> None:
    assert etag_of(b"a") != etag_of(b"b")
    assert etag_of(b"a").startswith('"') and etag_of(b"a").endswith(f'-{RULES_VERSION}"')
