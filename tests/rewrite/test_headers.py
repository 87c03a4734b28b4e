"""Request and response headers between browser, proxy and upstream, as plain data."""

from __future__ import annotations

import pytest

from cobrowse.rewrite.headers import (
    content_kind,
    is_navigation,
    request_headers,
    response_headers,
)
from cobrowse.rewrite.urls import rewrite_url
from tests.rewrite.test_csp import POLICY
from tests.rewrite.urlmap import URL_MAP, session_map

PA = "http://pa.cobrowse.localhost:8000"
PB = "http://pb.cobrowse.localhost:8000"
UPSTREAM = "https://portal.example.gov.in/itr/form?x=1"


def test_request_headers_from_a_proxied_page() -> None:
    browser = [
        ("Host", "pa.cobrowse.localhost:8000"),
        ("User-Agent", "Mozilla/5.0"),
        ("Accept", "text/html"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-IN,hi;q=0.8"),
        ("Cookie", "cobrowse_proxy=secret; other=1"),
        ("Origin", PA),
        ("Referer", f"{PA}/itr/start?ay=2024"),
        ("Connection", "keep-alive, X-Hop"),
        ("Keep-Alive", "timeout=5"),
        ("X-Hop", "named in Connection"),
        ("TE", "trailers"),
        ("Upgrade-Insecure-Requests", "1"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "for=203.0.113.9"),
        ("X-Real-IP", "203.0.113.9"),
        ("CF-Connecting-IP", "203.0.113.9"),
        ("True-Client-IP", "203.0.113.9"),
        ("Proxy-Authorization", "Basic Zm9v"),
        ("Via", "1.1 edge"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Authorization", "Bearer upstream-token"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Custom", "a"),
        ("X-Custom", "b"),
    ]
    assert request_headers(browser, upstream_url=UPSTREAM, m=URL_MAP) == [
        ("Host", "portal.example.gov.in"),
        ("User-Agent", "Mozilla/5.0"),
        ("Accept", "text/html"),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("Accept-Language", "en-IN,hi;q=0.8"),
        ("Origin", "https://portal.example.gov.in"),
        ("Referer", "https://portal.example.gov.in/itr/start?ay=2024"),
        ("Upgrade-Insecure-Requests", "1"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Authorization", "Bearer upstream-token"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Custom", "a"),
        ("X-Custom", "b"),
    ]


def test_request_host_keeps_a_non_default_port_and_is_added_when_missing() -> None:
    out = request_headers([("Accept", "*/*")], upstream_url="http://127.0.0.1:8081/x", m=URL_MAP)
    assert out == [
        ("Host", "127.0.0.1:8081"),
        ("Accept", "*/*"),
        ("Accept-Encoding", "gzip, deflate, br"),
    ]


def test_cross_origin_request_between_proxied_origins() -> None:
    out = request_headers(
        [("origin", PA), ("referer", f"{PA}/page")],
        upstream_url="https://cdn.example.gov.in/api",
        m=URL_MAP,
    )
    assert out == [
        ("Host", "cdn.example.gov.in"),
        ("origin", "https://portal.example.gov.in"),
        ("referer", "https://portal.example.gov.in/page"),
        ("Accept-Encoding", "gzip, deflate, br"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Origin", "null", [("Origin", "null")]),
        ("Origin", "https://evil.example", []),
        ("Origin", "http://cobrowse.localhost:8000", []),
        ("Origin", "garbage", []),
        ("Referer", "https://www.google.com/", []),
        ("Referer", "http://cobrowse.localhost:8000/console", []),
        ("Referer", f"{PB}/style.css", [("Referer", "https://cdn.example.gov.in/style.css")]),
    ],
)
def test_origin_and_referer_that_are_not_proxy_urls_are_dropped(
    name: str, value: str, expected: list[tuple[str, str]]
) -> None:
    out = request_headers([(name, value)], upstream_url=UPSTREAM, m=URL_MAP)
    assert [h for h in out if h[0] == name] == expected


def test_websocket_upgrade_is_kept() -> None:
    browser = [
        ("Host", "pa.cobrowse.localhost:8000"),
        ("Connection", "keep-alive, Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Protocol", "chat"),
        ("Origin", PA),
    ]
    assert request_headers(browser, upstream_url="https://portal.example.gov.in/ws", m=URL_MAP) == [
        ("Host", "portal.example.gov.in"),
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Protocol", "chat"),
        ("Origin", "https://portal.example.gov.in"),
        ("Accept-Encoding", "gzip, deflate, br"),
    ]


def test_other_upgrades_are_dropped() -> None:
    out = request_headers(
        [("Connection", "Upgrade"), ("Upgrade", "h2c")], upstream_url=UPSTREAM, m=URL_MAP
    )
    assert out == [("Host", "portal.example.gov.in"), ("Accept-Encoding", "gzip, deflate, br")]


def test_response_headers_of_a_rewritten_page() -> None:
    upstream = [
        ("Date", "Tue, 01 Jul 2025 10:00:00 GMT"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "5120"),
        ("Content-Encoding", "br"),
        ("Content-Security-Policy", "default-src 'self'"),
        ("Content-Security-Policy-Report-Only", "script-src 'none'"),
        ("X-Frame-Options", "DENY"),
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Alt-Svc", 'h3=":443"'),
        ("Public-Key-Pins", "pin-sha256=x"),
        ("Report-To", '{"group":"g"}'),
        ("NEL", '{"report_to":"g"}'),
        ("Clear-Site-Data", '"cookies"'),
        ("Set-Cookie", "SESSION=abc; Path=/; HttpOnly; Secure"),
        ("Set-Cookie", "lang=en; Path=/"),
        (
            "Link",
            "<https://cdn.example.gov.in/app.css>; rel=preload; as=style, </x.js>; rel=preload",
        ),
        ("Cache-Control", "no-cache"),
        ("Vary", "Accept-Encoding"),
        ("Vary", "Cookie"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "close"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    assert response_headers(upstream, URL_MAP, body_rewritten=True) == [
        ("Date", "Tue, 01 Jul 2025 10:00:00 GMT"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Link", f"<{PB}/app.css>; rel=preload; as=style, </x.js>; rel=preload"),
        ("Cache-Control", "no-cache"),
        ("Vary", "Accept-Encoding"),
        ("Vary", "Cookie"),
        ("X-Content-Type-Options", "nosniff"),
    ]


def test_content_length_kept_for_an_identity_body_passed_through() -> None:
    upstream = [("Content-Type", "image/png"), ("Content-Length", "42"), ("ETag", '"v1"')]
    assert response_headers(upstream, URL_MAP, body_rewritten=False) == upstream


def test_content_length_dropped_when_the_client_decoded_the_body() -> None:
    upstream = [("Content-Length", "42"), ("Content-Encoding", "gzip"), ("Digest", "sha-256=x")]
    assert response_headers(upstream, URL_MAP, body_rewritten=False) == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Location", "https://portal.example.gov.in/login?next=/itr", f"{PA}/login?next=/itr"),
        ("Location", "/login", f"{PA}/login"),
        ("Location", "step2", f"{PA}/itr/step2"),
        ("Location", "//cdn.example.gov.in/x", f"{PB}/x"),
        ("Location", "https://sso.example.org/auth", "https://sso.example.org/auth"),
        ("location", "", ""),
        ("Content-Location", "/itr/form.html", f"{PA}/itr/form.html"),
        ("Refresh", "3; url=https://portal.example.gov.in/next", f"3; url={PA}/next"),
        ("Access-Control-Allow-Origin", "https://portal.example.gov.in", PA),
        ("Access-Control-Allow-Origin", "*", "*"),
        ("Access-Control-Allow-Origin", "null", "null"),
        ("Access-Control-Allow-Origin", "https://other.example", "https://other.example"),
        (
            "Timing-Allow-Origin",
            "https://portal.example.gov.in, https://other.example, https://cdn.example.gov.in",
            f"{PA}, https://other.example, {PB}",
        ),
        ("Timing-Allow-Origin", "*", "*"),
        ("SourceMap", "https://cdn.example.gov.in/app.js.map", f"{PB}/app.js.map"),
        ("Access-Control-Allow-Credentials", "true", "true"),
    ],
)
def test_response_header_values(name: str, value: str, expected: str) -> None:
    assert response_headers([(name, value)], URL_MAP, body_rewritten=False) == [(name, expected)]


def test_response_hop_by_hop_named_in_connection_is_dropped() -> None:
    upstream = [("Connection", "X-Upstream-Hop"), ("X-Upstream-Hop", "1"), ("X-Kept", "1")]
    assert response_headers(upstream, URL_MAP, body_rewritten=False) == [("X-Kept", "1")]


@pytest.mark.parametrize(
    ("content_type", "path", "kind"),
    [
        ("text/html; charset=utf-8", "/x", "html"),
        ("TEXT/HTML", "/x.css", "html"),
        ("application/xhtml+xml", "/x", "html"),
        ("text/css", "/x", "css"),
        ("text/css;charset=UTF-8", "/x.html", "css"),
        ("application/javascript", "/x.html", "other"),
        ("application/json", "/x", "other"),
        ("text/plain", "/x.css", "other"),
        ("image/svg+xml", "/x.svg", "other"),
        (None, "/index.html", "html"),
        ("", "/page.HTM?x=1", "html"),
        (None, "/style.css", "css"),
        (None, "/data.json", "other"),
        (None, "/", "other"),
    ],
)
def test_content_kind(content_type: str | None, path: str, kind: str) -> None:
    assert content_kind(content_type, path) == kind


@pytest.mark.parametrize(
    ("content_type", "path", "dest", "kind"),
    [
        ("application/javascript", "/a.js", "script", "js"),
        ("text/javascript; charset=utf-8", "/a", "worker", "js"),
        ("application/x-javascript", "/a", "serviceworker", "js"),
        ("text/ecmascript", "/a", "sharedworker", "js"),
        ("text/plain", "/a.txt", "script", "js"),
        (None, "/a", "audioworklet", "js"),
        ("", "/a.js", "paintworklet", "js"),
        # Fetched as data, or as a navigation: not run, not rewritten.
        ("application/javascript", "/a.js", "empty", "other"),
        ("application/javascript", "/a.js", "document", "other"),
        ("application/javascript", "/a.js", None, "other"),
        ("text/plain", "/a.txt", "empty", "other"),
        ("application/json", "/a", "script", "other"),
        # XHTML and XML fetched by fetch() or XHR are data: not HTML-rewritten.
        ("application/xhtml+xml", "/a", "empty", "other"),
        (None, "/a.xhtml", "empty", "other"),
        ("application/xml", "/a", "empty", "other"),
        ("application/xhtml+xml", "/a", "document", "html"),
        ("application/xhtml+xml", "/a", "iframe", "html"),
        ("text/html", "/a", "empty", "html"),
        (None, "/a.html", "empty", "html"),
    ],
)
def test_content_kind_by_destination(
    content_type: str | None, path: str, dest: str | None, kind: str
) -> None:
    assert content_kind(content_type, path, dest) == kind


# --- the site's policy, redirects as navigations, and what a navigation is -----------


def test_the_site_s_policy_is_kept_with_proxy_hosts_when_there_is_a_policy() -> None:
    upstream = [
        ("Content-Security-Policy", "default-src 'self' https://cdn.example.gov.in"),
        ("Content-Security-Policy", "frame-ancestors 'none'"),
        ("Content-Security-Policy-Report-Only", "script-src 'none'"),
        ("X-Frame-Options", "DENY"),
    ]
    assert response_headers(upstream, URL_MAP, body_rewritten=False, policy=POLICY) == [
        ("Content-Security-Policy", f"default-src 'self' {PB} {PA}/__cobrowse/"),
    ]


def test_a_redirect_to_a_site_without_a_host_goes_through_the_go_path() -> None:
    m = session_map()
    location = [("Location", "https://sso.example.org/auth?x=1")]
    out = response_headers(location, m, body_rewritten=False)
    assert out == [("Location", "/__cobrowse/go?url=https%3A%2F%2Fsso.example.org%2Fauth%3Fx%3D1")]
    # A load of that site gave it a host: the redirect then goes there.
    assert rewrite_url("https://sso.example.org/logo.png", m).startswith("http://pc.")
    out = response_headers([("Location", "https://sso.example.org/auth")], m, body_rewritten=False)
    assert out == [("Location", "http://pc.cobrowse.localhost:8000/auth")]


@pytest.mark.parametrize(
    ("headers", "navigation"),
    [
        ([("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Dest", "document")], True),
        ([("sec-fetch-mode", "navigate"), ("sec-fetch-dest", "iframe")], True),
        ([("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "image")], False),
        ([("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")], False),
        ([("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "font")], False),
        ([("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "script")], False),
        ([("Sec-Fetch-Mode", "websocket"), ("Sec-Fetch-Dest", "websocket")], False),
        # Pages in embeds and objects are pages whatever the mode says.
        ([("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "embed")], True),
        ([("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "object")], True),
        ([("Sec-Fetch-Mode", "no-cors"), ("Sec-Fetch-Dest", "FencedFrame")], True),
        # Without them (not a browser, or an old one): a navigation, so nothing is given.
        ([], True),
        ([("Sec-Fetch-Dest", "image")], True),
        ([("Sec-Fetch-Mode", "")], True),
        # The first one counts.
        ([("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Mode", "navigate")], False),
    ],
)
def test_is_navigation(headers: list[tuple[str, str]], navigation: bool) -> None:
    assert is_navigation(headers) is navigation
