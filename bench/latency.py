"""Mirror latency: a DOM change in the visitor's tab until it shows in the agent's mirror.

Runs the real `cobrowse demo`, two Chromium contexts (taxpayer and agent) and
measures, with both pages on the same clock, the time from each of N text
changes in the visitor's page to the same text appearing inside the agent's
mirror. Beside it, in the same run and the same browser: the round trip of a
bare loopback WebSocket to an echo server, the floor any relay stands on.

    PYTHONPATH=. .venv/bin/python bench/latency.py [--changes 300]   (or: make bench)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import threading
from pathlib import Path

import websockets
from playwright.sync_api import Page, expect, sync_playwright
from tests.e2e.demo_process import CHROMIUM_ARGS, free_port, start_demo, stop_demo

MIRROR = ".replayer-wrapper iframe"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def start_echo_server() -> tuple[int, asyncio.AbstractEventLoop]:
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def echo(ws: websockets.ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with websockets.serve(echo, "127.0.0.1", port):
            ready.set()
            await asyncio.Future()

    threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True).start()
    ready.wait(10)
    return port, loop


def websocket_round_trips(page: Page, port: int, count: int) -> list[float]:
    return list(
        page.evaluate(
            """async ([port, count]) => {
                const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
                await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
                const out = [];
                for (let i = 0; i < count + 20; i++) {
                    const t0 = performance.now();
                    await new Promise((ok) => { ws.onmessage = ok; ws.send('x' + i); });
                    if (i >= 20) out.push(performance.now() - t0);  // 20 warm-up trips
                    await new Promise((ok) => setTimeout(ok, 5));
                }
                ws.close();
                return out;
            }""",
            [port, count],
        )
    )


def start_session(visitor: Page, agent: Page, portal: str, link: str) -> None:
    visitor.goto(portal + "/")
    visitor.get_by_role("button", name="Co-browse").click()
    dialog = visitor.get_by_role("dialog")
    pin = re.compile(r"(\d{3}) ?(\d{3})")
    expect(dialog).to_contain_text(pin)
    match = pin.search(dialog.inner_text())
    assert match is not None
    agent.goto(link)
    agent.get_by_label("PIN").fill(match.group(1) + match.group(2))
    agent.get_by_role("button", name="Join").click()
    visitor.get_by_role("button", name="Allow").click()
    agent.frame_locator(MIRROR).get_by_role("heading", level=1).wait_for()


def mirror_latencies(visitor: Page, agent: Page, count: int) -> list[float]:
    visitor.evaluate(
        """() => { const d = document.createElement('div'); d.id = 'bench-probe';
                   d.textContent = 'start'; document.body.prepend(d); }"""
    )
    agent.frame_locator(MIRROR).locator("#bench-probe").wait_for()
    # The mirror runs no script; observe it from the console page (same origin).
    agent.evaluate(
        """(selector) => {
            window.__seen = {};
            const doc = document.querySelector(selector).contentDocument;
            const watch = () => {
                const probe = doc.getElementById('bench-probe');
                if (probe) window.__seen[probe.textContent] ??=
                    performance.timeOrigin + performance.now();
            };
            new MutationObserver(watch).observe(doc, {
                subtree: true, childList: true, characterData: true });
        }""",
        MIRROR,
    )
    sent: dict[str, float] = visitor.evaluate(
        """async (count) => {
            const probe = document.getElementById('bench-probe');
            const sent = {};
            for (let i = 0; i < count; i++) {
                const text = 'change-' + i;
                sent[text] = performance.timeOrigin + performance.now();
                probe.textContent = text;
                await new Promise((ok) => setTimeout(ok, 30));
            }
            return sent;
        }""",
        count,
    )
    agent.wait_for_function(f"() => 'change-{count - 1}' in window.__seen")
    seen: dict[str, float] = agent.evaluate("() => window.__seen")
    missing = [k for k in sent if k not in seen]
    if missing:
        raise RuntimeError(f"{len(missing)} changes never reached the mirror")
    return [seen[k] - sent[k] for k in sent]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    if args.changes < 200:
        parser.error("--changes must be at least 200")
    echo_port, _ = start_echo_server()
    with tempfile.TemporaryDirectory() as tmp:
        # Inline mode: the probe goes into the visitor's own page (in proxy mode that page
        # lies under the overlay and is not what is recorded).
        demo = start_demo(
            Path(tmp),
            {"COBROWSE_SERVER_LOG_LEVEL": "warning", "COBROWSE_PROXY_MODE": "inline"},
            mode="inline",
        )
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(**CHROMIUM_ARGS)
                visitor = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                agent = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                rtt = websocket_round_trips(visitor, echo_port, args.changes)
                start_session(visitor, agent, demo.portal, demo.agent_link("Bench Agent"))
                lat = mirror_latencies(visitor, agent, args.changes)
                browser.close()
        finally:
            stop_demo(demo)
    n = args.changes
    print(f"mirror latency, DOM change -> agent mirror ({n} changes):")
    print(f"  p50 {statistics.median(lat):7.2f} ms   p99 {percentile(lat, 99):7.2f} ms")
    print(f"baseline, bare loopback WebSocket round trip in the same browser ({n} trips):")
    print(f"  p50 {statistics.median(rtt):7.2f} ms   p99 {percentile(rtt, 99):7.2f} ms")
    print(
        f"ratio (mirror / round trip): p50 {statistics.median(lat) / statistics.median(rtt):.1f}x"
        f"   p99 {percentile(lat, 99) / percentile(rtt, 99):.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
