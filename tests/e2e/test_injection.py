"""Script injection through every text a person or a page chooses, in Chromium, in both
modes (red team: "not yet tried by anyone, so try it").

Payloads (`<img src=x onerror=…>`, `"><script>…`, `<svg onload=…>`, `javascript:`
URLs) go in through the agent's display name (a CRM link), chat in both directions, a
file the agent offers and a file the visitor chooses, the page's title, the page's
address (path, query, fragment), the agent's "Open" address, and /start's `url`. Each
payload calls `xssHit(channel)`, a function the test exposes in every frame of both
browsers; a CSP violation listener in every frame reports what the console's policy had
to block (an injection that only the CSP stopped is still a hole). Then: no call, no
script violation, no element the payload would create, each text shown literally, and
in the audit export no cell a spreadsheet would run. The console's mirror frame is
pinned to exactly `sandbox="allow-same-origin"` (no scripts, no forms, no popups, no
top navigation); the policies themselves are pinned in tests/server/test_csp.py.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import FilePayload, Frame, Page, expect

from cobrowse.config import load_config
from cobrowse.core.files import clean_name
from cobrowse.server.api_keys import ApiKeyStore, api_keys_path
from tests.e2e.audit_site import Site, audit_site
from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, start_demo, stop_demo
from tests.e2e.test_guidance import click_mirror, hover_mirror
from tests.e2e.test_story import MIRROR, OVERLAY, ask_for_pin, mirror, mirror_frame, surface

pytestmark = pytest.mark.e2e


def payload(channel: str) -> str:
    return (
        f"\"><img src=x onerror=xssHit('{channel}')><script>xssHit('{channel}-s')</script>"
        f"<svg onload=xssHit('{channel}-v')>"
    )


# At most 80 characters (a link's name); starts like a formula for the CSV export.
AGENT = "=1+1\"><img src=x onerror=xssHit('name')><svg onload=xssHit('name-v')>"
TITLE = payload("title")
CHAT_FROM_AGENT = payload("chat-a") + " <a href=\"javascript:xssHit('chat-a-link')\">x</a>"
CHAT_FROM_VISITOR = payload("chat-v") + " javascript:xssHit('chat-v-js') https://example.in"
OFFERED = "+cmd 'calc' <img src=x onerror=xssHit('offer')> \"x\".pdf"
# As the server keeps it: Chromium sends `"` as %22, the server makes `<>` `_` (core/files.py).
OFFERED_AS_KEPT = clean_name(OFFERED.replace('"', "%22"))
CHOSEN = "\"><img src=x onerror=xssHit('upload')>.pdf"
PATH = "/hostile/\"><img src=x onerror=xssHit('path')>?q=<svg onload=xssHit('query')>"
FRAGMENT = "#\"><script>xssHit('fragment')</script>"
OPEN = ["javascript:xssHit('open')", "data:text/html,<script>xssHit('open-data')</script>"]
PDF = b"%PDF-1.4\n% cobrowse test\n%%EOF\n"

# In every frame, before its own scripts: what a Content-Security-Policy blocked.
LISTEN = """
document.addEventListener('securitypolicyviolation', (e) => {
  try { window.cspViolation(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`); } catch {}
}, true);
"""

# Elements a payload would have created, in a document and its open shadow roots.
INJECTED = """() => {
  const found = [];
  const roots = [document];
  while (roots.length) {
    const root = roots.pop();
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      for (const name of el.getAttributeNames()) {
        const value = el.getAttribute(name) || '';
        const handler = name.startsWith('on') && value.includes('xssHit');
        const url = /^(href|src|action|formaction|xlink:href)$/.test(name)
          && /^\\s*javascript:/i.test(value);
        if (handler || url) found.push(el.outerHTML.slice(0, 120));
      }
      const text = el.textContent || '';
      const script = el.tagName === 'SCRIPT' && text.includes('xssHit');
      if (script) found.push(el.outerHTML.slice(0, 120));
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with audit_site() as s:
        s.hostile_title = TITLE
        yield s


@pytest.fixture(scope="module", params=["inline", "proxy"])
def hostile_demo(
    request: pytest.FixtureRequest, site: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    mode = request.param
    demo = start_demo(
        tmp_path_factory.mktemp(f"injection-{mode}"),
        {"COBROWSE_PROXY_MODE": mode, "COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "5"},
        mode=mode,
        extra_args=["--allow-origin", site.origin],
    )
    site.server = demo.server
    yield demo
    stop_demo(demo)


class Watch:
    """Calls of xssHit and CSP violations in every frame of the pages watched."""

    def __init__(self, *pages: Page) -> None:
        self.hits: list[str] = []
        self.violations: list[str] = []
        for page in pages:
            page.expose_function("xssHit", lambda channel: self.hits.append(str(channel)))
            page.expose_function("cspViolation", lambda text: self.violations.append(str(text)))
            page.add_init_script(LISTEN)

    def check(self, *pages: Page) -> None:
        injected = [
            f"{frame.url[:60]}: {el}"
            for page in pages
            for frame in page.frames
            for el in _injected(frame)
        ]
        assert injected == [], injected
        assert self.hits == [], f"script ran: {self.hits}"
        scripts = [v for v in self.violations if "script" in v or "xssHit" in v]
        assert scripts == [], f"only the CSP stopped: {scripts}"


def _injected(frame: Frame) -> list[str]:
    if frame.is_detached() or frame.url.startswith("chrome-error:"):
        return []
    found: list[str] = frame.evaluate(INJECTED)
    return found


def export_csv(demo: Demo) -> list[dict[str, str]]:
    config = load_config({"server": {"data_dir": str(demo.data_dir)}}, {})
    key, _ = ApiKeyStore(api_keys_path(config)).create(label="injection e2e")
    r = httpx.get(
        f"{demo.server}/api/v1/audit/export",
        params={"format": "csv"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def test_payloads_in_every_channel_are_shown_as_text_and_never_run(
    pair: Pair, hostile_demo: Demo, site: Site
) -> None:
    demo, visitor, agent = hostile_demo, pair.visitor, pair.agent
    watch = Watch(visitor, agent)

    # The visitor's page: a hostile title and address; the agent: a hostile name.
    visitor.goto(site.origin + PATH + FRAGMENT)
    pin = ask_for_pin(visitor)
    agent.goto(demo.agent_link(AGENT))
    expect(agent).to_have_url(re.compile(r"/console$"))
    expect(agent.locator("#agent-name")).to_have_text(AGENT)
    agent.get_by_label("PIN").fill(pin)
    agent.get_by_role("button", name="Join").click()
    dialog = visitor.get_by_role("dialog")
    expect(dialog).to_contain_text(AGENT)
    visitor.get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop")).to_be_visible()
    page = surface(visitor, demo)
    view = mirror(agent)
    expect(view.locator("#h-button")).to_have_text("Press")

    # The mirror frame: rebuilt without scripts, exactly so.
    frame = agent.locator(MIRROR)
    assert set((frame.get_attribute("sandbox") or "").split()) == {"allow-same-origin"}
    assert frame.get_attribute("allow") is None and frame.get_attribute("srcdoc") is None
    assert mirror_frame(agent).evaluate("document.title") == TITLE
    if demo.mode == "proxy":
        assert visitor.locator(OVERLAY).get_attribute("title") == f"Co-browsing: {TITLE}"

    # The page's address, as the console shows it: text, not a link.
    url = agent.locator("#visitor-url")
    expect(url).to_contain_text("/hostile/")
    assert url.evaluate("el => el.children.length") == 0
    assert "%3Cimg" in url.inner_text() or "<img" in url.inner_text()

    # Chat, both ways.
    agent.get_by_label("Message").fill(CHAT_FROM_AGENT)
    agent.get_by_role("button", name="Send").click()
    visitor.get_by_role("button", name="Chat").click()
    log = visitor.get_by_role("log")
    expect(log).to_contain_text(CHAT_FROM_AGENT)
    expect(log).to_contain_text(AGENT)  # the sender's name
    visitor.get_by_label("Message").fill(CHAT_FROM_VISITOR)
    visitor.get_by_role("button", name="Send").click()
    expect(agent.get_by_role("log")).to_contain_text(CHAT_FROM_VISITOR)
    for chat in (log, agent.get_by_role("log")):
        expect(chat.locator("a, img, svg, script")).to_have_count(0)
    visitor.get_by_role("button", name="Chat").click()

    # A file the agent offers, and one the visitor chooses on the page.
    agent.get_by_label("File to offer").set_input_files(
        files=[FilePayload(name=OFFERED, mimeType="application/pdf", buffer=PDF)]
    )
    agent.get_by_role("button", name="Offer a file").click()
    expect(agent.get_by_role("list", name="Files offered")).to_contain_text(OFFERED_AS_KEPT)
    offer = visitor.get_by_role("dialog", name="A file for you")
    expect(offer).to_contain_text(OFFERED_AS_KEPT)
    expect(offer).to_contain_text(AGENT)
    offer.get_by_role("button", name="Decline").click()
    page.locator("#h-file").set_input_files(
        files=[FilePayload(name=CHOSEN, mimeType="application/pdf", buffer=PDF)]
    )
    expect(view.locator("input[data-cobrowse-file]")).to_have_value(CHOSEN)

    # Control: the pointer's label, the toast of a click, and addresses the agent opens.
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    hover_mirror(agent, view.locator("h1"), 0.1, 0.5)
    expect(page.get_by_role("img", name=f"{AGENT}'s pointer")).to_contain_text(AGENT)
    click_mirror(agent, view.locator("#h-button"))
    expect(page.locator("#clicked")).to_contain_text("h-button")
    expect(visitor.get_by_text(f"{AGENT} clicked “Press”")).to_be_visible()
    for address in OPEN:
        agent.get_by_label("Address").fill(address)
        agent.get_by_role("button", name="Open").click()
        expect(agent.get_by_text(re.compile("only web addresses"))).to_be_visible()
    expect(page.locator("#h-button")).to_be_visible()  # still the same page

    watch.check(visitor, agent)
    visitor.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text(re.compile("ended")).first).to_be_visible()

    # The audit export: the name and the file name, never a formula.
    rows = export_csv(demo)
    mine = [r for r in rows if AGENT in r["actor"]]
    assert mine and all(r["actor"] == "'" + AGENT for r in mine)
    offered = [r for r in rows if r["kind"] == "file.offered"]
    assert offered and all(r["target"] == "'" + OFFERED_AS_KEPT for r in offered)
    watch.check(visitor, agent)


def test_start_shows_a_hostile_address_as_text(pair: Pair, hostile_demo: Demo, site: Site) -> None:
    """/start, the page a helpdesk sends: the address is shown and linked as given when
    it is on an allowed site (escaped), refused as text otherwise; no script runs."""
    visitor = pair.visitor
    watch = Watch(visitor)
    hostile = site.origin + "/\"><img src=x onerror=xssHit('start')>"
    visitor.goto(f"{hostile_demo.server}/start?url={quote(hostile, safe='')}")
    link = visitor.locator("p.url a")
    expect(link).to_have_text(hostile)
    assert link.get_attribute("href") == hostile
    for bad in ("javascript:xssHit('start-js')", "data:text/html,<script>xssHit(1)</script>"):
        r = visitor.goto(f"{hostile_demo.server}/start?url={quote(bad, safe='')}")
        assert r is not None and r.status == 400
        expect(visitor.get_by_text(bad)).to_be_visible()
        expect(visitor.locator("a")).to_have_count(0)
    watch.check(visitor)
