"""The proxy end to end in-process: a real upstream site on loopback, the real app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.server.conftest import SITE, Server
from tests.server.test_ws import Story, frame
from tests.server.upstream_site import running_site


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with running_site() as origin:
        yield origin


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


@pytest.fixture
def proxy_server(make_server: Callable[..., Server], upstream: str) -> Server:
    return make_server(
        proxy={
            "mode": "proxy",
            "allowed_origins": [SITE, upstream],
            "allowed_networks": ["127.0.0.0/8"],
            "asset_wait_seconds": 0.2,
        }
    )


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as s:
        yield s


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
    config = json.loads(head.split(">", 1)[1].split("</script>", 1)[0])
    assert config["upstream_origin"] == upstream
    assert config["proxy_origin"] == ov.origin
    assert config["origins"][upstream] == ov.origin
    assert config["parent_origin"] == SITE
    assert '<script src="/__cobrowse/runtime.js"></script>' in head
    assert f'href="{ov.origin}/next?x=1"' in body  # absolute upstream URL -> proxy
    assert 'href="/next"' in body  # root-relative stays
    assert 'href="https://elsewhere.example/"' in body  # not allowed: untouched
    assert "integrity" not in body
    assert "x-frame-options" not in r.headers  # the upstream's DENY would hide the overlay
    assert r.headers["content-security-policy"].startswith("frame-ancestors")


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
    assert "set-cookie" not in r.headers  # the browser never sees upstream cookies
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
    make_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_server(
        proxy={
            "mode": "proxy",
            "allowed_origins": [SITE, upstream],
            "allowed_networks": ["127.0.0.0/8"],
            "max_body_bytes": 100_000,
        }
    )
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


def test_go_refuses_sites_outside_co_browsing(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    for url in ("https://evil.test/", "ftp://files.example/", "javascript:alert(1)"):
        r = ov.get("/__cobrowse/go", params={"url": url}, follow_redirects=False)
        assert r.status_code == 403 and "outside co-browsing" in r.text
    r = ov.get("/__cobrowse/go", params={"url": upstream + "/x"}, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == ov.origin + "/x"


def test_credential_less_cors_requests_of_the_session_go_out_without_cookies(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    """Fonts, crossorigin=anonymous and default fetches carry no cookie to another
    proxy host; they get the public resource, never the session's jar."""
    ov = open_overlay(proxy_server, stack, upstream)
    ov.get("/set-cookie")
    client = proxy_server.client
    r = client.get(ov.origin + "/echo", headers={"Origin": ov.origin})
    assert r.status_code == 200 and r.json()["cookies"] == {}
    assert client.get(ov.origin + "/img.png", headers={"Origin": ov.origin}).status_code == 200
    # Not for another origin, not for our own paths, not without an Origin.
    assert client.get(ov.origin + "/echo", headers={"Origin": SITE}).status_code == 403
    assert client.get(ov.origin + "/echo").status_code == 403
    other = open_overlay(proxy_server, stack, upstream)
    assert client.get(ov.origin + "/echo", headers={"Origin": other.origin}).status_code == 403
    go = client.get(ov.origin + "/__cobrowse/go", headers={"Origin": ov.origin})
    assert go.status_code == 403


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
