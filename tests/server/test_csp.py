"""Every Content-Security-Policy the app sends, pinned: the exact directives and
sources of each page, so a test fails the day a policy loosens (a source, a keyword or
a directive added, a directive dropped). Loosening one means changing it here, on
purpose, with the reason in docs/threat-model.md (T6). The mirror frame's sandbox is
pinned in Chromium: tests/e2e/test_injection.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack

import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from cobrowse.server.apidocs import SWAGGER_JS, docs_csp, page_origin
from tests.server.conftest import SITE, Server
from tests.server.test_proxy import NAV, open_overlay

Policy = dict[str, list[str]]

# What no page of ours may allow for scripts, whatever else changes.
UNSAFE_SCRIPT = {
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "'strict-dynamic'",
    "'wasm-unsafe-eval'",
    "*",
    "data:",
    "blob:",
    "http:",
    "https:",
    "filesystem:",
}


def parse(header: str) -> Policy:
    """A policy as directive -> sources; a directive given twice is an error here (the
    browser would ignore the second, which a reader of the header would not expect)."""
    out: Policy = {}
    for part in header.split(";"):
        words = part.split()
        if not words:
            continue
        name = words[0].lower()
        assert name not in out, f"{name} given twice in {header!r}"
        out[name] = words[1:]
    return out


def effective(policy: Policy, directive: str) -> list[str]:
    """The sources in force for `directive` (CSP 3 fallbacks, as far as we use them)."""
    chains = {
        "script-src-elem": ["script-src-elem", "script-src", "default-src"],
        "script-src-attr": ["script-src-attr", "script-src", "default-src"],
        "object-src": ["object-src", "default-src"],
        "worker-src": ["worker-src", "child-src", "script-src", "default-src"],
        "frame-src": ["frame-src", "child-src", "default-src"],
    }
    for name in chains.get(directive, [directive, "default-src"]):
        if name in policy:
            return policy[name]
    return ["*"]  # no directive and no default: anything


def check_invariants(policy: Policy, *, where: str) -> None:
    """What every page of the app keeps, whatever its own needs."""
    for directive in ("script-src-elem", "script-src-attr", "worker-src"):
        unsafe = set(effective(policy, directive)) & UNSAFE_SCRIPT
        assert not unsafe or (directive == "worker-src" and unsafe == {"blob:"}), (where, unsafe)
    for directive in ("script-src-elem", "script-src-attr"):
        # A whole host (a CDN serves anyone's files) is never a script source.
        for source in effective(policy, directive):
            if source.startswith("https://"):
                assert re.fullmatch(r"https://[^/]+/.+\.js", source), (where, source)
    assert effective(policy, "object-src") == ["'none'"], where
    assert policy.get("base-uri") == ["'none'"], where
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert "form-action" in policy, where  # it has no fallback


CONSOLE = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "object-src": ["'none'"],
    "style-src": ["'self'", "'unsafe-inline'"],  # the mirror replays the site's inline styles
    "img-src": ["LOADS", "data:", "blob:"],
    "font-src": ["LOADS", "data:"],
    "media-src": ["LOADS", "data:", "blob:"],
    "connect-src": ["'self'", "SOCKET"],
    "frame-src": ["'self'", "about:"],
    "child-src": ["'self'", "about:", "blob:"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],  # Sign out
    "frame-ancestors": ["'none'"],
}


@pytest.mark.parametrize("mode", ["proxy", "inline"])
@pytest.mark.parametrize(
    ("public_url", "socket"),
    [
        ("http://testserver", "ws://testserver"),
        ("https://cb.example.gov.in", "wss://cb.example.gov.in"),
    ],
)
def test_the_console_policy_is_exactly_this(
    make_server: Callable[..., Server], mode: str, public_url: str, socket: str
) -> None:
    server = make_server(server={"public_url": public_url}, proxy={"mode": mode})
    policy = parse(server.client.get("/console").headers["content-security-policy"])
    loads = "'self'" if mode == "proxy" else "*"  # inline mode: the site's own images, fonts
    expected = {
        name: [loads if s == "LOADS" else socket if s == "SOCKET" else s for s in sources]
        for name, sources in CONSOLE.items()
    }
    assert policy == expected
    check_invariants(policy, where="/console")


def test_the_start_page_policy_is_exactly_this(server: Server) -> None:
    r = server.client.get("/start", params={"url": SITE + "/itr"})
    assert r.status_code == 200
    policy = parse(r.headers["content-security-policy"])
    assert policy == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws://testserver"],  # was `ws: wss:`: any host
        "frame-src": ["http://*.cobrowse.localhost"],  # the overlay
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    check_invariants(policy, where="/start")


NOTHING = {
    "default-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'none'"],
}
MESSAGE_PAGE = {**NOTHING, "style-src": ["'self'", "'unsafe-inline'"]}
LOGIN = {
    "default-src": ["'none'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/me", NOTHING),  # JSON
        ("/nope", NOTHING),  # an error
        ("/healthz", NOTHING),
        ("/cobrowse.js", NOTHING),  # a script file: its policy binds nothing it runs in
        ("/files/not-a-ticket", MESSAGE_PAGE),
        ("/agent/signin?token=forged", MESSAGE_PAGE),
        ("/start?url=javascript:alert(1)", MESSAGE_PAGE),
        ("/agent/login", LOGIN),
    ],
)
def test_other_pages_policies_are_exactly_these(
    server: Server, path: str, expected: Policy
) -> None:
    policy = parse(server.client.get(path).headers["content-security-policy"])
    assert policy == expected
    check_invariants(policy, where=path)


SWAGGER = "http://testserver/static/dist/swagger-ui"


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect"])
def test_the_api_docs_load_exactly_their_own_scripts(server: Server, path: str) -> None:
    """Swagger UI from this server by exact URL (no CDN: an air-gapped network reaches
    none), its inline scripts by hash; nothing loaded from anywhere else."""
    r = server.client.get(path)
    policy = parse(r.headers["content-security-policy"])
    check_invariants(policy, where=path)
    scripts = re.findall(r'<script\s+src="([^"]+)"', r.text)
    inline = r.text.count("<script>")
    sources = policy["script-src"]
    assert [s for s in sources if not s.startswith("'sha256-")] == [
        f"http://testserver{s}" for s in scripts
    ]
    assert scripts == (["/static/dist/swagger-ui/swagger-ui-bundle.js"] if path == "/docs" else [])
    assert sum(s.startswith("'sha256-") for s in sources) == inline
    assert {k: v for k, v in policy.items() if k != "script-src"} == {
        "default-src": ["'none'"],
        "style-src": [f"{SWAGGER}/swagger-ui.css", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'none'"],
        "connect-src": ["'self'"],
        "worker-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    assert "cdn.jsdelivr.net" not in r.text and "https://" not in r.text


def test_the_api_docs_name_their_files_at_the_public_url(
    make_server: Callable[..., Server],
) -> None:
    """Behind a front, the policy names the files where the browser loads them from."""
    server = make_server(server={"public_url": "https://cb.example.gov.in"})
    policy = parse(server.client.get("/docs").headers["content-security-policy"])
    check_invariants(policy, where="/docs")
    swagger = "https://cb.example.gov.in/static/dist/swagger-ui"
    assert policy["script-src"][0] == f"{swagger}/swagger-ui-bundle.js"
    assert policy["style-src"] == [f"{swagger}/swagger-ui.css", "'unsafe-inline'"]


@pytest.mark.parametrize(
    ("public_url", "netloc", "origin"),
    [
        ("", "127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("", "[::1]:8123", "http://[::1]:8123"),
        ("https://cb.example.gov.in/", "127.0.0.1:8000", "https://cb.example.gov.in"),
        ("", "evil.test; script-src *", ""),
        ("", "evil.test 'unsafe-inline'", ""),
    ],
)
def test_a_forged_host_writes_nothing_into_the_docs_policy(
    public_url: str, netloc: str, origin: str
) -> None:
    assert page_origin(public_url, "http", netloc) == origin
    if not origin:
        html = get_swagger_ui_html(
            openapi_url="/openapi.json", title="t", swagger_js_url=SWAGGER_JS
        ).body.decode()
        policy = parse(docs_csp(html, origin))
        check_invariants(policy, where="/docs")
        assert all(s.startswith("'sha256-") for s in policy["script-src"])
        assert policy["style-src"] == ["'unsafe-inline'"]


def test_the_proxy_s_own_pages_and_proxied_pages(proxy_server: Server, upstream: str) -> None:
    """Proxy hosts are framed by the allowed sites and the server; a proxied page runs
    the site's own scripts (so its policy allows inline ones) but loads, posts and sets
    its base only on proxy hosts; the proxy's own pages run nothing but the runtime."""
    ancestors = ["'self'", "http://testserver", SITE, upstream, "http://*.cobrowse.localhost"]
    proxies = ["'self'", "http://*.cobrowse.localhost"]
    with ExitStack() as stack:
        ov = open_overlay(proxy_server, stack, upstream)
        page = ov.get("/")
        policies = [parse(h) for h in page.headers.get_list("content-security-policy")]
        ours = {
            "default-src": [
                *proxies,
                "ws://*.cobrowse.localhost",
                "data:",
                "blob:",
                "'unsafe-inline'",
                "'unsafe-eval'",
                "'wasm-unsafe-eval'",
            ],
            "form-action": proxies,
            "base-uri": proxies,
            "frame-ancestors": ancestors,
        }
        assert ours in policies
        error = parse(
            proxy_server.client.get("http://pnope.cobrowse.localhost/").headers[
                "content-security-policy"
            ]
        )
        assert error == {
            "default-src": ["'none'"],
            "style-src": ["'unsafe-inline'"],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
            "frame-ancestors": ancestors,
        }
        r = ov.get(
            "/__cobrowse/go",
            params={"url": "https://elsewhere.example/"},
            headers=NAV,
            follow_redirects=False,
        )
        assert r.status_code == 307
        bare = {
            "default-src": ["'none'"],
            "style-src": ["'unsafe-inline'"],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
            "frame-ancestors": ancestors,
        }
        # The runtime, so that the overlay stays bridged: with the visitor's credential.
        bridged = {**bare, "script-src": ["'self'"], "connect-src": ["'self'"]}
        for cookie, expected in (({}, bare), ({"Cookie": f"cobrowse_proxy={ov.cookie}"}, bridged)):
            outside = proxy_server.client.get(r.headers["location"], headers={**NAV, **cookie})
            assert "outside co-browsing" in outside.text
            assert parse(outside.headers["content-security-policy"]) == expected
