"""The audit log learns no more than the agent saw (red team, "the audit log learned what
the agent was not allowed to see"), in Chromium, in both modes.

The agent, in control, clicks buttons that carry a PAN, an Aadhaar number (in an
aria-label), a card number (an input's value), an IBAN and an e-mail address on a public
page, then buttons with private words, a PAN and an e-mail address on a private-by-default
page (tests/e2e/audit_site.py; values generated per run). The agent's mirror shows stars
there. Then the audit database files, the API's entries and both exports are searched
for every value in plain, lower-case, compact and spaced-out forms: none is found. The
public button's text and the entries of the clicks are found (the search can fail).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import FrameLocator, Page, expect

from cobrowse.config import load_config
from cobrowse.server.api_keys import ApiKeyStore, api_keys_path
from tests.e2e.audit_site import PRIVATE_HEADING, PUBLIC_BUTTON, Site, audit_site, masking_env
from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, start_site_demo, stop_demo
from tests.e2e.leaks import encodings
from tests.e2e.test_audit import wait_for_end
from tests.e2e.test_guidance import click_mirror
from tests.e2e.test_story import agent_joins, ask_for_pin, mirror, surface

pytestmark = pytest.mark.e2e

PUBLIC = ["b-pan", "b-aadhaar", "b-card", "b-iban", "b-email", "b-public"]
PRIVATE = ["p-words", "p-pan", "p-email"]


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with audit_site() as s:
        yield s


@pytest.fixture(scope="module", params=["inline", "proxy"])
def audited_demo(
    request: pytest.FixtureRequest, site: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    mode = request.param
    tmp = tmp_path_factory.mktemp(f"audit-masking-{mode}")
    demo = start_site_demo(tmp, site.origin, mode, masking_env(site.origin))
    site.server = demo.server
    yield demo
    stop_demo(demo)


def forms(value: str) -> set[str]:
    """The value as a trace of it could look: every form the masking search looks for,
    spelled out letter by letter, and its parts."""
    compact = re.sub(r"[\s-]", "", value)
    out = encodings(value) | {" ".join(compact), " ".join(compact.lower())}
    out.add(value.replace(" ", "-"))
    if "@" in value:
        out.add(value.split("@")[0])  # the mailbox alone
    if " " in value and not value.replace(" ", "").isdigit():
        out |= set(value.split(" "))  # each private word
    return {f for f in out if len(f) >= 6}


def click_and_wait(
    agent: Page, view: FrameLocator, page: Page | FrameLocator, ids: list[str]
) -> None:
    for element in ids:
        click_mirror(agent, view.locator(f"#{element}"))
        expect(page.locator("#clicked")).to_contain_text(element)


def export(demo: Demo, session_id: str, fmt: str) -> str:
    config = load_config({"server": {"data_dir": str(demo.data_dir)}}, {})
    key, _ = ApiKeyStore(api_keys_path(config)).create(label="audit e2e")
    r = httpx.get(
        f"{demo.server}/api/v1/audit/export",
        params={"format": fmt, "session_id": session_id},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.text


def test_clicks_on_private_and_patterned_buttons_leave_no_value_in_the_audit_log(
    pair: Pair, audited_demo: Demo, site: Site
) -> None:
    demo, visitor, agent = audited_demo, pair.visitor, pair.agent
    joined: list[dict[str, Any]] = []
    agent.on(
        "response",
        lambda r: (
            joined.append(r.json()) if r.url.endswith("/api/v1/join") and r.status == 200 else None
        ),
    )
    visitor.goto(site.origin + "/")
    pin = ask_for_pin(visitor)
    agent_joins(agent, demo, pin)
    expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    visitor.get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop")).to_be_visible()
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.locator("#b-public")).to_have_text(PUBLIC_BUTTON)
    session_id = joined[0]["session_id"]

    # The values are on the visitor's page, and the agent sees them masked.
    for key, element in (("pan", "#b-pan"), ("email", "#b-email")):
        expect(page.locator(element)).to_contain_text(site.values[key])
    expect(view.locator("#b-pan")).to_have_text("Pay **********")

    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    click_and_wait(agent, view, page, PUBLIC)

    # A private-by-default page: the agent sees stars but the heading.
    click_mirror(agent, view.locator("#to-private"))
    expect(view.get_by_role("heading", name=PRIVATE_HEADING)).to_be_visible()
    expect(page.locator("#p-words")).to_have_text(site.values["private_words"])
    expect(view.locator("#p-words")).to_have_text(re.compile(r"^[* ]+$"))
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    click_and_wait(agent, view, page, PRIVATE)

    visitor.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text(re.compile("ended")).first).to_be_visible()
    entries = wait_for_end(demo.data_dir, session_id)

    clicks = [e for e in entries if e.kind == "agent.act" and e.data["act"] == "click"]
    shown = "\n".join(f"{e.outcome} {e.target}" for e in clicks)
    targets = [e.target for e in clicks if e.outcome == "ok"]
    assert f"button “{PUBLIC_BUTTON}”" in targets, shown
    assert "button “Pay **********”" in targets, shown
    # On the private page: the role, and stars where the agent saw stars.
    private = [t for t in targets if t and re.fullmatch(r"button “[* …]+”?", t)]
    assert len(private) >= len(PRIVATE), shown

    db = b"".join(p.read_bytes() for p in sorted(Path(demo.data_dir).glob("audit.db*")))
    haystacks = {
        "database": db.decode("latin-1"),
        "csv export": export(demo, session_id, "csv"),
        "jsonl export": export(demo, session_id, "jsonl"),
    }
    for where, text in haystacks.items():
        assert PUBLIC_BUTTON in text, where  # the search sees the entries
        assert "Pay **********" in text, where
    leaks = [
        f"{key} ({form!r}) in the {where}"
        for key, value in site.values.items()
        for form in forms(value)
        for where, text in haystacks.items()
        if form in text
    ]
    assert not leaks, "\n".join(leaks)
