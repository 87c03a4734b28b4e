"""Click to start in Chromium: the CRM makes the session, the agent opens their link and
is in it at once, the visitor opens theirs and only chooses Allow (no PIN is read out)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from cobrowse.config import load_config
from cobrowse.server.api_keys import ApiKeyStore, api_keys_path
from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_story import OVERLAY, mirror

pytestmark = pytest.mark.e2e


def test_the_crm_starts_it_and_the_visitor_only_allows(pair: Pair, proxy_demo: Demo) -> None:
    demo = proxy_demo
    config = load_config({"server": {"data_dir": str(demo.data_dir)}}, {})
    key, _ = ApiKeyStore(api_keys_path(config)).create(label="click to start e2e")
    r = httpx.post(
        f"{demo.server}/api/v1/invites",
        json={"agent": "Asha Rao", "url": demo.portal + "/"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    links = r.json()
    agent, visitor = pair.agent, pair.visitor
    agent.goto(links["agent_url"])
    expect(agent).to_have_url(re.compile(r"/console$"))
    expect(agent.locator("#session-status")).to_contain_text("Waiting for the visitor")
    visitor.goto(links["visitor_url"])
    dialog = visitor.get_by_role("dialog")
    expect(dialog).to_contain_text("Asha Rao")
    dialog.get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("region", name="Co-browsing")).to_contain_text("Asha Rao")
    expect(visitor.locator(OVERLAY)).to_be_visible()
    expect(mirror(agent).get_by_role("heading", level=1)).to_contain_text("e-Filing")
    # The invitation worked once: opening the visitor's link again starts nothing.
    assert (
        httpx.post(
            f"{demo.server}/api/v1/invites/claim",
            json={"invite": links["visitor_url"].split("invite=")[1]},
            timeout=30,
        ).status_code
        == 404
    )
    assert pair.visitor_errors == []
