"""Login, logout and the pages that need a signed-in taxpayer."""

from __future__ import annotations

import httpx
import pytest

from cobrowse.demo.accounts import SESSION_COOKIE
from cobrowse.demo.state import PortalState

from .conftest import PAN, Clock
from .html_tools import Page


async def test_login_with_a_well_formed_pan_and_the_demo_password(
    client: httpx.AsyncClient, state: PortalState
) -> None:
    response = await client.post("/login", data={"pan": "abcpe1234f", "password": "demo1234"})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    token = response.cookies[SESSION_COOKIE]
    session = state.sessions.get(token)
    assert session is not None and session.pan == PAN  # upper-cased

    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Namaste" in dashboard.text


@pytest.mark.parametrize(
    ("pan", "password", "message"),
    [
        ("ABCPE1234F", "wrong", "The PAN or password is incorrect"),
        ("ABCPE123", "demo1234", "Enter a valid PAN"),
        ("ABCPE1234F", "", "Enter your password"),
        ("", "demo1234", "Enter your PAN"),
    ],
)
async def test_failed_login_shows_the_form_again(
    client: httpx.AsyncClient, pan: str, password: str, message: str
) -> None:
    response = await client.post("/login", data={"pan": pan, "password": password})
    assert response.status_code == 401
    assert SESSION_COOKIE not in response.cookies
    page = Page(response.text)
    alerts = [e for e in page.elements if e.attrs.get("role") == "alert"]
    assert len(alerts) == 1 and message in alerts[0].text
    assert page.control("PAN").attrs.get("value") == pan.upper()
    password_input = page.control("Password")
    assert "value" not in password_input.attrs  # the password is never sent back
    if password:
        assert all(e.attrs.get("value") != password for e in page.find_all("input"))
    assert (await client.get("/dashboard")).status_code == 303


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/notices", "/itr"])
async def test_signed_in_pages_redirect_to_login(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


async def test_login_returns_to_the_page_asked_for(client: httpx.AsyncClient) -> None:
    form = Page((await client.get("/login?next=/itr")).text)
    assert form.find_all("input", name="next")[0].attrs["value"] == "/itr"
    response = await client.post(
        "/login", data={"pan": PAN, "password": "demo1234", "next": "/itr"}
    )
    assert response.headers["location"] == "/itr"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "/x"])
async def test_login_never_redirects_off_site(client: httpx.AsyncClient, target: str) -> None:
    response = await client.post(
        "/login", data={"pan": PAN, "password": "demo1234", "next": target}
    )
    assert response.headers["location"] == "/dashboard"


async def test_logout_ends_the_server_side_session(
    user: httpx.AsyncClient, state: PortalState
) -> None:
    token = user.cookies[SESSION_COOKIE]
    assert state.sessions.get(token) is not None
    response = await user.post("/logout")
    assert response.status_code == 303
    assert state.sessions.get(token) is None
    # Even a replayed cookie no longer works.
    user.cookies.set(SESSION_COOKIE, token)
    assert (await user.get("/dashboard")).status_code == 303


async def test_idle_session_expires(user: httpx.AsyncClient, clock: Clock) -> None:
    assert (await user.get("/dashboard")).status_code == 200
    clock.now += 31 * 60
    assert (await user.get("/dashboard")).status_code == 303


async def test_login_page_when_signed_in_goes_to_dashboard(user: httpx.AsyncClient) -> None:
    response = await user.get("/login")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
