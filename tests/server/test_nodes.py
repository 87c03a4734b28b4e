"""Two nodes (two apps, one data directory) on one Redis `store.url`: what one node's
guards learn, the other knows. Limits, used links, sign-ins, sign-in forms and SSO
logins; and a Redis that does not answer is refused, not waved through."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cobrowse.core.links import sign_link
from cobrowse.server.accounts import AccountStore
from cobrowse.server.auth import AGENT_COOKIE
from tests.redis_server import RedisServer, redis_server
from tests.server.conftest import FakeClock, Server
from tests.server.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider
from tests.server.test_oidc import CALLBACK, back_to_us, log_in_at_provider, to_provider
from tests.server.test_signin import PASSWORD, form_token

Nodes = Callable[..., tuple[Server, Server]]


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def nodes(make_server: Callable[..., Server], redis_srv: RedisServer) -> Iterator[Nodes]:

    def make(**sections: dict[str, object]) -> tuple[Server, Server]:
        url = f"{redis_srv.url}?prefix=n{secrets.token_hex(4)}:"
        pair = tuple(make_server(store={"url": url}, **sections) for _ in range(2))
        return pair  # type: ignore[return-value]

    yield make


def signed_in_on(server: Server, name: str = "Asha Rao") -> tuple[TestClient, str]:
    browser = server.browser()
    token, _ = sign_link(secret=server.ctx.link_secret, agent=name, now=server.clock(), ttl=300)
    r = browser.get(f"/agent/signin?token={token}", follow_redirects=False)
    assert r.status_code == 303, r.text
    return browser, browser.cookies[AGENT_COOKIE]


def with_cookie(server: Server, cookie: str) -> TestClient:
    browser = server.browser()
    browser.cookies.set(AGENT_COOKIE, cookie)
    return browser


def test_a_sign_in_on_a_works_on_b_and_a_sign_out_on_b_ends_it_on_a(nodes: Nodes) -> None:
    a, b = nodes()
    on_a, cookie = signed_in_on(a)
    on_b = with_cookie(b, cookie)
    assert on_b.get("/api/v1/me").json() == {
        "agent": {"name": "Asha Rao", "role": "agent", "team": None}
    }
    assert on_b.post("/agent/signout", follow_redirects=False).status_code == 303
    assert on_a.get("/api/v1/me").status_code == 401


def test_a_link_used_on_a_is_refused_on_b(nodes: Nodes) -> None:
    a, b = nodes()
    token, _ = sign_link(secret=a.ctx.link_secret, agent="Asha", now=a.clock(), ttl=300)
    assert (
        a.browser().get(f"/agent/signin?token={token}", follow_redirects=False).status_code == 303
    )
    r = b.browser().get(f"/agent/signin?token={token}", follow_redirects=False)
    assert r.status_code == 401 and "already used" in r.text


def test_a_pin_lockout_reached_on_a_holds_on_b(nodes: Nodes) -> None:
    a, b = nodes(limits={"join_free_failures": 3, "join_lockout_failures": 3})
    on_a, cookie = signed_in_on(a, "Mallory")
    pin = a.create_session()["pin"]
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    assert [on_a.post("/api/v1/join", json={"pin": wrong}).status_code for _ in range(3)] == [
        404
    ] * 3
    r = with_cookie(b, cookie).post("/api/v1/join", json={"pin": wrong})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    other_agent, _ = signed_in_on(b, "Honest")  # the same address: locked out too
    assert other_agent.post("/api/v1/join", json={"pin": wrong}).status_code == 429


def test_a_sign_in_form_from_a_is_accepted_by_b(nodes: Nodes, tmp_path: Path) -> None:
    a, b = nodes()
    AccountStore(tmp_path / "data" / "accounts.json").add(
        "asha", name="Asha Rao", password=PASSWORD
    )
    browser = a.browser()
    page = browser.get("/agent/login")
    onto_b = b.browser()
    onto_b.cookies = browser.cookies
    data = {"username": "asha", "password": PASSWORD, "csrf": form_token(page.text)}
    r = onto_b.post("/agent/login", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert with_cookie(a, onto_b.cookies[AGENT_COOKIE]).get("/api/v1/me").status_code == 200


def test_an_sso_login_started_on_a_finishes_once_on_b(nodes: Nodes) -> None:
    with running_provider(clock=FakeClock()) as idp:
        idp.redirect_uris.append(CALLBACK)
        auth = {
            "oidc_issuer": idp.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
        }
        a, b = nodes(auth=auth)
        b.clock.now = a.clock.now = idp.clock()  # one clock for all three
        idp.clock = a.clock
        browser = a.browser()
        location = log_in_at_provider(to_provider(browser), "asha", "idp password 1")
        onto_b = b.browser()
        onto_b.cookies = browser.cookies
        assert back_to_us(onto_b, location).status_code == 303
        assert onto_b.get("/api/v1/me").status_code == 200
        again = a.browser()
        again.cookies = browser.cookies
        assert back_to_us(again, location).status_code == 401  # used up, on every node


def test_without_redis_sign_ins_and_limits_are_refused(
    make_server: Callable[..., Server],
) -> None:
    with redis_server() as redis:
        server = make_server(store={"url": redis.url})
        redis.stop()  # gone while the server runs
        token, _ = sign_link(
            secret=server.ctx.link_secret, agent="Asha", now=server.clock(), ttl=300
        )
        browser = server.browser()
        r = browser.get(f"/agent/signin?token={token}", follow_redirects=False)
        assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
        browser.cookies.set(AGENT_COOKIE, "x" * 43)
        assert browser.get("/api/v1/me").status_code == 503
        assert browser.post("/api/v1/join", json={"pin": "123456"}).status_code == 503
        r = browser.post("/api/v1/sessions", json={}, headers={"Origin": "http://portal.test:8001"})
        assert r.status_code == 503
        assert browser.get("/healthz").status_code == 200  # what needs no guard still answers
