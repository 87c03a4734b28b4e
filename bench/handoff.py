"""What the login hand-off (the continuation point) costs at the start of the overlay.

Two real `cobrowse demo` processes in proxy mode, one with the continuation point (the
default) and one without (`proxy.continuation_path = ""`), and Debian's Chromium. Each
run: a taxpayer logs in on the portal, presses Co-browse, an agent joins, the taxpayer
presses Allow. Measured in the visitor's browser from Resource and Navigation Timing:

- overlay start: from the widget's overlay request to the end of the overlay's first
  page load (`loadEventEnd` in the frame), with and without the hand-off;
- the hand-off call itself, beside a plain same-origin round trip to the portal in the
  same page (`/healthz`): the hand-off is one round trip, so its ratio should be near 1.

    PYTHONPATH=. .venv/bin/python bench/handoff.py [--runs 10]   (or: make bench)
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.e2e.demo_process import CHROMIUM_ARGS, Demo, start_demo, stop_demo

PAN, PASSWORD = "AAAPZ9876K", "demo1234"
OVERLAY = "iframe[title^='Co-browsing']"
PIN_RE = re.compile(r"(\d{3}) ?(\d{3})")

TIMES = """async () => {
  const entries = performance.getEntriesByType('resource');
  const overlay = entries.find((e) => e.name.endsWith('/overlay'));
  const handoff = entries.find((e) => e.name.includes('/__cobrowse/continue/in'));
  const t = performance.now();
  await fetch('/healthz', { cache: 'no-store' });
  const rtt = performance.now() - t;
  return {
    overlayStart: performance.timeOrigin + overlay.startTime,
    handoff: handoff ? handoff.duration : null,
    rtt,
  };
}"""
FRAME_LOADED = """() => new Promise((done) => {
  const read = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav && nav.loadEventEnd > 0) done(performance.timeOrigin + nav.loadEventEnd);
    else setTimeout(read, 5);
  };
  read();
})"""


def one_run(browser: Browser, demo: Demo) -> tuple[float, float | None, float]:
    visitor_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    agent_ctx = browser.new_context(viewport={"width": 1024, "height": 700})
    try:
        visitor, agent = visitor_ctx.new_page(), agent_ctx.new_page()
        visitor.goto(demo.portal + "/login")
        visitor.get_by_label("PAN").fill(PAN)
        visitor.get_by_label("Password").fill(PASSWORD)
        visitor.get_by_role("button", name="Login").click()
        expect(visitor.get_by_role("link", name="File ITR")).to_be_visible()
        pin = ask_for_pin(visitor)
        agent.goto(demo.agent_link())
        agent.get_by_label("PIN").fill(pin)
        agent.get_by_role("button", name="Join").click()
        visitor.get_by_role("button", name="Allow").click()
        expect(visitor.frame_locator(OVERLAY).get_by_role("heading", level=1)).to_be_visible()
        frame = visitor.locator(OVERLAY).element_handle()
        assert frame is not None and frame.content_frame() is not None
        loaded = float(frame.content_frame().evaluate(FRAME_LOADED))  # type: ignore[union-attr]
        times = visitor.evaluate(TIMES)
        visitor.get_by_role("button", name="Stop").click()
        expect(visitor.locator(OVERLAY)).to_have_count(0)
        return loaded - float(times["overlayStart"]), times["handoff"], float(times["rtt"])
    finally:
        visitor_ctx.close()
        agent_ctx.close()


def ask_for_pin(visitor: Page) -> str:
    visitor.get_by_role("button", name="Co-browse").click()
    dialog = visitor.get_by_role("dialog")
    expect(dialog).to_contain_text(PIN_RE)
    match = PIN_RE.search(dialog.inner_text())
    assert match is not None
    return match.group(1) + match.group(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per set-up (10)")
    args = parser.parse_args()
    expect.set_options(timeout=30_000)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        for name in ("with", "without"):
            (Path(tmp) / name).mkdir()
        with_point = start_demo(Path(tmp) / "with", {})
        without = start_demo(Path(tmp) / "without", {"COBROWSE_PROXY_CONTINUATION_PATH": ""})
        browser = pw.chromium.launch(**CHROMIUM_ARGS)
        start_with: list[float] = []
        start_without: list[float] = []
        handoffs: list[float] = []
        rtts: list[float] = []
        try:
            one_run(browser, with_point)  # warm up both servers' code paths
            one_run(browser, without)
            for _ in range(args.runs):
                start, handoff, rtt = one_run(browser, with_point)
                assert handoff is not None, "no hand-off call was made"
                start_with.append(start)
                handoffs.append(handoff)
                rtts.append(rtt)
                start, _, _ = one_run(browser, without)
                start_without.append(start)
        finally:
            browser.close()
            stop_demo(with_point)
            stop_demo(without)
    med = statistics.median
    print(f"login hand-off at the start of the overlay (ms), median of {args.runs} runs")
    print(f"  overlay start without hand-off (logged out inside): {med(start_without):8.1f}")
    print(
        f"  overlay start with hand-off (logged in inside):     {med(start_with):8.1f}"
        f"   ratio {med(start_with) / med(start_without):.2f}x"
    )
    print(f"  the hand-off call:                                  {med(handoffs):8.1f}")
    print(
        f"  a plain round trip to the portal, same page:        {med(rtts):8.1f}"
        f"   hand-off / round trip {med(handoffs) / med(rtts):.2f}x"
    )


if __name__ == "__main__":
    main()
