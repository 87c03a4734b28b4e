"""Local accounts: the sign-in page, CSRF, throttling, sign-out; and sign-in choices."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from cobrowse.server.accounts import AccountStore
from tests.server.conftest import Server

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts_server(make_server: Callable[..., Server], tmp_path: Path) -> Server:
    server = make_server(limits={"login_free_failures": 2, "login_lockout_failures": 5})
    AccountStore(tmp_path / "data" / "accounts.json").add(
        "asha", name="Asha Rao", password=PASSWORD
    )
    return server


def form_token(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(browser: TestClient, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    page = browser.get("/agent/login")
    assert page.status_code == 200
    data = {"username": username, "password": password, "csrf": form_token(page.text), **extra}
    return browser.post("/agent/login", data=data, follow_redirects=False)


def test_the_page_offers_the_form_when_accounts_exist(accounts_server: Server) -> None:
    r = accounts_server.browser().get("/agent/login")
    assert r.status_code == 200
    assert '<label for="username">Username</label>' in r.text
    assert '<label for="password">Password</label>' in r.text
    assert 'autocomplete="current-password"' in r.text
    assert "Sign in with SSO" not in r.text  # not configured
    assert "form-action 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    assert "cobrowse_login=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_without_accounts_or_sso_the_page_points_to_the_crm_link(server: Server) -> None:
    r = server.browser().get("/agent/login")
    assert r.status_code == 200
    assert "Username" not in r.text and "CRM's co-browse link" in r.text


def test_right_password_signs_in_and_sign_out_ends_it(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    r = sign_in(browser, "Asha", PASSWORD)  # usernames are case-insensitive
    assert r.status_code == 303 and r.headers["location"] == "/console"
    assert "SameSite=strict" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert browser.get("/api/v1/me").json() == {
        "agent": {"name": "Asha Rao", "role": "agent", "team": None}
    }
    r = browser.post("/agent/signout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/agent/login?signed_out=1"
    assert browser.get("/api/v1/me").status_code == 401
    assert "You are signed out." in browser.get("/agent/login?signed_out=1").text


def test_sign_out_kills_the_cookie_on_the_server(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    sign_in(browser, "asha", PASSWORD)
    stolen = browser.cookies.get("cobrowse_agent")
    browser.post("/agent/signout")
    thief = accounts_server.browser()
    thief.cookies.set("cobrowse_agent", stolen)
    assert thief.get("/api/v1/me").status_code == 401


def test_cross_site_sign_out_is_refused(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    sign_in(browser, "asha", PASSWORD)
    r = browser.post("/agent/signout", headers={"Origin": "https://evil.test"})
    assert r.status_code == 403
    assert browser.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("asha", "wrong password!"), ("nobody", PASSWORD)]
)
def test_wrong_password_and_unknown_user_get_one_answer(
    accounts_server: Server, username: str, password: str
) -> None:
    browser = accounts_server.browser()
    r = sign_in(browser, username, password)
    assert r.status_code == 401
    assert 'role="alert">Wrong username or password.</p>' in r.text
    assert 'aria-invalid="true"' in r.text and "<title>Error: " in r.text
    assert f'value="{username}"' in r.text  # the username is kept, the password is not
    assert password not in r.text
    assert browser.get("/api/v1/me").status_code == 401


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def test_unknown_users_cost_a_hash_too(tmp_path: Path) -> None:
    hasher = CountingHasher()
    store = AccountStore(tmp_path / "accounts.json", hasher=hasher)
    store.add("asha", name="Asha Rao", password=PASSWORD)
    assert store.verify("nobody", PASSWORD) is None
    assert store.verify("not a valid name!", PASSWORD) is None
    assert store.verify("asha", "wrong") is None
    assert store.verify("asha", PASSWORD) is not None
    assert len(hasher.verified) == 4 and all(h.startswith("$argon2id$") for h in hasher.verified)


def test_the_form_needs_its_token_and_cookie(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    page = browser.get("/agent/login")
    data = {"username": "asha", "password": PASSWORD}
    r = browser.post("/agent/login", data={**data, "csrf": "0" * 64}, follow_redirects=False)
    assert r.status_code == 403 and "form expired" in r.text
    # A token from another browser's page does not fit this browser's cookie.
    other = accounts_server.browser().get("/agent/login")
    r = browser.post(
        "/agent/login", data={**data, "csrf": form_token(other.text)}, follow_redirects=False
    )
    assert r.status_code == 403
    # Without the cookie (a cross-site post does not carry a SameSite=Strict cookie).
    bare = accounts_server.browser()
    r = bare.post("/agent/login", data={**data, "csrf": form_token(page.text)})
    assert r.status_code == 403
    r = browser.post(
        "/agent/login",
        data={**data, "csrf": form_token(browser.get("/agent/login").text)},
        headers={"Origin": "https://evil.test"},
    )
    assert r.status_code == 403
    assert browser.get("/api/v1/me").status_code == 401


def test_failed_sign_ins_are_throttled_per_username(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    codes = [sign_in(browser, "asha", "wrong password!").status_code for _ in range(5)]
    assert codes == [401] * 5
    r = sign_in(browser, "asha", PASSWORD)  # even the right password waits now
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.text and 0 < int(r.headers["retry-after"]) <= 900
    accounts_server.clock.advance(901)
    assert sign_in(browser, "asha", PASSWORD).status_code == 303


def test_failed_sign_ins_are_throttled_per_address(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    for i in range(5):  # spread over many usernames: the address is a key too
        assert sign_in(browser, f"user{i}", "wrong password!").status_code == 401
    assert sign_in(browser, "asha", PASSWORD).status_code == 429


def test_a_password_reset_or_removal_takes_effect_at_once(
    accounts_server: Server, tmp_path: Path
) -> None:
    cli_store = AccountStore(tmp_path / "data" / "accounts.json")  # what the CLI writes with
    cli_store.set_password("asha", "the new password")
    assert sign_in(accounts_server.browser(), "asha", PASSWORD).status_code == 401
    assert sign_in(accounts_server.browser(), "asha", "the new password").status_code == 303
    cli_store.remove("asha")
    r = accounts_server.browser().get("/agent/login")
    assert "Username" not in r.text  # no accounts left: no form


def test_a_bad_form_post_is_a_clear_answer(accounts_server: Server) -> None:
    browser = accounts_server.browser()
    r = browser.post("/agent/login", data={})
    assert r.status_code == 403
    r = sign_in(browser, "asha", "x" * 5000)
    assert r.status_code == 401


def test_console_and_join_errors_point_to_the_sign_in_page(server: Server) -> None:
    r = server.browser().get("/api/v1/me")
    assert r.status_code == 401 and "/agent/login" in r.json()["error"]["message"]
    assert 'href="/agent/login"' in server.browser().get("/console").text


def test_the_log_names_real_accounts_only(
    accounts_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="cobrowse.signin"):
        sign_in(accounts_server.browser(), "my-secret-passphrase", "x")
        sign_in(accounts_server.browser(), "asha", "wrong password!")
    text = caplog.text
    assert "my-secret-passphrase" not in text and "an unknown username" in text
    assert "'asha'" in text and "wrong password!" not in text
