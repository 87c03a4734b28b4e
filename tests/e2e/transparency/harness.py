"""Loading a probe page directly and through the proxy, and reading what it observed.

Direct: a plain Chromium context per shape, the probe as a top-level page. Proxied: the
real product, one overlay session per shape: the visitor opens site A's home page
(which embeds the widget) in Chromium and asks for a PIN, an agent joins with it (over
HTTP and WebSocket from Python, as the console does: no mirror to replay every probe),
the visitor allows, and the widget lays its iframe over the page; each probe is then
loaded in that iframe at the probe's URL on the overlay's proxy host (a fresh navigation
of the frame, as if the page had linked there).

A probe's script puts what it observed in `window.__result` (JSON-able) when it is done;
navigating probes set it on the page they end on.

What legitimately differs is normalised in both results alike, from the sites' upstream
addresses only: host:port of A and B become {A} and {B}, their host names and ports
(standing alone) {A.hostname}, {A.port}... A proxy host is never normalised: a value
showing `<label>.cobrowse.demo.localhost` differs from the direct one and fails.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect
from playwright.sync_api import Error as PlaywrightError
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import unload
from tests.e2e.corpus.proxy import ProxyServer
from tests.e2e.demo_process import Demo
from tests.e2e.test_story import OVERLAY, ask_for_pin
from tests.e2e.transparency.site import Origins

PROXY_DOMAIN = "cobrowse.demo.localhost"  # the demo's proxy domain
WAIT_MS = 15_000
# A probe's own work can be long on a loaded 2-core machine (cookie-write makes up to
# 200 proxied round trips): its result gets a limit of its own.
RESULT_WAIT_MS = 60_000
RESULT = "() => window.__result !== undefined"


class ProbeDidNotFinish(AssertionError):
    pass


def observe(where: Page | Frame, url: str) -> Any:
    """Open `url` in the page or frame and return the probe's `window.__result`."""
    where.goto(url, wait_until="commit", timeout=WAIT_MS)
    try:
        where.wait_for_function(RESULT, timeout=RESULT_WAIT_MS, polling=50)
    except PlaywrightError as e:
        raise ProbeDidNotFinish(f"{url}: no window.__result ({e.message.splitlines()[0]})") from e
    return where.evaluate("() => window.__result")


@dataclass
class Normaliser:
    """Maps the sites' upstream host:port, host names and ports to symbolic names."""

    origins: Origins

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value

    def text(self, text: str) -> str:
        sites = {"A": self.origins.a_host, "B": self.origins.b_host}
        for token, host in sites.items():
            text = text.replace(host, "{" + token + "}")
        for token, host in sites.items():
            name, port = host.rsplit(":", 1)
            if text == name:
                return "{" + token + ".hostname}"
            if text == port:
                return "{" + token + ".port}"
            text = re.sub(rf"(?<=:){port}\b", "{" + token + ".port}", text)
        return text


@dataclass
class ShapeRun:
    """One shape: a direct page, and the visitor's overlay in a running session."""

    shape: str
    origins: Origins
    direct_page: Page
    visitor: Page
    proxy_origin: str  # the overlay's proxy host for site A, http://<label>.<domain>:<port>
    # Results by path: a page several probes read is loaded once per side.
    direct_results: dict[str, Any] = field(default_factory=dict)
    proxied_results: dict[str, Any] = field(default_factory=dict)

    def overlay(self) -> Frame:
        handle = self.visitor.locator(OVERLAY).element_handle()
        assert handle is not None
        frame = handle.content_frame()
        assert frame is not None
        return frame

    def direct(self, path: str) -> Any:
        if path not in self.direct_results:
            self.direct_results[path] = observe(self.direct_page, self.origins.a + path)
        return self.direct_results[path]

    def proxied(self, path: str) -> Any:
        if path not in self.proxied_results:
            self.proxied_results[path] = observe(self.overlay(), self.proxy_origin + path)
        return self.proxied_results[path]


@contextmanager
def agent_joined(demo: Demo, pin: str) -> Iterator[ClientConnection]:
    """An agent signs in, joins with the PIN and opens its socket, like the console; a
    thread reads (and drops) what the socket brings until it closes."""
    server = ProxyServer(
        url=demo.server, data_dir=demo.data_dir, log=demo.log, process=demo.process
    )
    server.sign_in_agent("Asha Rao")
    status, _, body = server.request(
        "POST", "/api/v1/join", {"pin": pin}, {"Cookie": server.agent_cookie}
    )
    assert status == 200, body
    joined = json.loads(body)
    with connect(joined["ws_url"], open_timeout=10, max_size=None) as ws:
        ws.send(json.dumps({"v": 1, "t": "hello", "token": joined["agent_token"]}))
        threading.Thread(target=_drain, args=(ws,), daemon=True).start()
        yield ws


def _drain(ws: ClientConnection) -> None:
    try:
        for _ in ws:
            pass
    except Exception:  # closed at the end, either way
        return


@contextmanager
def shape_run(browser: Browser, demo: Demo, shape: str, origins: Origins) -> Iterator[ShapeRun]:
    with ExitStack() as stack:
        contexts: list[BrowserContext] = []

        def close() -> None:
            for ctx in contexts:
                for page in ctx.pages:
                    unload(page)
                ctx.close()

        stack.callback(close)
        contexts.append(browser.new_context())
        direct_page = contexts[-1].new_page()
        contexts.append(browser.new_context(viewport={"width": 1280, "height": 800}))
        visitor = contexts[-1].new_page()
        visitor.set_default_timeout(WAIT_MS)
        visitor.goto(origins.a + "/")
        stack.enter_context(agent_joined(demo, ask_for_pin(visitor)))
        expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
        visitor.get_by_role("button", name="Allow").click()
        heading = visitor.frame_locator(OVERLAY).get_by_role("heading", name="Transparency probes")
        expect(heading).to_be_visible()
        run = ShapeRun(shape, origins, direct_page, visitor, "")
        url = run.overlay().url
        m = re.match(rf"(http://[a-z0-9]+\.{re.escape(PROXY_DOMAIN)}:\d+)/", url)
        assert m is not None, url
        run.proxy_origin = m.group(1)
        yield run
