"""Agent sign-in in Chromium: SSO through a real (test) OpenID Connect provider, a
local account, refusals shown on the page, sign-out; then a join with that identity."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from cobrowse.server.accounts import AccountStore
from tests.e2e.demo_process import Demo, start_demo, stop_demo
from tests.e2e.test_accessibility import AXE, scan
from tests.server.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

pytestmark = pytest.mark.e2e

LOCAL_PASSWORD = "a long local password"


@dataclass
class SsoDemo:
    demo: Demo
    idp: Provider


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoDemo]:
    with running_provider() as idp:
        demo = start_demo(
            tmp_path_factory.mktemp("sso"),
            {
                "COBROWSE_AUTH_OIDC_ISSUER": idp.issuer,
                "COBROWSE_AUTH_OIDC_CLIENT_ID": CLIENT_ID,
                "COBROWSE_AUTH_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "COBROWSE_PROXY_MODE": "inline",
            },
            mode="inline",
        )
        try:
            # The login page on another site than the console (idp.localhost resolves to
            # loopback in Chromium): the way back to the callback is a cross-site
            # navigation, as in production, so the SameSite=Lax state cookie is tested.
            idp.front_url = idp.issuer.replace("127.0.0.1", "idp.localhost")
            idp.redirect_uris.append(f"{demo.server}/agent/oidc/callback")
            # What `cobrowse user add` writes; the running server picks it up.
            AccountStore(demo.data_dir / "accounts.json").add(
                "ravi", name="Ravi Kumar", password=LOCAL_PASSWORD
            )
            yield SsoDemo(demo, idp)
        finally:
            stop_demo(demo)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def new_pin(demo: Demo) -> str:
    request = urllib.request.Request(
        f"{demo.server}/api/v1/sessions",
        data=b"{}",
        headers={"Content-Type": "application/json", "Origin": demo.portal},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return str(json.load(r)["pin"])


def test_sso_sign_in_then_join_then_sign_out(sso: SsoDemo, page: Page) -> None:
    demo = sso.demo
    page.goto(demo.server + "/console")
    expect(page.get_by_role("heading", name="Sign-in needed")).to_be_visible()
    page.get_by_role("link", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()
    page.get_by_role("link", name="Sign in with SSO").click()

    # The provider's own page.
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    assert page.url.startswith(sso.idp.front_url + "/authorize?")
    page.get_by_label("Username").fill("asha")
    page.get_by_label("Password").fill("idp password 1")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(demo.server + "/console")
    expect(page.locator("#agent")).to_contain_text("Signed in as Asha Rao")
    page.get_by_label("PIN").fill(new_pin(demo))
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#session-status")).to_have_text("Waiting for the visitor to allow…")

    page.goto(demo.server + "/console")  # reload: the stored session comes back
    page.get_by_role("button", name="Leave").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(demo.server + "/console")
    expect(page.get_by_role("heading", name="Sign-in needed")).to_be_visible()


def test_a_refused_sso_sign_in_says_why(sso: SsoDemo, page: Page) -> None:
    sso.idp.claims_override["nonce"] = "not the nonce we sent"
    try:
        page.goto(sso.demo.server + "/agent/login")
        page.get_by_role("link", name="Sign in with SSO").click()
        page.get_by_label("Username").fill("asha")
        page.get_by_label("Password").fill("idp password 1")
        page.get_by_role("button", name="Sign in").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Single sign-on failed")
        expect(alert).to_contain_text("nonce")
        expect(page).to_have_title("Error: Agent sign-in · Co-browse")
    finally:
        sso.idp.claims_override.clear()
    page.goto(sso.demo.server + "/console")
    expect(page.get_by_role("heading", name="Sign-in needed")).to_be_visible()


def test_local_account_sign_in_with_a_wrong_password_first(sso: SsoDemo, page: Page) -> None:
    if AXE.exists():
        page.add_init_script(path=str(AXE))
    page.goto(sso.demo.server + "/agent/login")
    expect(page.get_by_label("Username")).to_be_focused()
    if AXE.exists():
        assert scan(page, "sign-in page") == []
    page.get_by_label("Username").fill("ravi")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value("ravi")
    expect(page.get_by_label("Password")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    if AXE.exists():
        assert scan(page, "sign-in page with an error") == []
    page.get_by_label("Password").fill(LOCAL_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(sso.demo.server + "/console")
    expect(page.locator("#agent")).to_contain_text("Signed in as Ravi Kumar")
    expect(page.get_by_label("PIN")).to_be_visible()
