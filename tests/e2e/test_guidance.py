"""Guidance, chat and control in Chromium (issue 4), in both modes.

The agent's console (1024x700) and the visitor's tab (1280x800) differ in size: every
mark is placed relative to an element, so it lands on the same spot anyway.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
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


def hover_mirror(agent: Page, target: Locator, fx: float = 0.5, fy: float = 0.5) -> None:
    # The mirror may re-render the element (e.g. a list redrawn with innerHTML) between
    # finding it and measuring it: wait until it is there to be measured.
    expect(target).to_be_visible()
    box = target.bounding_box()
    assert box is not None
    agent.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=3)


def click_mirror(agent: Page, target: Locator) -> None:
    hover_mirror(agent, target)
    agent.mouse.down()
    agent.mouse.up()


def near(page: Page, locator: Locator, x: float, y: float, tolerance: float = 12) -> None:
    """Wait until `locator`'s top-left corner is within `tolerance` px of (x, y)."""
    deadline = time.monotonic() + 10
    while True:
        box = locator.bounding_box()
        if box and abs(box["x"] - x) < tolerance and abs(box["y"] - y) < tolerance:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{box} is not near {(x, y)}")
        page.wait_for_timeout(50)


def test_guidance_chat_and_control(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")

    # The agent's pointer with the agent's name, on the same element of the page.
    heading = view.get_by_role("heading", level=1)
    hover_mirror(agent, heading, 0.1, 0.5)
    pointer = page.get_by_role("img", name="Asha Rao's pointer")
    expect(pointer).to_be_visible()
    expect(pointer).to_contain_text("Asha Rao")
    h1 = page.get_by_role("heading", level=1).bounding_box()
    assert h1 is not None
    # the arrow's tip is 3 px right of and 2 px below the pointer's corner
    near(visitor, pointer, h1["x"] + h1["width"] * 0.1 - 3, h1["y"] + h1["height"] * 0.5 - 2)

    # Highlight: an outline around the element the agent clicked.
    agent.get_by_role("button", name="Highlight").click()
    click_mirror(agent, heading)
    box = page.locator(".cbg-box")
    expect(box).to_be_visible()
    # the outline is 4 px outside the element's box
    near(visitor, box, h1["x"] - 4, h1["y"] - 4, tolerance=8)
    agent.get_by_role("button", name="Clear").click()
    expect(box).to_be_hidden()
    agent.get_by_role("button", name="Pointer").click()

    # Chat both ways, with an unread count on the visitor's side.
    agent.get_by_label("Message").fill("Namaste, I am Asha.")
    agent.get_by_role("button", name="Send").click()
    chat_button = visitor.get_by_role("button", name="Chat")
    expect(chat_button).to_contain_text("1")
    chat_button.click()
    log = visitor.get_by_role("log")
    expect(log).to_contain_text("Namaste, I am Asha.")
    visitor.get_by_label("Message").fill("Hello, I need help")
    visitor.get_by_role("button", name="Send").click()
    expect(agent.get_by_role("log")).to_contain_text("Hello, I need help")
    expect(log).to_contain_text("Hello, I need help")
    expect(log.locator(".cb-chat-msg")).to_have_count(2)
    chat_button.click()  # close

    # Control: request, allow, then the agent clicks, is refused on a masked field, types.
    agent.get_by_role("button", name="Request control").click()
    expect(agent.get_by_text("Waiting for the visitor…")).to_be_visible()
    expect(visitor.get_by_role("button", name="Deny")).to_be_visible()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    expect(visitor.get_by_role("button", name="Take back control")).to_be_visible()

    click_mirror(agent, view.get_by_role("link", name="Login").first)
    expect(page.get_by_label("PAN")).to_be_visible()
    expect(visitor.get_by_text(re.compile(r"Asha Rao clicked “Login”"))).to_be_visible()
    expect(view.get_by_role("button", name="Login")).to_be_visible()

    # The chat survived the page load (inline mode: a new widget), each message once.
    chat_button.click()
    expect(log.locator(".cb-chat-msg")).to_have_count(2)
    expect(log).to_contain_text("Namaste, I am Asha.")
    expect(log).to_contain_text("Hello, I need help")
    chat_button.click()

    click_mirror(agent, view.locator("input[data-cobrowse-masked]").first)
    refused = re.compile("Refused on the visitor.s side: this field is private")
    expect(agent.get_by_text(refused)).to_be_visible()
    expect(visitor.get_by_text(re.compile("could not use"))).to_be_visible()
    expect(page.get_by_label("PAN")).to_have_value("")

    # The visitor logs in; the agent types into the ITR form's Full name.
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(view.get_by_role("link", name="File ITR").first).to_be_visible()
    click_mirror(agent, view.get_by_role("link", name="File ITR").first)
    expect(page.get_by_label("Full name")).to_be_visible()
    expect(view.get_by_label("Full name")).to_be_visible()
    click_mirror(agent, view.get_by_label("Full name"))
    agent.keyboard.press("Control+A")  # the field is prefilled: replace its text
    agent.keyboard.type("Meera Iyer")
    expect(page.get_by_label("Full name")).to_have_value("Meera Iyer")
    expect(view.get_by_label("Full name")).to_have_value("Meera Iyer")

    # Escape takes back control.
    page.get_by_label("Email").click()
    visitor.keyboard.press("Escape")
    expect(visitor.get_by_role("button", name="Take back control")).to_be_hidden()
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()


def test_the_agent_sees_the_visitor_s_pointer_clicks_selection_and_focus(
    pair: Pair, demo: Demo
) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    frame = mirror_frame(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")

    # The visitor's pointer: at the same spot of the same element in the mirror.
    heading = page.get_by_role("heading", level=1)
    box = heading.bounding_box()
    assert box is not None
    visitor.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5, steps=4)
    cursor = agent.get_by_role("img", name=re.compile("Visitor.s pointer"))
    mirrored = view.get_by_role("heading", level=1).bounding_box()
    assert mirrored is not None
    near(
        agent,
        cursor,
        mirrored["x"] + mirrored["width"] * 0.25,
        mirrored["y"] + mirrored["height"] * 0.5,
        tolerance=6,
    )

    # A click: a ring where the visitor clicked.
    lead = page.locator("p.lead")
    lead.click()
    agent.wait_for_function("() => document.querySelector('.mirror-stage .visitor-click') !== null")
    ring = agent.locator(".mirror-stage .visitor-click").first.bounding_box()
    target = view.locator("p.lead").bounding_box()
    assert ring is not None and target is not None
    cx, cy = ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2
    assert target["x"] <= cx <= target["x"] + target["width"]
    assert target["y"] <= cy <= target["y"] + target["height"]

    # A selection: the same text is selected in the mirror.
    surface_frame(visitor, demo).evaluate(
        """() => {
          const range = document.createRange();
          range.selectNodeContents(document.querySelector('h1'));
          const selection = document.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }"""
    )
    selected = heading.inner_text().strip()
    wait_in_mirror(frame, f"() => document.getSelection().toString().trim() === {selected!r}")

    # Focus: the field the visitor is in is outlined in the mirror.
    page.get_by_label("Annual salary (₹)").focus()
    expect(view.get_by_label("Annual salary (₹)")).to_have_attribute("data-cobrowse-focus", "")
    page.get_by_role("link", name="Track refund").focus()
    expect(view.get_by_role("link", name="Track refund")).to_have_attribute(
        "data-cobrowse-focus", ""
    )
    expect(view.get_by_label("Annual salary (₹)")).not_to_have_attribute("data-cobrowse-focus", "")
    assert pair.visitor_errors == []


def test_laser_fades_and_drawings_follow_the_page(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    heading = view.get_by_role("heading", level=1)
    expect(heading).to_contain_text("e-Filing")

    def drag(tool: str) -> None:
        agent.get_by_role("button", name=tool, exact=True).click()
        box = heading.bounding_box()
        assert box is not None
        agent.mouse.move(box["x"] + 5, box["y"] + 3)  # a diagonal: a box of some height
        agent.mouse.down()
        agent.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] - 3, steps=8)
        agent.mouse.up()

    # A laser stroke shows, then fades away by itself.
    drag("Laser")
    laser = page.locator(".cbg-laser")  # one polyline per streamed chunk
    expect(laser.first).to_be_attached()
    expect(laser).to_have_count(0, timeout=15_000)

    # A drawing stays, on the heading, and moves with it when the visitor scrolls.
    drag("Draw")
    mark = page.locator(".cbg-draw").first
    h1 = page.get_by_role("heading", level=1)

    def offset() -> float:
        m, h = mark.bounding_box(), h1.bounding_box()
        assert m is not None and h is not None
        return m["y"] - h["y"]

    expect(mark).to_be_visible()
    before = offset()
    assert -2 <= before <= h1.bounding_box()["height"]  # type: ignore[index]
    surface_frame(visitor, demo).evaluate("() => window.scrollTo(0, 120)")
    deadline = time.monotonic() + 10
    while abs(offset() - before) > 2:  # redrawn on the next frame after the scroll
        assert time.monotonic() < deadline, f"the mark stayed behind: {offset()} vs {before}"
        visitor.wait_for_timeout(50)
    agent.get_by_role("button", name="Clear").click()
    expect(page.locator(".cbg-draw")).to_have_count(0)


def test_the_agent_navigates_the_visitor_s_tab(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    address = agent.get_by_label("Address")

    # An address of the site, relative to the visitor's page.
    address.fill("/login")
    agent.get_by_role("button", name="Open").click()
    expect(page.get_by_label("PAN")).to_be_visible()
    expect(view.get_by_role("button", name="Login")).to_be_visible()

    # Back, Forward, Reload.
    # (Each next step waits for the mirror: after a page load the visitor's page is back
    # on the line only once its snapshot arrives; an act sent before is answered
    # "visitor away", not queued.)
    agent.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    agent.get_by_role("button", name="Forward").click()
    expect(page.get_by_label("PAN")).to_be_visible()
    expect(view.get_by_role("button", name="Login")).to_be_visible()
    surface_frame(visitor, demo).evaluate("() => { window.beforeReload = true; }")
    agent.get_by_role("button", name="Reload").click()
    deadline = time.monotonic() + 15
    while True:  # the page was loaded again: its script state is gone
        try:
            if surface_frame(visitor, demo).evaluate("() => window.beforeReload !== true"):
                break
        except PlaywrightError:  # the frame is being replaced
            pass
        assert time.monotonic() < deadline, "the visitor's page was not reloaded"
        visitor.wait_for_timeout(100)
    expect(page.get_by_label("PAN")).to_be_visible()

    # An absolute address of the site works; another site is refused on both sides.
    address.fill(demo.portal + "/")
    agent.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    address.fill("https://elsewhere.example/phish")
    agent.get_by_role("button", name="Open").click()
    refused = re.compile("Refused on the visitor.s side: only pages of this site can be opened")
    expect(agent.get_by_text(refused)).to_be_visible()
    expect(visitor.get_by_text(re.compile("only pages of this site can be opened"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    assert pair.visitor_errors == []


def test_a_notice_does_not_move_the_mirror(pair: Pair, demo: Demo) -> None:
    """A notice line appearing above the mirror must not rescale it under the agent's aim."""
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    stage = agent.locator(".mirror-stage")
    before = stage.bounding_box()
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Deny").click()
    expect(agent.get_by_role("status").filter(has_text="did not give control")).to_be_visible()
    assert stage.bounding_box() == before
