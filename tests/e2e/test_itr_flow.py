"""The whole "File ITR" flow guided from the console (issue 4's "done when"), both modes.

The visitor's tab (1280x800) and the agent's console (1024x700) differ in size. With the
visitor's consent the agent drives: opens the login page, points out the masked fields
the visitor must fill (the agent can neither read nor type into them), opens the form,
types the plain fields, is refused on the document upload ("only you can choose a
file") and on the final Submit (the portal marks it `data-cobrowse-no-agent`), saves the
draft, and highlights Submit for the visitor, who files the return.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_documents import PDF, payload
from tests.e2e.test_guidance import click_mirror, hover_mirror
from tests.e2e.test_story import (
    AADHAAR,
    ACCOUNT,
    EMAIL,
    PAN,
    PASSWORD,
    mirror,
    mirror_frame,
    start,
    surface,
    wait_in_mirror,
)

pytestmark = pytest.mark.e2e


def told(visitor: Page, text: str) -> None:
    """The visitor is told of the agent's action (it has been applied by then)."""
    toast = visitor.locator(".cb-act-toast")
    expect(toast).to_contain_text(f"Asha Rao {text}")  # on failure: what it said instead


def test_an_agent_guides_the_whole_file_itr_flow(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    # Aim only once the mirror's web font is in: its arrival reflows the header's links.
    wait_in_mirror(mirror_frame(agent), "() => document.fonts.status === 'loaded'")

    # Nothing happens on the agent's click before the visitor allows control.
    agent.get_by_role("button", name="Request control").click()
    expect(visitor.get_by_role("button", name="Allow control")).to_be_visible()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()

    # The agent opens the login page.
    click_mirror(agent, view.get_by_role("link", name="Login").first)
    told(visitor, "clicked “Login”")
    expect(page.get_by_label("PAN")).to_be_visible()
    expect(view.get_by_role("button", name="Login")).to_be_visible()

    # PAN and password are the visitor's to type: the agent points at the PAN field,
    # and an attempt to type into it is refused on both sides.
    masked_pan = view.locator("input[data-cobrowse-masked]").first
    hover_mirror(agent, masked_pan)
    expect(page.get_by_role("img", name="Asha Rao's pointer")).to_be_visible()
    click_mirror(agent, masked_pan)
    expect(
        agent.get_by_text(re.compile("Refused on the visitor.s side: this field is private"))
    ).to_be_visible()
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    click_mirror(agent, view.get_by_role("button", name="Login"))
    told(visitor, "clicked “Login”")

    # Dashboard, then the form.
    file_itr = view.get_by_role("link", name="File ITR").first
    expect(file_itr).to_be_visible()
    click_mirror(agent, file_itr)
    expect(page.get_by_label("Full name")).to_be_visible()
    expect(view.get_by_label("Full name")).to_be_visible()

    # The agent types the plain fields (React-style native setter + input events).
    for label, value in (
        ("Full name", "Meera Iyer"),
        ("Gross salary", "1250000"),
    ):
        field = view.get_by_label(label)
        field.scroll_into_view_if_needed()
        click_mirror(agent, field)
        expect(page.get_by_label(label)).to_be_focused()
        agent.keyboard.press("Control+A")
        agent.keyboard.type(value)
        expect(page.get_by_label(label)).to_have_value(value)
        expect(field).to_have_value(value)
    # The portal's live estimate reacted to the agent's typing, on both sides.
    expect(page.locator("#itr-estimate")).to_contain_text("₹")
    expect(view.locator("#itr-estimate")).to_contain_text("₹")

    # The masked fields: the visitor types them; the mirror shows placeholders only,
    # and the e-mail address (a default value pattern) as stars.
    page.get_by_label("Aadhaar").fill(AADHAAR)
    page.get_by_label("Bank account number").fill(ACCOUNT)
    page.get_by_label("Email").fill(EMAIL)
    masked = view.locator("input[data-cobrowse-masked]")
    expect(masked).to_have_count(3)
    expect(view.get_by_label("Email")).to_have_value("*****@*******.**")

    # Upload: the agent's click on the file input is refused and points it out; the
    # visitor chooses the file and the mirror shows its name.
    upload = view.get_by_label("Upload Form 16 (PDF)")
    upload.scroll_into_view_if_needed()
    click_mirror(agent, upload)
    expect(agent.get_by_text(re.compile("only you can choose a file"))).to_be_visible()
    expect(visitor.get_by_text(re.compile("Asha Rao asks you to choose a file"))).to_be_visible()
    page.get_by_label("Upload Form 16 (PDF)").set_input_files(
        files=[payload("Form16.pdf", "application/pdf", PDF)]
    )
    expect(view.locator("input[data-cobrowse-file]")).to_have_value("Form16.pdf")

    # Save: a full form post; the draft keeps what both of them entered.
    save = view.get_by_role("button", name="Save", exact=True)
    save.scroll_into_view_if_needed()
    click_mirror(agent, save)
    told(visitor, "clicked “Save”")
    expect(page.get_by_text(re.compile("^Draft saved"))).to_be_visible()
    expect(view.get_by_text(re.compile("^Draft saved"))).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Meera Iyer")
    expect(page.get_by_role("list", name="Attached documents")).to_contain_text("Form16.pdf")
    # control survived the page load
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()

    # Submit is the taxpayer's: refused for the agent, with the reason on both sides.
    submit = view.get_by_role("button", name="Submit")
    submit.scroll_into_view_if_needed()
    click_mirror(agent, submit)
    expect(
        agent.get_by_text(re.compile("this site does not let the agent press this"))
    ).to_be_visible()
    expect(visitor.get_by_text(re.compile("Asha Rao could not use “Submit”"))).to_be_visible()
    expect(page.get_by_role("heading", name="Return submitted successfully")).to_have_count(0)

    # The agent highlights it; the visitor presses it; both see the acknowledgement.
    agent.get_by_role("button", name="Highlight").click()
    click_mirror(agent, submit)
    expect(page.locator(".cbg-box")).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Return submitted successfully")).to_be_visible()
    expect(view.get_by_role("heading", name="Return submitted successfully")).to_be_visible()
    # The acknowledgement number (15 digits) is masked in the mirror by the default
    # bank_account pattern (9 to 18 digits): the taxpayer reads it out.
    ack = page.locator("[data-ack-number]").inner_text()
    assert re.fullmatch(r"\d{15}", ack)
    expect(view.locator("[data-ack-number]")).to_have_text("*" * 15)

    # Masked values never left the visitor's browser.
    everything = pair.visitor_frames.all_text() + pair.agent_frames.all_text() + demo.log_text()
    for secret in (PAN, AADHAAR, ACCOUNT, EMAIL, ack):
        assert secret not in everything
    assert pair.visitor_errors == []
