"""Supervision over the wire: the Sessions list, Watch, private notes, Take over and
Transfer, with real sockets on the app (one node; tests/server/test_nodes.py-style
clusters run the same room ops through Hub.room_call)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from cobrowse.core import messages as m
from cobrowse.core.roles import Role
from tests.server.conftest import SITE, Server
from tests.server.test_ws import META, SNAPSHOT, Plain, event, expect_close, frame, hello

ORIGIN = {"Origin": "http://testserver"}


class Desk:
    """A live session of agent Asha (team Refunds), its visitor, and the page sent."""

    def __init__(self, server: Server, stack: ExitStack) -> None:
        self.server, self.stack = server, stack
        created = server.create_session()
        self.sid: str = created["session_id"]
        self.visitor: Plain = hello(server.client, created["visitor_token"], stack, SITE)
        self.visitor.receive_json()
        self.asha = server.agent_client("Asha Rao", team="Refunds")
        token = server.join(self.asha, created["pin"])["agent_token"]
        self.visitor.receive_json()
        self.agent: Plain = hello(self.asha, token, stack)
        self.agent.receive_json()
        self.visitor.send_text(frame("consent", allow=True))
        self.visitor.receive_json()
        self.agent.receive_json()
        self.visitor.send_text(
            frame("events", events=[event(4, 1, **META["data"]), event(2, 2, **SNAPSHOT["data"])])
        )
        assert self.agent.receive_json()["t"] == "events"

    def person(
        self, name: str, role: Role = Role.SUPERVISOR, team: str | None = "Refunds"
    ) -> TestClient:
        return self.server.agent_client(name, role=role, team=team)

    def rows(self, who: TestClient) -> list[dict[str, Any]]:
        r = who.get("/api/v1/console/sessions")
        assert r.status_code == 200, r.text
        return list(r.json()["sessions"])


def test_the_list_shows_each_role_what_it_may_see(server: Server, stack: ExitStack) -> None:
    desk = Desk(server, stack)
    [row] = desk.rows(desk.asha)
    assert row["session_id"] == desk.sid and row["mine"] and row["can_transfer"]
    assert row["site"] == SITE and row["page"] == "/" and row["viewport"] == "1280x720"
    assert row["agent"] == "Asha Rao" and row["state"] == "active"
    assert desk.rows(desk.person("Kim", Role.AGENT)) == []
    assert desk.rows(desk.person("Lee", team="Assessment")) == []
    [seen] = desk.rows(desk.person("Meera"))
    assert seen["can_watch"] and seen["can_take_over"] and not seen["mine"]
    assert server.browser().get("/api/v1/console/sessions").status_code == 401


def test_a_supervisor_watches_after_the_visitor_allows_and_coaches_privately(
    server: Server, stack: ExitStack
) -> None:
    desk = Desk(server, stack)
    meera = desk.person("Meera Iyer")
    # Neither an agent nor another team's supervisor may watch.
    assert (
        desk.person("Kim", Role.AGENT)
        .post(f"/api/v1/sessions/{desk.sid}/watch", headers=ORIGIN)
        .status_code
        == 404
    )
    assert (
        desk.person("Lee", team="Other")
        .post(f"/api/v1/sessions/{desk.sid}/watch", headers=ORIGIN)
        .status_code
        == 404
    )
    assert desk.asha.post(f"/api/v1/sessions/{desk.sid}/watch", headers=ORIGIN).status_code == 403
    r = meera.post(f"/api/v1/sessions/{desk.sid}/watch", headers=ORIGIN)
    assert r.status_code == 201, r.text
    watch = r.json()
    assert watch["asks_visitor"] is True
    asking = {
        "v": 1,
        "t": "participants",
        "watching": [],
        "asking": [{"id": watch["watcher_id"], "name": "Meera Iyer"}],
    }
    assert desk.visitor.receive_json() == asking
    assert desk.agent.receive_json() == asking
    watcher = hello(meera, watch["token"], stack)
    welcome = watcher.receive_json()
    assert welcome["role"] == "watcher" and welcome["state"] == "active"
    assert [watcher.receive_json()["t"] for _ in range(2)] == ["control", "participants"]
    desk.visitor.send_text(frame("watch_answer", watcher=watch["watcher_id"], allow=True))
    allowed = {"v": 1, "t": "participants", "watching": [{"name": "Meera Iyer"}], "asking": []}
    assert desk.visitor.receive_json() == allowed
    assert watcher.receive_json() == allowed
    assert watcher.receive_json()["t"] == "events"  # the page, now
    assert desk.rows(meera)[0]["watching"] is True
    # A private note reaches the agent, never the visitor.
    watcher.send_text(frame("note", id="n1", text="Ask for the acknowledgement number"))
    assert desk.agent.receive_json() == allowed
    note = desk.agent.receive_json()
    assert note["t"] == "note" and note["name"] == "Meera Iyer" and note["from"] == "watcher"
    assert watcher.receive_json() == note
    desk.visitor.send_text(frame("chat", id="c1", text="hello"))
    assert desk.visitor.receive_json()["t"] == "chat"  # the next thing the visitor gets
    # A watcher only watches: anything else closes its socket, and only its.
    watcher.send_text(frame("chat", id="c2", text="hi"))
    assert watcher.receive_json()["t"] == "chat"  # the visitor's, relayed
    assert watcher.receive_json()["t"] == "error"
    expect_close(watcher, m.CLOSE_NOT_ALLOWED)


def test_a_site_can_let_supervisors_watch_without_a_new_allow(
    make_server: Any, stack: ExitStack
) -> None:
    server = make_server(session={"watch_without_asking": [SITE]})
    desk = Desk(server, stack)
    r = desk.person("Meera").post(f"/api/v1/sessions/{desk.sid}/watch", headers=ORIGIN)
    assert r.status_code == 201 and r.json()["asks_visitor"] is False
    assert desk.visitor.receive_json()["watching"] == [{"name": "Meera"}]  # still announced


def test_a_supervisor_takes_over(server: Server, stack: ExitStack) -> None:
    desk = Desk(server, stack)
    meera = desk.person("Meera Iyer")
    old_token = None
    r = meera.post(f"/api/v1/sessions/{desk.sid}/take-over", headers=ORIGIN)
    assert r.status_code == 200, r.text
    taken = r.json()
    assert taken["agent"]["name"] == "Meera Iyer"
    assert desk.agent.receive_json() == {
        "v": 1,
        "t": "handed_over",
        "agent": {"name": "Meera Iyer"},
        "how": "taken_over",
    }
    expect_close(desk.agent, m.CLOSE_HANDED_OVER)
    assert desk.visitor.receive_json()["t"] == "handed_over"
    assert desk.visitor.receive_json() == {
        "v": 1,
        "t": "state",
        "state": "active",
        "agent": {"name": "Meera Iyer"},
    }
    # The agent before cannot come back with their token, nor act on the session.
    del old_token
    new = hello(meera, taken["agent_token"], stack)
    welcome = new.receive_json()
    assert welcome["role"] == "agent" and welcome["agent"] == {"name": "Meera Iyer"}
    assert desk.rows(desk.asha) == []
    assert desk.rows(meera)[0]["mine"] is True
    # Asha is no supervisor: she cannot take it back.
    assert (
        desk.asha.post(f"/api/v1/sessions/{desk.sid}/take-over", headers=ORIGIN).status_code == 404
    )


def test_the_old_agent_token_dies_with_the_hand_over(server: Server, stack: ExitStack) -> None:
    created = server.create_session()
    visitor = hello(server.client, created["visitor_token"], stack, SITE)
    asha = server.agent_client("Asha Rao", team="Refunds")
    token = server.join(asha, created["pin"])["agent_token"]
    visitor.send_text(frame("consent", allow=True))
    meera = server.agent_client("Meera", role=Role.SUPERVISOR, team="Refunds")
    assert (
        meera.post(
            f"/api/v1/sessions/{created['session_id']}/take-over", headers=ORIGIN
        ).status_code
        == 200
    )
    late = hello(asha, token, stack)
    expect_close(late, m.CLOSE_ENDED)


def test_a_transfer_is_accepted_by_the_agent_it_was_offered_to(
    server: Server, stack: ExitStack
) -> None:
    desk = Desk(server, stack)
    ravi = desk.person("Ravi Kumar", Role.AGENT)
    url = f"/api/v1/sessions/{desk.sid}/transfer"
    # Only to someone whose console is open.
    assert desk.asha.post(url, json={"to": "link:Ravi Kumar"}, headers=ORIGIN).status_code == 422
    agents = ravi.get("/api/v1/console/agents")  # Ravi opens the console
    assert agents.status_code == 200
    listed = desk.asha.get("/api/v1/console/agents").json()["agents"]
    assert {
        "id": "link:Ravi Kumar",
        "name": "Ravi Kumar",
        "role": "agent",
        "team": "Refunds",
    } in listed
    assert (
        ravi.post(url, json={"to": "link:Asha Rao"}, headers=ORIGIN).status_code == 404
    )  # not his
    r = desk.asha.post(url, json={"to": "link:Ravi Kumar"}, headers=ORIGIN)
    assert r.status_code == 202, r.text
    assert desk.agent.receive_json() == {
        "v": 1,
        "t": "transfer",
        "state": "offered",
        "to": {"name": "Ravi Kumar"},
    }
    [offered] = desk.rows(ravi)
    assert offered["can_accept"] and offered["transfer"]["from"] == "Asha Rao"
    # Someone else cannot accept it.
    kim = desk.person("Kim", Role.AGENT)
    assert kim.post(url + "/accept", headers=ORIGIN).status_code == 404
    r = ravi.post(url + "/accept", headers=ORIGIN)
    assert r.status_code == 200, r.text
    assert desk.agent.receive_json()["how"] == "transferred"
    expect_close(desk.agent, m.CLOSE_HANDED_OVER)
    assert desk.visitor.receive_json() == {
        "v": 1,
        "t": "handed_over",
        "agent": {"name": "Ravi Kumar"},
        "how": "transferred",
    }
    assert desk.rows(ravi)[0]["mine"] is True


def test_a_transfer_lapses_or_is_declined(server: Server, stack: ExitStack) -> None:
    desk = Desk(server, stack)
    ravi = desk.person("Ravi Kumar", Role.AGENT)
    ravi.get("/api/v1/console/agents")
    url = f"/api/v1/sessions/{desk.sid}/transfer"
    assert desk.asha.post(url, json={"to": "link:Ravi Kumar"}, headers=ORIGIN).status_code == 202
    desk.agent.receive_json()
    assert ravi.post(url + "/decline", headers=ORIGIN).status_code == 204
    assert desk.agent.receive_json()["state"] == "declined"
    # Declined: not his to see any more.
    assert ravi.post(url + "/accept", headers=ORIGIN).status_code == 404
    ravi.get("/api/v1/console/agents")
    assert desk.asha.post(url, json={"to": "link:Ravi Kumar"}, headers=ORIGIN).status_code == 202
    desk.agent.receive_json()
    server.clock.advance(61)
    server.call(server.ctx.hub.sweep)
    assert desk.agent.receive_json()["state"] == "lapsed"
    assert ravi.post(url + "/accept", headers=ORIGIN).status_code == 404
    assert desk.rows(ravi) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/watch"),
        ("DELETE", "/watch"),
        ("POST", "/take-over"),
        ("POST", "/transfer/accept"),
        ("POST", "/transfer/decline"),
    ],
)
def test_supervision_routes_refuse_other_origins(
    server: Server, stack: ExitStack, method: str, path: str
) -> None:
    desk = Desk(server, stack)
    meera = desk.person("Meera")
    r = meera.request(
        method, f"/api/v1/sessions/{desk.sid}{path}", headers={"Origin": "https://evil.test"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin"


# --- every supervision route against every role --------------------------------------

ROLES: dict[str, tuple[Role, str | None] | None] = {
    "none": None,  # no sign-in
    "session_agent": None,  # Asha herself
    "agent_same_team": (Role.AGENT, "Refunds"),
    "supervisor_team": (Role.SUPERVISOR, "Refunds"),
    "supervisor_other_team": (Role.SUPERVISOR, "Assessment"),
    "supervisor_no_team": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, "Assessment"),
}
SUPERVISORS = ("supervisor_team", "supervisor_no_team", "admin")


def _expect(ok: int, *, who: tuple[str, ...], seen_but_not_allowed: int) -> dict[str, int]:
    """`ok` for `who`; 401 without sign-in; 404 for whoever may not see the session;
    `seen_but_not_allowed` for whoever sees it but may not do this."""
    table = {"none": 401, "agent_same_team": 404, "supervisor_other_team": 404}
    for name in ("session_agent", *SUPERVISORS):
        table[name] = ok if name in who else seen_but_not_allowed
    return table


ROUTES: dict[str, tuple[str, str, dict[str, Any] | None, dict[str, int]]] = {
    "watch": ("POST", "/watch", None, _expect(201, who=SUPERVISORS, seen_but_not_allowed=403)),
    "unwatch": (
        "DELETE",
        "/watch",
        None,
        _expect(204, who=(*SUPERVISORS, "session_agent"), seen_but_not_allowed=0),
    ),
    "take-over": (
        "POST",
        "/take-over",
        None,
        _expect(200, who=SUPERVISORS, seen_but_not_allowed=403),
    ),
    "transfer": (
        "POST",
        "/transfer",
        {"to": "link:Ravi Kumar"},
        _expect(202, who=("session_agent",), seen_but_not_allowed=403),
    ),
    "accept": ("POST", "/transfer/accept", None, _expect(0, who=(), seen_but_not_allowed=409)),
    "decline": ("POST", "/transfer/decline", None, _expect(0, who=(), seen_but_not_allowed=409)),
}


@pytest.mark.parametrize("who", list(ROLES))
@pytest.mark.parametrize("route", list(ROUTES))
def test_supervision_access(server: Server, stack: ExitStack, route: str, who: str) -> None:
    desk = Desk(server, stack)
    desk.person("Ravi Kumar", Role.AGENT).get("/api/v1/console/agents")  # a console open
    method, path, body, expected = ROUTES[route]
    if who == "none":
        client = server.browser()
    elif who == "session_agent":
        client = desk.asha
    else:
        role, team = ROLES[who]  # type: ignore[misc]
        client = desk.person(f"Person {who}", role, team)
    before = server.session(desk.sid)
    r = client.request(method, f"/api/v1/sessions/{desk.sid}{path}", json=body, headers=ORIGIN)
    assert r.status_code == expected[who], (route, who, r.status_code, r.text[:200])
    if r.status_code >= 400:
        assert r.json()["error"]["code"]
        after = server.session(desk.sid)
        assert after is not None and before is not None
        assert (after.agent_key, after.watchers, after.transfer) == (
            before.agent_key,
            before.watchers,
            before.transfer,
        ), "a refused call changed the session"
