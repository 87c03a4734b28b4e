"""The visitor's side of issue 13 in Chromium: a bar the visitor can move and minimise
(Stop always one click away), panels that keep off the field being filled in, and an
agent's chat message shown and read out rather than a bare "1"."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Frame, Locator, Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_documents import offer
from tests.e2e.test_story import (
    PAN,
    PASSWORD,
    mirror,
    mirror_frame,
    start,
    surface,
    surface_frame,
    wait_in_mirror,
)

pytestmark = pytest.mark.e2e

LAYOUT_KEY = "cobrowse:bar"


def bar(visitor: Page) -> Locator:
    return visitor.get_by_role("region", name="Co-browsing")


def box(locator: Locator) -> dict[str, float]:
    b = locator.bounding_box()
    assert b is not None
    return b


def wait_until(page: Page, what: str, check: Callable[[], Any], timeout: float = 15.0) -> None:
    """Poll `check` from Python until it is truthy (no fixed sleep: ends when it holds)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true in time: {what}")
        page.wait_for_timeout(50)


def stored_layout(visitor: Page) -> dict[str, Any] | None:
    text = visitor.evaluate(f"() => sessionStorage.getItem({json.dumps(LAYOUT_KEY)})")
    return json.loads(text) if text else None


def test_the_bar_moves_and_minimises_and_stop_stays_at_hand(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo)
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    the_bar = bar(visitor)
    height = visitor.viewport_size["height"]  # type: ignore[index]
    assert box(the_bar)["y"] > height / 2  # at the bottom by default

    # The keyboard: "Move bar" cycles bottom → bottom left → top left.
    grip = the_bar.get_by_role("button", name="Move bar")
    grip.focus()
    visitor.keyboard.press("Enter")
    expect(visitor.locator("#cb-announce")).to_have_text("Bar moved to the bottom left")
    visitor.keyboard.press("Enter")
    expect(visitor.locator("#cb-announce")).to_have_text("Bar moved to the top left")
    wait_until(
        visitor, "the bar at the top left", lambda: max(box(the_bar)["x"], box(the_bar)["y"]) < 40
    )
    assert stored_layout(visitor) == {"place": "top-left", "minimised": False}

    # The pointer: drag the grip to the middle of the window.
    g = box(grip)
    visitor.mouse.move(g["x"] + g["width"] / 2, g["y"] + g["height"] / 2)
    visitor.mouse.down()
    visitor.mouse.move(400, 300, steps=8)
    visitor.mouse.move(500, 400, steps=8)
    visitor.mouse.up()
    b = box(the_bar)
    assert 300 < b["y"] < 500, b
    layout = stored_layout(visitor)
    assert layout is not None and isinstance(layout["place"], dict), layout

    # Minimised: a chip that still says so, with Stop; the mirror shows none of it.
    the_bar.get_by_role("button", name="Minimise").click()
    expect(the_bar).to_contain_text("Sharing this tab")
    expect(the_bar.get_by_role("button", name="Chat")).to_be_hidden()
    expect(the_bar.get_by_role("button", name="Expand")).to_be_focused()
    chip = box(the_bar)
    assert chip["width"] < b["width"]
    assert stored_layout(visitor) == {**layout, "minimised": True}
    frame = mirror_frame(agent)
    wait_in_mirror(frame, "() => !!document.body && document.body.innerText.includes('e-Filing')")
    seen = frame.evaluate("() => document.documentElement.outerHTML")
    for text in ("Sharing this tab", "Move bar", "Minimise", "Asha Rao is viewing"):
        assert text not in seen

    if demo.mode == "inline":
        # The next page of the tab: the bar is where it was, and still minimised.
        surface(visitor, demo).get_by_role("link", name="Login").first.click()
        expect(visitor).to_have_url(demo.portal + "/login")
        expect(the_bar.get_by_role("button", name="Expand")).to_be_visible()
        b2 = box(the_bar)
        assert abs(b2["y"] - chip["y"]) < 2 and abs(b2["x"] - chip["x"]) < 2, (b2, chip)

    # Stop, from the chip, ends it.
    the_bar.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text("ended").first).to_be_visible()
    expect(visitor.get_by_role("button", name="Co-browse")).to_be_visible()


# The form field whose label reads `label` (a JS expression).
FIELD = (
    "[...document.querySelectorAll('label')].find((l) => l.textContent.trim() === label).control"
)


def place_field(frame: Frame, label: str, centre_y: float) -> dict[str, float]:
    """Focus the field labelled `label` and scroll its centre to `centre_y`."""
    rect: dict[str, float] = frame.evaluate(
        """([label, y]) => {
          const field = """
        + FIELD
        + """;
          field.focus();
          let r = field.getBoundingClientRect();
          window.scrollBy(0, r.top + r.height / 2 - y);
          r = field.getBoundingClientRect();
          return {x: r.left, y: r.top, width: r.width, height: r.height};
        }""",
        [label, centre_y],
    )
    return rect


UNCOVERED = (
    "([label, points]) => { const field = " + FIELD + "; const r = field.getBoundingClientRect();"
    " return points.every((f) =>"
    " document.elementFromPoint(r.left + r.width * f, r.top + r.height / 2) === field); }"
)

TOP_CLEAR = """([x, y]) => {
  const hit = document.elementFromPoint(x, y);
  return hit !== null && hit.tagName !== 'COBROWSE-WIDGET';
}"""


def field_uncovered(visitor: Page, demo: Demo, label: str) -> bool:
    """The field is the element at its centre and near its ends, in its own document and,
    in proxy mode, on the top page too (the widget is over the overlay frame there)."""
    frame = surface_frame(visitor, demo)
    points = [0.1, 0.5, 0.9]
    if not frame.evaluate(UNCOVERED, [label, points]):
        return False
    if demo.mode != "proxy":
        return True
    r = frame.evaluate(
        """(label) => {
          const f = """
        + FIELD
        + """;
          const r = f.getBoundingClientRect();
          return {x: r.left, y: r.top, width: r.width, height: r.height};
        }""",
        label,
    )
    return all(
        visitor.evaluate(TOP_CLEAR, [r["x"] + r["width"] * f, r["y"] + r["height"] / 2])
        for f in points
    )


def test_panels_keep_off_the_field_being_filled_in(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    # A small window: the form is one column, as wide as the window, and the panels
    # would otherwise sit right over its fields.
    visitor.set_viewport_size({"width": 800, "height": 600})
    start(pair, demo)
    page = surface(visitor, demo)
    page.get_by_role("link", name="Login").first.click()
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("link", name="File ITR").first.click()
    expect(page.get_by_label("Gross salary")).to_be_visible()
    frame = surface_frame(visitor, demo)
    the_bar = bar(visitor)

    # 1. The visitor opens the chat while in "Email" (low in the window).
    r = place_field(frame, "Email", 400)
    assert 300 < r["y"] + r["height"] / 2 < 500, r
    the_bar.get_by_role("button", name="Chat").click()
    expect(visitor.get_by_role("log")).to_be_visible()
    wait_until(visitor, "Email uncovered", lambda: field_uncovered(visitor, demo, "Email"))
    # The visitor can put it away.
    visitor.get_by_role("button", name="Hide").click()
    expect(visitor.get_by_role("log")).to_be_hidden()

    # 2. The agent asks for control while the visitor is in "Gross salary".
    place_field(frame, "Gross salary", 420)
    agent.get_by_role("button", name="Request control").click()
    expect(visitor.get_by_role("button", name="Allow control")).to_be_visible()
    wait_until(
        visitor,
        "Gross salary uncovered by the control request",
        lambda: field_uncovered(visitor, demo, "Gross salary"),
    )
    visitor.get_by_role("button", name="Deny").click()
    expect(visitor.get_by_role("button", name="Allow control")).to_be_hidden()

    # 3. The agent offers a file while the visitor is in "Full name", high in the window.
    place_field(frame, "Full name", 150)
    offer(agent, "guide.txt", b"Form 16 guide", "text/plain")
    expect(visitor.get_by_role("dialog", name="A file for you")).to_be_visible()
    wait_until(visitor, "Full name uncovered", lambda: field_uncovered(visitor, demo, "Full name"))
    # One panel at a time: the chat, opened again, waits behind the offer.
    the_bar.get_by_role("button", name="Chat").click()
    expect(visitor.get_by_role("log")).to_be_hidden()
    dialog = visitor.get_by_role("dialog", name="A file for you")
    dialog.get_by_role("button", name="Decline").click()
    expect(visitor.get_by_role("log")).to_be_visible()
    # Stop was never covered.
    stop = the_bar.get_by_role("button", name="Stop")
    s = box(stop)
    at = [s["x"] + s["width"] / 2, s["y"] + 5]
    assert visitor.evaluate("([x, y]) => document.elementFromPoint(x, y)?.tagName", at) == (
        "COBROWSE-WIDGET"
    )
    stop.click()
    expect(agent.get_by_text("ended").first).to_be_visible()


LONG = (
    "Namaste! Please open the File ITR page, fill in your gross salary from Form 16, "
    "check the bank account number twice, and then press Save before you submit anything."
)


def test_an_agent_s_message_is_shown_and_read_out(pair: Pair, demos: Callable[[str], Demo]) -> None:
    """The same in both modes (the toast is the top page's), so inline only."""
    demo = demos("inline")
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/login")
    field = visitor.get_by_label("PAN")
    field.click()
    field.press_sequentially("AAAP")

    agent.get_by_label("Message").fill(LONG)
    agent.get_by_role("button", name="Send").click()
    toast = visitor.locator(".cb-chat-toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Asha Rao")
    expect(toast).to_contain_text("Namaste! Please open the File ITR page")
    shown = toast.locator(".cb-chat-toast-text").inner_text()
    assert shown.endswith("…") and len(shown) < len(LONG), shown
    # Said to screen readers, in full, politely.
    live = visitor.locator("#cb-announce")
    assert live.get_attribute("aria-live") == "polite"
    assert live.get_attribute("role") == "status"
    expect(live).to_have_text(f"Message from Asha Rao: {LONG}")
    # The visitor keeps typing where they were: no focus was taken.
    expect(field).to_be_focused()
    field.press_sequentially("Z9876K")
    expect(field).to_have_value(PAN)
    # The badge is still there for later.
    expect(bar(visitor).get_by_role("button", name="Chat")).to_contain_text("1")

    # Hovered, it stays; Reply opens the chat with the whole message.
    toast.hover()
    toast.get_by_role("button", name="Reply").click()
    log = visitor.get_by_role("log")
    expect(log).to_contain_text(LONG)
    expect(toast).to_be_hidden()
    expect(visitor.get_by_label("Message")).to_be_focused()

    # With the chat open, a message goes to the log only.
    agent.get_by_label("Message").fill("Thank you")
    agent.get_by_role("button", name="Send").click()
    expect(log).to_contain_text("Thank you")
    expect(toast).to_be_hidden()

    # Closed again: the next message shows, then goes by itself.
    visitor.get_by_role("button", name="Hide").click()
    agent.get_by_label("Message").fill("Shall I wait?")
    agent.get_by_role("button", name="Send").click()
    expect(toast).to_contain_text("Shall I wait?")
    visitor.mouse.move(5, 5)
    expect(toast).to_be_hidden(timeout=30_000)
