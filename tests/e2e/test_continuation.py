"""Proxy mode keeps the visitor's own login (issue 9): through the continuation point the
portal mounts, the login carries into the overlay at Allow and back out at the end, in
both site shapes (the proxy same-site with the portal, and cross-site on 127.0.0.1,
where the overlay's cookies are third-party)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, free_port, start_demo, stop_demo
from tests.e2e.test_proxy import allow
from tests.e2e.test_story import OVERLAY, PAN, PASSWORD, mirror
from tests.nginx import nginx_server

pytestmark = pytest.mark.e2e

SESSION_COOKIE = "efiling_session"


def portal_of(demo: Demo, shape: str) -> str:
    return demo.portal if shape == "same-site" else demo.portal_loopback


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("link", name="File ITR")).to_be_visible()


def third_party_cookies_blocked(page: Page, other_site: str) -> bool:
    """Whether a frame of `other_site` inside `page` may keep an unpartitioned cookie
    (Chromium here blocks them by default, as browsers are moving to)."""
    page.evaluate(
        """(src) => new Promise((done) => {
            const f = document.createElement('iframe');
            f.src = src; f.onload = done; f.style.display = 'none';
            document.body.append(f);
        })""",
        other_site + "/healthz",
    )
    frame = next(f for f in page.frames if f.url.startswith(other_site))
    kept = frame.evaluate(
        "() => { document.cookie = 'probe=1; SameSite=None; Secure'; return document.cookie; }"
    )
    frame.evaluate("() => { document.cookie = 'probe=; Max-Age=0; SameSite=None; Secure'; }")
    return "probe=1" not in kept


def session_cookie(page: Page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == SESSION_COOKIE:
            return cookie["value"]
    return None


@pytest.mark.parametrize("shape", ["same-site", "cross-site"])
def test_a_logged_in_taxpayer_stays_logged_in_through_the_overlay(
    pair: Pair, proxy_demo: Demo, shape: str
) -> None:
    base = portal_of(proxy_demo, shape)
    visitor = pair.visitor
    log_in(visitor, base)
    before = session_cookie(visitor)
    assert before  # HttpOnly: no script of the page could have handed it over
    if shape == "cross-site":  # the overlay is a third-party frame, and those cookies are off
        assert third_party_cookies_blocked(visitor, proxy_demo.portal)
    allow(pair, proxy_demo)

    # 1. The overlay opens on the dashboard, logged in: no second login.
    overlay = visitor.frame_locator(OVERLAY)
    expect(overlay.get_by_role("link", name="File ITR")).to_be_visible()
    expect(overlay.get_by_role("button", name="Logout")).to_be_visible()
    expect(mirror(pair.agent).get_by_role("link", name="File ITR")).to_be_visible()

    # 2. Inside: File ITR, type, Save, type more without saving.
    overlay.get_by_role("link", name="File ITR").click()
    overlay.get_by_label("Full name").fill("Meera Iyer")
    overlay.get_by_label("Gross salary").fill("850000")
    overlay.get_by_role("button", name="Save").click()
    expect(overlay.get_by_text("Draft saved")).to_be_visible()
    overlay.get_by_label("Full name").fill("Meera K. Iyer")  # not saved
    overlay.get_by_label("Email").fill("meera@example.in")  # a value pattern: never carried
    overlay.get_by_label("Aadhaar").fill("2341 2341 2346")  # masked: never carried

    # 3. Stop: the real page is logged in, on File ITR, with the draft and the unsaved values.
    visitor.get_by_role("button", name="Stop").click()
    expect(visitor.locator(OVERLAY)).to_have_count(0)
    expect(visitor).to_have_url(re.compile(re.escape(base) + r"/itr"))
    expect(visitor.get_by_role("button", name="Logout")).to_be_visible()
    expect(visitor.get_by_label("Gross salary")).to_have_value("850000")  # the saved draft
    expect(visitor.get_by_label("Full name")).to_have_value("Meera K. Iyer")
    expect(visitor.get_by_label("Email")).to_have_value("")  # masked (e-mail): not carried
    expect(visitor.get_by_label("Aadhaar")).to_have_value("")
    assert session_cookie(visitor) == before  # the same server-side session
    # The next page load does not put the values back again.
    visitor.reload()
    expect(visitor.get_by_label("Full name")).to_have_value("Meera Iyer")

    # No cookie value of the site ever reached the agent or the server's log.
    assert before not in pair.agent_frames.all_text()
    assert before not in pair.visitor_frames.all_text()
    assert before not in proxy_demo.log_text()
    assert pair.visitor_errors == []


@pytest.mark.parametrize("shape", ["same-site", "cross-site"])
def test_a_logout_inside_the_overlay_logs_the_visitor_out_on_the_site(
    pair: Pair, proxy_demo: Demo, shape: str
) -> None:
    base = portal_of(proxy_demo, shape)
    visitor = pair.visitor
    log_in(visitor, base)
    allow(pair, proxy_demo)
    overlay = visitor.frame_locator(OVERLAY)
    overlay.get_by_role("button", name="Logout").click()
    expect(overlay.get_by_role("link", name="Login").first).to_be_visible()
    # The agent ends it this time.
    pair.agent.get_by_role("button", name="Leave").click()
    expect(visitor.locator(OVERLAY)).to_have_count(0)
    expect(visitor.get_by_role("link", name="Login").first).to_be_visible()
    expect(visitor.get_by_role("button", name="Logout")).to_have_count(0)
    assert session_cookie(visitor) is None
    visitor.goto(base + "/itr")
    expect(visitor).to_have_url(re.compile(r"/login"))


def test_a_login_inside_the_overlay_carries_back_out(pair: Pair, proxy_demo: Demo) -> None:
    """Not logged in at the start: logged in inside, and on the site after the end."""
    visitor = pair.visitor
    visitor.goto(proxy_demo.portal + "/login")
    allow(pair, proxy_demo)
    overlay = visitor.frame_locator(OVERLAY)
    overlay.get_by_label("PAN").fill(PAN)
    overlay.get_by_label("Password").fill(PASSWORD)
    overlay.get_by_role("button", name="Login").click()
    expect(overlay.get_by_role("link", name="File ITR")).to_be_visible()
    visitor.get_by_role("button", name="Stop").click()
    expect(visitor.locator(OVERLAY)).to_have_count(0)
    expect(visitor).to_have_url(re.compile(r"/dashboard"))
    expect(visitor.get_by_role("button", name="Logout")).to_be_visible()
    assert session_cookie(visitor)


def readme_site_snippet() -> str:
    """The nginx lines the README tells a site to add, exactly."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if "location /__cobrowse/continue/" in b]
    return block


def test_the_readme_s_nginx_snippet_in_front_of_a_site(pair: Pair, tmp_path: Path) -> None:
    """A site behind a real nginx that has exactly the README's snippet: the login
    carries in and out through it."""
    site_port = free_port()
    site = f"http://efiling.demo.localhost:{site_port}"
    demo = start_demo(tmp_path, {}, extra_args=["--allow-origin", site])
    try:
        portal_port = demo.portal_loopback.rsplit(":", 1)[1]
        snippet = readme_site_snippet().replace("https://cobrowse.example.gov.in", demo.server)
        block = (
            snippet
            # Only the snippet reaches the continuation point (not the portal's own route).
            + "location /__cobrowse/ { return 404; }\n"
            + "location / {\n"
            + f"    proxy_pass http://127.0.0.1:{portal_port};\n"
            + "    proxy_set_header Host $http_host;\n}\n"
        )
        with nginx_server(block, port=site_port) as nginx:
            log_in(pair.visitor, site)
            before = session_cookie(pair.visitor)
            allow(pair, demo)
            overlay = pair.visitor.frame_locator(OVERLAY)
            expect(overlay.get_by_role("button", name="Logout")).to_be_visible()
            overlay.get_by_role("link", name="File ITR").click()
            overlay.get_by_label("Full name").fill("Through nginx")
            pair.visitor.get_by_role("button", name="Stop").click()
            expect(pair.visitor.locator(OVERLAY)).to_have_count(0)
            expect(pair.visitor).to_have_url(re.compile(re.escape(site) + "/itr"))
            expect(pair.visitor.get_by_label("Full name")).to_have_value("Through nginx")
            assert session_cookie(pair.visitor) == before
            log = nginx.log_text()
            assert re.search(r'"POST /__cobrowse/continue/in HTTP/1\.1" 200', log), log
            assert re.search(r'"POST /__cobrowse/continue/out HTTP/1\.1" 200', log), log
            assert before is not None and before not in log + demo.log_text()
    finally:
        stop_demo(demo)
