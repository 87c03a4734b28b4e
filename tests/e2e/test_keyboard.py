"""The widget and the console with the keyboard alone (issue 4), both modes: no mouse
event is sent by either side in this test, only key presses."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_story import PIN_RE, mirror, surface

pytestmark = pytest.mark.e2e

IS_FOCUSED = "e => e.getRootNode().activeElement === e"


def tab_to(page: Page, target: Locator, key: str = "Tab", limit: int = 60) -> None:
    """Press `key` until `target` has the focus (it must be reachable within `limit`)."""
    expect(target).to_be_visible()
    for _ in range(limit):
        if target.evaluate(IS_FOCUSED):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{target} was not reached with {key} in {limit} presses")


def focused(target: Locator) -> None:
    expect(target).to_be_visible()
    assert target.evaluate(IS_FOCUSED), f"{target} does not have the focus"


def test_widget_and_console_with_the_keyboard_alone(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    visitor.goto(demo.portal + "/")

    # The visitor reaches the button with Tab and presses Enter; the PIN dialog takes
    # the focus, so a screen reader reads it; Escape would cancel it.
    tab_to(visitor, visitor.get_by_role("button", name="Co-browse"))
    visitor.keyboard.press("Enter")
    dialog = visitor.get_by_role("dialog")
    expect(dialog).to_contain_text(PIN_RE)
    match = PIN_RE.search(dialog.inner_text())
    assert match is not None
    pin = match.group(1) + match.group(2)
    focused(dialog)

    # The agent: the PIN field has the focus after sign-in; Enter joins.
    agent.goto(demo.agent_link())
    expect(agent).to_have_url(re.compile(r"/console$"))
    tab_to(agent, agent.get_by_label("PIN"))
    agent.keyboard.type(pin)
    agent.keyboard.press("Enter")

    # The consent dialog takes the focus; Tab reaches Allow; Enter allows.
    consent = visitor.get_by_role("dialog")
    expect(consent).to_contain_text("Asha Rao")
    focused(consent)
    allow = consent.get_by_role("button", name="Allow")
    tab_to(visitor, allow)
    visitor.keyboard.press("Enter")
    expect(visitor.get_by_role("button", name="Stop")).to_be_visible()
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")

    # Chat from the console: Tab to the message field, type, Enter sends.
    tab_to(agent, agent.get_by_label("Message"))
    agent.keyboard.type("Shall I open the calculator for you?")
    agent.keyboard.press("Enter")
    chat = visitor.get_by_role("button", name="Chat")
    expect(chat).to_contain_text("1")
    tab_to(visitor, chat)
    visitor.keyboard.press("Enter")
    expect(visitor.get_by_role("log")).to_contain_text("Shall I open the calculator")
    tab_to(visitor, visitor.get_by_label("Message"))
    visitor.keyboard.type("Yes please")
    visitor.keyboard.press("Enter")
    expect(agent.get_by_role("log")).to_contain_text("Yes please")

    # Control: requested and allowed with keys.
    tab_to(agent, agent.get_by_role("button", name="Request control"))
    agent.keyboard.press("Enter")
    allow_control = visitor.get_by_role("button", name="Allow control")
    tab_to(visitor, allow_control)
    visitor.keyboard.press("Enter")
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()

    # With control, the agent works the visitor's page from the keyboard: the mirror
    # takes keys; Tab moves the visitor's focus, typing fills the focused field.
    page = surface(visitor, demo)
    salary = page.get_by_label("Annual salary (₹)")
    tab_to(agent, agent.get_by_role("application", name=re.compile("Visitor's page")))
    for _ in range(80):
        if salary.evaluate(IS_FOCUSED):
            break
        agent.keyboard.press("Tab")
        # each Tab is applied (and the visitor told) before the next one is judged
        expect(view.locator("[data-cobrowse-focus]")).to_have_count(1)
    focused(salary)
    # The agent types once the live view shows the visitor's focus in the field.
    expect(view.get_by_label("Annual salary (₹)")).to_have_attribute("data-cobrowse-focus", "")
    agent.keyboard.type("1250000")
    expect(salary).to_have_value("1250000")
    expect(page.locator("#calc-result")).to_contain_text("₹")
    expect(view.get_by_label("Annual salary (₹)")).to_have_value("1250000")

    # Escape gives control back to the visitor at once.
    visitor.keyboard.press("Escape")
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()

    # Stop with the keyboard ends the session for both.
    tab_to(visitor, visitor.get_by_role("button", name="Stop"))
    visitor.keyboard.press("Enter")
    expect(agent.get_by_text(re.compile("ended"))).to_be_visible()
    expect(visitor.get_by_role("button", name="Co-browse")).to_be_visible()
    assert pair.visitor_errors == []
