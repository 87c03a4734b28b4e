"""Masked data never leaves the visitor's browser (issue 5), attacked in Chromium.

A page (tests/e2e/masking_site.py) puts a known secret in every place a page can hold
one: typed, prefilled and script-filled inputs, a textarea, contenteditable, text
nodes, attributes (title, aria-label, alt, placeholder, data-*, hidden value, link
href), the page URL's query string, a pushState URL, a canvas, CSS content from a
stylesheet file, an inline stylesheet and insertRule, a shadow root, a same-origin
iframe, late mutations, a chat message, a password field before and after a "show
password" toggle, and a private-by-default page reached by pushState; and values written
the way real pages write them (no-break spaces, Devanagari, Bengali and full-width
digits, a soft hyphen or zero-width space inside, split across inline elements). A
session runs through it in both modes while every WebSocket frame of both pages is
recorded; then every frame, the server's log and every file in its data directory are
searched for every secret in plain form and in simple encodings, as they are and after
normalising them as the masker does (so a Devanagari value in a frame counts). None may
be found. The non-secret controls must be found: the search sees what reaches the
agent, so a leak would show. A selector-masked inline element keeps its size in the
agent's mirror.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Frame, Page, expect

from cobrowse.core.masking_fold import fold
from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, start_site_demo, stop_demo
from tests.e2e.leaks import encodings, normalised
from tests.e2e.masking_site import (
    CONTROL,
    LATE_CONTROL,
    PRIVATE_CONTROL,
    SECRETS,
    UNICODE_CONTROL,
    WRITTEN,
    Site,
    masking_env,
    masking_site,
)
from tests.e2e.test_guidance import click_mirror
from tests.e2e.test_story import (
    agent_joins,
    ask_for_pin,
    mirror,
    mirror_frame,
    surface,
    surface_frame,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with masking_site() as s:
        yield s


@pytest.fixture(scope="module", params=["inline", "proxy"])
def masked_demo(
    request: pytest.FixtureRequest, site: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """A demo server that allows the site and has masking rules for it."""
    mode = request.param
    tmp = tmp_path_factory.mktemp(f"masking-{mode}")
    demo = start_site_demo(tmp, site.origin, mode, masking_env(site.origin))
    site.server = demo.server
    yield demo
    stop_demo(demo)


def haystacks(pair: Pair, demo: Demo, mirror_text: str) -> dict[str, bytes]:
    """Every place a secret could reach, as it is and normalised; and the text of the
    agent's mirror, where a value split across text nodes reads as one."""
    out = {
        "agent's mirror": mirror_text.encode(),
        "visitor sent": "\n".join(pair.visitor_frames.sent).encode(),
        "visitor received": "\n".join(pair.visitor_frames.received).encode(),
        "agent sent": "\n".join(pair.agent_frames.sent).encode(),
        "agent received": "\n".join(pair.agent_frames.received).encode(),
        "server log": demo.log.read_bytes(),
    }
    for path in sorted(Path(demo.data_dir).rglob("*")):
        if path.is_file():
            out[f"file {path.relative_to(demo.data_dir)}"] = path.read_bytes()
    return out | {f"{where} (normalised)": normalised(data) for where, data in out.items()}


def box(frame: Frame, selector: str) -> list[float]:
    """The border box of the element and its line (`#badge-line`): its left and top in
    the line, its width and height, and the line's height."""
    return frame.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  const p = document.getElementById('badge-line').getBoundingClientRect();
                  return [r.left - p.left, r.top - p.top, r.width, r.height, p.height]; }""",
        selector,
    )


def wait_for_frames(pair: Pair, text: str, page: Page) -> None:
    """Until the agent has received `text` (polled: frames arrive on their own)."""
    for _ in range(300):
        if text in "\n".join(pair.agent_frames.received):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the agent never received {text!r}")


def test_no_secret_leaves_the_visitors_browser(pair: Pair, masked_demo: Demo, site: Site) -> None:
    demo, visitor, agent = masked_demo, pair.visitor, pair.agent
    query = f"?acct={SECRETS['url_account']}&mail={quote(SECRETS['url_email'])}"
    visitor.goto(site.origin + "/" + query)
    pin = ask_for_pin(visitor)
    agent_joins(agent, demo, pin)
    expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    visitor.get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop")).to_be_visible()

    page = surface(visitor, demo)
    frame = surface_frame(visitor, demo)
    view = mirror(agent)
    expect(view.locator("#control")).to_have_text(CONTROL)
    # The agent sees a same-size placeholder; the visitor sees a dashed outline there.
    expect(view.locator("[data-cobrowse-masked]").first).to_be_attached()
    outline = "el => getComputedStyle(el).outlineStyle"
    assert page.locator("#masked").evaluate(outline) == "dashed"
    assert page.locator("#control").evaluate(outline) != "dashed"

    # The secrets really are on the visitor's page (else finding none proves nothing).
    shown = frame.evaluate(
        """() => [document.body.innerText, document.getElementById('autofilled').value,
                  document.getElementById('prefilled').value,
                  document.getElementById('host').shadowRoot.innerHTML,
                  document.getElementById('attrs').outerHTML, location.href,
                  document.getElementById('frame').contentDocument.body.innerHTML].join('\\n')"""
    )
    for key in ("text_pan", "autofill_card", "prefilled_aadhaar", "shadow_email", "title_pan"):
        assert SECRETS[key] in shown, key
    # The values written as pages write them, raw (entities decoded; split ones joined).
    written = frame.evaluate(
        """() => [document.getElementById('written').textContent,
                  document.getElementById('devanagari-input').value,
                  document.getElementById('nnbsp-attr').title].join('\\n')"""
    )
    for key in WRITTEN:
        if key != "late_split_pan":
            assert SECRETS[key] in written, key

    # A masked inline element keeps its size and its place in its line in the agent's
    # mirror (elsewhere the page differs: the canvas, the frame).
    view_frame = mirror_frame(agent)
    expect(view.locator(".badge[data-cobrowse-masked]")).to_be_attached()
    there, here = box(view_frame, ".badge"), box(frame, "#badge-line .badge")
    assert here[2] > 50 and here[3] > 10, here
    assert all(abs(a - b) <= 1 for a, b in zip(there, here, strict=True)), (there, here)
    # Values written with other digits or spaces, or split across elements, arrive masked.
    expect(view.locator("#devanagari")).to_have_text("आधार संख्या **** **** ****")
    expect(view.locator("#split-b")).to_have_text("PAN **********")
    expect(view.locator("#split-span")).to_have_text("PAN **********")
    expect(view.locator("#shy")).to_have_text(re.compile(r"^PAN \*{11}$"))
    assert SECRETS["frame_pan"] in shown and SECRETS["url_account"] in shown
    rules = frame.evaluate(
        "() => [...document.styleSheets].flatMap(s => [...s.cssRules].map(r => r.cssText))"
    )
    assert any(SECRETS["stylesheet_pan"] in r for r in rules)

    # The visitor types: a PAN in a plain field, a password, shown, then typed again.
    page.locator("#typed").press_sequentially(SECRETS["typed_pan"])
    page.locator("#pw").press_sequentially(SECRETS["password_typed"])
    page.locator("#show").click()
    expect(page.locator("#pw")).to_have_attribute("type", "text")
    page.locator("#pw").fill("")
    page.locator("#pw").press_sequentially(SECRETS["password_shown"])
    page.locator("#editable").click()
    visitor.keyboard.type(" more")

    # Late mutations: text, attributes, new elements, a new CSS rule; and a pushState URL.
    frame.evaluate("() => { window.lateMutation(); window.pushSecret(); }")
    wait_for_frames(pair, LATE_CONTROL, visitor)
    # The late piece joined a PAN with the text before it: both are masked now.
    expect(view.locator("#late-split")).to_have_text("PAN **********")
    mirror_text = view_frame.evaluate("() => document.documentElement.textContent")
    assert CONTROL in mirror_text and LATE_CONTROL in mirror_text

    # Chat from the visitor.
    visitor.get_by_role("button", name="Chat").click()
    visitor.get_by_label("Message").fill(f"my card is {SECRETS['chat_card']} ok")
    visitor.get_by_role("button", name="Send").click()
    expect(agent.get_by_role("log")).to_contain_text("my card is")
    expect(agent.get_by_role("log")).to_contain_text("ok")

    # The agent, given control, cannot type into a field holding a value that is masked.
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    click_mirror(agent, view.locator("#prefilled"))
    agent.keyboard.type("9")
    refused = re.compile("Refused on the visitor.s side: this field is private")
    expect(agent.get_by_text(refused)).to_be_visible()
    expect(page.locator("#prefilled")).to_have_value(SECRETS["prefilled_aadhaar"])

    # A private-by-default page (by URL scope), reached in-page: only the <h1> is readable.
    frame.evaluate("() => window.goPrivate()")
    wait_for_frames(pair, PRIVATE_CONTROL, visitor)
    expect(view.get_by_role("heading", name=PRIVATE_CONTROL)).to_be_visible()

    visitor.get_by_role("button", name="Stop").click()
    expect(agent.get_by_text(re.compile("ended"))).to_be_visible()

    found = haystacks(pair, demo, mirror_text)
    # The search sees what reaches the agent and what the server logs.
    for control in (CONTROL, LATE_CONTROL, PRIVATE_CONTROL, UNICODE_CONTROL):
        assert control.encode() in found["agent received"], control
        assert control.encode() in found["visitor sent"], control
    # The normalised search sees a value written in other digits and spaces.
    folded_control = fold(UNICODE_CONTROL).text.encode()
    assert folded_control == "UNICODE CONTROL वर्ष 2024".encode()
    assert folded_control in found["agent received (normalised)"]
    assert b"POST /api/v1/sessions" in found["server log"]
    leaks = [
        f"{key} ({form!r}) in {where}"
        for key, secret in SECRETS.items()
        for form in encodings(secret)
        for where, data in found.items()
        if form.encode() in data
    ]
    assert not leaks, "secrets left the visitor's browser:\n" + "\n".join(leaks)
