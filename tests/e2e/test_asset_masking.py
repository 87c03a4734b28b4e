"""The agent's assets in Chromium, proxy mode (docs/masking.md, "URLs" and "The agent's
asset route"): masking must not break the page it protects, and must mask what an image
shows.

A site (served here) has a web font and images whose URLs carry a cache-busting hash
that the default IBAN pattern matches, as real documentation sites do (one image's URL
set by a script, which no rewriter sees), and an SVG badge
with two PANs a renderer draws: one written as XML character references, one split over
two tspans. In the agent's mirror the font must be applied (its rendered width is the
visitor's, not the fallback's) and the images loaded, and no asset the agent's browser
receives may hold either PAN in any form. The visitor's own page has them all (so the
search can fail), and the hash never reaches the agent, in frames or in URLs.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import Request as BrowserRequest
from playwright.sync_api import Response as BrowserResponse
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cobrowse.core.masking import BUILTIN_PATTERNS, mask_text
from tests.e2e.conftest import Pair
from tests.e2e.corpus.site import font_file, png
from tests.e2e.demo_process import Demo, free_port, serving_in_thread, start_demo, stop_demo
from tests.e2e.test_story import agent_joins, ask_for_pin, mirror_frame, surface_frame
from tests.e2e.test_story import wait_in_mirror as wait_until

pytestmark = pytest.mark.e2e


def iban_looking_hash() -> str:
    """A content hash (20 hex digits) that the IBAN pattern masks, found, not written."""
    iban = [BUILTIN_PATTERNS["iban"]]
    for i in range(10_000):
        digest = hashlib.sha256(f"docs build {i}".encode()).hexdigest()[:20]
        if mask_text(digest, iban) != digest:
            return digest
    raise AssertionError("no such hash")


HASH = iban_looking_hash()
DRAWN_PAN = "ENTSV1234V"  # drawn from character references
SPLIT_PAN = ("FGHIJ", "5678K")  # drawn from two tspans
LOGO = png(48, 24, (20, 90, 160))
LATE = png(36, 18, (160, 90, 20))  # set by a script: no rewriter sees its URL
SAMPLE = "iiiiiiiiii"  # narrow in a proportional font, wide in a monospaced one


def _badge() -> str:
    refs = "".join(f"&#{ord(ch)};" if i % 2 == 0 else ch for i, ch in enumerate(DRAWN_PAN))
    a, b = SPLIT_PAN
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="48">'
        '<rect width="240" height="48" fill="#eef"/>'
        f'<text x="6" y="20" font-size="16">PAN {refs}</text>'
        f'<text x="6" y="42" font-size="16"><tspan>{a}</tspan><tspan fill="#900">{b}</tspan>'
        "</text></svg>"
    )


def _page(server: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docs</title>
<script src="{server}/cobrowse.js" async></script>
<link rel="stylesheet" href="/static/docs.css">
</head><body>
<h1>Reference</h1>
<p><span id="sample" class="mono">{SAMPLE}</span></p>
<p><span id="fallback" class="serif">{SAMPLE}</span></p>
<p><img id="logo" src="/static/logo.{HASH}.png" alt="logo"></p>
<p><img id="badge" src="/static/badge.svg" alt="badge"></p>
<p><img id="late" alt="late"></p>
<script>document.getElementById('late').src = '/static/late.{HASH}.png';</script>
</body></html>"""


def _css() -> str:
    return (
        '@font-face { font-family: "Hash Mono";'
        f' src: url(/static/fonts/mono.{HASH}.ttf) format("truetype"); }}\n'
        '.mono { font: 32px "Hash Mono", serif; }\n'
        ".serif { font: 32px serif; }\n"
    )


@dataclass
class Site:
    origin: str
    server: str = ""


@contextmanager
def hashed_docs_site() -> Iterator[Site]:
    port = free_port()
    site = Site(origin=f"http://docs.demo.localhost:{port}")
    font = font_file().read_bytes()
    files = {
        "/static/docs.css": (_css().encode(), "text/css"),
        f"/static/fonts/mono.{HASH}.ttf": (font, "font/ttf"),
        f"/static/logo.{HASH}.png": (LOGO, "image/png"),
        f"/static/late.{HASH}.png": (LATE, "image/png"),
        "/static/badge.svg": (_badge().encode(), "image/svg+xml"),
    }

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(_page(site.server), headers={"cache-control": "no-store"})

    async def static(request: Request) -> Response:
        body, kind = files[request.url.path]
        return Response(body, media_type=kind, headers={"cache-control": "no-store"})

    async def healthz(request: Request) -> HTMLResponse:
        return HTMLResponse("ok")

    routes = [Route(path, static) for path in files]
    app = Starlette(routes=[*routes, Route("/healthz", healthz), Route("/{path:path}", page)])
    with serving_in_thread(app, port, what="docs site"):
        yield site


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with hashed_docs_site() as s:
        yield s


@pytest.fixture(scope="module")
def docs_demo(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    demo = start_demo(
        tmp_path_factory.mktemp("assets"),
        {"COBROWSE_PROXY_MODE": "proxy", "COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "5"},
        mode="proxy",
        extra_args=["--allow-origin", site.origin],
    )
    site.server = demo.server
    yield demo
    stop_demo(demo)


def pan_forms(pan: str) -> set[str]:
    """A PAN as an SVG could carry it: plain, and each letter as a character reference."""
    forms = {pan, pan.lower(), "".join(f"&#{ord(ch)};" for ch in pan)}
    forms.add("".join(f"&#{ord(ch)};" if i % 2 == 0 else ch for i, ch in enumerate(pan)))
    return forms


def test_hashed_fonts_and_images_load_and_drawn_pans_are_masked(
    pair: Pair, docs_demo: Demo, site: Site
) -> None:
    visitor, agent = pair.visitor, pair.agent
    agent_requests: list[BrowserRequest] = []
    agent_responses: list[BrowserResponse] = []
    agent.on("request", lambda r: agent_requests.append(r))
    agent.on("response", lambda r: agent_responses.append(r))

    visitor.goto(site.origin + "/")
    agent_joins(agent, docs_demo, ask_for_pin(visitor))
    expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    visitor.get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop")).to_be_visible()

    # The visitor's page: the font applied, the image and badge shown, under opaque URLs.
    page = surface_frame(visitor, docs_demo)
    page.wait_for_function("() => document.getElementById('logo')?.naturalWidth > 0")
    page.wait_for_function("() => document.getElementById('badge')?.naturalWidth > 0")
    page.wait_for_function("""() => document.fonts.ready.then(() =>
        [...document.fonts].some(f => f.family.includes('Hash Mono') && f.status === 'loaded'))""")
    widths = "id => document.getElementById(id).getBoundingClientRect().width"
    font_width = page.evaluate(widths, "sample")
    assert abs(font_width - page.evaluate(widths, "fallback")) > 20  # they differ plainly
    logo_src = page.evaluate("() => document.getElementById('logo').getAttribute('src')")
    assert "/__cobrowse/asset/" in logo_src and HASH not in logo_src
    # The badge the visitor gets is the site's own: both PANs are in it.
    badge = page.evaluate("() => fetch(document.getElementById('badge').src).then(r => r.text())")
    assert html.unescape(badge).count(DRAWN_PAN) == 1 and all(p in badge for p in SPLIT_PAN)

    # The agent's mirror: the same font (same width), the image loaded, the badge drawn.
    view = mirror_frame(agent)
    wait_until(view, "!!document.getElementById('badge')")
    wait_until(view, "document.getElementById('logo').naturalWidth === 48")
    wait_until(view, "document.getElementById('badge').naturalWidth === 240")
    wait_until(view, "document.getElementById('late').naturalWidth === 36")
    wait_until(
        view,
        "[...document.fonts].some(f => f.family.includes('Hash Mono') && f.status === 'loaded')",
    )
    sample = "document.getElementById('sample').getBoundingClientRect().width"
    wait_until(view, f"Math.abs({sample} - {font_width}) < 1")

    # Nothing the agent received or asked for carries the hash; no asset was refused.
    assets = [r for r in agent_responses if "/assets/" in r.url]
    assert {r.status for r in assets} == {200}, [(r.url, r.status) for r in assets]
    assert not [r.url for r in agent_requests if HASH in r.url]
    assert HASH not in "\n".join(pair.agent_frames.received)
    # The badge the agent got: both PANs masked, still an image of the same size.
    (svg,) = [r for r in assets if r.headers.get("content-type", "").startswith("image/svg")]
    body = svg.body().decode()
    for pan in (DRAWN_PAN, "".join(SPLIT_PAN)):
        for form in pan_forms(pan):
            assert form not in body, form
    assert SPLIT_PAN[0] not in body and SPLIT_PAN[1] not in body
    assert body.count("*" * 5) >= 3 and 'width="240"' in body
    assert not [e for e in pair.agent_errors if "/assets/" in e or "404" in e]
