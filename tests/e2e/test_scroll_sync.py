"""Scroll stays in sync both ways without fighting: the one who scrolled last leads (issue 4).

With control granted, in both modes: the visitor scrolls and the mirror follows; the agent
scrolls the mirror (the wheel over the capture layer, sent as a dx/dy delta) and the
visitor's page moves by that delta; the visitor scrolls again and the mirror follows the
visitor while the visitor's page stays where the visitor put it. The same for an inner
scroll area. The viewports differ (agent 1024x700, visitor 1280x800), so the agent's
scrolls are checked as deltas on the visitor's page and the mirror against the
visitor's positions.

Every wait is for a condition; the mirror runs no script, so it is polled from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_story import MIRROR, mirror, mirror_frame, start, surface_frame

pytestmark = pytest.mark.e2e

TOLERANCE = 2  # px: rounding between the two documents

# The demo portal has no inner scroll area at these sizes (its only overflow container,
# `.table-wrap`, is `overflow-x: auto` around tables that fit), so the visitor's page
# gets one: a fixed box, so it is on screen at any page scroll.
ADD_SCROLL_BOX = """() => {
    const box = document.createElement('div');
    box.id = 'sync-box';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', 'Scroll box');
    box.tabIndex = 0;
    box.style.cssText = 'position:fixed;left:40px;top:220px;width:320px;height:200px;' +
        'overflow:auto;background:#fff;border:2px solid #333;z-index:2147483000';
    const inner = document.createElement('div');
    inner.style.cssText = 'height:1400px;background:linear-gradient(#eef,#fee)';
    inner.textContent = 'Scroll me';
    box.append(inner);
    document.body.append(box);
}"""

PAGE_Y = "() => Math.round(document.scrollingElement.scrollTop)"
BOX_Y = "() => Math.round(document.getElementById('sync-box')?.scrollTop ?? -1)"
# The same reading after a few animation frames: nothing moved it back meanwhile. (No
# eval of the reading in the page: the portal's CSP forbids it.)
LATER = """(box) => new Promise((done) => {
    const read = () => Math.round(box ? document.getElementById('sync-box').scrollTop
                                      : document.scrollingElement.scrollTop);
    let frames = 4;
    const tick = () => (--frames > 0 ? requestAnimationFrame(tick) : done(read()));
    requestAnimationFrame(tick);
})"""


def until(what: str, read: Callable[[], int], ok: Callable[[int], bool], page: Page) -> int:
    """Poll `read()` until `ok` holds; say the last value if it never does."""
    deadline = time.monotonic() + 15
    while True:
        value = read()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: last value {value}")
        page.wait_for_timeout(50)


def near(target: int) -> Callable[[int], bool]:
    return lambda value: abs(value - target) <= TOLERANCE


def in_mirror(agent: Page, expr: str) -> int:
    # Fetched anew each time: a new snapshot may replace the mirror's document.
    return int(mirror_frame(agent).evaluate(expr))


def wheel_over(agent: Page, x: float, y: float, dy: int) -> None:
    agent.mouse.move(x, y)
    agent.mouse.wheel(0, dy)


def stays(frame: Frame, expr: str, target: int) -> None:
    """Read now and a few animation frames later: both at `target`."""
    first = int(frame.evaluate(expr))
    later = int(frame.evaluate(LATER, expr == BOX_Y))
    assert abs(first - target) <= TOLERANCE and abs(later - target) <= TOLERANCE, (
        f"the visitor's scroll moved away from {target}: {first}, then {later}"
    )


def test_scroll_sync_both_ways(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    page = surface_frame(visitor, demo)
    page_range = int(page.evaluate("() => document.scrollingElement.scrollHeight - innerHeight"))
    assert page_range >= 800, f"the home page is too short to scroll: {page_range}px"

    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()

    def visitor_y() -> int:
        return int(page.evaluate(PAGE_Y))

    def mirror_y() -> int:
        return in_mirror(agent, PAGE_Y)

    # 1. The visitor scrolls: the mirror follows.
    page.evaluate("() => window.scrollTo(0, 300)")
    until("mirror follows the visitor to 300", mirror_y, near(300), agent)

    # 2. The agent scrolls the mirror: the visitor's page moves by the agent's delta,
    #    and the mirror shows where the visitor's page now is.
    frame_box = agent.locator(MIRROR).bounding_box()
    assert frame_box is not None
    cx, cy = frame_box["x"] + frame_box["width"] / 2, frame_box["y"] + frame_box["height"] * 0.7
    before = visitor_y()
    wheel_over(agent, cx, cy, 350)
    after = until("visitor follows the agent's wheel", visitor_y, near(before + 350), agent)
    until("mirror shows the agent's scroll", mirror_y, near(after), agent)

    # 3. The visitor scrolls again: the mirror follows the visitor, and the visitor's
    #    page stays where the visitor put it (no pull back to the agent's position).
    page.evaluate("() => window.scrollTo(0, 120)")
    until("mirror follows the visitor back to 120", mirror_y, near(120), agent)
    stays(page, PAGE_Y, 120)
    assert abs(mirror_y() - 120) <= TOLERANCE

    # 4. The agent scrolls once more: from where the visitor left it.
    wheel_over(agent, cx, cy, 200)
    after = until("visitor follows the agent from 120", visitor_y, near(320), agent)
    until("mirror shows it", mirror_y, near(after), agent)
    stays(page, PAGE_Y, after)

    # The same for an inner scroll area; the page itself must not move meanwhile.
    page.evaluate(ADD_SCROLL_BOX)
    view.locator("#sync-box").wait_for()
    page_at = visitor_y()

    def visitor_box() -> int:
        return int(page.evaluate(BOX_Y))

    def mirror_box() -> int:
        return in_mirror(agent, BOX_Y)

    page.evaluate("() => { document.getElementById('sync-box').scrollTop = 400; }")
    until("mirror's box follows the visitor to 400", mirror_box, near(400), agent)

    box = view.locator("#sync-box").bounding_box()
    assert box is not None
    bx, by = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    wheel_over(agent, bx, by, 300)
    inner = until("visitor's box follows the agent", visitor_box, near(700), agent)
    until("mirror's box shows it", mirror_box, near(inner), agent)
    assert abs(visitor_y() - page_at) <= TOLERANCE, "the agent's inner scroll moved the page"

    page.evaluate("() => { document.getElementById('sync-box').scrollTop = 150; }")
    until("mirror's box follows the visitor to 150", mirror_box, near(150), agent)
    stays(page, BOX_Y, 150)
    assert abs(mirror_box() - 150) <= TOLERANCE
    assert abs(visitor_y() - page_at) <= TOLERANCE
