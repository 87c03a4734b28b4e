"""Documents in Chromium (issue 4), in both modes: the agent offers files (one refused,
one downloaded, one declined), and helps with an upload: a click on the visitor's file
input is refused ("only you can choose a file") and outlines it for the visitor, whose
choice shows in the mirror as the file's name only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_guidance import click_mirror
from tests.e2e.test_story import PAN, PASSWORD, mirror, start, surface

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n% cobrowse test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def payload(name: str, mime: str, data: bytes) -> FilePayload:
    return FilePayload(name=name, mimeType=mime, buffer=data)


def offer(agent: Page, name: str, data: bytes, mime: str) -> None:
    agent.get_by_label("File to offer").set_input_files(files=[payload(name, mime, data)])
    agent.get_by_role("button", name="Offer a file").click()


def test_documents(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")

    # A refused file: the server's reason, in an alert.
    offer(agent, "setup.exe", b"MZ\x90\x00", "application/octet-stream")
    expect(agent.locator(".offer-error[role=alert]")).to_contain_text(
        "only these files can be offered"
    )

    # Offered, downloaded on the visitor's side, shown as accepted to the agent.
    offer(agent, "Form-16-guide.pdf", PDF, "application/pdf")
    offers = agent.get_by_role("list", name="Files offered")
    expect(offers).to_contain_text("Form-16-guide.pdf")
    dialog = visitor.get_by_role("dialog", name="A file for you")
    expect(dialog).to_contain_text("Asha Rao offers you a file: Form-16-guide.pdf")
    with visitor.expect_download() as info:
        dialog.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename == "Form-16-guide.pdf"
    assert Path(download.path()).read_bytes() == PDF
    expect(visitor.get_by_text("Downloading…")).to_be_visible()
    expect(offers.get_by_role("listitem").filter(has_text="Form-16-guide.pdf")).to_contain_text(
        "accepted"
    )
    expect(dialog).to_be_hidden()

    # Declined.
    offer(agent, "checklist.txt", b"Form 16, PAN, bank account", "text/plain")
    expect(dialog).to_contain_text("checklist.txt")
    dialog.get_by_role("button", name="Decline").click()
    expect(offers.get_by_role("listitem").filter(has_text="checklist.txt")).to_contain_text(
        "declined"
    )

    # Upload help: the visitor logs in and opens the ITR form; the agent has control.
    page.get_by_role("link", name="Login").first.click()
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("link", name="File ITR").first.click()
    upload = page.get_by_label("Upload Form 16 (PDF)")
    expect(upload).to_be_visible()
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    upload.evaluate("e => e.scrollIntoView({block: 'center'})")
    in_mirror = view.get_by_label("Upload Form 16 (PDF)")
    expect(in_mirror).to_be_in_viewport(ratio=1)
    agent.wait_for_timeout(300)  # the mirror's scroll settles
    click_mirror(agent, in_mirror)
    refused = re.compile("Refused on the visitor.s side: only you can choose a file")
    expect(agent.get_by_text(refused)).to_be_visible()
    expect(visitor.get_by_text(re.compile("Asha Rao asks you to choose a file"))).to_be_visible()
    expect(page.locator(".cbg-box")).to_be_visible()

    # The visitor chooses the file; the mirror shows its name, and nothing more.
    upload.set_input_files(files=[payload("Form16.pdf", "application/pdf", PDF)])
    expect(view.locator("input[data-cobrowse-file]")).to_have_value("Form16.pdf")
