"""End-to-end: the real `cobrowse demo` process, Debian's Chromium, two browser contexts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.demo_process import CHROMIUM_ARGS, Demo, start_demo, stop_demo

# Generous waits: a loaded 2-core CI machine is slow, and a wait ends as soon as it holds.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return dict(CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Demo]]:
    """One running demo per mode, started on first use, with a 5-second grace period."""
    running: dict[str, Demo] = {}

    def get(mode: str) -> Demo:
        if mode not in running:
            running[mode] = start_demo(
                tmp_path_factory.mktemp(f"demo-{mode}"),
                {
                    "COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "5",
                    "COBROWSE_PROXY_MODE": mode,
                },
                mode=mode,
            )
        return running[mode]

    yield get
    for d in running.values():
        stop_demo(d)


@pytest.fixture(params=["proxy", "inline"])
def demo(request: pytest.FixtureRequest, demos: Callable[[str], Demo]) -> Demo:
    """The demo in each mode: a test taking it runs once per mode."""
    return demos(request.param)


@pytest.fixture
def proxy_demo(demos: Callable[[str], Demo]) -> Demo:
    return demos("proxy")


@pytest.fixture(scope="session")
def short_pin_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A demo whose PINs expire after 3 seconds."""
    d = start_demo(tmp_path_factory.mktemp("short"), {"COBROWSE_SESSION_PIN_TTL_SECONDS": "3"})
    yield d
    stop_demo(d)


@dataclass
class Frames:
    """Every WebSocket frame a page sent or received, as text."""

    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_socket(ws: WebSocket) -> None:
            ws.on("framesent", lambda payload: self.sent.append(_text(payload)))
            ws.on("framereceived", lambda payload: self.received.append(_text(payload)))

        page.on("websocket", on_socket)

    def all_text(self) -> str:
        return "\n".join(self.sent + self.received)


def _text(payload: str | bytes) -> str:
    return payload if isinstance(payload, str) else payload.decode("utf-8", "replace")


@dataclass
class Pair:
    visitor: Page
    agent: Page
    visitor_frames: Frames
    agent_frames: Frames
    visitor_errors: list[str]
    agent_errors: list[str]


@contextmanager
def open_pair(browser: Browser, *, agent_size: tuple[int, int]) -> Iterator[Pair]:
    """A taxpayer's tab (1280x800) and an agent's console, in separate contexts."""
    contexts: list[BrowserContext] = []

    def new_page(width: int, height: int, frames: Frames, errors: list[str]) -> Page:
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        frames.attach(page)
        return page

    vf, af = Frames(), Frames()
    ve: list[str] = []
    ae: list[str] = []
    try:
        yield Pair(
            visitor=new_page(1280, 800, vf, ve),
            agent=new_page(*agent_size, af, ae),
            visitor_frames=vf,
            agent_frames=af,
            visitor_errors=ve,
            agent_errors=ae,
        )
    finally:
        for ctx in contexts:
            for page in ctx.pages:
                unload(page)
            ctx.close()


def unload(page: Page) -> None:
    """Leave the page for about:blank before its context closes. Chromium can hang a
    context's close when a navigation commits during it, and the visitor's widget does
    navigate a moment after the end (back to the site, once the overlay's state is
    carried back); on about:blank no script is left to start one."""
    for _ in range(3):
        try:
            page.goto("about:blank", wait_until="load", timeout=10_000)
            return
        except PlaywrightError:
            continue  # interrupted by the page's own navigation: once more


@pytest.fixture
def pair(browser: Browser) -> Iterator[Pair]:
    """The visitor and an agent whose window is a different size (1024x700)."""
    with open_pair(browser, agent_size=(1024, 700)) as p:
        yield p
