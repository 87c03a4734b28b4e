"""Click to start: the CRM invites, the agent's link joins without a PIN, the visitor's
browser claims the session once and only has to allow."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.server.conftest import SITE, Server, new_api_key
from tests.server.test_ws import frame, hello


def invite(server: Server, key: str, **body: Any) -> Any:
    return server.client.post(
        "/api/v1/invites",
        json={"agent": "Asha Rao", "url": SITE + "/itr", **body},
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_crm_invites_the_agent_joins_by_link_and_the_visitor_only_allows(
    make_server: Any, stack: ExitStack
) -> None:
    key, entry = new_api_key()
    server: Server = make_server(auth={"api_keys": [entry]})
    r = invite(server, key)
    assert r.status_code == 201, r.text
    out = r.json()
    sid = out["session_id"]
    visitor_url = urlsplit(out["visitor_url"])
    assert visitor_url.path == "/start"
    query = parse_qs(visitor_url.query)
    assert query["url"] == [SITE + "/itr"]
    code = query["invite"][0]
    assert code.startswith(sid + ".")
    row = server.session(sid)
    assert row is not None and row.invite is not None and code.split(".")[1] not in row.invite

    # The agent's link signs them in and sends the console on to the session.
    agent = server.browser()
    r = agent.get(out["agent_url"].removeprefix("http://testserver"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/console#invite={sid}"
    # Nobody else joins through it.
    other = server.agent_client("Ravi Kumar")
    assert other.post(f"/api/v1/sessions/{sid}/join-invited").status_code == 404
    joined = agent.post(f"/api/v1/sessions/{sid}/join-invited")
    assert joined.status_code == 200, joined.text
    assert joined.json()["agent"]["name"] == "Asha Rao"
    assert agent.post(f"/api/v1/sessions/{sid}/join-invited").status_code == 404  # once

    # The visitor's browser claims the session once; then it is asked to allow.
    claim = server.client.post("/api/v1/invites/claim", json={"invite": code})
    assert claim.status_code == 200, claim.text
    visitor_token = claim.json()["visitor_token"]
    again = server.client.post("/api/v1/invites/claim", json={"invite": code})
    assert again.status_code == 404 and again.json()["error"]["code"] == "invalid_invite"
    visitor = hello(server.client, visitor_token, stack, SITE)
    welcome = visitor.receive_json()
    assert welcome["state"] == "pending" and welcome["agent"] == {"name": "Asha Rao"}
    console = hello(agent, joined.json()["agent_token"], stack)
    assert console.receive_json()["state"] == "pending"
    visitor.send_text(frame("consent", allow=True))
    assert visitor.receive_json()["state"] == "active"
    assert console.receive_json()["state"] == "active"


def test_invitations_are_checked(make_server: Any) -> None:
    key, entry = new_api_key()
    server: Server = make_server(auth={"api_keys": [entry]})
    assert invite(server, "cbk_nope").status_code == 401
    bad = invite(server, key, url="https://elsewhere.test/")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "not_proxyable"
    assert invite(server, key, agent=" ").status_code == 422
    assert invite(server, key, role="boss").status_code == 422
    out = invite(server, key).json()
    sid, code = out["visitor_url"].split("invite=")[1].split(".", 1)
    for wrong in (f"{sid}.{'x' * 24}", "s_nothing.here", "", sid, f"{sid}.{code}x"):
        r = server.client.post("/api/v1/invites/claim", json={"invite": wrong})
        assert r.status_code in (404, 422), (wrong, r.text)
    # An invitation dies with its PIN's time.
    server.clock.advance(server.config.session.pin_ttl_seconds + 1)
    server.call(server.ctx.hub.sweep)
    r = server.client.post("/api/v1/invites/claim", json={"invite": f"{sid}.{code}"})
    assert r.status_code == 404
