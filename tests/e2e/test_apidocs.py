"""/docs in Chromium: Swagger UI from this server alone (an air-gapped network reaches no
CDN), under its CSP with no violation, and its "Authorize" sending a CRM's API key."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Request, Route, expect

from cobrowse.server.api_keys import API_KEYS_FILE, ApiKeyStore
from tests.e2e.demo_process import Demo

pytestmark = pytest.mark.e2e

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`);
});
"""


def _operations(demo: Demo) -> int:
    with urllib.request.urlopen(f"{demo.server}/openapi.json", timeout=10) as answer:
        doc = json.loads(answer.read())
    return sum(len(ops) for ops in doc["paths"].values())


def test_swagger_ui_runs_from_this_server_and_sends_the_api_key(
    browser: Browser, proxy_demo: Demo
) -> None:
    demo = proxy_demo
    key, _ = ApiKeyStore(demo.data_dir / API_KEYS_FILE).create(label="e2e docs")
    context = browser.new_context()
    elsewhere: list[str] = []
    sent: list[Request] = []
    console: list[str] = []
    errors: list[str] = []

    def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:  # recorded, and never sent: the test does not depend on the internet
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    context.on("request", lambda r: sent.append(r))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{demo.server}/docs")
        operations = page.locator(".opblock")
        expect(operations).to_have_count(_operations(demo))
        link_op = operations.filter(has_text="/api/v1/agent-links")
        expect(link_op).to_have_count(1)

        # Authorize: the API key scheme of the OpenAPI document, as a bearer token.
        page.get_by_role("button", name="Authorize").first.click()
        scheme = page.locator(".auth-container").filter(has_text="apiKey")
        scheme.locator("input").fill(key)
        scheme.get_by_role("button", name="Apply credentials").click()
        expect(scheme).to_contain_text("Authorized")
        page.get_by_role("button", name="Close").first.click()

        link_op.locator(".opblock-summary").first.click()
        link_op.get_by_role("button", name="Try it out").click()
        link_op.locator("textarea.body-param__text").fill('{"agent": "Asha Rao"}')
        with page.expect_response(lambda r: r.url.endswith("/api/v1/agent-links")) as answer:
            link_op.get_by_role("button", name="Execute").click()
        assert answer.value.status == 201
        assert answer.value.request.headers["authorization"] == f"Bearer {key}"
        assert answer.value.json()["url"].startswith(f"{demo.server}/agent/signin?token=")
        shown = link_op.locator(".live-responses-table td.response-col_status:not(.col_header)")
        expect(shown).to_have_text("201")

        violations = page.evaluate("window.__cspViolations")
    finally:
        context.close()
    assert elsewhere == []
    assert all(urlsplit(r.url).hostname == "127.0.0.1" for r in sent if r.url.startswith("http"))
    assert violations == []
    assert not [m for m in console if "Content Security Policy" in m], console
    assert errors == []
