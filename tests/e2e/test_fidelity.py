"""Fidelity: every corpus page, loaded directly and through the proxy in Chromium.

For each page the test compares the two loads:
  - a screenshot (same 800x600 viewport, after fonts and images are loaded, animations
    and caret off): at most MAX_DIFF_FRACTION of the pixels may differ by more than
    PIXEL_TOLERANCE in a channel;
  - console errors and uncaught exceptions: the proxied load must not have any the
    direct one lacks (URLs normalised to "A"/"B" first);
  - a scripted interaction (log in, navigate the SPA, submit a form, upload, download,
    WebSocket echo, reload...) whose observations, URLs normalised, must be equal;
  - and, through the proxy, that the browser never talked to the corpus origins itself:
    every request and WebSocket went to a proxy host.

"Through the proxy" is the real flow: a `cobrowse serve` in proxy mode, a session
created, joined and allowed over HTTP and WebSocket, and the overlay's `enter` URL
opened as a top-level page (it sets the proxy credential and redirects to the page).
Top-level rather than inside the overlay iframe so that both loads have the same
viewport and the same (first-party) storage and cookie rules: what differs is only the
proxy's rewriting and its runtime. The third-party iframe shape is covered by
tests/e2e/test_proxy.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, ViewportSize, expect

from tests.e2e.corpus.pixels import compare
from tests.e2e.corpus.proxy import PROXY_DOMAIN, ProxiedSession, ProxyServer, running_proxy
from tests.e2e.corpus.site import PASSWORD, USER, Corpus, running_corpus

pytestmark = pytest.mark.e2e

VIEWPORT: ViewportSize = {"width": 800, "height": 600}
PIXEL_TOLERANCE = 16  # per channel, out of 255: below this a pixel counts as equal
MAX_DIFF_FRACTION = 0.001  # of the viewport's pixels (480 of 480 000)
WAIT_MS = 15_000
CONFIG = re.compile(r'<script id="__cobrowse_config" type="application/json">(.*?)</script>', re.S)

UPLOAD = bytes(range(256)) * 20 + b"%%EOF\n"  # 5126 bytes, deterministic


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Iterator[Corpus]:
    with running_corpus() as c:
        yield c


@pytest.fixture(scope="module")
def proxy(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyServer]:
    with running_proxy(tmp_path_factory.mktemp("fidelity"), corpus) as server:
        yield server


@dataclass
class Load:
    """One browser context's view of a page: what it logged and where it connected."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@dataclass
class Side:
    """Direct or proxied: how to open a corpus URL, and how to read URLs back."""

    name: str
    corpus: Corpus
    open_url: Callable[[str], str]
    origins: dict[str, str] = field(default_factory=dict)  # origin seen -> "A" / "B"

    def norm(self, text: str) -> str:
        for origin, token in sorted(self.origins.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(origin, token)
            text = text.replace("//" + origin.split("://", 1)[1], "//" + token)
        return text


@dataclass
class Run:
    side: Side
    load: Load
    base: str  # the upstream URL of the page under test

    @property
    def page(self) -> Page:
        return self.load.page

    def url(self, path: str) -> str:
        """Where `path` on site A is, as this side opens it (a fresh credential)."""
        return self.side.open_url(self.side.corpus.a + path)

    def here(self) -> str:
        return self.side.norm(self.page.url)


def _new_load(browser: Browser, contexts: list[BrowserContext]) -> Load:
    ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, accept_downloads=True)
    contexts.append(ctx)
    page = ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    load = Load(page)
    page.on("console", lambda m: load.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: load.errors.append(f"uncaught: {exc}"))
    ctx.on("request", lambda r: load.requests.append(r.url))
    page.on("websocket", lambda ws: load.requests.append(ws.url))
    return load


# --- waiting and reading -------------------------------------------------------------

SETTLED = """async () => {
  await document.fonts.ready;
  const loaded = (img) => img.complete ? null : new Promise((done) => {
    img.addEventListener('load', done);
    img.addEventListener('error', done);
  });
  await Promise.all([...document.images].map(loaded));
  // CSS background images: load each url() of every computed background-image (from
  // the memory cache when the page already has it) and wait until it is decoded.
  const urls = new Set();
  for (const el of document.querySelectorAll('*')) {
    const value = getComputedStyle(el).backgroundImage;
    for (const m of value.matchAll(/url\\("([^"]+)"\\)/g)) urls.add(m[1]);
  }
  await Promise.all([...urls].map((url) => {
    const img = new Image();
    img.src = url;
    return img.decode().catch(() => null);
  }));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return urls.size;
}"""


def settle(page: Page, ready: str | None = None) -> None:
    """The page, its frames, fonts and images are loaded and painted."""
    page.wait_for_load_state("load")
    if ready:
        page.wait_for_selector(ready, state="attached")
    page.wait_for_function("() => document.readyState === 'complete'")
    for frame in page.frames[1:]:
        frame.wait_for_load_state("load")
        frame.evaluate(SETTLED)
    page.evaluate(SETTLED)


def texts(page: Page, *selectors: str) -> dict[str, str]:
    return {s: page.locator(s).first.inner_text() for s in selectors}


IMAGES = """() => [...document.images].map((img) => [img.id || img.alt, img.naturalWidth,
  img.naturalHeight, img.currentSrc])"""


def images(run: Run) -> list[Any]:
    return [[i, w, h, run.side.norm(src)] for i, w, h, src in run.page.evaluate(IMAGES)]


# --- the interactions, one per page ----------------------------------------------------


def links(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {"images": images(run)}
    hrefs = page.eval_on_selector_all("a", "els => els.map((a) => [a.id, a.href])")
    out["hrefs"] = [[i, run.side.norm(h)] for i, h in hrefs]
    for link in ("rel", "root", "abs", "proto", "cross"):
        page.click(f"#{link}")
        expect(page.locator("h1")).to_contain_text("Target on site")
        expect(page.locator("#result")).not_to_be_empty()
        out[link] = [run.here(), page.inner_text("h1"), page.inner_text("#result")]
        page.go_back()
        expect(page.locator("#abs")).to_be_visible()
    return out


def base(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {"images": images(run), **texts(page, "#result")}
    for link in ("rel", "up"):
        page.click(f"#{link}")
        expect(page.locator("h1")).to_have_text("Reached through the base")
        expect(page.locator("#result")).not_to_be_empty()
        out[link] = [run.here(), page.inner_text("#result")]
        page.go_back()
        expect(page.locator("#up")).to_be_visible()
    return out


def styles(run: Run) -> dict[str, Any]:
    boxes = run.page.eval_on_selector_all(
        ".box", "els => els.map((e) => [e.id, getComputedStyle(e).backgroundImage])"
    )
    return {"boxes": [[i, run.side.norm(b)] for i, b in boxes]}


def font(run: Run) -> dict[str, Any]:
    page = run.page
    return {
        **texts(page, "#result"),
        "check": page.evaluate("() => document.fonts.check('20px \"Corpus Mono\"')"),
    }


def fontface(run: Run) -> dict[str, Any]:
    return texts(run.page, "#result")


def integrity(run: Run) -> dict[str, Any]:
    page = run.page
    colours = page.eval_on_selector_all(
        ".box",
        "els => els.map((e) => [e.id, getComputedStyle(e).backgroundColor,"
        " getComputedStyle(e).backgroundImage])",
    )
    return {**texts(page, "#result"), "boxes": [run.side.norm(str(c)) for c in colours]}


def cors(run: Run) -> dict[str, Any]:
    page = run.page
    box = page.eval_on_selector("#remote", "e => getComputedStyle(e).backgroundImage")
    return {**texts(page, "#result", "#fetched"), "box": run.side.norm(box)}


def csp(run: Run) -> dict[str, Any]:
    return {**texts(run.page, "#result", "#violations"), "images": images(run)}


def frames(run: Run) -> dict[str, Any]:
    page = run.page
    return {
        **texts(page, "#result"),
        "same": page.frame_locator("#same").locator("#child").inner_text(),
        "cross": page.frame_locator("#cross").locator("#child").inner_text(),
        "srcdoc": page.frame_locator("#srcdoc")
        .locator("img")
        .evaluate("(img) => [img.complete, img.naturalWidth]"),
    }


def login(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {}
    page.goto(run.url("/account"))
    expect(page.locator("h1")).to_have_text("Sign in")
    out["before"] = run.here()
    page.get_by_label("User").fill(USER)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"failed=1"))
    out["wrong"] = run.here()
    page.get_by_label("User").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("My account")
    out["signed_in"] = [run.here(), page.inner_text("#result")]
    page.click("#again")
    expect(page).to_have_url(re.compile(r"tab=returns"))
    page.reload()
    expect(page.locator("h1")).to_have_text("My account")
    out["after_reload"] = [run.here(), page.inner_text("#result")]
    out["document.cookie"] = page.evaluate("() => document.cookie")
    page.get_by_role("link", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.goto(run.url("/account"))
    expect(page.locator("h1")).to_have_text("Sign in")
    out["after_sign_out"] = run.here()
    return out


def spa(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {}

    def state(marker: str) -> list[str]:
        page.wait_for_selector(f'body[data-page="{marker}"]', state="attached")
        return [
            run.side.norm(page.evaluate("() => location.pathname")),
            page.inner_text("#title"),
            page.inner_text("#body"),
            page.inner_text("#history"),
        ]

    out["load"] = state("home#1")
    page.get_by_role("link", name="About").click()
    out["about"] = state("about#2")
    page.get_by_role("link", name="Contact").click()
    out["contact"] = state("contact#3")
    page.go_back()
    out["back"] = state("about#4")
    page.go_forward()
    out["forward"] = state("contact#5")
    page.reload()
    out["reload"] = state("contact#1")
    out["url"] = run.here()
    return out


def form(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {}
    page.get_by_label("Search").fill("refund status & more")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("h1")).to_have_text("Form result")
    out["get"] = [run.here(), page.inner_text("body")]
    page.go_back()
    page.get_by_label("Name").fill("Asha Rao")
    page.get_by_label("agree").check()
    page.select_option("select[name=year]", "2024-25")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("h1")).to_have_text("Form result")
    out["post"] = [run.here(), page.inner_text("body")]
    return out


def upload(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {}
    payload: FilePayload = {
        "name": "return-2024.pdf",
        "mimeType": "application/pdf",
        "buffer": UPLOAD,
    }
    page.set_input_files("#fetch-file", files=[payload])
    page.click("#fetch-send")
    expect(page.locator("#result")).not_to_be_empty()
    out["fetch"] = page.inner_text("#result")
    page.get_by_label("Note").fill("form 16")
    page.set_input_files("input[name=doc]", files=[payload])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("h1")).to_have_text("Uploaded")
    out["form"] = [run.here(), page.inner_text("body")]
    out["sha256"] = hashlib.sha256(UPLOAD).hexdigest()[:16]
    return out


def download(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {}
    for link in ("#csv", "#pdf"):
        with page.expect_download() as info:
            page.click(link)
        d = info.value
        path = d.path()
        data = Path(path).read_bytes()
        out[link] = [d.suggested_filename, len(data), hashlib.sha256(data).hexdigest()[:16]]
    out["headers"] = page.evaluate(
        """() => fetch('/download/statement.csv').then((r) =>
             [r.status, r.headers.get('content-disposition'), r.headers.get('content-type')])"""
    )
    return out


def compressed(run: Run) -> dict[str, Any]:
    page = run.page
    colour = page.eval_on_selector(".br-styled", "e => getComputedStyle(e).backgroundColor")
    return {**texts(page, "#result", "#fetched"), "css": colour}


def stream(run: Run) -> dict[str, Any]:
    return texts(run.page, "#chunks", "#result")


def ws(run: Run) -> dict[str, Any]:
    page = run.page
    expect(page.locator("#same")).to_have_text("same open")
    expect(page.locator("#cross")).to_have_text("cross open")
    page.fill("#msg", "namaste")
    page.click("#send")
    expect(page.locator("#same")).to_contain_text("got")
    expect(page.locator("#cross")).to_contain_text("got")
    return texts(page, "#same", "#cross")


def module(run: Run) -> dict[str, Any]:
    return texts(run.page, "#inline", "#result", "#dynamic")


def module_cross(run: Run) -> dict[str, Any]:
    return texts(run.page, "#result")


def workers(run: Run) -> dict[str, Any]:
    return texts(run.page, "#classic", "#module")


SERVER_SEES = """async (want) => {
  const seen = (await (await fetch('/api/cookies')).json()).names;
  return seen.includes(want) ? seen.join(', ') : false;
}"""


def server_sees(page: Page, cookie: str) -> str:
    """What the site's server receives, once it has `cookie` (a write from script may
    reach the proxy's jar a moment later; cookie-race is about that moment)."""
    return str(page.wait_for_function(SERVER_SEES, arg=cookie, polling=50).json_value())


SERVER_LACKS = """async (gone) => {
  const seen = (await (await fetch('/api/cookies')).json()).names;
  return gone.every((c) => !seen.includes(c));
}"""


def server_lacks(page: Page, cookies: list[str]) -> None:
    page.wait_for_function(SERVER_LACKS, arg=cookies, polling=50)


def cookie(run: Run) -> dict[str, Any]:
    page = run.page
    first = {**texts(page, "#before", "#after"), "server": server_sees(page, "visits=1")}
    page.reload()
    page.wait_for_selector('body[data-done="2"]', state="attached")
    second = {**texts(page, "#before", "#after"), "server": server_sees(page, "visits=2")}
    return {"first": first, "after_reload": second}


def cookie_delete(run: Run) -> dict[str, Any]:
    page = run.page
    out: dict[str, Any] = {"set": page.inner_text("#cookies")}
    out["server"] = server_sees(page, "consent=yes")
    server_sees(page, "banner=closed")
    page.click("#delete")
    out["deleted"] = page.inner_text("#cookies")
    server_lacks(page, ["consent=yes", "banner=closed"])  # both deletions have arrived
    page.reload()
    page.wait_for_selector("body[data-done]", state="attached")
    out["after_reload"] = page.inner_text("#cookies")
    out["server_after_reload"] = page.evaluate(
        "() => fetch('/api/cookies').then((r) => r.json()).then((j) => j.names)"
    )
    return out


def cookie_race(run: Run) -> dict[str, Any]:
    return texts(run.page, "#result")


def cookie_result(run: Run) -> dict[str, Any]:
    return texts(run.page, "#result")


def cookie_store(run: Run) -> dict[str, Any]:
    return texts(run.page, "#result", "#events")


def storage(run: Run) -> dict[str, Any]:
    page = run.page
    first = texts(page, "#local", "#session")
    page.reload()
    page.wait_for_selector('body[data-done="2"]', state="attached")
    return {"first": first, "after_reload": texts(page, "#local", "#session")}


@dataclass(frozen=True)
class Case:
    path: str
    interact: Callable[[Run], dict[str, Any]]
    ready: str | None = None  # a selector the page sets when its own work is done


CASES: dict[str, Case] = {
    "links": Case("/links.html", links),
    "base": Case("/base.html", base),
    "styles": Case("/styles.html", styles),
    "font": Case("/font.html", font, "body[data-done]"),
    "fontface": Case("/fontface.html", fontface, "body[data-done]"),
    "integrity": Case("/integrity.html", integrity),
    "cors": Case("/cors.html", cors, "body[data-done]"),
    "csp": Case("/csp.html", csp, "body[data-done]"),
    "frames": Case("/frames.html", frames, "body[data-done]"),
    "frames-postmessage": Case("/frames-postmessage.html", frames, "body[data-done]"),
    "login": Case("/login.html", login),
    "spa": Case("/spa/", spa, "body[data-page]"),
    "form": Case("/form.html", form),
    "upload": Case("/upload.html", upload),
    "download": Case("/download.html", download),
    "compressed": Case("/compressed.html", compressed, "body[data-done]"),
    "stream": Case("/stream.html", stream, "body[data-done]"),
    "ws": Case("/ws.html", ws, 'body[data-done="2"]'),
    "module": Case("/module.html", module, "body[data-done]"),
    "module-cross": Case("/module-cross.html", module_cross, "body[data-done]"),
    "worker": Case("/worker.html", workers, "body[data-done]"),
    "cookie": Case("/cookie.html", cookie, 'body[data-done="1"]'),
    "cookie-delete": Case("/cookie-delete.html", cookie_delete, "body[data-done]"),
    "cookie-race": Case("/cookie-race.html", cookie_race, "body[data-done]"),
    "cookie-fetch": Case("/cookie-fetch.html", cookie_result, "body[data-done]"),
    "cookie-image": Case("/cookie-image.html", cookie_result, "body[data-done]"),
    "cookie-store": Case("/cookie-store.html", cookie_store, "body[data-done]"),
    "cookie-httponly": Case("/cookie-httponly.html", cookie_result, "body[data-done]"),
    "storage": Case("/storage.html", storage, 'body[data-done="1"]'),
}

# Pages that differ through the proxy because of a bug in src/ or web/ (strict: an
# XPASS fails, so the mark goes once the bug is fixed).
KNOWN_BROKEN: dict[str, str] = {}


def _params() -> list[Any]:
    return [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[name])]
            if name in KNOWN_BROKEN
            else [],
            id=name,
        )
        for name in CASES
    ]


# --- the test --------------------------------------------------------------------------


@dataclass
class Observed:
    shot: bytes
    result: dict[str, Any]
    errors: list[str]
    requests: list[str]


def observe(case: Case, side: Side, browser: Browser, contexts: list[BrowserContext]) -> Observed:
    load = _new_load(browser, contexts)
    page = load.page
    response = page.goto(side.open_url(side.corpus.a + case.path))
    settle(page, case.ready)
    if side.name == "proxy":
        # The runtime removes its config element from the DOM: read it from the HTML.
        assert response is not None
        found = CONFIG.search(response.text())
        assert found, "no runtime config in the proxied page"
        config = json.loads(found.group(1))
        for upstream, proxied in config["origins"].items():
            token = {side.corpus.a: "A", side.corpus.b: "B"}.get(upstream)
            if token:
                side.origins[proxied] = token
                side.origins["ws" + proxied[4:]] = token
    shot = page.screenshot(animations="disabled", caret="hide")
    run = Run(side, load, side.corpus.a + case.path)
    result = case.interact(run)
    return Observed(shot, result, [side.norm(e) for e in load.errors], list(load.requests))


@pytest.mark.parametrize("name", _params())
def test_page_is_the_same_through_the_proxy(
    name: str, corpus: Corpus, proxy: ProxyServer, browser: Browser, tmp_path: Path
) -> None:
    case = CASES[name]
    contexts: list[BrowserContext] = []
    session: ProxiedSession | None = None
    try:
        direct_side = Side(
            "direct", corpus, open_url=lambda url: url, origins={corpus.a: "A", corpus.b: "B"}
        )
        b_ws = "ws://" + corpus.b.split("://", 1)[1]
        direct_side.origins[b_ws] = "B"
        direct_side.origins["ws://" + corpus.a.split("://", 1)[1]] = "A"
        direct = observe(case, direct_side, browser, contexts)

        session = proxy.open_session()
        # Scripts read upstream URLs through the proxy too (the runtime's getters).
        proxy_side = Side(
            "proxy", corpus, open_url=session.overlay, origins=dict(direct_side.origins)
        )
        proxied = observe(case, proxy_side, browser, contexts)

        # 1. The interaction gives the same observations.
        assert proxied.result == direct.result, json.dumps(
            {"direct": direct.result, "proxy": proxied.result}, indent=1
        )
        # 2. The proxy adds no console errors.
        added = sorted(set(proxied.errors) - set(direct.errors))
        assert added == [], f"errors only through the proxy: {added}\ndirect: {direct.errors}"
        # 3. Through the proxy, the browser only ever connects to proxy hosts.
        escaped = [u for u in proxied.requests if not _through_proxy(u)]
        assert escaped == [], f"requests that bypassed the proxy: {escaped}"
        # 4. The page looks the same.
        diff = compare(direct.shot, proxied.shot, tolerance=PIXEL_TOLERANCE)
        print(
            f"\n{name}: {diff.pixels} pixels differ (of {diff.total}), "
            f"max channel delta {diff.max_delta}"
        )
        if diff.fraction > MAX_DIFF_FRACTION:
            (tmp_path / f"{name}-direct.png").write_bytes(direct.shot)
            (tmp_path / f"{name}-proxy.png").write_bytes(proxied.shot)
            pytest.fail(
                f"{diff.pixels} of {diff.total} pixels differ by more than {PIXEL_TOLERANCE} "
                f"(max {diff.max_delta}); screenshots in {tmp_path}"
            )
    finally:
        for ctx in contexts:
            ctx.close()
        if session is not None:
            session.close()


def _through_proxy(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0]
    return host.endswith("." + PROXY_DOMAIN)
