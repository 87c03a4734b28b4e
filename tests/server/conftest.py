"""In-process server tests: the real app, a settable clock, Starlette's TestClient."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from starlette.testclient import TestClient

from cobrowse.config import Config, load_config
from cobrowse.core.links import sign_link
from cobrowse.core.roles import Role
from cobrowse.core.session import Session
from cobrowse.server.api_keys import hash_api_key
from cobrowse.server.app import create_app
from cobrowse.server.context import Context

SITE = "http://portal.test:8001"

T = TypeVar("T")


@dataclass
class FakeClock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Server:
    client: TestClient
    clock: FakeClock
    config: Config

    @property
    def ctx(self) -> Context:
        ctx = self.client.app.state.ctx  # type: ignore[attr-defined]
        assert isinstance(ctx, Context)
        return ctx

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run an async function of the server's on its event loop, from the test."""
        return self.client.portal.call(fn, *args)  # type: ignore[union-attr]

    def session(self, session_id: str) -> Session | None:
        """The session as the server's store has it."""
        return self.call(self.ctx.hub.sessions.get, session_id)

    def create_session(self) -> dict[str, Any]:
        r = self.client.post("/api/v1/sessions", json={}, headers={"Origin": SITE})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def browser(self) -> TestClient:
        """Another browser (its own cookies) on the same server and event loop."""
        other = TestClient(self.client.app, base_url="http://testserver")
        other.portal = self.client.portal
        return other

    def agent_client(
        self, name: str = "Asha Rao", *, role: Role = Role.AGENT, team: str | None = None
    ) -> TestClient:
        """A second browser: signed in as an agent through a CRM link."""
        agent = self.browser()
        token, _ = sign_link(
            secret=self.ctx.link_secret,
            agent=name,
            now=self.clock(),
            ttl=300,
            role=role,
            team=team,
        )
        r = agent.get(f"/agent/signin?token={token}", follow_redirects=False)
        assert r.status_code == 303, r.text
        return agent

    def join(self, agent: TestClient, pin: str) -> dict[str, Any]:
        r = agent.post("/api/v1/join", json={"pin": pin})
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    clients: list[TestClient] = []

    def make(**sections: dict[str, Any]) -> Server:
        clock = FakeClock()
        base: dict[str, Any] = {
            "server": {"data_dir": str(tmp_path / "data"), "public_url": "http://testserver"},
            "proxy": {"allowed_origins": [SITE]},
        }
        for name, values in sections.items():
            base.setdefault(name, {}).update(values)
        config = load_config(base, {})
        client = TestClient(create_app(config, clock=clock, sleep_scale=0.0))
        client.__enter__()
        clients.append(client)
        return Server(client=client, clock=clock, config=config)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Sockets and other contexts a test opens, closed at its end."""
    with ExitStack() as s:
        yield s


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """A real upstream site on loopback (tests/server/upstream_site.py)."""
    from tests.server.upstream_site import running_site

    with running_site() as origin:
        yield origin


@pytest.fixture
def make_proxy_server(make_server: Callable[..., Server], upstream: str) -> Callable[..., Server]:
    """Proxy mode, with the upstream site allowed (and its loopback address reachable);
    keywords change other proxy settings."""

    def make(**proxy: Any) -> Server:
        base: dict[str, Any] = {
            "mode": "proxy",
            "allowed_origins": [SITE, upstream],
            "allowed_networks": ["127.0.0.0/8"],
            "asset_wait_seconds": 0.2,
        }
        return make_server(proxy={**base, **proxy})

    return make


@pytest.fixture
def proxy_server(make_proxy_server: Callable[..., Server]) -> Server:
    return make_proxy_server()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll the app's state from the test thread (the app runs in its own thread)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def new_api_key() -> tuple[str, str]:
    """A key and its `auth.api_keys` entry (the configuration way)."""
    key = "cbk_" + secrets.token_urlsafe(32)
    return key, hash_api_key(key)
