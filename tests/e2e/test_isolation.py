"""A proxied page's script cannot reach the agent console, its cookie or its token.

The worst case: the console and a proxied page in one browser (a helpdesk tester's
own session, or an agent who opens a proxied URL). The console lives on the server's
origin, proxied content on `<label>.<proxy domain>`; the page's script (run here in
the overlay frame's own JavaScript realm, exactly as the site's script runs) tries
every way across. docs/threat-model.md T5.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, expect

from tests.e2e.demo_process import Demo
from tests.e2e.test_story import OVERLAY, ask_for_pin

pytestmark = pytest.mark.e2e

ATTACK = """async (server) => {
  const out = {};
  const attempt = async (name, fn) => {
    try { out[name] = await fn(); } catch (e) { out[name] = 'blocked: ' + e.name; }
  };
  await attempt('fetch_me', async () => {
    const r = await fetch(server + '/api/v1/me', {credentials: 'include'});
    return 'read ' + r.status + ' ' + (await r.text());
  });
  await attempt('fetch_join', async () => {
    const r = await fetch(server + '/api/v1/join', {
      method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'application/json'}, body: '{"pin":"000000"}'});
    return 'read ' + r.status;
  });
  await attempt('cookie', () => document.cookie);
  await attempt('local', () => JSON.stringify(Object.entries(localStorage)));
  await attempt('session', () => JSON.stringify(Object.entries(sessionStorage)));
  await attempt('top', () => window.top.document.cookie + window.top.location.href);
  await attempt('parent_storage', () => JSON.stringify(window.parent.sessionStorage));
  await attempt('parent_is_self', () => String(window.parent === window));
  await attempt('opener', () => (window.opener === null ? 'no opener' : opener.document.title));
  await attempt('open_console', async () => {
    const w = window.open(server + '/console', '_blank');
    if (w === null) return 'no window';
    await new Promise((r) => setTimeout(r, 1500));
    try { return 'read ' + w.sessionStorage.length + w.document.cookie; }
    finally { w.close(); }
  });
  await attempt('frame_console', async () => {
    const f = document.createElement('iframe');
    f.src = server + '/console';
    document.body.append(f);
    await new Promise((r) => { f.onload = r; setTimeout(r, 3000); });
    return 'read ' + f.contentWindow.document.cookie + f.contentWindow.sessionStorage.length;
  });
  return out;
}"""


def _overlay_frame(page: Any) -> Frame:
    handle = page.locator(OVERLAY).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def test_a_proxied_page_cannot_reach_the_console(browser: Browser, proxy_demo: Demo) -> None:
    ctx = browser.new_context()  # one browser for both: the worst case
    try:
        console = ctx.new_page()
        visitor = ctx.new_page()
        visitor.goto(proxy_demo.portal + "/")
        pin = ask_for_pin(visitor)
        console.goto(proxy_demo.agent_link())
        expect(console).to_have_url(re.compile(r"/console$"))
        console.get_by_label("PIN").fill(pin)
        console.get_by_role("button", name="Join").click()
        visitor.get_by_role("button", name="Allow").click()
        expect(visitor.frame_locator(OVERLAY).get_by_role("heading", level=1)).to_be_visible()
        expect(console.get_by_role("button", name="Request control")).to_be_visible()

        # What there is to steal, checked from the console's own origin (the control).
        stored = console.evaluate("() => sessionStorage.getItem('cobrowse:agent-session')")
        token = re.search(r'"agent_token":"([^"]+)"', stored or "")
        assert token is not None
        agent_cookie = next(c for c in ctx.cookies() if c["name"] == "cobrowse_agent")
        assert agent_cookie["httpOnly"] and agent_cookie["sameSite"] == "Strict"

        frame = _overlay_frame(visitor)
        assert ".localhost" in frame.url and not frame.url.startswith(proxy_demo.server)
        out = frame.evaluate(ATTACK, proxy_demo.server)
        text = repr(out)
        assert token.group(1) not in text
        assert agent_cookie["value"] not in text
        assert "Asha Rao" not in text  # /api/v1/me was never read
        assert out["fetch_me"].startswith("blocked")  # no CORS for the console's API
        assert out["fetch_join"].startswith("blocked")
        assert "cobrowse_agent" not in out["cookie"]
        # The overlay root's `parent` is the page itself (it was top-level upstream: the
        # runtime's transparency); the page above, reached through `top`, stays out of reach.
        assert out["top"].startswith("blocked")
        assert out["parent_storage"].startswith("blocked") or out["parent_is_self"] == "true"
        assert out["opener"] == "no opener"
        assert out["open_console"].startswith(("blocked", "no window"))
        assert out["frame_console"].startswith("blocked")  # frame-ancestors 'none'
        # The console is untouched: still joined, still showing the session.
        expect(console.get_by_role("button", name="Request control")).to_be_visible()
    finally:
        ctx.close()
