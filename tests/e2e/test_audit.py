"""The audit log of a guided session in Chromium, in both modes: the entries a real
session leaves, element descriptions from the visitor's browser, and no typed, masked
or chatted value anywhere in the audit database file."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Response, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_guidance import click_mirror
from tests.e2e.test_story import PAN, PASSWORD, mirror, start, surface

pytestmark = pytest.mark.e2e

TYPED = "Meera Iyer"
CHAT = "Your reference is ZX-4471-QQ"


class Row(dict[str, Any]):
    """One audit_log row, read with plain sqlite3 (Playwright owns this thread's loop)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def read_session(data_dir: Path, session_id: str) -> list[Row]:
    db = sqlite3.connect(f"file:{data_dir}/audit.db?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT * FROM audit_log WHERE session_id = ? ORDER BY id", (session_id,)
        ).fetchall()
    finally:
        db.close()
    return [Row({**dict(r), "data": json.loads(r["data"])}) for r in rows]


def wait_for_end(data_dir: Path, session_id: str) -> list[Row]:
    """Poll the database until the session's end is written (the writer is a background
    task in the demo process); the bound only stops a hang."""
    deadline = time.monotonic() + 30
    while True:
        entries = read_session(data_dir, session_id)
        if any(e.kind == "session.ended" for e in entries):
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"no session.ended in {[e.kind for e in entries]}")
        time.sleep(0.1)


def test_a_guided_session_is_audited_without_values(pair: Pair, demo: Demo) -> None:
    visitor, agent = pair.visitor, pair.agent
    joined: list[dict[str, Any]] = []

    def on_response(response: Response) -> None:
        if response.url.endswith("/api/v1/join") and response.status == 200:
            joined.append(response.json())

    agent.on("response", on_response)
    start(pair, demo, "/")
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    assert len(joined) == 1
    session_id = joined[0]["session_id"]

    agent.get_by_label("Message").fill(CHAT)
    agent.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("button", name="Chat")).to_contain_text("1")

    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()

    click_mirror(agent, view.get_by_role("link", name="Login").first)
    expect(page.get_by_label("PAN")).to_be_visible()
    click_mirror(agent, view.locator("input[data-cobrowse-masked]").first)
    expect(agent.get_by_text(re.compile("this field is private"))).to_be_visible()

    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    click_mirror(agent, view.get_by_role("link", name="File ITR").first)
    expect(page.get_by_label("Full name")).to_be_visible()
    prefilled = page.get_by_label("Full name").input_value()
    click_mirror(agent, view.get_by_label("Full name"))
    agent.keyboard.press("Control+A")
    agent.keyboard.type(TYPED)
    expect(page.get_by_label("Full name")).to_have_value(TYPED)

    page.get_by_label("Email").click()
    visitor.keyboard.press("Escape")
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()
    visitor.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text(re.compile("ended", re.I)).first).to_be_visible()

    entries = wait_for_end(demo.data_dir, session_id)
    kinds = [e.kind for e in entries]
    shown = "\n".join(f"{e.kind} {e.actor} {e.outcome} {e.target} {e.detail}" for e in entries)
    assert kinds[:3] == ["session.created", "join.attempted", "consent.allowed"], shown
    assert kinds[-1] == "session.ended" and entries[-1].outcome == "visitor_stopped", shown
    (revoked,) = [e for e in entries if e.kind == "control.revoked"]
    assert (revoked.outcome, revoked.actor) == ("escape", "visitor"), shown
    assert entries[1].actor == "Asha Rao" and entries[1].outcome == "ok"
    assert entries[1].address == "127.0.0.1"
    chat = next(e for e in entries if e.kind == "chat.sent")
    assert chat.actor == "Asha Rao" and chat.data["chars"] == len(CHAT)
    assert [e.kind for e in entries if e.kind.startswith("control.")] == [
        "control.requested",
        "control.granted",
        "control.revoked",
    ]
    acts = [(e.data["act"], e.outcome, e.target) for e in entries if e.kind == "agent.act"]
    assert ("click", "ok", "link “Login”") in acts
    assert ("click", "masked", "masked field") in acts
    assert ("click", "ok", "link “File ITR”") in acts
    typed = [e for e in entries if e.kind == "agent.act" and e.data["act"] == "input"]
    assert typed and typed[-1].target == "text field “Full name”"
    assert typed[-1].detail == f"typed {len(TYPED)} characters into “text field “Full name””"

    # Nothing typed, masked, prefilled or chatted is in the database files (WAL included).
    files = sorted(demo.data_dir.glob("audit.db*"))
    raw = b"".join(p.read_bytes() for p in files)
    assert b"Full name" in raw  # the entries are in these files
    secrets = [TYPED, PAN, PASSWORD, CHAT, "ZX-4471"] + ([prefilled] if prefilled else [])
    for secret in secrets:
        assert secret.encode() not in raw, secret
