"""Opaque asset URLs end to end in-process (docs/masking.md, "URLs"): a site whose
fonts, images and stylesheets have a cache-busting hash the IBAN check accepts, a real
upstream on loopback, the real app. The visitor's page gets opaque URLs for them, the
proxy resolves those to the real ones, and the agent's mirror loads them through its
asset route; nobody outside the session can use one."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cobrowse.core.asset_ids import ASSET_PATH, ID_LENGTH
from cobrowse.core.masking import BUILTIN_PATTERNS, DEFAULT_PATTERNS, mask_text
from cobrowse.core.masking_urls import mask_string
from tests.e2e.demo_process import free_port, serving_in_thread
from tests.redis_server import RedisServer, redis_server
from tests.server.conftest import SITE, Server
from tests.server.other_site import FONT
from tests.server.test_proxy import LOAD, NAV, Overlay, config_of, open_overlay
from tests.server.test_ws import frame
from tests.server.upstream_site import PNG


def iban_looking_hash() -> str:
    """The first 20-hex-digit content hash that the IBAN pattern masks (as real sites
    have: some run of it passes the mod-97 check)."""
    iban = [BUILTIN_PATTERNS["iban"]]
    for i in range(10_000):
        digest = hashlib.sha1(f"build {i}".encode()).hexdigest()[:20]
        if mask_text(digest, iban) != digest:
            return digest
    raise AssertionError("no such hash")


HASH = iban_looking_hash()
PAN = "ENTSV1234V"
OPAQUE = re.compile(rf"(https?://[^/\"')\s]+){re.escape(ASSET_PATH)}([a-z]{{{ID_LENGTH}}})")


@dataclass
class Seen:
    path: str
    cookie: str | None
    referer: str | None


@dataclass
class HashedSite:
    origin: str
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]


def hashed_site_app(site: HashedSite) -> Starlette:
    def record(request: Request) -> None:
        query = f"?{request.url.query}" if request.url.query else ""
        seen = Seen(
            request.url.path + query, request.headers.get("cookie"), request.headers.get("referer")
        )
        with site.lock:
            site.seen.append(seen)

    async def page(request: Request) -> HTMLResponse:
        record(request)
        return HTMLResponse(
            "<!doctype html><html><head>"
            '<link rel="stylesheet" href="/css/site.css">'
            f'<link rel="stylesheet" href="/css/theme.{HASH}.css">'
            "</head><body>"
            f'<img id="logo" src="/img/logo.{HASH}.png" alt="logo">'
            '<img id="plain" src="/img/plain.png" alt="">'
            f'<a id="statement" href="/statement?pan={PAN}">statement</a>'
            f'<script src="/js/app.js?v={HASH}"></script>'
            "</body></html>",
            headers={"set-cookie": "sid=visitor-session; Path=/"},
        )

    async def site_css(request: Request) -> Response:
        record(request)
        css = (
            "@font-face { font-family: Hash;"
            f' src: url(../fonts/inter.{HASH}.woff2) format("woff2") }}'
            " body { background: url(../img/plain.png) }"
        )
        return Response(css, media_type="text/css")

    async def theme_css(request: Request) -> Response:
        record(request)
        css = (
            ".x { background: url(../img/plain.png) }"
            f" .y {{ background: url('/img/logo.{HASH}.png') }}"
            f' .z::after {{ content: "\\45 NTSV1234V" }}'
        )
        return Response(css, media_type="text/css")

    async def font(request: Request) -> Response:
        record(request)
        return Response(FONT, media_type="font/woff2", headers={"access-control-allow-origin": "*"})

    async def image(request: Request) -> Response:
        record(request)
        return Response(PNG, media_type="image/png")

    return Starlette(
        routes=[
            Route("/", page),
            Route("/css/site.css", site_css),
            Route(f"/css/theme.{HASH}.css", theme_css),
            Route(f"/fonts/inter.{HASH}.woff2", font),
            Route(f"/img/logo.{HASH}.png", image),
            Route("/img/plain.png", image),
            Route("/img/avatar.png", image),
        ]
    )


@pytest.fixture(scope="module")
def hashed_module() -> Iterator[HashedSite]:
    port = free_port()
    site = HashedSite(origin=f"http://127.0.0.1:{port}")
    with serving_in_thread(hashed_site_app(site), port, what="hashed site"):
        yield site


@pytest.fixture
def hashed(hashed_module: HashedSite) -> HashedSite:
    with hashed_module.lock:
        hashed_module.seen.clear()
    return hashed_module


@pytest.fixture
def server(make_server: Callable[..., Server], hashed: HashedSite, upstream: str) -> Server:
    return make_server(
        proxy={
            "mode": "proxy",
            "allowed_origins": [SITE, hashed.origin, upstream],
            "allowed_networks": ["127.0.0.0/8"],
            "asset_wait_seconds": 0.2,
        }
    )


def opaque_of(text: str) -> list[tuple[str, str]]:
    """(proxy origin, id) of every opaque asset URL in `text`."""
    return OPAQUE.findall(text)


def attribute(html: str, element_id: str, name: str) -> str:
    tag = re.search(rf'<[a-z]+ id="{element_id}"[^>]*>', html)
    assert tag is not None, element_id
    value = re.search(rf'{name}="([^"]*)"', tag.group(0))
    assert value is not None
    return value.group(1)


def test_the_hash_is_what_the_default_patterns_mask() -> None:
    assert "*" in mask_text(f"/fonts/inter.{HASH}.woff2", [BUILTIN_PATTERNS["iban"]])


def test_a_load_that_holds_a_value_gets_an_opaque_url_that_loads(
    server: Server, stack: ExitStack, hashed: HashedSite
) -> None:
    ov = open_overlay(server, stack, hashed.origin)
    html = ov.get("/").text
    logo = attribute(html, "logo", "src")
    assert opaque_of(logo) == [(ov.origin, logo.rsplit("/", 1)[1])]
    assert attribute(html, "plain", "src") == "/img/plain.png"  # nothing to hide: as it was
    # What is no load of the mirror's keeps its URL (the visitor's browser masks it).
    assert attribute(html, "statement", "href") == f"/statement?pan={PAN}"
    assert f'src="/js/app.js?v={HASH}"' in html
    got = ov.get(logo.removeprefix(ov.origin), headers=LOAD)
    assert got.status_code == 200 and got.content == PNG
    (seen,) = hashed.requests(f"/img/logo.{HASH}.png")
    assert seen.cookie == "sid=visitor-session"  # the session's jar, as for any load
    # The same URL has the same id on every page of the session.
    assert attribute(ov.get("/").text, "logo", "src") == logo


def test_stylesheets_get_opaque_urls_and_resolve_against_their_own_url(
    server: Server, stack: ExitStack, hashed: HashedSite
) -> None:
    ov = open_overlay(server, stack, hashed.origin)
    html = ov.get("/").text
    site_css = ov.get("/css/site.css").text
    (font,) = opaque_of(site_css)
    assert HASH not in site_css and "url(../img/plain.png)" in site_css
    theme = re.search(r'<link rel="stylesheet" href="([^"]+)">\s*</head>', html)
    assert theme is not None and opaque_of(theme.group(1))
    theme_css = ov.get(theme.group(1).removeprefix(ov.origin), headers=LOAD).text
    # Served from another path than its own: its relative URLs are absolute now.
    assert f"url({ov.origin}/img/plain.png)" in theme_css
    assert opaque_of(theme_css) == [(ov.origin, attribute(html, "logo", "src").rsplit("/", 1)[1])]
    # A font request carries no cookie: the opaque URL loads anonymously, like its URL.
    font_url = f"{ASSET_PATH}{font[1]}"
    got = server.browser().get(ov.origin + font_url, headers={**LOAD, "Referer": theme.group(1)})
    assert got.status_code == 200 and got.content == FONT
    (seen,) = hashed.requests(f"/fonts/inter.{HASH}.woff2")
    assert seen.cookie is None
    assert seen.referer == f"{hashed.origin}/css/theme.{HASH}.css"  # its own URL, not ours


def test_the_agent_s_mirror_loads_them_through_its_asset_route(
    server: Server, stack: ExitStack, hashed: HashedSite
) -> None:
    ov = open_overlay(server, stack, hashed.origin)
    html = ov.get("/").text
    logo = attribute(html, "logo", "src")
    site_css = ov.get("/css/site.css").text
    font = ov.origin + ASSET_PATH + opaque_of(site_css)[0][1]
    ov.get(logo.removeprefix(ov.origin), headers=LOAD)
    server.browser().get(font, headers=LOAD)
    ov.story.visitor.send_text(
        frame(
            "events",
            events=[
                {"type": 2, "timestamp": 1, "data": {"img": logo, "css": site_css}},
                {"type": 3, "timestamp": 2, "data": {"sheet": ov.origin + "/css/site.css"}},
            ],
        )
    )
    relayed = ov.story.agent.receive_json()
    assert HASH not in str(relayed) and ov.origin not in str(relayed)
    agent = ov.story.agent_browser
    img_url = relayed["events"][0]["data"]["img"]
    assert img_url.startswith("http://testserver/assets/") and ASSET_PATH in img_url
    assert agent.get(img_url.removeprefix("http://testserver")).content == PNG
    css = relayed["events"][0]["data"]["css"]
    font_route = re.search(r"url\((http://testserver/assets/[^)]+)\)", css)
    assert font_route is not None and ASSET_PATH in font_route.group(1)
    assert agent.get(font_route.group(1).removeprefix("http://testserver")).content == FONT
    # A stylesheet the mirror loads by URL points at the asset route for its loads too.
    sheet = relayed["events"][1]["data"]["sheet"].removeprefix("http://testserver")
    served = agent.get(sheet).text
    assert font_route.group(1) in served
    assert "url(http://testserver/assets/" in served.split("body", 1)[1]
    assert ov.origin not in served


def test_an_opaque_url_is_its_session_s_only(
    server: Server, stack: ExitStack, hashed: HashedSite, upstream: str
) -> None:
    one = open_overlay(server, stack, hashed.origin)
    two = open_overlay(server, stack, hashed.origin)
    logo_one = attribute(one.get("/").text, "logo", "src")
    logo_two = attribute(two.get("/").text, "logo", "src")
    ident = logo_one.rsplit("/", 1)[1]
    assert ident != logo_two.rsplit("/", 1)[1]  # each session its own key
    assert one.get(ASSET_PATH + ident, headers=LOAD).status_code == 200
    # On the other session's host, with its credential: nothing there.
    refused = two.get(ASSET_PATH + ident, headers=LOAD)
    assert refused.status_code == 404 and "Not found" in refused.text
    assert "text/html" in refused.headers["content-type"]
    # Nor on another host of the same session (another upstream origin).
    other_origin = config_of(one.get("/").text)["origins"][upstream]
    other = server.client.get(
        other_origin + ASSET_PATH + ident,
        headers={"Cookie": f"cobrowse_proxy={one.cookie}", **LOAD},
    )
    assert other.status_code == 404
    # Made-up and malformed ids: a clean 404, nothing fetched.
    before = len(hashed.seen)
    for path in (
        "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(ID_LENGTH)),
        ident.upper(),
        ident + "a",
        "../img/plain.png",
        f"{ident}/x",
        "",
    ):
        assert one.get(ASSET_PATH + path, headers=LOAD).status_code == 404, path
    assert len(hashed.seen) == before
    # The other session's agent gets nothing of this one's from its asset route.
    one.story.visitor.send_text(
        frame("events", events=[{"type": 2, "timestamp": 1, "data": {"img": logo_one}}])
    )
    route = one.story.agent.receive_json()["events"][0]["data"]["img"]
    path = route.removeprefix("http://testserver")
    assert one.story.agent_browser.get(path).content == PNG
    assert two.story.agent_browser.get(path).status_code == 404


def test_an_opaque_url_ends_with_its_session(
    server: Server, stack: ExitStack, hashed: HashedSite
) -> None:
    ov = open_overlay(server, stack, hashed.origin)
    ident = attribute(ov.get("/").text, "logo", "src").rsplit("/", 1)[1]
    assert server.call(server.ctx.proxy.asset_url, ov.story.session_id, ident) is not None
    # Without the credential a navigation to it opens nothing.
    assert server.browser().get(ov.origin + ASSET_PATH + ident, headers=NAV).status_code == 403
    ov.story.visitor.send_text(frame("end"))
    ov.story.visitor.receive_json()
    assert ov.get(ASSET_PATH + ident, headers=LOAD).status_code in (403, 404, 410)
    assert server.call(server.ctx.proxy.asset_url, ov.story.session_id, ident) is None


def test_without_value_patterns_urls_stay_as_they_are(
    make_server: Callable[..., Server], stack: ExitStack, hashed: HashedSite
) -> None:
    plain = make_server(
        proxy={
            "mode": "proxy",
            "allowed_origins": [SITE, hashed.origin],
            "allowed_networks": ["127.0.0.0/8"],
        },
        masking={"patterns": []},
    )
    ov: Overlay = open_overlay(plain, stack, hashed.origin)
    html: Any = ov.get("/").text
    assert attribute(html, "logo", "src") == f"/img/logo.{HASH}.png"
    assert ASSET_PATH not in html


def test_a_url_a_script_made_is_found_again_by_its_masked_form(
    server: Server, stack: ExitStack, hashed: HashedSite
) -> None:
    """No rewriter sees a URL a script sets (img.src = ...): the visitor's browser masks
    it in what it records, and the asset route finds the one asset that masks to it."""
    ov = open_overlay(server, stack, hashed.origin)
    patterns = [BUILTIN_PATTERNS[name] for name in DEFAULT_PATTERNS]
    path = f"/img/logo.{HASH}.png?from=script"
    assert ov.get(path, headers=LOAD).content == PNG  # the visitor's load, real URL
    recorded = mask_string(ov.origin + path, patterns)  # what the browser sends
    assert HASH not in recorded and "*" in recorded
    for pan in ("ENTSV1234V", "ABCDE9876Z"):  # two loads that mask alike
        ov.get(f"/img/avatar.png?pan={pan}", headers=LOAD)
    avatar = mask_string(ov.origin + "/img/avatar.png?pan=ENTSV1234V", patterns)
    ov.story.visitor.send_text(
        frame("events", events=[{"type": 2, "timestamp": 1, "data": [recorded, avatar]}])
    )
    logo_route, avatar_route = (
        url.removeprefix("http://testserver")
        for url in ov.story.agent.receive_json()["events"][0]["data"]
    )
    agent = ov.story.agent_browser
    assert agent.get(logo_route).content == PNG
    # Which of two assets it was cannot be told: neither is served.
    assert agent.get(avatar_route).status_code == 404
    # A guess that shows part of the value matches nothing, even a right one: masked
    # forms only, so the route tells nothing about what is masked.
    first = recorded.index("*")
    at = logo_route.index("*")
    right = recorded[:first] + path[first - len(ov.origin)] + recorded[first + 1 :]
    for guess in (
        logo_route[:at] + right[first] + logo_route[at + 1 :],
        logo_route.replace("*", "0"),
    ):
        assert agent.get(guess).status_code == 404


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as running:
        yield running


def test_an_opaque_url_made_on_one_node_loads_on_another(
    make_server: Callable[..., Server],
    redis_srv: RedisServer,
    stack: ExitStack,
    hashed: HashedSite,
) -> None:
    store = {"url": f"{redis_srv.url}?prefix=o{secrets.token_hex(4)}:"}
    proxy = {
        "mode": "proxy",
        "allowed_origins": [SITE, hashed.origin],
        "allowed_networks": ["127.0.0.0/8"],
    }
    a, b = (make_server(proxy=proxy, store=store) for _ in range(2))
    b.clock.now = a.clock.now
    ov = open_overlay(a, stack, hashed.origin)
    logo = attribute(ov.get("/").text, "logo", "src")  # made on node A
    cookie = {"Cookie": f"cobrowse_proxy={ov.cookie}", **LOAD}
    got = b.client.get(logo, headers=cookie)  # resolved on node B
    assert got.status_code == 200 and got.content == PNG
    assert b.client.get(logo.replace(logo[-5:], "aaaaa"), headers=cookie).status_code == 404
