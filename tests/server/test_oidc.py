"""OpenID Connect sign-in against a real (test) identity provider over HTTP: the whole
code flow with PKCE, and each way an id_token or a callback can be wrong."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from tests.server.conftest import FakeClock, Server
from tests.server.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Provider,
    User,
    new_key,
    running_provider,
)

CALLBACK = "http://testserver/agent/oidc/callback"


@pytest.fixture
def idp_and_server(
    make_server: Callable[..., Server],
) -> Iterator[tuple[Provider, Server]]:
    clock = FakeClock()
    with running_provider(clock=clock) as idp:
        idp.redirect_uris.append(CALLBACK)
        server = make_server(
            auth={
                "oidc_issuer": idp.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": CLIENT_SECRET,
            }
        )
        server.clock.now = clock.now  # one clock for both sides
        idp.clock = server.clock
        yield idp, server


@pytest.fixture
def idp(idp_and_server: tuple[Provider, Server]) -> Provider:
    return idp_and_server[0]


@pytest.fixture
def server(idp_and_server: tuple[Provider, Server]) -> Server:
    return idp_and_server[1]


def to_provider(browser: TestClient) -> str:
    """Press "Sign in with SSO": the authorization URL the browser is sent to."""
    page = browser.get("/agent/login")
    assert 'href="/agent/oidc/start">Sign in with SSO</a>' in page.text
    r = browser.get("/agent/oidc/start", follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def log_in_at_provider(authorize_url: str, username: str, password: str) -> str:
    """What a person does on the provider's page; returns where it sends the browser."""
    with httpx.Client() as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text)
        assert request_id
        r = http.post(
            authorize_url.split("?")[0],
            data={"request_id": request_id.group(1), "username": username, "password": password},
        )
        assert r.status_code == 303, r.text
        return str(r.headers["location"])


def back_to_us(browser: TestClient, location: str) -> Any:
    assert location.startswith(CALLBACK + "?"), location
    return browser.get(location.removeprefix("http://testserver"), follow_redirects=False)


def full_login(server: Server, username: str = "asha", password: str = "idp password 1") -> Any:
    browser = server.browser()
    location = log_in_at_provider(to_provider(browser), username, password)
    return browser, back_to_us(browser, location)


def test_the_whole_code_flow_signs_the_agent_in(
    idp: Provider, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    browser = server.browser()
    authorize = to_provider(browser)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{idp.issuer}/authorize?")
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK] and query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    r = back_to_us(browser, log_in_at_provider(authorize, "asha", "idp password 1"))
    assert r.status_code == 303 and r.headers["location"] == "/console"
    assert browser.get("/api/v1/me").json() == {
        "agent": {"name": "Asha Rao", "role": "agent", "team": None}
    }
    # The code was exchanged with client authentication and the PKCE verifier.
    (token_request,) = idp.token_requests
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == CALLBACK and len(token_request["code_verifier"]) >= 43
    assert "client_secret" not in token_request  # sent as HTTP Basic, not in the body
    # The agent can join with that identity, and the audit hook says how they signed in.
    pin = server.create_session()["pin"]
    with caplog.at_level("INFO", logger="cobrowse.audit"):
        assert server.join(browser, pin)["agent"] == {
            "name": "Asha Rao",
            "role": "agent",
            "team": None,
        }
    assert "join joined agent='Asha Rao' id='sso:sub-asha' via=sso" in caplog.text


def test_discovery_and_keys_are_cached(idp: Provider, server: Server) -> None:
    full_login(server)
    full_login(server)
    assert idp.jwks_fetches == 1


def test_the_callback_is_single_use(server: Server) -> None:
    browser = server.browser()
    location = log_in_at_provider(to_provider(browser), "asha", "idp password 1")
    assert back_to_us(browser, location).status_code == 303
    again = back_to_us(browser, location)
    assert again.status_code == 401 and "expired or was started elsewhere" in again.text


def test_a_callback_from_another_browser_is_refused(server: Server) -> None:
    """Login CSRF: an attacker's own code and state, delivered to the victim's browser."""
    attacker = server.browser()
    location = log_in_at_provider(to_provider(attacker), "ravi", "idp password 2")
    victim = server.browser()
    to_provider(victim)  # even with a sign-in of their own under way
    r = back_to_us(victim, location)
    assert r.status_code == 401 and victim.get("/api/v1/me").status_code == 401


def test_a_forged_state_is_refused(server: Server) -> None:
    browser = server.browser()
    location = log_in_at_provider(to_provider(browser), "asha", "idp password 1")
    forged = re.sub(r"state=[^&]+", "state=forged-state-value", location)
    assert back_to_us(browser, forged).status_code == 401
    assert browser.get("/api/v1/me").status_code == 401


def test_an_expired_pending_login_is_refused(server: Server) -> None:
    browser = server.browser()
    location = log_in_at_provider(to_provider(browser), "asha", "idp password 1")
    server.clock.advance(601)
    assert back_to_us(browser, location).status_code == 401


REFUSALS: dict[str, tuple[Callable[[Provider], None], str]] = {
    "wrong nonce": (
        lambda p: p.claims_override.update(nonce="not-the-nonce-we-sent"),
        "nonce is not the one we sent",
    ),
    "expired": (
        lambda p: p.claims_override.update(exp=int(p.clock()) - 120, iat=int(p.clock()) - 420),
        "has expired",
    ),
    "issued long ago": (
        lambda p: p.claims_override.update(iat=int(p.clock()) - 3600),
        "not issued just now",
    ),
    "wrong audience": (
        lambda p: p.claims_override.update(aud="another-client"),
        "not for this client",
    ),
    "several audiences, no azp": (
        lambda p: p.claims_override.update(aud=[CLIENT_ID, "another-client"]),
        "several audiences",
    ),
    "wrong issuer": (
        lambda p: p.claims_override.update(iss="https://evil.example"),
        "another issuer",
    ),
    "bad signature": (
        lambda p: setattr(p, "sign_with", new_key()),
        "signature does not verify",
    ),
    "unknown kid": (
        lambda p: setattr(p, "header_kid", "a-kid-nobody-published"),
        "key we do not know",
    ),
    "HS256 with the client secret": (
        lambda p: setattr(p, "hs256_secret", CLIENT_SECRET),
        "not accepted",
    ),
    "no nonce": (lambda p: p.claims_override.update(nonce=None), "nonce"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_id_tokens_are_refused(idp: Provider, server: Server, case: str) -> None:
    spoil, why = REFUSALS[case]
    spoil(idp)
    browser, r = full_login(server)
    assert r.status_code == 401, case
    assert "Single sign-on failed" in r.text and why in r.text, r.text
    assert 'role="alert"' in r.text
    assert browser.get("/api/v1/me").status_code == 401


def test_a_rotated_key_is_fetched_again_but_not_too_often(idp: Provider, server: Server) -> None:
    full_login(server)
    assert idp.jwks_fetches == 1
    idp.rotate()
    _, r = full_login(server)  # the JWKS was fetched just now: no refetch yet
    assert r.status_code == 401 and idp.jwks_fetches == 1
    server.clock.advance(61)
    _, r = full_login(server)
    assert r.status_code == 303 and idp.jwks_fetches == 2


def test_allowed_groups(make_server: Callable[..., Server]) -> None:
    with running_provider() as idp:
        idp.redirect_uris.append(CALLBACK)
        server = make_server(
            auth={
                "oidc_issuer": idp.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": CLIENT_SECRET,
                "oidc_allowed_groups": ["helpdesk", "supervisors"],
            }
        )
        server.clock.now = idp.clock()
        _, r = full_login(server, "ravi", "idp password 2")  # in "sales" only
        assert r.status_code == 401 and "not allowed to use the co-browse console" in r.text
        server.clock.now = idp.clock()
        browser, r = full_login(server, "asha", "idp password 1")
        assert r.status_code == 303
        assert browser.get("/api/v1/me").json()["agent"]["name"] == "Asha Rao"


def test_groups_map_to_roles(make_server: Callable[..., Server]) -> None:
    with running_provider() as idp:
        idp.redirect_uris.append(CALLBACK)
        idp.users["meera"] = User(
            password="idp password 3", name="Meera Iyer", groups=["helpdesk", "helpdesk-leads"]
        )
        server = make_server(
            auth={
                "oidc_issuer": idp.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": CLIENT_SECRET,
                "oidc_supervisor_groups": ["helpdesk-leads"],
                "oidc_admin_groups": ["it-admins"],
                "oidc_team_claim": "name",  # any string claim will do for the test
            }
        )
        server.clock.now = idp.clock()
        browser, r = full_login(server, "meera", "idp password 3")
        assert r.status_code == 303
        me = browser.get("/api/v1/me").json()["agent"]
        assert me == {"name": "Meera Iyer", "role": "supervisor", "team": "Meera Iyer"}
        server.clock.now = idp.clock()
        browser, r = full_login(server, "asha", "idp password 1")  # in "helpdesk" only
        assert browser.get("/api/v1/me").json()["agent"]["role"] == "agent"


def test_the_name_claim_is_configurable(make_server: Callable[..., Server]) -> None:
    with running_provider() as idp:
        idp.redirect_uris.append(CALLBACK)
        server = make_server(
            auth={
                "oidc_issuer": idp.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": CLIENT_SECRET,
                "oidc_name_claim": "preferred_username",
            }
        )
        server.clock.now = idp.clock()
        browser, r = full_login(server)
        assert r.status_code == 303
        assert browser.get("/api/v1/me").json()["agent"]["name"] == "asha"


def test_the_provider_saying_no_is_a_clear_page(server: Server) -> None:
    browser = server.browser()
    authorize = to_provider(browser)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    r = browser.get(f"/agent/oidc/callback?error=access_denied&state={state}")
    assert r.status_code == 401 and "did not sign you in" in r.text


def test_a_wrong_client_secret_is_refused_by_the_provider(
    make_server: Callable[..., Server],
) -> None:
    with running_provider() as idp:
        idp.redirect_uris.append(CALLBACK)
        server = make_server(
            auth={
                "oidc_issuer": idp.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": "not the secret",
            }
        )
        server.clock.now = idp.clock()
        _, r = full_login(server)
        assert r.status_code == 401 and "token endpoint answered 401" in r.text


def test_an_unreachable_provider_is_a_clear_page(make_server: Callable[..., Server]) -> None:
    from tests.e2e.demo_process import free_port

    server = make_server(
        auth={"oidc_issuer": f"http://127.0.0.1:{free_port()}", "oidc_client_id": CLIENT_ID}
    )
    r = server.browser().get("/agent/oidc/start")
    assert r.status_code == 502 and "cannot be reached" in r.text


def test_without_oidc_the_routes_say_so(make_server: Callable[..., Server]) -> None:
    server = make_server()
    assert server.browser().get("/agent/oidc/start").status_code == 404
    assert server.browser().get("/agent/oidc/callback?code=x&state=y").status_code == 404
    assert "Sign in with SSO" not in server.browser().get("/agent/login").text


def test_pending_sign_ins_are_bounded(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from cobrowse.server import oidc

    monkeypatch.setattr(oidc, "MAX_PENDING", 3)
    browser = server.browser()
    first = log_in_at_provider(to_provider(browser), "asha", "idp password 1")
    for _ in range(3):
        to_provider(server.browser())  # three more starts push the first out
    assert back_to_us(browser, first).status_code == 401
    browser, r = full_login(server)
    assert r.status_code == 303
