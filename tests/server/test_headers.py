"""Security headers on every page the app serves: every route of the route table (the
access matrix's rows), error pages, and the proxy's own pages. docs/threat-model.md T6."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pytest

from tests.server.conftest import SITE, Server
from tests.server.test_access_matrix import REST
from tests.server.test_proxy import open_overlay
from tests.server.test_ws import PDF, Story, frame, offer
from tests.server.world import World, world  # noqa: F401 - fixture

EXTRA = [
    ("GET", "/nope"),  # 404 JSON
    ("PUT", "/api/v1/join"),  # 405
    ("POST", "/api/v1/join", "{not json"),  # 401/422
    ("GET", "/files/not-a-ticket"),  # 404 page
    ("GET", "/agent/signin?token=forged"),  # 401 page
    ("GET", "/start?url=https://evil.test/"),  # 400 page
    ("GET", "/static/dist/console.js"),
    ("GET", "/static/dist/cobrowse.js"),
]


def _directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def check_own_headers(r: object, path: str) -> None:
    h = r.headers  # type: ignore[attr-defined]
    assert h["x-content-type-options"] == "nosniff", path
    assert h["referrer-policy"] == "no-referrer", path
    assert "camera=()" in h["permissions-policy"], path
    assert h["x-frame-options"] == "DENY", path
    assert h["cross-origin-opener-policy"] == "same-origin", path
    embed = path.split("?")[0] in ("/cobrowse.js", "/static/dist/cobrowse.js")
    assert h["cross-origin-resource-policy"] == ("cross-origin" if embed else "same-origin"), path
    csp = _directives(h["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"], path
    assert "default-src" in csp, path
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
    assert "*" not in scripts, path
    assert "strict-transport-security" not in h, path  # http: never


@pytest.mark.parametrize("who", ["none", "agent_here"])
@pytest.mark.parametrize("route", sorted(REST), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_route_sends_the_security_headers(
    world: World,  # noqa: F811
    route: tuple[str, str],
    who: str,
) -> None:
    call, _ = REST[route]
    party, client, bearer = world.credentials(who)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    r = call(world, party, client, headers)
    check_own_headers(r, route[1])


@pytest.mark.parametrize("request_", EXTRA, ids=lambda e: f"{e[0]} {e[1]}")
def test_error_pages_and_files_send_them_too(server: Server, request_: tuple[str, ...]) -> None:
    method, path, *body = request_
    r = server.client.request(method, path, content=body[0] if body else None)
    assert r.status_code < 500
    check_own_headers(r, path)


def test_a_server_error_is_json_with_the_headers_and_no_detail(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise RuntimeError("secret detail")

    server.client.app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    r = server.client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {
        "error": {"code": "internal", "message": "Something went wrong on the server."}
    }
    assert "secret detail" not in r.text
    check_own_headers(r, "/boom")
    assert any("secret detail" in (rec.exc_text or "") for rec in caplog.records)  # logged


def test_hsts_only_over_https(make_server: Callable[..., Server]) -> None:
    secure = make_server(server={"public_url": "https://cobrowse.example.gov.in"})
    r = secure.client.get("/healthz")
    assert r.headers["strict-transport-security"] == f"max-age={365 * 24 * 3600}"
    off = make_server(server={"public_url": "https://cobrowse.example.gov.in", "hsts_seconds": 0})
    assert "strict-transport-security" not in off.client.get("/healthz").headers


def test_the_console_talks_only_to_this_server(make_server: Callable[..., Server]) -> None:
    server = make_server(server={"public_url": "https://cobrowse.example.gov.in"})
    csp = _directives(server.client.get("/console").headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'", "wss://cobrowse.example.gov.in"]
    assert csp["script-src"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]


@pytest.mark.parametrize(("mode", "loads"), [("proxy", "'self'"), ("inline", "*")])
def test_the_mirror_loads_from_this_server_only_in_proxy_mode(
    make_server: Callable[..., Server], mode: str, loads: str
) -> None:
    """Proxy mode: images, fonts and media only from the asset route, so the agent's
    browser talks to no site even for a URL no rewriting reached; inline mode: from the
    site itself, as the README says."""
    server = make_server(proxy={"mode": mode})
    csp = _directives(server.client.get("/console").headers["content-security-policy"])
    for directive in ("img-src", "font-src", "media-src"):
        assert csp[directive][0] == loads, directive
        assert set(csp[directive][1:]) <= {"data:", "blob:"}


def test_api_docs_allow_only_their_own_inline_scripts(server: Server) -> None:
    for path in ("/docs", "/docs/oauth2-redirect"):
        r = server.client.get(path)
        scripts = _directives(r.headers["content-security-policy"])["script-src"]
        assert "'unsafe-inline'" not in scripts
        inline = r.text.count("<script>")
        assert sum(s.startswith("'sha256-") for s in scripts) == inline, path


def test_proxy_pages_may_be_framed_only_by_the_allowed_sites(
    proxy_server: Server,
    upstream: str,
) -> None:
    with ExitStack() as stack:
        ov = open_overlay(proxy_server, stack, upstream)
        page = ov.get("/")
        ancestors = _directives(page.headers["content-security-policy"])["frame-ancestors"]
        assert set(ancestors) == {
            "'self'",
            "http://testserver",
            SITE,
            upstream,
            "http://*.cobrowse.localhost",
        }
        # The proxy's own pages: the same ancestors and our own headers.
        for r in (
            ov.get("/__cobrowse/runtime.js"),
            proxy_server.client.get("http://pnope.cobrowse.localhost/"),  # error page
            proxy_server.browser().get(ov.origin + "/"),  # 403 page
        ):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
        error = proxy_server.client.get("http://pnope.cobrowse.localhost/")
        csp = _directives(error.headers["content-security-policy"])
        assert csp["default-src"] == ["'none'"] and set(csp["frame-ancestors"]) == set(ancestors)


def test_a_file_download_sends_them_and_is_sandboxed(server: Server) -> None:
    with ExitStack() as stack:
        story = Story(server, stack).allow()
        file_id = offer(story, "guide.pdf", PDF).json()["file_id"]
        story.visitor.receive_json()
        story.visitor.send_text(frame("offer_answer", file_id=file_id, accept=True))
        url = story.visitor.receive_json()["url"]
        r = server.browser().get(url.removeprefix("http://testserver"))
        assert r.status_code == 200 and r.content == PDF
        check_own_headers(r, "/files/")
        assert "sandbox" in _directives(r.headers["content-security-policy"])
        assert r.headers["content-disposition"].startswith("attachment")
