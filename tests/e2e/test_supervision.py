"""A helpdesk lead's shift in Chromium: the Sessions list, a supervisor who watches a live
session (after the visitor allows), coaches the agent with a private note and takes the
session over; an agent who transfers a session to a colleague who accepts it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect

from cobrowse.core.roles import Role
from tests.e2e.conftest import Pair, unload
from tests.e2e.demo_process import Demo
from tests.e2e.test_story import MIRROR, ask_for_pin, mirror

pytestmark = pytest.mark.e2e

NOTE = "Ask her for the acknowledgement number first"


# Not a name other tests type into forms and then look for in the audit log
# (tests/e2e/test_audit.py): a supervisor's name is an actor there.
@contextmanager
def console(browser: Browser, demo: Demo, name: str, role: Role = Role.AGENT) -> Iterator[Page]:
    """Another helpdesk member's console, signed in through a CRM link."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(demo.agent_link(name, role=role))
        expect(page).to_have_url(re.compile(r"/console$"))
        yield page
    finally:
        unload(page)
        ctx.close()


def begin(pair: Pair, demo: Demo) -> str:
    """A live session whose agent has a name of its own: the demo is shared with other
    tests, whose sessions may still be live, and a supervisor sees them all."""
    name = f"Asha {secrets.token_hex(3)}"
    pair.visitor.goto(demo.portal + "/")
    pin = ask_for_pin(pair.visitor)
    pair.agent.goto(demo.agent_link(name))
    pair.agent.get_by_label("PIN").fill(pin)
    pair.agent.get_by_role("button", name="Join").click()
    expect(pair.visitor.get_by_role("dialog")).to_contain_text(name)
    pair.visitor.get_by_role("button", name="Allow").click()
    expect(pair.visitor.get_by_role("button", name="Stop")).to_be_visible()
    return name


def row_of(page: Page, agent: str):  # type: ignore[no-untyped-def]
    table = page.get_by_role("table", name="Sessions")
    return table.get_by_role("row").filter(has_text=agent)


def test_a_supervisor_watches_coaches_and_takes_over(
    pair: Pair, browser: Browser, proxy_demo: Demo
) -> None:
    demo = proxy_demo
    visitor, agent = pair.visitor, pair.agent
    asha = begin(pair, demo)
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    with console(browser, demo, "Kavita Menon", Role.SUPERVISOR) as lead:
        # The list shows the live session, updated without a reload.
        row = row_of(lead, asha)
        expect(row).to_contain_text(demo.portal)
        expect(row).to_contain_text("1280x800")
        row.get_by_role("button", name="Watch").click()
        expect(lead.locator("#session-status")).to_contain_text("allow you to watch")
        # The visitor is asked, and nothing is shown before they allow.
        ask = visitor.get_by_role("dialog", name="A supervisor asks to watch")
        expect(ask).to_contain_text("Kavita Menon")
        assert lead.locator(MIRROR).count() == 0
        ask.get_by_role("button", name="Allow").click()
        bar = visitor.get_by_role("region", name="Co-browsing")
        expect(bar).to_contain_text("Also watching: Kavita Menon")
        expect(mirror(lead).get_by_role("heading", level=1)).to_contain_text("e-Filing")
        expect(lead.locator("#session-status")).to_contain_text("Watching, view only")
        expect(agent.get_by_text("Also watching: Kavita Menon")).to_be_visible()
        # A watcher has no guidance or control tools.
        expect(lead.get_by_role("button", name="Request control")).to_be_hidden()

        # A private note: the agent reads it, the visitor's browser never gets it.
        notes = lead.locator(".notes-panel")
        notes.get_by_role("textbox", name="Note").fill(NOTE)
        notes.get_by_role("button", name="Send").click()
        expect(agent.locator(".notes-panel")).to_contain_text(NOTE)
        expect(agent.locator(".notes-panel")).to_contain_text("Kavita Menon")
        assert NOTE not in pair.visitor_frames.all_text()

        # Take over: Kavita becomes the agent, Asha is let go, the visitor is told.
        lead.get_by_role("button", name="Take over").click()
        expect(agent.get_by_text("Kavita Menon took over this session.")).to_be_visible()
        expect(agent.get_by_label("PIN")).to_be_visible()
        expect(bar).to_contain_text("Kavita Menon")
        expect(bar).not_to_contain_text("Also watching")
        expect(lead.get_by_role("button", name="Request control")).to_be_visible()
        expect(mirror(lead).get_by_role("heading", level=1)).to_contain_text("e-Filing")
        lead.get_by_role("button", name="Request control").click()
        visitor.get_by_role("button", name="Allow control").click()
        expect(lead.get_by_text(re.compile("you have control", re.I)).first).to_be_visible()
    assert pair.visitor_errors == []


def test_an_agent_transfers_a_session_and_the_other_accepts(
    pair: Pair, browser: Browser, proxy_demo: Demo
) -> None:
    demo = proxy_demo
    visitor, agent = pair.visitor, pair.agent
    asha = begin(pair, demo)
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    with console(browser, demo, "Ravi Kumar") as ravi:
        expect(ravi.get_by_role("heading", name="Sessions")).to_be_visible()
        # An agent sees only their own sessions: none yet.
        expect(row_of(ravi, asha)).to_have_count(0)
        agent.get_by_role("button", name="Transfer").click()
        dialog = agent.get_by_role("dialog", name="Transfer this session")
        dialog.get_by_label("Ravi Kumar").check()
        dialog.get_by_role("button", name="Offer the session").click()
        expect(agent.get_by_text("Offered to Ravi Kumar")).to_be_visible()
        offered = row_of(ravi, asha)
        expect(offered).to_contain_text(f"From {asha}")
        offered.get_by_role("button", name="Accept").click()
        expect(agent.get_by_text("The session was transferred to Ravi Kumar.")).to_be_visible()
        expect(mirror(ravi).get_by_role("heading", level=1)).to_contain_text("e-Filing")
        bar = visitor.get_by_role("region", name="Co-browsing")
        expect(bar).to_contain_text("Ravi Kumar")
        # The visitor hears who helps now.
        expect(visitor.get_by_text("Ravi Kumar is now helping you.")).to_be_visible()
    assert pair.visitor_errors == []
