"""The agent console people enjoy (issue 13), in Chromium, inline mode: the mirror stays
put when control comes and goes, the status line says the true state, notices have
kinds, zoom / fit width / full screen / hide chat (remembered), one-shot tools, the
agent's own highlight, and the console and /start page in Hindi."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import Pair, open_pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_guidance import click_mirror, hover_mirror
from tests.e2e.test_story import MIRROR, ask_for_pin, mirror, start, surface

pytestmark = pytest.mark.e2e

STATUS = "#session-status"


def box(locator: Locator) -> dict[str, float]:
    b = locator.bounding_box()
    assert b is not None
    return b


def settled_box(page: Page, locator: Locator) -> dict[str, float]:
    """The box once it holds still (the mirror is placed after each page update)."""
    last = box(locator)
    deadline = time.monotonic() + 10
    while True:
        page.wait_for_timeout(100)
        now = box(locator)
        if now == last:
            return now
        assert time.monotonic() < deadline, f"the mirror keeps moving: {last} → {now}"
        last = now


def grant_control(pair: Pair) -> None:
    pair.agent.get_by_role("button", name="Request control").click()
    pair.visitor.get_by_role("button", name="Allow control").click()
    expect(pair.agent.get_by_role("button", name="Release control")).to_be_visible()


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)], ids=["1280x800", "1024x768"])
def test_the_mirror_stays_put_and_the_status_says_the_truth(
    browser: Browser, demos: Callable[[str], Demo], size: tuple[int, int]
) -> None:
    demo = demos("inline")
    with open_pair(browser, agent_size=size) as pair:
        agent = pair.agent
        start(pair, demo, "/")
        expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
        frame = agent.locator(MIRROR)
        toolbar = agent.get_by_role("toolbar", name="Guidance and control")
        status = agent.locator(STATUS)
        expect(status).to_have_text(re.compile("^Live: you are viewing"))
        before, bar = settled_box(agent, frame), box(toolbar)

        # Requested: the status says so, and nothing moves.
        agent.get_by_role("button", name="Request control").click()
        expect(status).to_have_text(re.compile("control requested"))
        expect(agent.get_by_text("Waiting for the visitor…")).to_be_visible()
        assert box(frame) == before and box(toolbar) == bar

        # Granted: "you have control", a success notice (a status, not an alert, not red).
        pair.visitor.get_by_role("button", name="Allow control").click()
        expect(agent.get_by_role("button", name="Release control")).to_be_visible()
        expect(status).to_have_text(re.compile("^Live: you have control"))
        notice = agent.get_by_role("status").filter(has_text="You have control:")
        expect(notice).to_be_visible()
        assert agent.get_by_role("alert").filter(has_text="You have control:").count() == 0
        note = notice.locator(".console-notice")
        expect(note).to_have_attribute("data-kind", "success")
        red, green, _ = rgb(note.evaluate("e => getComputedStyle(e).color"))
        assert green > red, "a positive notice must not be red"
        # Navigation, disabled before, is enabled in place.
        expect(agent.get_by_role("button", name="Reload")).to_be_enabled()
        assert box(frame) == before and box(toolbar) == bar, "the mirror moved when control came"

        # Released: viewing again, still in place.
        agent.get_by_role("button", name="Release control").click()
        expect(status).to_have_text(re.compile("^Live: you are viewing"))
        expect(agent.get_by_role("button", name="Reload")).to_be_disabled()
        assert box(frame) == before and box(toolbar) == bar, "the mirror moved when control went"

        # An error notice is an alert, in another colour.
        grant_control(pair)
        click_mirror(agent, mirror(agent).get_by_role("link", name="Login").first)
        expect(mirror(agent).get_by_role("button", name="Login")).to_be_visible()
        click_mirror(agent, mirror(agent).locator("input[data-cobrowse-masked]").first)
        refusal = agent.get_by_role("alert").filter(has_text="Refused on the visitor")
        expect(refusal).to_be_visible()
        expect(refusal.locator(".console-notice")).to_have_attribute("data-kind", "error")
        assert box(toolbar) == bar


def rgb(css: str) -> tuple[int, int, int]:
    parts = [int(float(x)) for x in re.findall(r"[\d.]+", css)[:3]]
    return parts[0], parts[1], parts[2]


def zoom_level(agent: Page) -> int:
    text = agent.locator(".zoom-level").inner_text()
    assert text.endswith("%"), text
    return int(text[:-1])


def test_zoom_fit_width_full_screen_and_hide_chat(pair: Pair, demos: Callable[[str], Demo]) -> None:
    demo = demos("inline")
    agent = pair.agent  # 1024x700, the visitor 1280x800: the mirror starts scaled down
    start(pair, demo, "/")
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    frame = agent.locator(MIRROR)
    area = agent.get_by_role("region", name="Visitor's screen")
    fit_page = agent.get_by_role("button", name="Fit page")
    expect(fit_page).to_have_attribute("aria-pressed", "true")
    expect(agent.locator(".zoom-level")).to_have_text(re.compile(r"^\d+%$"))
    start_level = zoom_level(agent)
    assert start_level < 80
    start_width = settled_box(agent, frame)["width"]
    assert abs(start_width - 1280 * start_level / 100) <= 13

    # Zoom in with the button, out with the keyboard: the percentage follows the mirror.
    agent.get_by_role("button", name="Zoom in").click()
    expect(agent.locator(".zoom-level")).not_to_have_text(f"{start_level}%")
    bigger = zoom_level(agent)
    assert bigger > start_level
    expect(fit_page).to_have_attribute("aria-pressed", "false")
    assert abs(settled_box(agent, frame)["width"] - 1280 * bigger / 100) <= 2
    agent.keyboard.press("Alt+Minus")
    expect(agent.locator(".zoom-level")).not_to_have_text(f"{bigger}%")
    assert zoom_level(agent) < bigger
    agent.keyboard.press("Alt+0")
    expect(agent.locator(".zoom-level")).to_have_text(f"{start_level}%")
    expect(fit_page).to_have_attribute("aria-pressed", "true")

    # Hide chat: the panel goes and the mirror gets the room; Fit width fills it.
    aside = agent.locator("#chat-aside")
    expect(aside).to_be_visible()
    agent.get_by_role("button", name="Hide chat").click()
    expect(aside).to_be_hidden()
    expect(agent.get_by_role("button", name="Show chat")).to_be_visible()
    agent.get_by_role("button", name="Fit width").click()
    expect(agent.get_by_role("button", name="Fit width")).to_have_attribute("aria-pressed", "true")
    wide = settled_box(agent, frame)
    room = area.evaluate(
        "a => a.clientWidth - parseFloat(getComputedStyle(a).paddingLeft)"
        " - parseFloat(getComputedStyle(a).paddingRight)"
    )
    assert abs(wide["width"] - room) <= 2, (wide, room)
    assert wide["width"] > start_width + 200  # the chat's room went to the mirror

    # A message from the visitor while the chat is hidden: a notice, and a count on the button.
    visitor_chat = pair.visitor.get_by_role("button", name="Chat")
    visitor_chat.click()
    pair.visitor.get_by_label("Message").fill("Is my refund on the way?")
    pair.visitor.get_by_role("button", name="Send").click()
    expect(agent.get_by_role("status").filter(has_text="Is my refund on the way?")).to_be_visible()
    expect(agent.get_by_role("button", name=re.compile(r"Show chat \(1 unread\)"))).to_be_visible()

    # Remembered: after a reload (the console rejoins the session) the view is the same.
    agent.reload()
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    expect(agent.get_by_role("button", name="Fit width")).to_have_attribute("aria-pressed", "true")
    expect(aside).to_be_hidden()
    agent.get_by_role("button", name=re.compile("Show chat")).click()
    expect(aside).to_be_visible()
    expect(agent.get_by_role("log")).to_contain_text("Is my refund on the way?")

    # Full screen takes the session view, with the toolbar and a way out.
    agent.get_by_role("button", name="Full screen").click()
    expect(agent.get_by_role("button", name="Exit full screen")).to_be_visible()
    assert agent.evaluate("() => document.fullscreenElement?.id") == "view-session"
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()
    agent.get_by_role("button", name="Exit full screen").click()
    expect(agent.get_by_role("button", name="Full screen")).to_be_visible()
    assert agent.evaluate("() => document.fullscreenElement") is None


def drag(agent: Page, target: Locator) -> None:
    b = box(target)
    agent.mouse.move(b["x"] + 5, b["y"] + 3)
    agent.mouse.down()
    agent.mouse.move(b["x"] + b["width"] * 0.5, b["y"] + b["height"] - 3, steps=6)
    agent.mouse.up()


def test_tools_are_one_shot_and_the_agent_sees_their_highlight(
    pair: Pair, demos: Callable[[str], Demo]
) -> None:
    demo = demos("inline")
    agent = pair.agent
    start(pair, demo, "/")
    page = surface(pair.visitor, demo)
    view = mirror(agent)
    heading = view.get_by_role("heading", level=1)
    expect(heading).to_contain_text("e-Filing")
    pointer = agent.get_by_role("button", name="Pointer")
    draw = agent.get_by_role("button", name="Draw", exact=True)
    expect(pointer).to_have_attribute("aria-pressed", "true")

    # Draw: one stroke, then the tool is Pointer again (pressed, and said over the mirror).
    draw.click()
    expect(draw).to_have_attribute("aria-pressed", "true")
    expect(agent.locator(".tool-badge")).to_contain_text("Draw is on")
    drag(agent, heading)
    marks = page.locator(".cbg-draw")
    expect(marks.first).to_be_attached()
    expect(pointer).to_have_attribute("aria-pressed", "true")
    expect(draw).to_have_attribute("aria-pressed", "false")
    expect(agent.locator(".tool-badge")).to_be_hidden()
    drawn = marks.count()
    sent = len(pair.agent_frames.sent)
    drag(agent, heading)  # with Pointer: no drawing, only the pointer moves
    frames = pair.agent_frames.sent[sent:]
    assert not any('"draw"' in f for f in frames), frames
    assert marks.count() == drawn

    # Escape also puts the tool down.
    agent.get_by_role("button", name="Laser").click()
    agent.get_by_role("application", name=re.compile("Visitor's page")).focus()
    agent.keyboard.press("Escape")
    expect(pointer).to_have_attribute("aria-pressed", "true")

    # Highlight: the visitor's outline, and the same outline in the agent's mirror.
    agent.get_by_role("button", name="Highlight").click()
    click_mirror(agent, heading)
    expect(page.locator(".cbg-box")).to_be_visible()
    own = agent.locator(".own-highlight")
    expect(own).to_be_visible()
    expect(pointer).to_have_attribute("aria-pressed", "true")
    h, o = box(heading), box(own)
    scale = zoom_level(agent) / 100
    pad = 4 * scale
    assert abs(o["x"] - (h["x"] - pad)) <= 2 and abs(o["y"] - (h["y"] - pad)) <= 2, (h, o)
    assert abs(o["width"] - (h["width"] + 2 * pad)) <= 2, (h, o)
    # It follows the element when the visitor scrolls.
    pair.visitor.evaluate("() => window.scrollTo(0, 60)")
    deadline = time.monotonic() + 10
    while abs(box(own)["y"] - (box(heading)["y"] - pad)) > 2:
        assert time.monotonic() < deadline, "the agent's highlight stayed behind"
        agent.wait_for_timeout(50)
    # Clear: gone on both sides.
    agent.get_by_role("button", name="Clear").click()
    expect(page.locator(".cbg-box")).to_be_hidden()
    expect(own).to_have_count(0)

    # And when the visitor's page changes, the outline goes with the visitor's.
    agent.get_by_role("button", name="Highlight").click()
    click_mirror(agent, heading)
    expect(own).to_be_visible()
    pair.visitor.get_by_role("link", name="Login").first.click()
    expect(view.get_by_role("button", name="Login")).to_be_visible()
    expect(own).to_have_count(0)
    hover_mirror(agent, view.get_by_role("button", name="Login"))


def hindi_agent(browser: Browser) -> tuple[Any, Page]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="hi-IN")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    return ctx, page


def test_the_console_in_hindi(pair: Pair, browser: Browser, demos: Callable[[str], Demo]) -> None:
    demo = demos("inline")
    ctx, agent = hindi_agent(browser)  # the browser's language is Hindi
    try:
        pair.visitor.goto(demo.portal + "/")
        pin = ask_for_pin(pair.visitor)
        agent.goto(demo.agent_link())
        expect(agent.locator("html")).to_have_attribute("lang", "hi")
        expect(agent.get_by_role("heading", name="साथ में ब्राउज़िंग सत्र से जुड़ें")).to_be_visible()
        expect(agent).to_have_title("साथ में ब्राउज़िंग: एजेंट कंसोल")
        agent.get_by_label("पिन").fill("000 000")
        agent.get_by_role("button", name="जुड़ें").click()
        expect(agent.get_by_role("alert")).to_contain_text("यह पिन मान्य नहीं है")
        agent.get_by_label("पिन").fill(pin)
        agent.get_by_role("button", name="जुड़ें").click()
        pair.visitor.get_by_role("button", name="Allow").click()
        expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
        expect(agent.locator(STATUS)).to_have_text("लाइव: आप उपयोगकर्ता का टैब देख रहे हैं।")
        toolbar = agent.get_by_role("toolbar", name="मार्गदर्शन और नियंत्रण")
        for name in ("पॉइंटर", "हाइलाइट", "रेखा खींचें", "मिटाएँ", "नियंत्रण का अनुरोध करें"):
            expect(toolbar.get_by_role("button", name=name, exact=True)).to_be_visible()
        expect(agent.get_by_role("button", name="चैट छिपाएँ")).to_be_visible()
        expect(agent.get_by_role("button", name="सत्र छोड़ें")).to_be_visible()
        expect(agent.get_by_role("region", name="उपयोगकर्ता की स्क्रीन")).to_be_visible()
        # No English left in what the agent sees of the console (the mirror is the visitor's).
        shown = agent.evaluate(
            "() => { const c = document.body.cloneNode(true);"
            " c.querySelectorAll('.mirror-stage, #agent-name, #visitor-url, select, .zoom-level')"
            ".forEach(n => n.remove()); return c.innerText; }"
        )
        english = [w for w in re.findall(r"[A-Za-z]{3,}", shown) if w not in {"Escape", "CRM"}]
        assert english == [], english

        # The switch: English at once, in the same session, and remembered.
        agent.get_by_label("भाषा").select_option("en")
        expect(agent.locator(STATUS)).to_have_text(re.compile("^Live: you are viewing"))
        expect(agent.get_by_role("button", name="Request control")).to_be_visible()
        expect(agent.get_by_role("button", name="Leave")).to_be_visible()
        agent.reload()
        expect(agent.get_by_role("button", name="Leave")).to_be_visible()
        agent.get_by_label("Language").select_option("hi")
        agent.get_by_role("button", name="सत्र छोड़ें").click()
        expect(agent.locator("#notice")).to_contain_text("सत्र समाप्त हो गया (आपने सत्र छोड़ा)")
    finally:
        ctx.close()


def test_the_start_page_in_hindi(pair: Pair, demos: Callable[[str], Demo]) -> None:
    demo = demos("proxy")
    page = pair.visitor
    url = demo.portal + "/"
    page.set_extra_http_headers({"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"})
    page.goto(f"{demo.server}/start?url={url}")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", level=1)).to_have_text("हेल्पडेस्क के साथ ब्राउज़ करें")
    # The widget follows the page's language.
    expect(page.get_by_role("button", name=re.compile("ब्राउज़िंग"))).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Co-browse with the helpdesk")
    expect(page.get_by_role("button", name="Co-browse")).to_be_visible()
    expect(page.get_by_role("link", name="हिन्दी")).to_have_attribute("lang", "hi")
