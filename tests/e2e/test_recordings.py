"""A recorded session on the demo portal, replayed in the console (issue 13).

The demo records the portal's sessions (recordings.sites). The visitor is told in the
consent dialog and the session bar; they log in (PAN and password masked) and fill the
ITR form (Aadhaar and bank account masked). Then a supervisor opens the console's
Recordings, presses Play, and the replayer shows the page. The stored recording
(every chunk decrypted with the demo's key) and the exported file are searched for
every masked value, in plain form and simple encodings, as tests/e2e/leaks.py reads
them: none is there, while the unmasked name typed beside them is (the search sees).

The demo runs on Redis (store.url), so that this test can sign a supervisor in through
the shared sign-in store: the console's roles come from sign-ins (core/roles.py).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cobrowse.config import load_config
from cobrowse.core.roles import Role
from cobrowse.server.auth import AGENT_COOKIE
from cobrowse.server.context import guard_rules
from cobrowse.server.recording_setup import load_ring
from cobrowse.server.recordings import Recorder
from cobrowse.store.guards_factory import guards_from_url
from cobrowse.store.recordings import FileRecordingStore
from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, free_port, start_demo, stop_demo
from tests.e2e.leaks import encodings, normalised
from tests.e2e.test_accessibility import AXE, scan
from tests.e2e.test_story import (
    AADHAAR,
    ACCOUNT,
    PAN,
    PASSWORD,
    agent_joins,
    ask_for_pin,
    mirror,
    surface,
)
from tests.redis_server import redis_server

pytestmark = pytest.mark.e2e

NAME = "Meera Recorded-Iyer"
# The masked values typed (the demo prints its password on its login page as a hint,
# so the password is no secret to search for; test_story.py looks at typed values).
SECRETS = (PAN, AADHAAR, ACCOUNT)
RECORDED = "This session is recorded"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as server:
        yield server.url


@pytest.fixture(scope="module", params=["inline", "proxy"])
def recorded_demo(
    request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    mode = request.param
    portal_port = free_port()
    demo = start_demo(
        tmp_path_factory.mktemp(f"recorded-{mode}"),
        {
            "COBROWSE_PROXY_MODE": mode,
            "COBROWSE_STORE_URL": redis_url,
            "COBROWSE_RECORDINGS_SITES": f"http://efiling.demo.localhost:{portal_port}",
        },
        mode=mode,
        portal_port=portal_port,
    )
    yield demo
    stop_demo(demo)


def supervisor_page(browser: Browser, demo: Demo, redis_url: str) -> Page:
    """A console signed in as a supervisor (no team: every team's sessions)."""
    config = load_config({"server": {"data_dir": str(demo.data_dir)}}, {})
    guards = guards_from_url(redis_url, guard_rules(config))

    async def sign_in() -> str:
        try:
            return await guards.sign_in(
                "Sunita Supervisor",
                now=time.time(),
                via="account",
                subject="sunita",
                role=Role.SUPERVISOR,
            )
        finally:
            await guards.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's own loop runs in this thread
        cookie = pool.submit(asyncio.run, sign_in()).result(timeout=60)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_cookies([{"name": AGENT_COOKIE, "value": cookie, "url": demo.server}])
    page = context.new_page()
    page.add_init_script(path=str(AXE))  # the console's CSP refuses an inline script tag
    page.set_default_timeout(15_000)
    return page


def stored_plaintext(demo: Demo, recording_id: str) -> bytes:
    """Every record of the stored recording, decrypted with the demo's key."""
    config = load_config({"server": {"data_dir": str(demo.data_dir)}}, {})
    ring = load_ring(config, create=False)
    assert ring is not None
    rec = Recorder(FileRecordingStore(Path(demo.data_dir) / "recordings"), ring)
    got = rec.read(recording_id)
    assert got is not None
    return b"\n".join(frame for _, _, frame in got[1])


def assert_no_secret(where: str, data: bytes) -> None:
    for hay in (data, normalised(data)):
        text = hay.decode("utf-8", "replace")
        for secret in SECRETS:
            for form in encodings(secret):
                assert form not in text, f"{secret!r} as {form!r} in {where}"
    assert NAME.encode() in data, f"the search does not see {where}"


def test_a_recorded_session_is_replayed_with_nothing_masked_in_it(
    pair: Pair, recorded_demo: Demo, browser: Browser, redis_url: str
) -> None:
    demo, visitor, agent = recorded_demo, pair.visitor, pair.agent
    visitor.goto(demo.portal + "/")
    pin = ask_for_pin(visitor)
    agent_joins(agent, demo, pin)
    consent = visitor.get_by_role("dialog")
    expect(consent).to_contain_text("Asha Rao")
    expect(consent).to_contain_text(RECORDED)
    visitor.get_by_role("button", name="Allow").click()
    bar = visitor.get_by_role("region", name="Co-browsing")
    expect(bar).to_contain_text(RECORDED)

    view = mirror(agent)
    page = surface(visitor, demo)  # proxy mode: the overlay over the page
    expect(view.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    page.get_by_role("link", name="Login").first.click()
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("link", name="File ITR").first.click()
    page.get_by_label("Full name").fill(NAME)
    page.get_by_label("Aadhaar").fill(AADHAAR)
    page.get_by_label("Bank account number").fill(ACCOUNT)
    expect(view.get_by_label("Full name")).to_have_value(NAME)
    bar.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text(re.compile("ended"))).to_be_visible()

    # The supervisor replays it in the console.
    sup = supervisor_page(browser, demo, redis_url)
    try:
        sup.goto(demo.server + "/console")
        sup.get_by_role("button", name="Recordings").click()
        play = sup.get_by_role("button", name="Play")
        expect(play).to_have_count(1)
        listed = sup.request.get(demo.server + "/api/v1/recordings").json()["recordings"]
        assert len(listed) == 1 and listed[0]["agent_name"] == "Asha Rao"
        recording_id = listed[0]["id"]
        # The recording is complete once the session's end is written.
        deadline = time.monotonic() + 30
        while listed[0]["ended_at"] is None:
            assert time.monotonic() < deadline, "the recording never ended"
            sup.wait_for_timeout(100)
            listed = sup.request.get(demo.server + "/api/v1/recordings").json()["recordings"]
        play.click()
        replay = sup.frame_locator(".rec-stage iframe")
        expect(replay.get_by_role("heading", level=1)).to_contain_text("e-Filing")
        expect(sup.get_by_role("region", name="Chat transcript")).to_be_visible()
        expect(sup.locator(".rec-marker-page")).not_to_have_count(0)
        expect(replay.get_by_label("Full name")).to_have_value(NAME, timeout=90_000)
        if demo.mode == "proxy":  # its images came through the proxy: kept with it
            handle = sup.locator(".rec-stage iframe").element_handle()
            frame = handle.content_frame() if handle is not None else None
            assert frame is not None
            kept = (
                "() => { const i = [...document.images];"
                " return i.length > 0 && i.every(x => x.src.includes('/api/v1/recordings/')"
                " && x.complete && x.naturalWidth > 0); }"
            )
            deadline = time.monotonic() + 30
            while not frame.evaluate(kept):
                assert time.monotonic() < deadline, "the replay's images did not load"
                sup.wait_for_timeout(100)
        sup.screenshot(path=str(demo.data_dir.parent / "player.png"))
        assert scan(sup, "recordings player") == []

        # Nothing masked is in the stored recording, nor in the export.
        assert_no_secret("the stored recording", stored_plaintext(demo, recording_id))
        exported = sup.request.get(f"{demo.server}/api/v1/recordings/{recording_id}/export")
        assert exported.ok
        assert_no_secret("the export", exported.body())
        # The export plays by itself, offline: the player and the data are in the file.
        saved = demo.data_dir.parent / "export.html"
        saved.write_bytes(exported.body())
        offline = sup.context.new_page()
        offline.route(re.compile(r"^https?://"), lambda route: route.abort())  # no server
        offline.goto(saved.as_uri())
        played = offline.frame_locator(".rec-stage iframe")
        expect(played.get_by_role("heading", level=1)).to_contain_text("e-Filing")
    finally:
        sup.context.close()
    assert pair.visitor_errors == []
