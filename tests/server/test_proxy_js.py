"""Scripts through the proxy: rewritten by docs/js-rewriting.md's rules, cached."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from cobrowse.rewrite.js import RULES_VERSION
from cobrowse.rewrite.worker_prelude import worker_prelude
from cobrowse.server.js_cache import etag_of
from tests.server.conftest import SITE, Server
from tests.server.test_js_cache import counts
from tests.server.test_proxy import LOAD, open_overlay

SCRIPT = {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}
MODULE = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "script"}
WORKER = {"Sec-Fetch-Mode": "same-origin", "Sec-Fetch-Dest": "worker"}


def test_a_script_is_rewritten_once_then_served_from_the_cache(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/app.js", headers=SCRIPT)
    assert r.status_code == 200
    assert r.text == (
        "var here = __cobrowse$.w(location).href;\n"
        "if (__cobrowse$.w(top) !== self) "
        '__cobrowse$.s(__cobrowse$.w(top), "location", __cobrowse$.w(self.location));\n'
    )
    assert r.headers["content-type"] == "application/javascript"
    assert r.headers["content-length"] == str(len(r.content))
    etag = r.headers["etag"]
    assert etag != '"up-1"' and etag.endswith(f'-{RULES_VERSION}"')
    assert counts(proxy_server.ctx.metrics)["rewritten"] == 1
    again = ov.get("/app.js", headers=SCRIPT)
    assert again.content == r.content and again.headers["etag"] == etag
    seen = counts(proxy_server.ctx.metrics)
    assert seen["rewritten"] == 1 and seen["cached"] == 1
    # Fetched as data (fetch(), XHR), a script is not run: it passes as it came.
    data = ov.get("/app.js", headers=LOAD)
    assert data.text.startswith("var here = location.href;")
    assert data.headers["etag"] == '"up-1"'


def test_a_worker_script_gets_the_prelude_that_defines_the_runtime_s_functions(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    script = ov.get("/app.js", headers=SCRIPT).content
    worker = ov.get("/app.js", headers=WORKER)
    origins = proxy_server.call(proxy_server.ctx.proxy.session_hosts, ov.story.session_id).origins()
    prelude = worker_prelude(origins, ov.origin + "/__cobrowse/go?url=")
    assert worker.content == prelude + script
    assert worker.headers["etag"] == etag_of(worker.content)
    assert worker.content.count(b"\n") == script.count(b"\n")  # lines kept
    # Even a worker script with nothing to rewrite: what it imports may need it.
    plain = ov.get("/plain.js", headers={**WORKER, "Sec-Fetch-Dest": "sharedworker"})
    assert plain.content == prelude + b"__cobrowse$.w(top).x();"


def test_a_module_s_static_imports_of_allowed_origins_point_at_their_proxy_hosts(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    site_proxy = proxy_server.call(
        proxy_server.ctx.proxy.session_hosts, ov.story.session_id
    ).origins()[SITE]
    r = ov.get("/mod.js", headers=MODULE)
    assert r.text == (
        f'import {{ x }} from "{site_proxy}/lib.js";\n'
        'export * from "./rel.js";\n'
        "console.log(x, __cobrowse$.w(location).origin);\n"
    )


def test_scripts_in_other_encodings_and_unlabelled_ones(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    r = ov.get("/latin.js", headers=SCRIPT)
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.content.decode("utf-8") == 'var s = "café"; __cobrowse$.w(location).hash;'
    # A classic script runs whatever its type says: text/plain is rewritten as one.
    assert ov.get("/plain.js", headers=SCRIPT).text == "__cobrowse$.w(top).x();"
    assert ov.get("/plain.js", headers=LOAD).text == "top.x();"


def test_a_script_above_the_size_cap_passes_as_it_came(
    make_proxy_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_proxy_server(max_script_rewrite_bytes=16)
    ov = open_overlay(server, stack, upstream)
    r = ov.get("/app.js", headers=SCRIPT)
    assert r.text.startswith("var here = location.href;")
    assert r.headers["etag"] == '"up-1"'
    assert counts(server.ctx.metrics)["too_large"] == 1


def test_pages_lose_integrity_and_their_handlers_and_javascript_urls_are_rewritten(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    body = ov.get("/scripts").text
    assert "integrity" not in body
    assert f'<script src="{ov.origin}/app.js"></script>' in body
    assert "<script>var h = __cobrowse$.w(location).host;</script>" in body
    assert 'onclick="__cobrowse$.w(__cobrowse$.w(top).location).reload(); return false"' in body
    assert "href=\"javascript:__cobrowse$.w(location).href='/x y'\"" in body


def test_xhtml_fetched_by_script_is_data_not_a_page(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    fetched = ov.get("/doc.xhtml", headers=LOAD)
    assert fetched.status_code == 200
    assert fetched.text.startswith('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>')
    assert f'href="{upstream}/next"' in fetched.text  # untouched: no runtime, no mapping
    page = ov.get(
        "/doc.xhtml", headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    )
    assert '<script id="__cobrowse_config"' in page.text
    assert f'href="{ov.origin}/next"' in page.text
