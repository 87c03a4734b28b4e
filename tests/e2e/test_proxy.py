"""Proxy mode in Chromium: the overlay in both site shapes, /start, and who gets in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo
from tests.e2e.test_story import MIRROR, OVERLAY, agent_joins, ask_for_pin, mirror

pytestmark = pytest.mark.e2e


def allow(pair: Pair, demo: Demo) -> None:
    agent_joins(pair.agent, demo, ask_for_pin(pair.visitor))
    expect(pair.visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    pair.visitor.get_by_role("button", name="Allow").click()
    expect(pair.visitor.locator(OVERLAY)).to_be_visible()


def test_cross_site_shape_logs_in_inside_the_overlay(pair: Pair, proxy_demo: Demo) -> None:
    """The portal on 127.0.0.1, the proxy on *.localhost: a third-party iframe, where
    only partitioned cookies and emulated storage work; logging in must still work."""
    pair.visitor.goto(proxy_demo.portal_loopback + "/login")
    allow(pair, proxy_demo)
    overlay = pair.visitor.frame_locator(OVERLAY)
    overlay.get_by_label("PAN").fill("AAAPZ9876K")
    overlay.get_by_label("Password").fill("demo1234")
    overlay.get_by_role("button", name="Login").click()
    expect(overlay.get_by_role("link", name="File ITR")).to_be_visible()
    overlay.get_by_role("link", name="File ITR").click()
    expect(overlay.get_by_label("Full name")).to_be_visible()  # still signed in
    expect(mirror(pair.agent).get_by_label("Full name")).to_be_visible()
    pair.visitor.get_by_role("button", name="Stop").click()
    expect(pair.visitor.locator(OVERLAY)).to_have_count(0)
    expect(pair.visitor).to_have_url(re.compile(re.escape(proxy_demo.portal_loopback) + "/"))
    assert pair.visitor_errors == []


def test_cross_site_shape_carries_the_page_s_cookies_in_partitioned_cookies(
    pair: Pair, proxy_demo: Demo
) -> None:
    """In the third-party overlay the page's cookies still travel in the proxy host's
    own (Partitioned) cookies: a document.cookie write is recorded natively at once,
    applied by the server with the next request, and comes back in the mirror; none of
    our native cookies is visible to the page (docs/proxy.md, "Cookies")."""
    pair.visitor.goto(proxy_demo.portal_loopback + "/login")
    allow(pair, proxy_demo)
    overlay = pair.visitor.frame_locator(OVERLAY)
    expect(overlay.get_by_label("PAN")).to_be_visible()
    frame = next(f for f in pair.visitor.frames if ".localhost" in f.url and "/login" in f.url)

    def native() -> dict[str, str]:
        return {c["name"]: c["value"] for c in pair.visitor.context.cookies(frame.url)}

    assert "__cobrowse_js0" in native()  # the mirror came with the page
    seen = frame.evaluate("() => { document.cookie = 'probe=1; path=/'; return document.cookie; }")
    assert "probe=1" in seen and "__cobrowse" not in seen
    assert any(n.startswith("__cobrowse_w") for n in native())  # recorded at once
    frame.evaluate("() => fetch(location.pathname).then((r) => r.status)")
    assert not any(n.startswith("__cobrowse_w") for n in native())  # applied and cleared
    frame.evaluate("() => location.reload()")
    expect(overlay.get_by_label("PAN")).to_be_visible()
    frame = next(f for f in pair.visitor.frames if ".localhost" in f.url and "/login" in f.url)
    frame.wait_for_load_state("load")
    after = frame.evaluate("() => document.cookie")
    assert "probe=1" in after and "__cobrowse" not in after  # from the server's jar
    assert pair.visitor_errors == []


def test_a_reload_brings_the_overlay_back_where_it_was(pair: Pair, proxy_demo: Demo) -> None:
    pair.visitor.goto(proxy_demo.portal + "/")
    allow(pair, proxy_demo)
    overlay = pair.visitor.frame_locator(OVERLAY)
    overlay.get_by_role("link", name="Login").first.click()
    expect(overlay.get_by_label("PAN")).to_be_visible()
    pair.visitor.reload()
    expect(pair.visitor.frame_locator(OVERLAY).get_by_label("PAN")).to_be_visible()
    expect(mirror(pair.agent).get_by_role("button", name="Login")).to_be_visible()


def test_a_copied_proxy_url_opens_nothing_elsewhere(
    pair: Pair, proxy_demo: Demo, browser: Browser
) -> None:
    pair.visitor.goto(proxy_demo.portal + "/")
    allow(pair, proxy_demo)
    expect(pair.visitor.frame_locator(OVERLAY).get_by_role("heading", level=1)).to_be_visible()
    handle = pair.visitor.locator(OVERLAY).element_handle()
    assert handle is not None and handle.content_frame() is not None
    url = handle.content_frame().url  # type: ignore[union-attr]
    assert ".cobrowse.demo.localhost:" in url
    stranger = browser.new_context()
    try:
        page = stranger.new_page()
        page.goto(url)
        expect(page.get_by_text("only opens in the visitor's own browser")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("e-Filing"))).to_have_count(0)
    finally:
        stranger.close()
    # The agent's mirror never points at the proxy host either.
    frame = pair.agent.locator(MIRROR).element_handle()
    assert frame is not None
    html = frame.content_frame().content()  # type: ignore[union-attr]
    assert ".cobrowse.demo.localhost" not in html


def test_start_link_for_a_site_without_the_button(pair: Pair, proxy_demo: Demo) -> None:
    target = proxy_demo.portal + "/login"
    pair.visitor.goto(f"{proxy_demo.server}/start?url={target}")
    expect(pair.visitor.get_by_role("heading", level=1)).to_contain_text("Co-browse")
    allow(pair, proxy_demo)
    expect(pair.visitor.frame_locator(OVERLAY).get_by_label("PAN")).to_be_visible()
    expect(mirror(pair.agent).get_by_role("button", name="Login")).to_be_visible()
    pair.visitor.get_by_role("button", name="Stop").click()
    expect(pair.visitor).to_have_url(target)
