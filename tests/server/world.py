"""The world the access tests run in: one server with a session in every state, and
the callers of the access matrix (see test_access_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.testclient import TestClient

from cobrowse.server.proxy_state import Asset
from tests.server.conftest import SITE, Server
from tests.server.test_ws import expect_close, frame, hello

if TYPE_CHECKING:
    from tests.server.test_proxy import Overlay

WHO = (
    "none",
    "visitor_here",
    "visitor_other",
    "agent_other",
    "agent_not_admitted",
    "agent_here",
    "after_end",
    "after_deny",
    "pin_expired",
)
AGENTS = ("agent_other", "agent_not_admitted", "agent_here")
DEAD = ("after_end", "after_deny", "pin_expired")
CSS = b"body{color:red}"


def route_table(routes: list[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route and ("WS", path) of every socket route,
    through included routers whatever FastAPI version wraps them."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from route_table(original.routes)
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, route.path
        elif isinstance(route, WebSocketRoute) or type(route).__name__ == "APIWebSocketRoute":
            yield "WS", route.path  # type: ignore[attr-defined]
        elif hasattr(route, "path"):
            yield "MOUNT", route.path


# --- the world: one server with a session in every state ---------------------------


@dataclass
class Party:
    session_id: str
    pin: str
    visitor_token: str
    agent: TestClient | None = None
    agent_token: str = ""
    sockets: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    server: Server
    stack: ExitStack
    here: Party
    other: Party
    ended: Party
    denied: Party
    expired: Party
    outsider: TestClient  # signed in, never admitted
    asset_path: str = ""

    def credentials(self, who: str) -> tuple[Party, TestClient, str | None]:
        """(the session the request is about, the browser, the bearer token)."""
        fresh = self.server.browser()
        return {
            "none": (self.here, fresh, None),
            "visitor_here": (self.here, fresh, self.here.visitor_token),
            "visitor_other": (self.here, fresh, self.other.visitor_token),
            "agent_other": (self.here, self.other.agent, self.other.agent_token),
            "agent_not_admitted": (self.here, self.outsider, None),
            "agent_here": (self.here, self.here.agent, self.here.agent_token),
            "after_end": (self.ended, self.ended.agent, self.ended.visitor_token),
            "after_deny": (self.denied, self.denied.agent, self.denied.visitor_token),
            "pin_expired": (self.expired, self.outsider, self.expired.visitor_token),
        }[who]  # type: ignore[return-value]


def _party(server: Server, stack: ExitStack, agent_name: str | None, answer: str | None) -> Party:
    """A session; with an agent admitted when `agent_name`; then the visitor's answer:
    "allow", "deny", "end" (allow, then Stop) or None (left pending)."""
    created = server.create_session()
    party = Party(created["session_id"], created["pin"], created["visitor_token"])
    visitor = hello(server.client, party.visitor_token, stack, SITE)
    assert visitor.receive_json()["t"] == "welcome"
    party.sockets["visitor"] = visitor
    if agent_name is None:
        return party
    party.agent = server.agent_client(agent_name)
    party.agent_token = server.join(party.agent, party.pin)["agent_token"]
    assert visitor.receive_json()["state"] == "pending"
    agent = hello(party.agent, party.agent_token, stack)
    assert agent.receive_json()["state"] == "pending"
    party.sockets["agent"] = agent
    if answer in ("allow", "end"):
        visitor.send_text(frame("consent", allow=True))
        assert visitor.receive_json()["state"] == "active"
        assert agent.receive_json()["state"] == "active"
    if answer == "deny":
        visitor.send_text(frame("consent", allow=False))
        for ws in (visitor, agent):
            assert ws.receive_json() == {"v": 1, "t": "ended", "reason": "denied"}
            expect_close(ws, 1000)
    if answer == "end":
        visitor.send_text(frame("end"))
        for ws in (visitor, agent):
            assert ws.receive_json()["t"] == "ended"
            expect_close(ws, 1000)
    return party


@pytest.fixture
def world(make_server: Callable[..., Server]) -> Iterator[World]:
    server = make_server(proxy={"asset_wait_seconds": 0.05})
    with ExitStack() as stack:
        expired = _party(server, stack, None, None)
        server.clock.advance(server.config.session.pin_ttl_seconds + 1)
        server.client.portal.call(server.ctx.hub.sweep)  # type: ignore[union-attr]
        assert expired.sockets["visitor"].receive_json()["reason"] == "pin_expired"
        here = _party(server, stack, "Asha Rao", "allow")
        other = _party(server, stack, "Ravi Kumar", "allow")
        ended = _party(server, stack, "Kiran Das", "end")
        denied = _party(server, stack, "Lata Sen", "deny")
        w = World(server, stack, here, other, ended, denied, expired, server.agent_client("Meera"))
        # The overlay gives this session an asset token; the visitor's proxy "fetched" a
        # stylesheet, which the mirror of this session's agent may load.
        r = server.client.post(
            f"/api/v1/sessions/{here.session_id}/overlay",
            json={"url": SITE + "/"},
            headers={"Authorization": f"Bearer {here.visitor_token}"},
        )
        assert r.status_code == 201, r.text
        proxy = server.ctx.proxy
        token = proxy.asset_token(here.session_id)
        label = proxy.hosts.label_for(here.session_id, SITE)
        proxy.cache(here.session_id).put(label, "/a.css", Asset("text/css", CSS))
        w.asset_path = f"/assets/{token}/{label}/a.css"
        yield w


def _snapshot(w: World) -> dict[str, Any]:
    hub = w.server.ctx.hub
    return {
        "sessions": {
            s.id: (s.state, s.agent_name, s.control)
            for s in w.server.call(hub.sessions.live_sessions)
        },
        "files": {sid: sorted(room.files) for sid, room in hub.rooms.items()},
        "downloads": sorted(hub.downloads),
    }


# --- the proxy world: one site proxied for a live session ---------------------------


@dataclass
class ProxyWorld:
    """A server proxying a real site (on 127.0.0.1) for three sessions.

    `here` is live: its jar holds `sid=secret-session` (HttpOnly) and `pref=dark`
    (script-readable), and it has a host for `elsewhere`, a site on 127.0.0.1 that is not
    allowed (so the jar's cookies would apply to it). `other` is another live session;
    `ended_cookie` was the proxy credential of a session that has ended.
    """

    server: Server
    upstream: str
    elsewhere: str
    here: Overlay
    other: Overlay
    ended_cookie: str
    outside_host: str  # `here`'s proxy origin for `elsewhere`

    def caller(self, who: str) -> tuple[TestClient, dict[str, str]]:
        """The browser and the credentials a proxy caller brings."""
        here = self.here
        fresh = self.server.browser()
        return {
            "none": (fresh, {}),
            "credential_here": (fresh, {"Cookie": f"cobrowse_proxy={here.cookie}"}),
            "credential_other": (fresh, {"Cookie": f"cobrowse_proxy={self.other.cookie}"}),
            "credential_ended": (fresh, {"Cookie": f"cobrowse_proxy={self.ended_cookie}"}),
            # The admitted agent's browser with its agent token: the label is no secret
            # to the agent (it is in every asset URL), and nothing else opens it.
            "agent_here": (
                here.story.agent_browser,
                {"Authorization": f"Bearer {here.story.agent_token}"},
            ),
            # The visitor's token in every place a credential could be.
            "visitor_token": (
                fresh,
                {
                    "Authorization": f"Bearer {here.story.visitor_token}",
                    "Cookie": f"cobrowse_proxy={here.story.visitor_token}",
                },
            ),
        }[who]


PROXY_WHO = (
    "none",
    "credential_here",
    "credential_other",
    "credential_ended",
    "agent_here",
    "visitor_token",
)


@pytest.fixture(scope="module")
def proxy_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyWorld]:
    from cobrowse.config import load_config
    from cobrowse.server.app import create_app
    from tests.server.conftest import FakeClock
    from tests.server.test_proxy import open_overlay
    from tests.server.upstream_site import running_site

    with running_site() as upstream, running_site() as elsewhere, ExitStack() as stack:
        clock = FakeClock()
        config = load_config(
            {
                "server": {
                    "data_dir": str(tmp_path_factory.mktemp("proxy-world")),
                    "public_url": "http://testserver",
                },
                "proxy": {
                    "mode": "proxy",
                    "allowed_origins": [SITE, upstream],
                    "allowed_networks": ["127.0.0.0/8"],
                },
            },
            {},
        )
        client = stack.enter_context(TestClient(create_app(config, clock=clock, sleep_scale=0.0)))
        server = Server(client=client, clock=clock, config=config)
        here = open_overlay(server, stack, upstream)
        assert here.get("/set-cookie").status_code == 200
        other = open_overlay(server, stack, upstream)
        ended = open_overlay(server, stack, upstream)
        ended.story.visitor.send_text(frame("end"))
        assert ended.story.visitor.receive_json()["t"] == "ended"
        label = server.ctx.proxy.hosts.other_label_for(here.story.session_id, elsewhere, limit=9)
        assert label is not None
        yield ProxyWorld(
            server=server,
            upstream=upstream,
            elsewhere=elsewhere,
            here=here,
            other=other,
            ended_cookie=ended.cookie,
            outside_host=server.ctx.proxy.hosts.origin(label),
        )
