"""Control latency: an agent's click or keystroke in the console until it acts in the visitor's tab.

Runs the real `cobrowse demo` (inline mode, then proxy mode), two Chromium contexts
(taxpayer and agent), takes the session to active and the visitor grants control. A
probe is added to the visitor's page: a button whose click handler and a text field
whose `input` handler record the time. The agent then works through the real console:
N Playwright mouse clicks on the mirror's capture layer over that button, and N
keystrokes into the console's editor over that field. Each click or key is timestamped
in the console page as it is dispatched (a capture-phase `pointerdown` / `keydown`
listener on the console's document), each effect in the visitor's page, both as
`performance.timeOrigin + performance.now()` (one clock for both pages). Actions are
paced so each is measured on its own. Beside it, in the same run and the same browser:
the round trip of a bare loopback WebSocket to an echo server (bench/latency.py's).

    PYTHONPATH=. .venv/bin/python bench/control_latency.py [--actions 200] [--modes inline,proxy]
    (or: make bench)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.latency import (
    MIRROR,
    percentile,
    start_echo_server,
    start_session,
    websocket_round_trips,
)
from playwright.sync_api import Browser, Frame, Page, expect, sync_playwright
from tests.e2e.demo_process import CHROMIUM_ARGS, start_demo, stop_demo

OVERLAY = "iframe[title^='Co-browsing']"
PACE_MS = 40


def visitor_surface(visitor: Page, mode: str) -> Frame:
    """Where the visitor's page lives: the tab itself, or in proxy mode the overlay frame."""
    if mode != "proxy":
        return visitor.main_frame
    handle = visitor.locator(OVERLAY).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    return frame


def grant_control(visitor: Page, agent: Page) -> None:
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()


def add_probe(surface: Frame) -> None:
    """A fixed button and text field that record when the agent's acts reach them."""
    surface.evaluate(
        """() => {
            window.__clicks = [];
            window.__inputs = {};
            const box = document.createElement('div');
            box.style.cssText = 'position:fixed;left:240px;top:180px;z-index:2147483000;' +
                'background:#fff;padding:12px;border:2px solid #333';
            const button = document.createElement('button');
            button.type = 'button';
            button.id = 'bench-button';
            button.textContent = 'Bench button';
            button.style.cssText = 'display:block;width:220px;height:60px';
            button.addEventListener('click', () => {
                window.__clicks.push(performance.timeOrigin + performance.now());
            });
            const input = document.createElement('input');
            input.type = 'text';
            input.id = 'bench-input';
            input.setAttribute('aria-label', 'Bench field');
            input.style.cssText = 'display:block;width:360px;height:32px;margin-top:16px';
            input.addEventListener('input', () => {
                window.__inputs[input.value.length] ??= performance.timeOrigin + performance.now();
            });
            box.append(button, input);
            document.body.append(box);
        }"""
    )


def watch_agent(agent: Page) -> None:
    """Timestamp each pointerdown and keydown in the console as it is dispatched."""
    agent.evaluate(
        """() => {
            window.__downs = [];
            window.__keys = [];
            document.addEventListener('pointerdown', () => {
                window.__downs.push(performance.timeOrigin + performance.now());
            }, { capture: true });
            document.addEventListener('keydown', () => {
                window.__keys.push(performance.timeOrigin + performance.now());
            }, { capture: true });
        }"""
    )


def centre(agent: Page, selector: str) -> tuple[float, float]:
    box = agent.frame_locator(MIRROR).locator(selector).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def click_latencies(agent: Page, surface: Frame, count: int) -> list[float]:
    for _ in range(count):
        # Aim anew each time: the mirror is rescaled when the console's layout changes
        # (e.g. its notice line appears or clears), and the button moves with it.
        x, y = centre(agent, "#bench-button")
        agent.mouse.move(x, y)
        agent.mouse.down()
        agent.mouse.up()
        agent.wait_for_timeout(PACE_MS)
    wait_until = time.monotonic() + 30
    while surface.evaluate("() => window.__clicks.length") < count:
        if time.monotonic() > wait_until:
            got = surface.evaluate("() => window.__clicks.length")
            raise RuntimeError(f"only {got} of {count} clicks reached the visitor's page")
        agent.wait_for_timeout(50)
    downs: list[float] = agent.evaluate("() => window.__downs")
    effects: list[float] = surface.evaluate("() => window.__clicks")
    if len(downs) != count or len(effects) != count:
        raise RuntimeError(f"{len(downs)} clicks sent, {len(effects)} applied, {count} expected")
    return [e - d for d, e in zip(downs, effects, strict=True)]


def key_latencies(agent: Page, surface: Frame, count: int) -> list[float]:
    x, y = centre(agent, "#bench-input")
    agent.mouse.click(x, y)  # opens the console's editor over the field
    editor = agent.locator(".mirror-editor")
    expect(editor).to_be_focused()
    agent.evaluate("() => { window.__keys = []; }")
    for i in range(count):
        agent.keyboard.press("abcdefghij"[i % 10])
        agent.wait_for_timeout(PACE_MS)
    wait_until = time.monotonic() + 30
    while not surface.evaluate(f"() => {count} in window.__inputs"):
        if time.monotonic() > wait_until:
            raise RuntimeError("not every keystroke reached the visitor's page")
        agent.wait_for_timeout(50)
    keys: list[float] = agent.evaluate("() => window.__keys")
    effects: dict[str, float] = surface.evaluate("() => window.__inputs")
    if len(keys) != count:
        raise RuntimeError(f"{len(keys)} keydowns seen in the console, {count} expected")
    # Keystroke i makes the field i+1 characters long.
    return [effects[str(i + 1)] - keys[i] for i in range(count)]


def run_mode(pw_browser: Browser, mode: str, count: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        demo = start_demo(
            Path(tmp),
            {"COBROWSE_SERVER_LOG_LEVEL": "warning", "COBROWSE_PROXY_MODE": mode},
            mode=mode,
        )
        try:
            vctx = pw_browser.new_context(viewport={"width": 1280, "height": 800})
            actx = pw_browser.new_context(viewport={"width": 1280, "height": 800})
            visitor, agent = vctx.new_page(), actx.new_page()
            visitor.set_default_timeout(20_000)
            agent.set_default_timeout(20_000)
            start_session(visitor, agent, demo.portal, demo.agent_link("Bench Agent"))
            grant_control(visitor, agent)
            surface = visitor_surface(visitor, mode)
            add_probe(surface)
            agent.frame_locator(MIRROR).locator("#bench-input").wait_for()
            watch_agent(agent)
            clicks = click_latencies(agent, surface, count)
            keys = key_latencies(agent, surface, count)
            vctx.close()
            actx.close()
        finally:
            stop_demo(demo)
    return clicks, keys


def line(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.2f} ms   p99 {percentile(values, 99):7.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=200, help="clicks, and keystrokes")
    parser.add_argument("--modes", default="inline,proxy")
    args = parser.parse_args()
    if args.actions < 200:
        parser.error("--actions must be at least 200")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in ("inline", "proxy") for m in modes):
        parser.error("--modes is a comma-separated list of inline, proxy")
    n = args.actions
    echo_port, _ = start_echo_server()
    results: dict[str, tuple[list[float], list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**CHROMIUM_ARGS)
        probe = browser.new_context().new_page()
        rtt = websocket_round_trips(probe, echo_port, n)
        probe.context.close()
        for mode in modes:
            results[mode] = run_mode(browser, mode, n)
        browser.close()
    rtt50, rtt99 = statistics.median(rtt), percentile(rtt, 99)
    for mode, (clicks, keys) in results.items():
        print(
            f"control latency, {mode} mode, agent's action in the console -> effect in the "
            f"visitor's page ({n} each, {PACE_MS} ms apart):"
        )
        for name, lat in (("click", clicks), ("keystroke", keys)):
            print(
                f"  {name:<9} {line(lat)}"
                f"   ratio to round trip: p50 {statistics.median(lat) / rtt50:.1f}x"
                f"   p99 {percentile(lat, 99) / rtt99:.1f}x"
            )
    print(f"baseline, bare loopback WebSocket round trip in the same browser ({n} trips):")
    print(f"  {line(rtt)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
