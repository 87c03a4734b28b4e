"""Agent control on framework-built pages (issue 4), in both modes, viewports differing.

A real React 18 app (controlled inputs: a value only sticks if React's onChange saw it)
and an Angular-like page (ngModel-style `input` binding, change detection after every
event, a (click) handler on a shadow-DOM custom element, an innerHTML-rendered list),
served from a loopback site the demo is told about with `--allow-origin`. The visitor's
tab is 1280x800, the agent's console 1000x650.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.e2e.apps.server import build_react, running_apps
from tests.e2e.conftest import Pair, open_pair
from tests.e2e.demo_process import Demo, free_port, start_demo, stop_demo
from tests.e2e.test_guidance import click_mirror
from tests.e2e.test_story import agent_joins, ask_for_pin, mirror, surface

pytestmark = pytest.mark.e2e

EDITOR = "Type into the visitor\u2019s field"
# Keeps the console's WebSockets reachable, to send an act the console itself would not.
KEEP_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  const sockets = [];
  Object.defineProperty(window, '__testSockets', { value: sockets });
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); sockets.push(this); }
  };
})();
"""


@dataclass
class AppsDemo:
    demo: Demo
    site: str  # the loopback origin serving /react and /angular


@pytest.fixture(scope="session")
def react_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # No skip: a machine that cannot build the app fails here, loudly (make install
    # provides npm and esbuild; the npm registry is reachable wherever tests run).
    return build_react(tmp_path_factory.mktemp("react-build"))


@pytest.fixture(scope="session")
def apps_demos(
    tmp_path_factory: pytest.TempPathFactory, react_bundle: Path
) -> Iterator[Callable[[str], AppsDemo]]:
    """Per mode: a demo that allows the apps' site, and that site embedding its widget."""
    running: dict[str, AppsDemo] = {}
    stack = ExitStack()

    def get(mode: str) -> AppsDemo:
        if mode not in running:
            port = free_port()
            site = f"http://127.0.0.1:{port}"
            demo = start_demo(
                tmp_path_factory.mktemp(f"apps-{mode}"),
                {"COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "5", "COBROWSE_PROXY_MODE": mode},
                mode=mode,
                extra_args=["--allow-origin", site],
            )
            stack.callback(stop_demo, demo)
            stack.enter_context(running_apps(demo.server, react_bundle, port))
            running[mode] = AppsDemo(demo, site)
        return running[mode]

    with stack:
        yield get


@pytest.fixture(params=["proxy", "inline"])
def apps(request: pytest.FixtureRequest, apps_demos: Callable[[str], AppsDemo]) -> AppsDemo:
    return apps_demos(request.param)


@pytest.fixture
def fpair(browser: Browser) -> Iterator[Pair]:
    """The visitor at 1280x800, the agent at 1000x650 (its sockets kept for the test)."""
    with open_pair(browser, agent_size=(1000, 650)) as p:
        p.agent.add_init_script(KEEP_SOCKETS)
        yield p


def begin(pair: Pair, apps: AppsDemo, path: str) -> tuple[Page | FrameLocator, FrameLocator]:
    """Visitor opens the app and shares it; the agent joins and is given control."""
    visitor, agent, demo = pair.visitor, pair.agent, apps.demo
    visitor.goto(apps.site + path)
    expect(visitor.get_by_role("heading", level=1)).to_be_visible()  # the app rendered
    agent_joins(agent, demo, ask_for_pin(visitor))
    expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    visitor.get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop")).to_be_visible()
    page, view = surface(visitor, demo), mirror(agent)
    expect(view.get_by_role("heading", level=1)).to_be_visible()

    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("button", name="Allow control").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    expect(visitor.get_by_role("button", name="Take back control")).to_be_visible()
    return page, view


def type_in_mirror(agent: Page, field: object, text: str) -> None:
    click_mirror(agent, field)  # type: ignore[arg-type]
    editor = agent.get_by_label(EDITOR)
    expect(editor).to_be_focused()
    agent.keyboard.type(text)


def choose_in_mirror(agent: Page, select: object, option: str) -> None:
    click_mirror(agent, select)  # type: ignore[arg-type]
    agent.get_by_label(EDITOR).select_option(option)


def acts(pair: Pair) -> list[dict[str, object]]:
    sent = [json.loads(f) for f in pair.agent_frames.sent]
    return [f for f in sent if f.get("t") == "act"]


def take_back_and_check_refused(pair: Pair, press: object) -> None:
    """The visitor takes control back: the console stops acting, and an act sent anyway
    (the very frame that last worked, under a new ref) is refused by the server."""
    visitor, agent = pair.visitor, pair.agent
    visitor.get_by_role("button", name="Take back control").click()
    expect(visitor.get_by_role("button", name="Take back control")).to_be_hidden()
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()

    before = acts(pair)
    worked = dict(before[-1], ref="after-take-back")
    click_mirror(agent, press)  # type: ignore[arg-type]  # the console sends nothing now
    sent = agent.evaluate(
        """frame => {
            const open = window.__testSockets.filter(s => s.readyState === WebSocket.OPEN);
            if (!open.length) return false;
            open[open.length - 1].send(frame);
            return true;
        }""",
        json.dumps(worked),
    )
    assert sent
    expect(
        agent.get_by_text("Not done: you do not have control of the visitor\u2019s page.")
    ).to_be_visible()
    results = [json.loads(f) for f in pair.agent_frames.received]
    refused = [r for r in results if r.get("t") == "act_result" and r.get("ref") == worked["ref"]]
    assert refused and refused[0]["ok"] is False and refused[0]["reason"] == "no control"
    # Frames are reported in order: had the mirror click sent an act, it would be here.
    assert [a["ref"] for a in acts(pair)[len(before) :]] == ["after-take-back"]


def test_react_app(fpair: Pair, apps: AppsDemo) -> None:
    visitor, agent = fpair.visitor, fpair.agent
    page, view = begin(fpair, apps, "/react")

    # Typing: React's state changes (the greeting is rendered from it), both sides.
    type_in_mirror(agent, view.get_by_label("Full name"), "Meera Iyer")
    expect(page.get_by_label("Greeting")).to_have_text("Hello, Meera Iyer")
    expect(page.get_by_label("Full name")).to_have_value("Meera Iyer")
    expect(view.get_by_label("Greeting")).to_have_text("Hello, Meera Iyer")
    expect(visitor.get_by_text(re.compile(r"Asha Rao typed in “Full name”"))).to_be_visible()

    choose_in_mirror(agent, view.get_by_label("State"), "Kerala")
    expect(page.locator("#state-out")).to_have_text("State is Kerala")
    expect(page.get_by_label("State")).to_have_value("Kerala")
    expect(view.locator("#state-out")).to_have_text("State is Kerala")

    click_mirror(agent, view.get_by_label("I agree"))
    expect(page.locator("#agree-out")).to_have_text("Agreement: yes")
    expect(page.get_by_label("I agree")).to_be_checked()
    expect(view.locator("#agree-out")).to_have_text("Agreement: yes")

    click_mirror(agent, view.get_by_label("Premium"))
    expect(page.locator("#plan-out")).to_have_text("Plan is premium")
    expect(page.get_by_label("Premium")).to_be_checked()
    expect(page.get_by_label("Basic")).not_to_be_checked()
    expect(view.locator("#plan-out")).to_have_text("Plan is premium")

    rows = page.get_by_role("list", name="Rows").get_by_role("listitem")
    add = view.get_by_role("button", name="Add row")
    click_mirror(agent, add)
    expect(rows).to_have_text(["Row 1"])
    click_mirror(agent, add)
    expect(rows).to_have_text(["Row 1", "Row 2"])
    expect(view.get_by_role("list", name="Rows").get_by_role("listitem")).to_have_count(2)

    type_in_mirror(agent, view.get_by_role("textbox", name="Notes"), "Call after 5")
    expect(page.locator("#notes-out")).to_have_text("Notes say Call after 5")

    click_mirror(agent, view.get_by_role("button", name="Submit"))
    submitted = "Submitted: Meera Iyer / Kerala / agreed / premium / 2 rows / Call after 5"
    expect(page.locator("#submitted")).to_have_text(submitted)
    expect(view.locator("#submitted")).to_have_text(submitted)
    expect(visitor.get_by_text(re.compile(r"Asha Rao clicked “Submit”"))).to_be_visible()

    take_back_and_check_refused(fpair, add)
    expect(rows).to_have_count(2)
    assert fpair.visitor_errors == []


def test_angular_like_app(fpair: Pair, apps: AppsDemo) -> None:
    agent = fpair.agent
    page, view = begin(fpair, apps, "/angular")
    expect(page.locator("#dark-out")).to_have_text("Dark mode is off")

    # (click) on a custom element whose button is in its shadow root.
    click_mirror(agent, view.locator("my-toggle"))
    expect(page.locator("#dark-out")).to_have_text("Dark mode is on")
    inner = page.locator("my-toggle").get_by_role("button")  # in its shadow root
    expect(inner).to_have_attribute("aria-pressed", "true")
    expect(view.locator("#dark-out")).to_have_text("Dark mode is on")

    choose_in_mirror(agent, view.get_by_label("Colour"), "blue")
    expect(page.locator("#colour-out")).to_have_text("Colour is blue")
    expect(view.locator("#colour-out")).to_have_text("Colour is blue")

    type_in_mirror(agent, view.get_by_label("Your name"), "Meera")
    expect(page.get_by_label("Greeting")).to_have_text("Hi, Meera")
    expect(view.get_by_label("Greeting")).to_have_text("Hi, Meera")

    # A list re-rendered from state with innerHTML: every click lands on fresh nodes.
    items = page.get_by_role("list", name="Items").get_by_role("listitem").locator("span")
    expect(items).to_have_text(["Alpha", "Beta"])
    type_in_mirror(agent, view.get_by_label("New item"), "Gamma")
    click_mirror(agent, view.get_by_role("button", name="Add item"))
    expect(items).to_have_text(["Alpha", "Beta", "Gamma"])
    expect(page.get_by_label("New item")).to_have_value("")
    mirrored = view.get_by_role("list", name="Items").get_by_role("listitem").locator("span")
    expect(mirrored).to_have_text(["Alpha", "Beta", "Gamma"])  # the mirror has redrawn too
    remove = view.get_by_role("button", name="Remove Alpha")
    click_mirror(agent, remove)
    expect(items).to_have_text(["Beta", "Gamma"])
    expect(page.locator("#count")).to_have_text("2 items")
    expect(view.locator("#count")).to_have_text("2 items")

    take_back_and_check_refused(fpair, view.get_by_role("button", name="Remove Beta"))
    expect(items).to_have_text(["Beta", "Gamma"])
    assert fpair.visitor_errors == []


def test_a_click_reaches_a_button_inside_shadow_dom(fpair: Pair, apps: AppsDemo) -> None:
    """A web component whose own logic listens on the button in its shadow root."""
    page, view = begin(fpair, apps, "/angular")
    expect(page.locator("#alerts-out")).to_have_text("Alerts are off")
    click_mirror(fpair.agent, view.locator("my-switch"))
    # Once the visitor is told of the click it has been applied (events run synchronously).
    expect(fpair.visitor.get_by_text("Asha Rao clicked “Alerts”")).to_be_visible()
    switch = page.get_by_role("switch", name="Alerts")
    expect(switch).to_have_attribute("aria-checked", "true", timeout=2_000)
    expect(page.locator("#alerts-out")).to_have_text("Alerts are on", timeout=2_000)
    expect(view.locator("#alerts-out")).to_have_text("Alerts are on")
