"""The proxy end to end in-process: a real upstream site on loopback, the real app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.server.conftest import SITE, Server
from tests.server.other_site import FONT, OtherSite, running_other_site
from tests.server.test_ws import Story, frame

# What a browser says of a page's subresource request and of a navigation (Fetch
# Metadata, which page script cannot set).
LOAD = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
NAV = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
CONFIG = '<script id="__cobrowse_config"'


@pytest.fixture(scope="module")
def other_module() -> Iterator[OtherSite]:
    with running_other_site() as site:
        yield site


@pytest.fixture
def other(other_module: OtherSite) -> OtherSite:
    """A site not on the allow list, on the upstream's host (127.0.0.1) and another
    port: the session jar's cookies for 127.0.0.1 would apply to it too."""
    other_module.clear()
    return other_module


def config_of(text: str) -> dict[str, Any]:
    blob = text.split(CONFIG, 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    return dict(json.loads(blob))


@dataclass
class Overlay:
    server: Server
    story: Story
    origin: str  # the proxy origin
    cookie: str

    def get(self, path: str, **kw: Any) -> Any:
        headers = {"Cookie": f"cobrowse_proxy={self.cookie}", **kw.pop("headers", {})}
        return self.server.client.get(self.origin + path, headers=headers, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        headers = {"Cookie": f"cobrowse_proxy={self.cookie}", **kw.pop("headers", {})}
        return self.server.client.post(self.origin + path, headers=headers, **kw)


def open_overlay(server: Server, stack: ExitStack, upstream: str) -> Overlay:
    story = Story(server, stack).allow()
    r = server.client.post(
        f"/api/v1/sessions/{story.session_id}/overlay",
        json={"url": upstream + "/?a=1"},
        headers={"Authorization": f"Bearer {story.visitor_token}", "Origin": SITE},
    )
    assert r.status_code == 201, r.text
    src = r.json()["src"]
    origin = r.json()["proxy_origin"]
    assert src.startswith(origin + "/__cobrowse/enter?ticket=")
    entered = server.client.get(src, follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/?a=1"
    set_cookie = entered.headers["set-cookie"]
    for part in ("HttpOnly", "Secure", "SameSite=None", "Partitioned", "Domain=cobrowse.localhost"):
        assert part in set_cookie
    cookie = set_cookie.split(";")[0].split("=", 1)[1]
    # A ticket works once.
    assert server.client.get(src, follow_redirects=False).status_code == 403
    return Overlay(server=server, story=story, origin=origin, cookie=cookie)


def test_sessions_say_proxy_mode(proxy_server: Server) -> None:
    assert proxy_server.create_session()["mode"] == "proxy"


def test_html_is_rewritten_and_the_runtime_comes_first(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/")
    assert r.status_code == 200
    body = r.text
    head = body.split("<head>", 1)[1]
    assert head.startswith('<script id="__cobrowse_config" type="application/json">')
    config = config_of(body)
    assert config["upstream_origin"] == upstream
    assert config["proxy_origin"] == ov.origin
    assert config["origins"][upstream] == ov.origin
    assert config["parent_origin"] == SITE
    assert config["other_origins"] == [] and config["outside"] is False
    nonce = head.split('<script src="/__cobrowse/runtime.js" nonce="', 1)[1].split('"', 1)[0]
    assert len(nonce) >= 16
    assert f'href="{ov.origin}/next?x=1"' in body  # absolute upstream URL -> proxy
    assert 'href="/next"' in body  # root-relative stays
    # Not allowed: a link there goes through go, which never fetches it.
    assert 'href="/__cobrowse/go?url=https%3A%2F%2Felsewhere.example%2F"' in body
    assert "integrity" not in body
    assert "x-frame-options" not in r.headers  # the upstream's DENY would hide the overlay
    # The site's policy, its origins mapped, then ours: the browser enforces both.
    site_policy, ours = r.headers.get_list("content-security-policy")
    assert site_policy == f"default-src 'self' {ov.origin}/__cobrowse/"
    assert ours.startswith(
        "default-src 'self' http://*.cobrowse.localhost ws://*.cobrowse.localhost data: blob: "
    )
    assert "; form-action 'self' http://*.cobrowse.localhost;" in ours
    assert ours.split("; ")[-1].startswith("frame-ancestors 'self' http://testserver")
    # A new nonce every time.
    assert nonce not in ov.get("/").text


def test_css_is_rewritten_and_images_stream(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    css = ov.get("/style.css")
    assert css.text == f"body {{ background: url({ov.origin}/img.png) }}"
    img = ov.get("/img.png")
    assert img.headers["content-type"] == "image/png" and img.content.startswith(b"\x89PNG")


def test_without_the_credential_a_proxy_url_gives_nothing(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    stranger = proxy_server.browser()
    assert stranger.get(ov.origin + "/").status_code == 403
    other = open_overlay(proxy_server, stack, upstream)
    assert other.cookie != ov.cookie
    # Another session's credential does not open this session's host.
    r = proxy_server.client.get(
        ov.origin + "/", headers={"Cookie": f"cobrowse_proxy={other.cookie}"}
    )
    assert r.status_code == 403
    assert proxy_server.client.get("http://pnope.cobrowse.localhost/").status_code == 404


def test_cookies_live_in_the_server_side_jar(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/set-cookie")
    # The browser never gets upstream cookies as such: only the proxy host's mirror of
    # the script-visible ones (tests/server/test_page_cookies.py).
    assert [c.split("=", 1)[0] for c in r.headers.get_list("set-cookie")] == ["__cobrowse_js0"]
    echoed = ov.get("/echo").json()
    assert echoed["cookies"] == {"sid": "secret-session", "pref": "dark"}
    assert "cobrowse_proxy" not in echoed["cookies"]
    config = json.loads(ov.get("/").text.split('type="application/json">', 1)[1].split("<", 1)[0])
    assert config["cookies"] == "pref=dark"  # HttpOnly stays server side
    r = ov.post("/__cobrowse/cookie", json={"cookie": "theme=blue; Path=/", "url": upstream + "/"})
    assert r.status_code == 204
    assert ov.get("/echo").json()["cookies"]["theme"] == "blue"


def test_request_headers_look_like_the_site_s_own(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    echoed = ov.post(
        "/echo",
        content=b"a=1&b=2",
        headers={"Origin": ov.origin, "Referer": ov.origin + "/form", "X-Forwarded-For": "1.2.3.4"},
    ).json()
    assert echoed["method"] == "POST" and echoed["body"] == "a=1&b=2"
    assert echoed["host"] == urlsplit(upstream).netloc
    assert echoed["origin"] == upstream
    assert echoed["referer"] == upstream + "/form"
    assert echoed["forwarded"] is None


def test_redirects_and_compressed_bodies(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/redirect", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == ov.origin + "/next"
    z = ov.get("/zipped")
    assert z.status_code == 200 and "compressed compressed" in z.text
    assert "content-encoding" not in z.headers


def test_websockets_are_relayed_with_the_jar(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/set-cookie")
    host = urlsplit(ov.origin).netloc
    with proxy_server.client.websocket_connect(
        f"ws://{host}/ws", headers={"Cookie": f"cobrowse_proxy={ov.cookie}"}
    ) as ws:
        ws.send_text("hi")
        assert ws.receive_json() == {"echo": "hi", "sid": "secret-session"}


def test_the_agent_gets_assets_through_its_own_route(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/")
    ov.get("/style.css")
    ov.get("/img.png")
    label = urlsplit(ov.origin).hostname.split(".")[0]  # type: ignore[union-attr]
    # Page data on its way to the agent points at the asset route.
    ov.story.visitor.send_text(
        frame(
            "events",
            events=[
                {"type": 4, "timestamp": 1, "data": {"href": ov.origin + "/"}},
                {"type": 2, "timestamp": 2, "data": {"css": ov.origin + "/style.css"}},
            ],
        )
    )
    relayed = ov.story.agent.receive_json()["events"]
    href = relayed[0]["data"]["href"]
    assert href.startswith("http://testserver/assets/") and href.endswith(f"/{label}/")
    css_url = relayed[1]["data"]["css"]
    agent = ov.story.agent_browser
    assert agent.get(css_url.removeprefix("http://testserver")).text.startswith("body {")
    img_url = css_url.replace("/style.css", "/img.png").removeprefix("http://testserver")
    assert agent.get(img_url).content.startswith(b"\x89PNG")
    # Never HTML, never for anyone else.
    assert agent.get(href.removeprefix("http://testserver")).status_code == 404
    assert proxy_server.browser().get(img_url).status_code == 404
    assert proxy_server.agent_client("Someone Else").get(img_url).status_code == 404


def test_stylesheets_reach_the_agent_with_value_patterns_masked(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    assert "ABCDE1234F" in ov.get("/secret.css").text  # the visitor's own page is unchanged
    ov.story.visitor.send_text(
        frame(
            "events",
            events=[{"type": 2, "timestamp": 1, "data": {"css": ov.origin + "/secret.css"}}],
        )
    )
    css_url = ov.story.agent.receive_json()["events"][0]["data"]["css"]
    got = ov.story.agent_browser.get(css_url.removeprefix("http://testserver"))
    assert got.text == 'p::after { content: "**********" } .x { width: 100px }'


def test_after_the_end_the_proxy_refuses(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    ov.story.visitor.send_text(frame("end"))
    ov.story.visitor.receive_json()
    assert ov.get("/").status_code in (403, 404, 410)


def test_refused_addresses_get_a_clear_page(
    make_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_server(proxy={"mode": "proxy", "allowed_origins": [SITE, upstream]})
    ov = open_overlay(server, stack, upstream)
    r = ov.get("/")
    assert r.status_code == 502
    assert "Address refused" in r.text and "loopback" in r.text


def test_overlay_needs_the_visitor_token_an_active_session_and_an_allowed_url(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    story = Story(proxy_server, stack).join()
    url = f"/api/v1/sessions/{story.session_id}/overlay"
    auth = {"Authorization": f"Bearer {story.visitor_token}"}
    assert proxy_server.client.post(url, json={"url": upstream}, headers=auth).status_code == 409
    story.visitor.send_text(frame("consent", allow=True))
    story.visitor.receive_json()
    wrong = {"Authorization": f"Bearer {story.agent_token}"}
    assert proxy_server.client.post(url, json={"url": upstream}, headers=wrong).status_code == 401
    r = proxy_server.client.post(url, json={"url": "https://evil.test/"}, headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_proxyable"
    r = proxy_server.client.post(url, json={"url": "javascript:alert(1)"}, headers=auth)
    assert r.status_code == 422


def test_start_page_only_for_allowed_urls(proxy_server: Server, upstream: str) -> None:
    ok = proxy_server.client.get("/start", params={"url": upstream + "/x"})
    assert ok.status_code == 200 and 'data-cobrowse-start-url="' in ok.text
    assert "frame-src http://*.cobrowse.localhost" in ok.headers["content-security-policy"]
    bad = proxy_server.client.get("/start", params={"url": "https://evil.test/"})
    assert bad.status_code == 400


def test_limits_get_clear_error_pages(
    make_proxy_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_proxy_server(max_body_bytes=100_000)
    ov = open_overlay(server, stack, upstream)
    big = ov.get("/big")
    assert big.status_code == 502 and "Page too large" in big.text
    upload = ov.post("/echo", content=b"u" * 100_001)
    assert upload.status_code == 413 and "limited to 100000 bytes" in upload.text
    huge = ov.get("/huge-header")
    assert huge.status_code == 502 and "did not answer" in huge.text
    answers = [ov.get("/loop", follow_redirects=False) for _ in range(21)]
    assert [a.status_code for a in answers[:20]] == [302] * 20
    assert answers[20].status_code == 502 and "Too many redirects" in answers[20].text
    assert ov.get("/echo").status_code == 200  # the session is fine afterwards


def test_go_shows_sites_outside_co_browsing_without_fetching_them(
    proxy_server: Server, stack: ExitStack, upstream: str, other: OtherSite
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    for url in ("ftp://files.example/", "javascript:alert(1)", "", "//no-scheme.example/"):
        r = ov.get("/__cobrowse/go", params={"url": url}, headers=NAV, follow_redirects=False)
        assert r.status_code == 400 and "only http and https addresses" in r.text
    r = ov.get("/__cobrowse/go", params={"url": upstream + "/x?y"}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == ov.origin + "/x?y"
    # Another site: a host of its own, which answers a navigation with the outside page.
    url = other.origin + "/page.html?q=1"
    r = ov.get("/__cobrowse/go", params={"url": url}, headers=NAV, follow_redirects=False)
    assert r.status_code == 307
    location = r.headers["location"]
    host = location.removesuffix("/page.html?q=1")
    assert host.endswith(".cobrowse.localhost") and host != ov.origin
    cookie = {"Cookie": f"cobrowse_proxy={ov.cookie}"}
    page = proxy_server.client.get(location, headers={**NAV, "Accept-Language": "en-IN"})
    assert page.status_code == 200 and "This page is outside co-browsing" in page.text
    assert f'href="{url}" target="_blank" rel="noopener noreferrer"' in page.text
    assert 'lang="en"' in page.text and CONFIG not in page.text  # no credential: no runtime
    # With the visitor's credential it carries the runtime, so the overlay stays
    # bridged; never a cookie of the jar.
    ov.get("/set-cookie")
    page = proxy_server.client.get(location, headers={**NAV, **cookie})
    config = config_of(page.text)
    assert config["upstream_origin"] == other.origin and config["proxy_origin"] == host
    assert config["cookies"] == "" and config["parent_origin"] == SITE
    assert config["outside"] is True  # the runtime only bridges there
    assert other.origin in config["other_origins"]
    csp = page.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; script-src 'self'; connect-src 'self';")
    # In Hindi for a browser that prefers it.
    hindi = proxy_server.client.get(location, headers={**NAV, "Accept-Language": "hi-IN,en"})
    assert 'lang="hi"' in hindi.text and "साझा" in hindi.text
    assert "सह-ब्राउज़िंग" not in hindi.text
    assert other.requests() == []  # never fetched


def test_go_without_the_credential_gives_only_the_outside_page(
    proxy_server: Server, stack: ExitStack, upstream: str, other: OtherSite
) -> None:
    """A popup in another cookie partition (the cross-site shape) still shows where a
    link went; nothing is made, fetched or given."""
    ov = open_overlay(proxy_server, stack, upstream)
    before = proxy_server.ctx.proxy.hosts.origins(ov.story.session_id)
    client = proxy_server.client
    go = ov.origin + "/__cobrowse/go"
    page = client.get(go, params={"url": other.origin + "/x"}, headers=NAV)
    assert page.status_code == 200 and "outside co-browsing" in page.text
    assert CONFIG not in page.text and "runtime.js" not in page.text
    # The site itself: to its host, which needs the credential for a page.
    r = client.get(go, params={"url": upstream + "/"}, headers=NAV)
    assert r.status_code == 403 and r.url == ov.origin + "/" and CONFIG not in r.text
    # A load of a site without a host: nothing is made without the credential.
    r = client.get(go, params={"url": other.origin + "/font.woff2"}, headers=LOAD)
    assert r.status_code == 403
    assert proxy_server.ctx.proxy.hosts.origins(ov.story.session_id) == before
    assert other.requests() == []
    # A host the session already has: go sends the load there, which answers anonymously.
    ov.get("/__cobrowse/go", params={"url": other.origin + "/x.png"}, headers=LOAD)
    host = proxy_server.ctx.proxy.hosts.origins(ov.story.session_id)[other.origin]
    r = client.get(
        go, params={"url": other.origin + "/font.woff2?v=1"}, headers=LOAD, follow_redirects=False
    )
    assert r.status_code == 307 and r.headers["location"] == host + "/font.woff2?v=1"


def test_other_origins_are_loaded_without_the_visitor_s_cookies(
    proxy_server: Server, stack: ExitStack, upstream: str, other: OtherSite
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/set-cookie")  # the jar holds sid and pref for 127.0.0.1, the other site's host
    r = ov.get(
        "/__cobrowse/go",
        params={"url": other.origin + "/font.woff2"},
        headers=LOAD,
        follow_redirects=False,
    )
    assert r.status_code == 307
    font_url = r.headers["location"]
    host = font_url.removesuffix("/font.woff2")
    hosts = proxy_server.ctx.proxy.hosts
    target = hosts.target(urlsplit(host).netloc.split(".")[0])
    assert target is not None and target.other and target.upstream_origin == other.origin
    # With the credential (an <img>) and without (a font): the same anonymous fetch.
    for cookie in ({"Cookie": f"cobrowse_proxy={ov.cookie}"}, {}):
        got = proxy_server.client.get(font_url, headers={**LOAD, "Origin": ov.origin, **cookie})
        assert got.status_code == 200 and got.content == FONT
        assert "set-cookie" not in got.headers
    seen = other.requests()
    assert [s.path for s in seen] == ["/font.woff2", "/font.woff2"]
    assert all("cookie" not in s.headers for s in seen)
    assert all(s.headers["origin"] == upstream for s in seen)  # the page's, mapped back
    # What it set never reached the session's jar (the site is on the same host).
    assert ov.get("/echo").json()["cookies"] == {"sid": "secret-session", "pref": "dark"}
    # Its stylesheets are rewritten onto proxy hosts too; its redirects stay there.
    css = proxy_server.client.get(host + "/style.css", headers=LOAD).text
    assert css == f"@font-face {{ src: url({host}/font.woff2) }} a {{ background: url(/x.png) }}"
    moved = proxy_server.client.get(host + "/moved", headers=LOAD, follow_redirects=False)
    assert moved.headers["location"] == font_url
    # Now known: the site's next pages list it for the runtime.
    assert config_of(ov.get("/").text)["origins"][other.origin] == host


def test_an_other_origin_never_serves_a_page(
    proxy_server: Server, stack: ExitStack, upstream: str, other: OtherSite
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    hosts = proxy_server.ctx.proxy.hosts
    label = hosts.other_label_for(ov.story.session_id, other.origin, limit=9)
    assert label is not None
    host = hosts.origin(label)
    cookie = {"Cookie": f"cobrowse_proxy={ov.cookie}"}
    for headers in (NAV, {}, {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "iframe"}):
        r = proxy_server.client.post(host + "/page.html", headers={**headers, **cookie})
        assert r.status_code == 200 and "outside co-browsing" in r.text
    assert other.requests() == []  # decided before anything was fetched
    # An HTML answer to a load is refused too (fetched, never passed on).
    r = proxy_server.client.get(host + "/page.html", headers={**LOAD, **cookie})
    assert r.status_code == 403 and "a page elsewhere" not in r.text
    # The proxy's own paths are not served there.
    r = proxy_server.client.post(
        host + "/__cobrowse/cookie",
        json={"cookie": "a=1", "url": other.origin + "/"},
        headers={**LOAD, **cookie},
    )
    assert r.status_code == 403
    assert ov.get("/echo").json()["cookies"] == {}


def test_the_refuse_policy_loads_nothing_from_other_origins(
    make_proxy_server: Callable[..., Server], stack: ExitStack, upstream: str, other: OtherSite
) -> None:
    server = make_proxy_server(other_origins="refuse")
    ov = open_overlay(server, stack, upstream)
    r = ov.get("/__cobrowse/go", params={"url": other.origin + "/font.woff2"}, headers=LOAD)
    assert r.status_code == 403 and "does not load content from this site" in r.text
    r = ov.get("/__cobrowse/go", params={"url": other.origin + "/page.html"}, headers=NAV)
    assert r.status_code == 200 and "outside co-browsing" in r.text
    host = f"ws://{r.url.netloc.decode()}"
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        server.client.websocket_connect(
            host + "/ws", headers={"Cookie": f"cobrowse_proxy={ov.cookie}"}
        ),
    ):
        pass
    assert closed.value.code == 4403
    assert other.requests() == []


def test_other_origins_are_limited_per_session(
    make_proxy_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_proxy_server(max_other_origins=2)
    ov = open_overlay(server, stack, upstream)
    go = "/__cobrowse/go"
    for name in ("one", "two"):
        r = ov.get(
            go, params={"url": f"https://{name}.example/a"}, headers=LOAD, follow_redirects=False
        )
        assert r.status_code == 307
    r = ov.get(go, params={"url": "https://three.example/a"}, headers=LOAD)
    assert r.status_code == 403 and "at most 2 other sites" in r.text
    # A navigation there still gets the outside page, here, with the runtime.
    r = ov.get(go, params={"url": "https://three.example/a"}, headers=NAV)
    assert r.status_code == 200 and "https://three.example/a" in r.text and CONFIG in r.text
    assert server.ctx.proxy.hosts.others(ov.story.session_id) == [
        "https://one.example",
        "https://two.example",
    ]


def test_without_the_credential_nothing_but_public_non_html_answers(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    """Fonts, crossorigin=anonymous, `fetch(url, {credentials: "omit"})` and default
    fetches to a sibling proxy host carry no cookie: they get what the public site gives
    anyone, through the anonymous client. Never a page, the config or the jar, whatever
    the request's headers say (the access matrix proves it header by header)."""
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/set-cookie")
    client = proxy_server.client
    r = client.get(ov.origin + "/echo", headers=LOAD)
    assert r.status_code == 200 and r.json()["cookies"] == {}
    assert client.get(ov.origin + "/img.png", headers=LOAD).content.startswith(b"\x89PNG")
    client.get(ov.origin + "/set-cookie", headers=LOAD)  # its Set-Cookie is not kept
    page = client.get(ov.origin + "/", headers=LOAD)
    assert page.status_code == 403 and CONFIG not in page.text and "Upstream" not in page.text
    assert client.get(ov.origin + "/echo", headers=NAV).status_code == 403
    assert client.get(ov.origin + "/echo").status_code == 403  # no Fetch Metadata: a page
    assert client.post(ov.origin + "/__cobrowse/cookie", headers=LOAD).status_code == 403
    # The visitor's own jar is as it was.
    assert ov.get("/echo").json()["cookies"] == {"sid": "secret-session", "pref": "dark"}


def test_websockets_to_other_origins_go_without_cookies(
    proxy_server: Server, stack: ExitStack, upstream: str, other: OtherSite
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/set-cookie")
    host = urlsplit(ov.origin).netloc
    target = quote(other.origin.replace("http", "ws") + "/ws", safe="")
    with proxy_server.client.websocket_connect(
        f"ws://{host}/__cobrowse/go?url={target}",
        headers={"Cookie": f"cobrowse_proxy={ov.cookie}", "Origin": ov.origin},
    ) as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi|cookie="
    (seen,) = other.requests()
    assert seen.method == "WS" and seen.headers["origin"] == upstream
    # Without the credential, or to an address that is not a socket's: closed.
    for url, cookie in ((target, ""), (quote("ftp://x.example/", safe=""), ov.cookie)):
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            proxy_server.client.websocket_connect(
                f"ws://{host}/__cobrowse/go?url={url}",
                headers={"Cookie": f"cobrowse_proxy={cookie}"},
            ),
        ):
            pass
        assert closed.value.code == 4403
    assert len(other.requests()) == 1


def test_cookies_deleted_with_an_epoch_expiry_are_gone(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/set-cookie")
    ov.post("/__cobrowse/cookie", json={"cookie": "theme=blue; Path=/", "url": upstream + "/"})
    expired = "theme=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
    ov.post("/__cobrowse/cookie", json={"cookie": expired, "url": upstream + "/"})
    assert "theme" not in ov.get("/echo").json()["cookies"]
    ov.get("/forget")  # the site deletes one the same way
    assert ov.get("/echo").json()["cookies"] == {"sid": "secret-session"}


@pytest.mark.parametrize(
    "to", ["//evil.test/x", "/\\evil.test", "/\t/evil.test", "https://evil.test"]
)
def test_enter_never_redirects_to_another_host(
    proxy_server: Server, stack: ExitStack, upstream: str, to: str
) -> None:
    story = Story(proxy_server, stack).allow()
    r = proxy_server.client.post(
        f"/api/v1/sessions/{story.session_id}/overlay",
        json={"url": upstream + "/"},
        headers={"Authorization": f"Bearer {story.visitor_token}", "Origin": SITE},
    )
    src = r.json()["src"].split("&to=")[0] + "&" + urlencode({"to": to})
    entered = proxy_server.client.get(src, follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/"


def test_pages_in_other_encodings_are_served_in_their_own(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    """Decoded the browser's way (BOM, header, <meta>), rewritten, and served in the
    page's own encoding, labelled with it (its BOM kept): the page's characterSet, and
    the bytes its non-ASCII queries are sent in, are the site's."""
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/latin")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=windows-1252"
    assert int(r.headers["content-length"]) == len(r.content)
    assert r.content.startswith(b'<!doctype html><meta charset="iso-8859-1">')
    assert r.content.endswith(b'<p id="t">caf\xe9 \x80 5</p>')
    assert r.content.decode("cp1252").count(CONFIG) == 1
    r = ov.get("/bom8")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert '<p id="t">café € 5</p>' in r.content.decode("utf-8")
    r = ov.get("/utf16")
    assert r.headers["content-type"] == "text/html; charset=utf-16le"
    assert r.content.startswith(b"\xff\xfe")
    body = r.content.decode("utf-16")
    assert body.count(CONFIG) == 1  # the runtime went in: the page was parsed
    assert '<meta charset="utf-16">' in body  # as the page has it (it means UTF-8 there)
    assert '<script>var s = "héllo €";</script>' in body
    assert '<a href="/next">café €</a>' in body


def test_the_runtime_config_survives_any_page_encoding(
    make_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    """The config is ASCII JSON: a character the page's encoding lacks is a JSON escape
    (a character reference would stay literal in a script)."""
    selector = '[title="№ 5"]'  # U+2116: windows-1252 has no byte for it
    server = make_server(
        proxy={
            "mode": "proxy",
            "allowed_origins": [SITE, upstream],
            "allowed_networks": ["127.0.0.0/8"],
        },
        masking={"selectors": [selector]},
    )
    r = open_overlay(server, stack, upstream).get("/latin")
    assert r.headers["content-type"] == "text/html; charset=windows-1252"
    start = r.content.index(b'type="application/json">') + len(b'type="application/json">')
    blob = r.content[start : r.content.index(b"</script>", start)]
    assert blob.isascii()
    assert selector in json.loads(blob)["masking"]["selectors"]


def test_stylesheets_in_other_encodings_are_served_as_utf_8(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/latin.css", headers=LOAD)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.content.decode("utf-8") == '@charset "utf-8"; p::after { content: "café €" }'
