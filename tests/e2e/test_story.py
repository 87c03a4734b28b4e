"""The whole story in Chromium: a taxpayer and an agent, PIN to Stop."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from playwright.sync_api import Frame, FrameLocator, Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, start_demo, stop_demo

pytestmark = pytest.mark.e2e

MIRROR = ".replayer-wrapper iframe"
PAN = "AAAPZ9876K"
PASSWORD = "demo1234"
AADHAAR = "234123412346"
ACCOUNT = "123456789012"
EMAIL = "meera@example.in"
PIN_RE = re.compile(r"(\d{3}) ?(\d{3})")


def mirror(agent: Page) -> FrameLocator:
    return agent.frame_locator(MIRROR)


def mirror_frame(agent: Page) -> Frame:
    handle = agent.locator(MIRROR).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def wait_in_mirror(frame: Frame, condition: str, timeout: float = 15.0) -> None:
    """Poll from here: the mirror frame runs no script, so no in-page timers either."""
    deadline = time.monotonic() + timeout
    while not frame.evaluate(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true in the mirror: {condition}")
        frame.page.wait_for_timeout(50)


OVERLAY = "iframe[title^='Co-browsing']"


def surface(visitor: Page, demo: Demo) -> Page | FrameLocator:
    """Where the visitor browses: the page itself, or in proxy mode the overlay over it."""
    return visitor.frame_locator(OVERLAY) if demo.mode == "proxy" else visitor


def surface_frame(visitor: Page, demo: Demo) -> Frame:
    if demo.mode != "proxy":
        return visitor.main_frame
    handle = visitor.locator(OVERLAY).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def ask_for_pin(visitor: Page) -> str:
    visitor.get_by_role("button", name="Co-browse").click()
    dialog = visitor.get_by_role("dialog")
    expect(dialog).to_contain_text(PIN_RE)
    expect(dialog).to_contain_text("Valid for")
    match = PIN_RE.search(dialog.inner_text())
    assert match is not None
    return match.group(1) + match.group(2)


def agent_joins(agent: Page, demo: Demo, pin: str) -> None:
    agent.goto(demo.agent_link())
    expect(agent).to_have_url(re.compile(r"/console$"))
    agent.get_by_label("PIN").fill(pin)
    agent.get_by_role("button", name="Join").click()


def start(pair: Pair, demo: Demo, path: str = "/") -> str:
    pair.visitor.goto(demo.portal + path)
    pin = ask_for_pin(pair.visitor)
    agent_joins(pair.agent, demo, pin)
    dialog = pair.visitor.get_by_role("dialog")
    expect(dialog).to_contain_text("Asha Rao")
    pair.visitor.get_by_role("button", name="Allow").click()
    expect(pair.visitor.get_by_role("button", name="Stop")).to_be_visible()
    return pin


def recorded_values(frames: list[str]) -> set[str]:
    """Every input value rrweb recorded: input events and `value` attributes."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str) and node.get("source") == 5:
                found.add(node["text"])
            attributes = node.get("attributes")
            if isinstance(attributes, dict) and isinstance(attributes.get("value"), str):
                found.add(attributes["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for text in frames:
        walk(json.loads(text))
    return found


def sent_types(pair: Pair) -> list[str]:
    return [json.loads(f).get("t") for f in pair.visitor_frames.sent]


def test_the_whole_story(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    visitor.goto(demo.portal + "/")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    assert pair.visitor_frames.sent == []  # nothing before the button

    pin = ask_for_pin(visitor)
    agent_joins(agent, demo, pin)
    expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    expect(visitor.get_by_role("button", name="Deny")).to_be_visible()
    expect(agent.get_by_text("Waiting for the visitor").first).to_be_visible()
    # Before Allow, the visitor's browser has said nothing but hello.
    assert sent_types(pair) == ["hello"]
    assert all(json.loads(f)["t"] != "events" for f in pair.agent_frames.received)

    visitor.get_by_role("button", name="Allow").click()
    bar = visitor.get_by_role("region", name="Co-browsing")
    expect(bar).to_contain_text("Asha Rao")
    expect(bar.get_by_role("button", name="Stop")).to_be_visible()
    page = surface(visitor, demo)
    if demo.mode == "proxy":  # the overlay: the same page, through the proxy
        expect(visitor.locator(OVERLAY)).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_contain_text("e-Filing")
        assert ".cobrowse.demo.localhost:" in surface_frame(visitor, demo).url

    # The mirror: same page, same viewport size, styles, images and fonts.
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    expect(agent.locator(MIRROR)).to_have_attribute("width", "1280")
    expect(agent.locator(MIRROR)).to_have_attribute("height", "800")
    style = "el => { const s = getComputedStyle(el); return [s.color, s.fontFamily, s.fontSize]; }"
    frame = mirror_frame(agent)
    assert frame.locator("h1").evaluate(style) == page.locator("h1").evaluate(style)
    wait_in_mirror(
        frame,
        "() => [...document.images].length > 0 && [...document.images].every("
        "i => i.complete && i.naturalWidth > 0)",
    )
    wait_in_mirror(
        frame,
        "() => [...document.fonts].some(f => f.family.includes('Mukta') && f.status === 'loaded')",
    )

    # Scroll follows.
    visited = surface_frame(visitor, demo)
    visited.evaluate("() => window.scrollTo(0, 300)")
    visited.wait_for_function("() => window.scrollY === 300")
    wait_in_mirror(frame, "() => document.scrollingElement.scrollTop === 300")

    # A full page load: the login page, with masked PAN and password.
    page.get_by_role("link", name="Login").first.click()
    expect(view.get_by_role("button", name="Login")).to_be_visible()
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    # Masked fields arrive as same-size placeholders without their value or id.
    masked = view.locator("input[data-cobrowse-masked]")
    expect(masked).to_have_count(2)
    size = "el => [el.offsetWidth, el.offsetHeight]"
    for i, label in enumerate(("PAN", "Password")):
        expect(masked.nth(i)).to_have_value("")
        assert masked.nth(i).evaluate(size) == page.get_by_label(label).evaluate(size)
    page.get_by_role("button", name="Login").click()

    # Dashboard, then an in-page change made with fetch and pushState.
    expect(view.get_by_role("link", name="File ITR")).to_be_visible()
    page.get_by_role("tab", name="Refund status").click()
    expect(page.get_by_text("Refunds by assessment year")).to_be_visible()
    assert surface_frame(visitor, demo).url.endswith("/dashboard/refund-status")
    expect(view.get_by_text("Refunds by assessment year")).to_be_visible()

    # The ITR form: typed values show, masked ones never do.
    page.get_by_role("link", name="File ITR").first.click()
    expect(view.get_by_label("Full name")).to_be_visible()
    page.get_by_label("Full name").fill("Meera Iyer")
    page.get_by_label("Aadhaar").fill(AADHAAR)
    page.get_by_label("Bank account number").fill(ACCOUNT)
    page.get_by_label("Email").fill(EMAIL)
    expect(view.get_by_label("Full name")).to_have_value("Meera Iyer")
    # An e-mail address is masked wherever it appears (a default value pattern): the
    # agent sees the field with its letters and digits as stars.
    expect(view.get_by_label("Email")).to_have_value("*****@*******.**")
    masked = view.locator("input[data-cobrowse-masked]")
    expect(masked).to_have_count(3)  # PAN, Aadhaar, bank account
    for i in range(3):
        expect(masked.nth(i)).to_have_value("")

    # Stop: the mirror goes, the console says so, every token dies.
    bar.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text(re.compile("ended"))).to_be_visible()
    expect(agent.locator(MIRROR)).to_have_count(0)
    expect(agent.locator(".replayer-wrapper")).to_have_count(0)
    expect(visitor.get_by_role("region", name="Co-browsing")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Co-browse")).to_be_visible()
    if demo.mode == "proxy":  # back on the real site, at the page the visitor had reached
        expect(visitor.locator(OVERLAY)).to_have_count(0)
        expect(visitor).to_have_url(
            re.compile(re.escape(demo.portal) + r"/(itr|login\?next=(/|%2F)itr)")
        )
    agent.get_by_label("PIN").fill(pin)
    agent.get_by_role("button", name="Join").click()
    expect(agent.get_by_role("alert")).to_contain_text("not valid")

    # Masked values never left the visitor's browser: not in any frame, nor in the log.
    everything = pair.visitor_frames.all_text() + pair.agent_frames.all_text() + demo.log_text()
    for secret in (PAN, AADHAAR, ACCOUNT, EMAIL):
        assert secret not in everything
    # The demo prints its password on the login page, so look where a typed one would be.
    assert PASSWORD not in recorded_values(pair.visitor_frames.sent)
    assert "Meera Iyer" in recorded_values(pair.visitor_frames.sent)
    assert pair.visitor_errors == []


def test_leave_ends_it_for_the_visitor(pair: Pair, demo: Demo) -> None:
    start(pair, demo)
    expect(mirror(pair.agent).get_by_role("heading", level=1)).to_be_visible()
    pair.agent.get_by_role("button", name="Leave").click()
    expect(pair.agent.get_by_text(re.compile("ended"))).to_be_visible()
    expect(pair.agent.locator(MIRROR)).to_have_count(0)
    expect(pair.visitor.get_by_role("region", name="Co-browsing")).to_have_count(0)
    expect(pair.visitor.get_by_role("button", name="Co-browse")).to_be_visible()


def test_deny_shows_the_agent_nothing(pair: Pair, demo: Demo) -> None:
    pair.visitor.goto(demo.portal + "/")
    agent_joins(pair.agent, demo, ask_for_pin(pair.visitor))
    pair.visitor.get_by_role("button", name="Deny").click()
    expect(pair.agent.get_by_text(re.compile("ended"))).to_be_visible()
    expect(pair.agent.locator(MIRROR)).to_have_count(0)
    assert sent_types(pair) == ["hello", "consent"]
    assert all(json.loads(f)["t"] != "events" for f in pair.agent_frames.received)


def test_consent_survives_a_navigation_before_the_answer(pair: Pair, demo: Demo) -> None:
    pair.visitor.goto(demo.portal + "/")
    agent_joins(pair.agent, demo, ask_for_pin(pair.visitor))
    expect(pair.visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    pair.visitor.reload()
    expect(pair.visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    pair.visitor.get_by_role("button", name="Allow").click()
    expect(mirror(pair.agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")


def test_a_reloaded_console_sees_the_page_at_once(pair: Pair, demo: Demo) -> None:
    start(pair, demo, "/login")
    expect(mirror(pair.agent).get_by_role("button", name="Login")).to_be_visible()
    pair.agent.reload()
    expect(mirror(pair.agent).get_by_role("button", name="Login")).to_be_visible()
    pair.visitor.get_by_role("button", name="Stop").click()
    expect(pair.agent.get_by_text(re.compile("ended"))).to_be_visible()


def test_closing_the_tab_ends_the_session_after_the_grace_period(pair: Pair, demo: Demo) -> None:
    start(pair, demo)
    expect(mirror(pair.agent).get_by_role("heading", level=1)).to_be_visible()
    pair.visitor.close()
    expect(pair.agent.get_by_text(re.compile("ended"))).to_be_visible(timeout=30_000)
    expect(pair.agent.locator(MIRROR)).to_have_count(0)


def test_wrong_pin_gets_a_clear_message(pair: Pair, demo: Demo) -> None:
    pair.agent.goto(demo.agent_link())
    pair.agent.get_by_label("PIN").fill("000 000")
    pair.agent.get_by_role("button", name="Join").click()
    expect(pair.agent.get_by_role("alert")).to_contain_text("not valid")


def test_the_console_needs_a_sign_in(pair: Pair, demo: Demo) -> None:
    pair.agent.goto(demo.server + "/console")
    expect(pair.agent.get_by_text("not signed in")).to_be_visible()
    expect(pair.agent.get_by_label("PIN")).to_be_hidden()


def test_expired_pin(pair: Pair, short_pin_demo: Demo) -> None:
    pair.visitor.goto(short_pin_demo.portal + "/")
    pin = ask_for_pin(pair.visitor)
    expect(pair.visitor.get_by_text(re.compile("expired"))).to_be_visible(timeout=30_000)
    agent_joins(pair.agent, short_pin_demo, pin)
    expect(pair.agent.get_by_role("alert")).to_contain_text("not valid")


def test_a_page_too_large_to_share_ends_with_a_clear_message(
    pair: Pair, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A snapshot over `limits.visitor_message_bytes` is refused (1009): the widget
    says why and ends the session, instead of reconnecting and resending it forever."""
    small = {"COBROWSE_LIMITS_VISITOR_MESSAGE_BYTES": "4096"}  # the home page is more
    demo = start_demo(tmp_path_factory.mktemp("small-frames"), small, mode="inline")
    try:
        sockets: list[str] = []
        pair.visitor.on("websocket", lambda ws: sockets.append(ws.url))
        start(pair, demo, "/")
        expect(pair.visitor.get_by_text("This page is too large to share")).to_be_visible()
        expect(pair.agent.get_by_text(re.compile("ended"))).to_be_visible()
        expect(pair.agent.locator(MIRROR)).to_have_count(0)
        opened = len(sockets)
        pair.visitor.wait_for_timeout(1500)  # longer than the first reconnect delays
        assert len(sockets) == opened, "the widget reconnected to send the page again"
    finally:
        stop_demo(demo)


def test_cli_agent_link_signs_an_agent_in(pair: Pair, demo: Demo) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cobrowse.cli",
            "agent-link",
            "--agent",
            "Ravi Kumar",
            "--data-dir",
            str(demo.data_dir),
            "--base-url",
            demo.server,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out.startswith(demo.server + "/agent/signin?token=")
    pair.agent.goto(out)
    expect(pair.agent.get_by_text("Ravi Kumar")).to_be_visible()
    pair.agent.goto(out)  # single use
    expect(pair.agent.get_by_text("already used")).to_be_visible()
