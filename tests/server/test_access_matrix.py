"""Every token is bound to its session and role, for every endpoint and message type.

The matrix is generated from the app's route table and the wire protocol's message
union: a new endpoint or a new message type fails `test_*_are_all_in_the_matrix`
until its row is written here. Each cell is one (who, what) pair with exactly one
expected outcome. Who:

    none                no credential at all
    visitor_here        the visitor token of this session
    visitor_other       the visitor token of another live session
    agent_other         a signed-in agent admitted to another session (and its token)
    agent_not_admitted  a signed-in agent who never entered this session's PIN
    agent_here          the agent admitted to this session (cookie and agent token)
    after_end           this session's visitor token and agent, after Stop
    after_deny          the same, after the visitor pressed Deny
    pin_expired         the visitor token of a session whose PIN expired unused

The proxy hosts have their own rows (`test_proxy_host_access`): six callers, each
request a proxied page makes, and every header a client could forge.

docs/threat-model.md (T1, T2, T20) points here.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from cobrowse.core import messages as m
from tests.server.conftest import SITE, Server
from tests.server.test_ws import expect_close, frame, hello
from tests.server.world import (  # noqa: F401 - world and proxy_world are fixtures
    AGENTS,
    CSS,
    DEAD,
    PROXY_WHO,
    WHO,
    Party,
    ProxyWorld,
    World,
    _snapshot,
    proxy_world,
    route_table,
    world,
)

# --- REST -------------------------------------------------------------------------

# (method, path) -> (how to call it, {who: status}); `default` covers the rest.
Call = Callable[[World, Party, TestClient, dict[str, str]], Any]


def _post_json(path: str, body: Callable[[World, Party], dict[str, Any]]) -> Call:
    def call(w: World, party: Party, client: TestClient, headers: dict[str, str]) -> Any:
        url = path.replace("{session_id}", party.session_id)
        return client.post(url, json=body(w, party), headers=headers)

    return call


def _get(path: str | Callable[[World, Party, str | None], str]) -> Call:
    def call(w: World, party: Party, client: TestClient, headers: dict[str, str]) -> Any:
        bearer = headers.get("Authorization", "Bearer ")[7:] or None
        url = path(w, party, bearer) if callable(path) else path
        return client.get(url, headers=headers, follow_redirects=False)

    return call


def _post_form(path: str) -> Call:
    def call(w: World, party: Party, client: TestClient, headers: dict[str, str]) -> Any:
        form = {"username": "asha", "password": party.pin or "x", "csrf": "x"}
        return client.post(path, data=form, headers=headers, follow_redirects=False)

    return call


def _offer(w: World, party: Party, client: TestClient, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/sessions/{party.session_id}/files",
        files={"file": ("form16.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", "application/pdf")},
        headers=headers,
    )


def _everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(WHO, status)


def _only(status: int, who: tuple[str, ...], otherwise: int, **special: int) -> dict[str, int]:
    table = {w: (status if w in who else otherwise) for w in WHO}
    table.update(special)
    return table


def _asset_path(w: World, party: Party, bearer: str | None) -> str:
    if party is w.here:
        return w.asset_path
    # A dead session's asset token is gone with it; its old path is all one could try.
    return w.asset_path


def _stream(w: World, party: Party, client: TestClient, headers: dict[str, str]) -> Any:
    """The Sessions stream: its status and first event (a signed-in stream never ends)."""
    with client.stream("GET", "/api/v1/console/sessions/stream", headers=headers) as r:
        if r.status_code == 200:
            first = next(r.iter_bytes())
            assert first.startswith(b"event: sessions\ndata: "), first
        else:
            r.read()
        return r


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Call:
    def call(w: World, party: Party, client: TestClient, headers: dict[str, str]) -> Any:
        url = path.replace("{session_id}", party.session_id)
        return client.request(method, url, json=body, headers=headers)

    return call


SIGNED_IN = (*AGENTS, "after_end", "after_deny", "pin_expired")
# A session seen by nobody but its agent (no team, no supervisor in the world): 401
# without a sign-in, 404 for every other agent (not theirs to see).
HIDDEN = _only(404, SIGNED_IN, 401)

REST: dict[tuple[str, str], tuple[Call, dict[str, int]]] = {
    # Public: a visitor asks for a PIN; no credential gives more or less.
    ("POST", "/api/v1/sessions"): (_post_json("/api/v1/sessions", lambda w, p: {}), _everyone(201)),
    ("POST", "/api/v1/sessions/{session_id}/overlay"): (
        _post_json("/api/v1/sessions/{session_id}/overlay", lambda w, p: {"url": SITE + "/"}),
        _only(201, ("visitor_here",), 401),
    ),
    ("POST", "/api/v1/sessions/{session_id}/files"): (
        _offer,
        # 401 without a signed-in agent; 404 for a session that is not yours (or gone).
        _only(
            201,
            ("agent_here",),
            401,
            agent_other=404,
            agent_not_admitted=404,
            **{w: 404 for w in DEAD},
        ),
    ),
    # The PIN of the session in question: usable by nobody once used, denied, ended,
    # expired; 401 for anyone not signed in as an agent.
    ("POST", "/api/v1/join"): (
        _post_json("/api/v1/join", lambda w, p: {"pin": p.pin}),
        _only(404, (*AGENTS, *DEAD), 401),
    ),
    ("GET", "/api/v1/me"): (
        _get("/api/v1/me"),
        _only(200, (*AGENTS, "after_end", "after_deny", "pin_expired"), 401),
    ),
    # The console's list and supervision (tests/server/test_supervision.py; the roles'
    # own matrix is test_supervision_access below).
    # Click to start: only a CRM (API key) invites; a claim needs the invitation itself;
    # an agent joins by link only the session the link was made for.
    ("POST", "/api/v1/invites"): (
        _post_json("/api/v1/invites", lambda w, p: {"agent": "Mallory", "url": SITE + "/"}),
        _everyone(401),
    ),
    ("POST", "/api/v1/invites/claim"): (
        _post_json("/api/v1/invites/claim", lambda w, p: {"invite": f"{p.session_id}.{'x' * 24}"}),
        _everyone(404),
    ),
    ("POST", "/api/v1/sessions/{session_id}/join-invited"): (
        _call("POST", "/api/v1/sessions/{session_id}/join-invited"),
        _only(404, SIGNED_IN, 401),
    ),
    ("GET", "/api/v1/console/sessions"): (
        _get("/api/v1/console/sessions"),
        _only(200, SIGNED_IN, 401),
    ),
    ("GET", "/api/v1/console/sessions/stream"): (_stream, _only(200, SIGNED_IN, 401)),
    ("GET", "/api/v1/console/agents"): (_get("/api/v1/console/agents"), _only(200, SIGNED_IN, 401)),
    ("POST", "/api/v1/sessions/{session_id}/watch"): (
        _call("POST", "/api/v1/sessions/{session_id}/watch"),
        {**HIDDEN, "agent_here": 403},  # an agent does not watch, not even their own
    ),
    ("DELETE", "/api/v1/sessions/{session_id}/watch"): (
        _call("DELETE", "/api/v1/sessions/{session_id}/watch"),
        {**HIDDEN, "agent_here": 204},  # nothing to stop: no change
    ),
    ("POST", "/api/v1/sessions/{session_id}/take-over"): (
        _call("POST", "/api/v1/sessions/{session_id}/take-over"),
        {**HIDDEN, "agent_here": 403},
    ),
    ("POST", "/api/v1/sessions/{session_id}/transfer"): (
        _call("POST", "/api/v1/sessions/{session_id}/transfer", {"to": "link:Meera"}),
        {**HIDDEN, "agent_here": 422},  # Meera has no console open
    ),
    ("POST", "/api/v1/sessions/{session_id}/transfer/accept"): (
        _call("POST", "/api/v1/sessions/{session_id}/transfer/accept"),
        {**HIDDEN, "agent_here": 409},  # nothing was offered to them
    ),
    ("POST", "/api/v1/sessions/{session_id}/transfer/decline"): (
        _call("POST", "/api/v1/sessions/{session_id}/transfer/decline"),
        {**HIDDEN, "agent_here": 409},
    ),
    # Only an API key; no session token or agent cookie is one.
    ("POST", "/api/v1/agent-links"): (
        _post_json("/api/v1/agent-links", lambda w, p: {"agent": "Mallory"}),
        _everyone(401),
    ),
    # The audit log: only an API key; no session token or agent cookie is one.
    ("GET", "/api/v1/audit"): (_get("/api/v1/audit"), _everyone(401)),
    ("GET", "/api/v1/audit/export"): (_get("/api/v1/audit/export?format=jsonl"), _everyone(401)),
    # Recordings: a console sign-in of a supervisor or admin; every agent is refused
    # (403), with or without a session of theirs; by role: test_recordings_by_role.
    ("GET", "/api/v1/recordings"): (
        _get("/api/v1/recordings"),
        _only(403, (*AGENTS, *DEAD), 401),
    ),
    ("GET", "/api/v1/recordings/{recording_id}"): (
        _get(lambda w, p, bearer: f"/api/v1/recordings/{p.session_id}"),
        _only(403, (*AGENTS, *DEAD), 401),
    ),
    ("GET", "/api/v1/recordings/{recording_id}/export"): (
        _get(lambda w, p, bearer: f"/api/v1/recordings/{p.session_id}/export"),
        _only(403, (*AGENTS, *DEAD), 401),
    ),
    ("GET", "/api/v1/recordings/{recording_id}/assets/{name}"): (
        _get(lambda w, p, bearer: f"/api/v1/recordings/{p.session_id}/assets/a000000"),
        _only(403, (*AGENTS, *DEAD), 401),
    ),
    # Webhook deliveries: only an API key, like the audit log.
    # A CRM API key, or an admin signed in (the world has none). A bearer token is
    # taken for an API key (401); an agent's sign-in alone is not an admin's (403).
    ("GET", "/api/v1/webhooks/deliveries"): (
        _get("/api/v1/webhooks/deliveries"),
        _only(403, ("agent_not_admitted",), 401),
    ),
    # Sign-in pages: no session credential signs anyone in. The form post needs the
    # form's own token (403 without it); signing out is harmless for everyone.
    ("GET", "/agent/login"): (_get("/agent/login"), _everyone(200)),
    ("POST", "/agent/login"): (_post_form("/agent/login"), _everyone(403)),
    ("POST", "/agent/signout"): (_post_form("/agent/signout"), _everyone(303)),
    # Single sign-on is not configured in this world: nobody gets further.
    ("GET", "/agent/oidc/start"): (_get("/agent/oidc/start"), _everyone(404)),
    ("GET", "/agent/oidc/callback"): (
        _get(lambda w, p, bearer: f"/agent/oidc/callback?code=x&state={bearer or 'x'}"),
        _everyone(404),
    ),
    ("GET", "/healthz"): (_get("/healthz"), _everyone(200)),
    ("GET", "/readyz"): (_get("/readyz"), _everyone(200)),
    # Only monitoring: an address in server.metrics_allow (these callers' is not one)
    # or the metrics token; no session token or agent cookie is either.
    ("GET", "/metrics"): (_get("/metrics"), _everyone(403)),
    ("GET", "/cobrowse.js"): (_get("/cobrowse.js"), _everyone(200)),
    ("GET", "/console"): (_get("/console"), _everyone(200)),
    ("GET", "/"): (_get("/"), _everyone(303)),
    # A session token is not a sign-in link.
    ("GET", "/agent/signin"): (
        _get(lambda w, p, bearer: f"/agent/signin?token={bearer or ''}"),
        _everyone(401),
    ),
    # Only the admitted agent's browser, only while the session lives.
    ("GET", "/assets/{token}/{label}/{path:path}"): (
        _get(_asset_path),
        _only(200, ("agent_here",), 404),
    ),
    # A download ticket is its own credential; no session token is one.
    ("GET", "/files/{ticket}"): (
        _get(lambda w, p, bearer: f"/files/{bearer or 'none'}"),
        _everyone(404),
    ),
    ("GET", "/start"): (_get(f"/start?url={SITE}/"), _everyone(200)),
    # The continuation point (on the site's origin): a hand-off or return ticket is its
    # own credential; no session token, agent cookie or PIN is one.
    ("POST", "/__cobrowse/continue/in"): (
        _post_json("/__cobrowse/continue/in", lambda w, p: {"ticket": p.visitor_token}),
        _everyone(403),
    ),
    ("POST", "/__cobrowse/continue/out"): (
        _post_json("/__cobrowse/continue/out", lambda w, p: {"ticket": p.pin or "x"}),
        _everyone(403),
    ),
    ("GET", "/openapi.json"): (_get("/openapi.json"), _everyone(200)),
    ("GET", "/docs"): (_get("/docs"), _everyone(200)),
    ("GET", "/docs/oauth2-redirect"): (_get("/docs/oauth2-redirect"), _everyone(200)),
    ("MOUNT", "/static"): (_get("/static/favicon.svg"), _everyone(200)),
}


def test_rest_routes_are_all_in_the_matrix(server: Server) -> None:
    routes = {r for r in route_table(server.client.app.routes) if r[0] != "WS"}  # type: ignore[attr-defined]
    assert routes == set(REST), "write the matrix row for every new route"


def test_socket_routes_are_all_in_the_matrix(server: Server) -> None:
    sockets = {r for r in route_table(server.client.app.routes) if r[0] == "WS"}  # type: ignore[attr-defined]
    assert sockets == {("WS", "/ws")}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("route", sorted(REST), ids=lambda r: f"{r[0]} {r[1]}")
def test_rest_access(world: World, route: tuple[str, str], who: str) -> None:  # noqa: F811
    call, expected = REST[route]
    party, client, bearer = world.credentials(who)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    before = _snapshot(world)
    r = call(world, party, client, headers)
    assert r.status_code == expected[who], (who, route, r.status_code, r.text[:200])
    if r.status_code >= 400 and route[0] in ("POST", "DELETE"):
        if route[1].startswith("/api/"):  # the sign-in forms answer with their page
            assert r.headers["content-type"].startswith("application/json")
            assert isinstance(r.json()["error"]["code"], str)
        assert _snapshot(world) == before, "a refused call changed something"


# --- WebSocket --------------------------------------------------------------------

# One well-formed example of every client message type (the golden fixtures' shapes).
EXAMPLES: dict[type, dict[str, Any]] = {
    m.Hello: {"t": "hello", "token": "vt_" + "x" * 30},
    m.Consent: {"t": "consent", "allow": True},
    m.Events: {"t": "events", "events": [{"type": 3, "timestamp": 7, "data": {"source": 2}}]},
    m.End: {"t": "end"},
    m.Guide: {"t": "guide", "kind": "pointer", "target": {"id": 4, "x": 0.5, "y": 0.5}},
    m.Chat: {"t": "chat", "id": "c1", "text": "hello"},
    m.ControlMsg: {"t": "control", "action": "request"},
    m.Act: {"t": "act", "ref": "a1", "kind": "click", "target": {"id": 4, "x": 0.5, "y": 0.5}},
    m.ActResult: {"t": "act_result", "ref": "a1", "ok": True, "reason": None},
    m.OfferAnswer: {"t": "offer_answer", "file_id": "f_nothing", "accept": True},
    m.Note: {"t": "note", "id": "n1", "text": "a private note"},
    m.WatchAnswer: {"t": "watch_answer", "watcher": "w_nobody", "allow": True},
}

# Outcomes: ("peer", t) the other side of this session receives a frame of type t;
# ("self", t) only the sender gets an answer of type t; ("quiet",) nothing to anyone;
# ("close", code) the sender's socket is closed with code; ("ended",) the session ends.
Outcome = tuple[Any, ...]
AS_VISITOR: dict[type, Outcome] = {
    m.Hello: ("close", m.CLOSE_BAD_MESSAGE),
    m.Consent: ("quiet",),  # a repeated Allow changes nothing
    m.Events: ("peer", "events"),
    m.End: ("ended",),
    m.Guide: ("close", m.CLOSE_NOT_ALLOWED),
    m.Chat: ("peer", "chat"),
    m.ControlMsg: ("close", m.CLOSE_NOT_ALLOWED),  # the visitor does not request control
    m.Act: ("close", m.CLOSE_NOT_ALLOWED),
    m.ActResult: ("peer", "act_result"),
    m.OfferAnswer: ("quiet",),  # an answer to no offer
    m.Note: ("close", m.CLOSE_NOT_ALLOWED),  # notes are the helpdesk's, never the visitor's
    m.WatchAnswer: ("quiet",),  # an answer to nobody asking
}
AS_AGENT: dict[type, Outcome] = {
    m.Hello: ("close", m.CLOSE_BAD_MESSAGE),
    m.Consent: ("close", m.CLOSE_NOT_ALLOWED),  # an agent cannot allow itself in
    m.Events: ("close", m.CLOSE_NOT_ALLOWED),  # nor send page data
    m.End: ("ended",),
    m.Guide: ("peer", "guide"),
    m.Chat: ("peer", "chat"),
    m.ControlMsg: ("peer", "control"),
    m.Act: ("self", "act_result"),  # refused: no control was granted
    m.ActResult: ("close", m.CLOSE_NOT_ALLOWED),
    m.OfferAnswer: ("close", m.CLOSE_NOT_ALLOWED),
    m.Note: ("self", "note"),  # to the agent's side only: no supervisor watches here
    m.WatchAnswer: ("close", m.CLOSE_NOT_ALLOWED),
}
# Who cannot get a socket at all, and how they are told.
REFUSED: dict[str, tuple[int, str | None]] = {
    "none": (m.CLOSE_BAD_TOKEN, None),
    "agent_not_admitted": (m.CLOSE_BAD_TOKEN, None),  # the PIN is not a token
    "after_end": (m.CLOSE_ENDED, "visitor_stopped"),
    "after_deny": (m.CLOSE_ENDED, "denied"),
    "pin_expired": (m.CLOSE_ENDED, "pin_expired"),
}


def test_message_types_are_all_in_the_matrix() -> None:
    union = set(typing.get_args(m.ClientMessage))
    assert union == set(EXAMPLES) == set(AS_VISITOR) == set(AS_AGENT)


def test_examples_decode_to_their_type() -> None:
    for kind, body in EXAMPLES.items():
        assert isinstance(m.decode_client(json.dumps({"v": 1, **body}), max_bytes=4096), kind)


def _send(ws: Any, kind: type) -> None:
    ws.send_text(json.dumps({"v": 1, **EXAMPLES[kind]}))


def _until_sentinel(ws: Any, n: int) -> list[str]:
    """Types of the frames `ws` receives before sentinel chat `n`."""
    seen = []
    while True:
        got = ws.receive_json()
        if got["t"] == "chat" and got["id"] == f"sentinel-{n}":
            return seen
        seen.append(got["t"])


def _sentinel(w: World, sender: Any, n: int = 1) -> tuple[list[str], list[str]]:
    """`sender` (of this session) sends a chat; returns what the visitor and the agent
    of this session received before it. One socket's frames are handled in order, so
    everything `sender` sent before has been handled by then."""
    sender.send_text(frame("chat", id=f"sentinel-{n}", text="sentinel"))
    visitor, agent = w.here.sockets["visitor"], w.here.sockets["agent"]
    return _until_sentinel(visitor, n), _until_sentinel(agent, n)


def _probe(ws: Any) -> dict[str, Any]:
    """A frame that is always refused (hello twice): once its error is back, the frame
    sent before it has been handled. Returns the first error (or end) it sees; answers
    to the earlier frame (a chat echo, say) are passed over."""
    ws.send_text(frame("hello", token="probe"))
    while True:
        got: dict[str, Any] = ws.receive_json()
        if got["t"] in ("error", "ended"):
            return got


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", list(EXAMPLES), ids=lambda k: k.__name__)
def test_socket_access(world: World, who: str, kind: type) -> None:  # noqa: F811
    w = world
    party, client, _ = w.credentials(who)
    token = {
        "none": "vt_" + "0" * 32,
        "agent_not_admitted": w.here.pin,
        "visitor_here": w.here.visitor_token,
        "visitor_other": w.other.visitor_token,
        "agent_here": w.here.agent_token,
        "agent_other": w.other.agent_token,
        "after_end": party.visitor_token,
        "after_deny": party.visitor_token,
        "pin_expired": party.visitor_token,
    }[who]
    is_agent = who in ("agent_here", "agent_other")
    origin = None if is_agent else SITE
    ws = hello(client, token, w.stack, origin)
    if who in REFUSED:
        code, reason = REFUSED[who]
        first = ws.receive_json()
        if reason is None:
            assert first["code"] == "bad_token"
        else:
            assert first == {"v": 1, "t": "ended", "reason": reason}
        expect_close(ws, code)
        assert _sentinel(w, w.here.sockets["visitor"]) == ([], [])
        return
    welcome = ws.receive_json()
    assert welcome["t"] == "welcome" and welcome["role"] == ("agent" if is_agent else "visitor")
    assert welcome["session_id"] == (w.here if who.endswith("here") else w.other).session_id
    assert ws.receive_json()["t"] == "control"  # no history: no page data was sent
    if who in ("visitor_other", "agent_other"):
        # Whatever it sends reaches only its own session: this one sees nothing.
        _send(ws, kind)
        _probe(ws)
        assert _sentinel(w, w.here.sockets["visitor"]) == ([], [])
        return
    # This session's own participant, on a second socket replacing its first.
    role = "agent" if is_agent else "visitor"
    if is_agent:  # starting afresh with no page to show, it asks the visitor for one
        assert w.here.sockets["visitor"].receive_json()["t"] == "snapshot_request"
    expect_close(w.here.sockets[role], m.CLOSE_REPLACED)
    w.here.sockets[role] = ws
    outcome = (AS_AGENT if is_agent else AS_VISITOR)[kind]
    _send(ws, kind)
    if outcome[0] == "close":
        error = _probe(ws)
        assert error["t"] == "error"
        assert kind is m.Hello or "already said" not in error["message"], error
        expect_close(ws, outcome[1])
        # The session is untouched: the participant comes back on a new socket.
        ws = w.here.sockets[role] = hello(client, token, w.stack, origin)
        assert ws.receive_json()["state"] == "active"
        assert ws.receive_json()["t"] == "control"
        assert _sentinel(w, ws) == ([], [])  # a page was asked for once, not again
        return
    if outcome[0] == "ended":
        peer = w.here.sockets["visitor" if is_agent else "agent"]
        for sock in (ws, peer):
            assert sock.receive_json()["t"] == "ended"
        assert w.server.session(w.here.session_id) is None
        return
    to_visitor, to_agent = _sentinel(w, ws)
    to_self, to_peer = (to_agent, to_visitor) if is_agent else (to_visitor, to_agent)
    if outcome[0] == "peer":
        echoed = outcome[1] in ("chat", "control")  # told to both sides
        assert (to_peer, to_self) == ([outcome[1]], [outcome[1]] if echoed else [])
    elif outcome[0] == "self":
        assert (to_peer, to_self) == ([], [outcome[1]])
    else:
        assert (to_peer, to_self) == ([], [])


def test_an_agent_with_the_same_name_elsewhere_is_not_this_session_s_agent(
    world: World,  # noqa: F811
) -> None:
    """Display names are not identities: two people called "Asha Rao" (two CRM links)
    each act only in the session they themselves were admitted to."""
    w = world
    namesake = w.server.agent_client("Asha Rao")
    r = namesake.post(
        f"/api/v1/sessions/{w.here.session_id}/files",
        files={"file": ("form16.pdf", b"%PDF-1.4\n1 0 obj\n", "application/pdf")},
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert namesake.get(w.asset_path).status_code == 404
    # The admitted one still can.
    assert w.here.agent.get(w.asset_path).content == CSS  # type: ignore[union-attr]


# --- proxy hosts ------------------------------------------------------------------
#
# A proxy host trusts no header the client writes: only the visitor's proxy credential
# (the `cobrowse_proxy` cookie of that session) opens the site as the visitor. Without
# it a request never gets a page, the runtime's configuration or any cookie of the
# session's jar, whatever its Origin, Referer, Sec-Fetch-* or X-Forwarded-* say; a
# subresource request (by its Sec-Fetch-Mode, which page script cannot set) gets what
# the public site gives anyone. docs/proxy.md, "Who may use a proxy host".

SUBRESOURCE = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}


def _forged(here: str, name: str) -> dict[str, str]:
    """The headers of a forged set, for the proxy host `here`."""
    host = here.split("://", 1)[1]
    forwarded = {
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Host": host,
        "X-Forwarded-Proto": "https",
        "Forwarded": f"for=127.0.0.1;host={host};proto=https",
        "X-Real-IP": "127.0.0.1",
    }
    return {
        "plain": {},
        "origin": {"Origin": here},
        "referer": {"Referer": here + "/"},
        "fetch_metadata": SUBRESOURCE,
        "navigate": {
            "Sec-Fetch-Site": "same-origin",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
            "Sec-Fetch-User": "?1",
        },
        "forwarded": forwarded,
        "everything": {
            "Origin": here,
            "Referer": here + "/",
            **SUBRESOURCE,
            **forwarded,
        },
    }[name]


FORGERIES = ("plain", "origin", "referer", "fetch_metadata", "navigate", "forwarded", "everything")
PROXY_REQUESTS = ("page", "load", "cookie_write", "go", "outside_page", "outside_load")


def _proxy_call(w: ProxyWorld, request: str, client: TestClient, headers: dict[str, str]) -> Any:
    here = w.here.origin
    if request == "page":
        return client.get(here + "/", headers=headers)
    if request == "load":
        return client.get(here + "/echo", headers=headers)
    if request == "cookie_write":
        body = {"cookie": "forged=1", "url": w.upstream + "/"}
        return client.post(here + "/__cobrowse/cookie", json=body, headers=headers)
    if request == "go":
        url = f"{here}/__cobrowse/go?url={w.upstream}/next"
        return client.get(url, headers=headers, follow_redirects=False)
    if request == "outside_page":
        return client.get(w.outside_host + "/", headers=headers)
    return client.get(w.outside_host + "/echo", headers={**headers, **SUBRESOURCE})


def _expected_status(who: str, request: str, forgery: str) -> int:
    mine = who == "credential_here"
    load = forgery in ("fetch_metadata", "everything")
    return {
        "page": 200 if mine else 403,
        "load": 200 if mine or load else 403,  # a load without it: the public answer
        "cookie_write": 204 if mine else 403,
        # To the host the session has for the site (which then decides as above);
        # without the credential go makes no host, and none is needed here.
        "go": 307,
        # Another site's page: the outside page (nothing fetched); as a load, the site's
        # HTML is refused (another site never serves a page, with or without it).
        "outside_page": 403 if load else 200,
        "outside_load": 200,  # never credentialed, whoever asks
    }[request]


SECRETS = ("secret-session", "pref=dark", '"pref":"dark"', '"pref": "dark"', "forged")


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("request_kind", PROXY_REQUESTS)
@pytest.mark.parametrize("who", PROXY_WHO)
def test_proxy_host_access(
    proxy_world: ProxyWorld,  # noqa: F811
    who: str,
    request_kind: str,
    forgery: str,
) -> None:
    w = proxy_world
    client, credentials = w.caller(who)
    headers = {**_forged(w.here.origin, forgery), **credentials}
    r = _proxy_call(w, request_kind, client, headers)
    assert r.status_code == _expected_status(who, request_kind, forgery), (
        who,
        request_kind,
        forgery,
        r.status_code,
        r.text[:200],
    )
    text = r.text
    seen = "\n".join([text, *(f"{k}: {v}" for k, v in r.headers.multi_items())])
    if who != "credential_here":
        assert '<script id="__cobrowse_config"' not in text
        assert "<title>Upstream</title>" not in text  # the site's page
        for secret in SECRETS:
            assert secret not in seen, (who, request_kind, forgery, secret)
        if request_kind in ("load", "outside_load") and r.status_code == 200:
            assert r.json()["cookies"] == {}  # the site saw no cookie at all
        if request_kind == "go":
            assert r.headers["location"] == w.here.origin + "/next"
        return
    # The visitor's own credential: the contrast that shows the rows above can fail.
    if request_kind == "page":
        config = text.split('type="application/json">', 1)[1].split("</script>", 1)[0]
        assert json.loads(config)["cookies"] == "pref=dark"
    elif request_kind == "load":
        assert r.json()["cookies"]["sid"] == "secret-session"
    elif request_kind == "go":
        assert r.headers["location"] == w.here.origin + "/next"
    elif request_kind == "outside_page" and r.status_code == 200:
        config = text.split('type="application/json">', 1)[1].split("</script>", 1)[0]
        assert json.loads(config)["cookies"] == ""  # the runtime, never the jar
    elif request_kind == "outside_page":
        assert "<title>Upstream</title>" not in text
    elif request_kind == "outside_load":
        assert r.json()["cookies"] == {}  # another site: never credentialed


def test_the_forged_sets_hold_every_header_a_proxy_could_be_tempted_to_trust() -> None:
    names = {k.lower() for f in FORGERIES for k in _forged("http://pa.cobrowse.localhost", f)}
    for header in ("origin", "referer", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-site"):
        assert header in names
    for header in ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "forwarded"):
        assert header in names


# --- recordings, by role -------------------------------------------------------------

RECORDING_ROUTES = ("/api/v1/recordings/{id}", "/api/v1/recordings/{id}/export")
# (role, team) of the caller -> status of a recording whose agent is of team "north".
BY_ROLE = {
    ("agent", None): 403,
    ("agent", "north"): 403,
    ("supervisor", "north"): 200,
    ("supervisor", "south"): 404,
    ("supervisor", None): 200,
    ("admin", "south"): 200,
}


def test_recordings_by_role(make_server: Callable[..., Server]) -> None:
    from cobrowse.core.roles import Role
    from tests.server.test_recordings import record_a_session, signed_in

    server = make_server(recordings={"sites": [SITE]})
    with ExitStack() as stack:
        north = signed_in(server, "Asha Rao", Role.AGENT, "north")
        sid = record_a_session(server, stack, agent=north)
        for (role, team), status in BY_ROLE.items():
            caller = signed_in(server, f"{role} {team}", Role(role), team)
            listed = caller.get("/api/v1/recordings")
            assert listed.status_code == (403 if status == 403 else 200), (role, team)
            if status != 403:
                assert [r["id"] for r in listed.json()["recordings"]] == (
                    [sid] if status == 200 else []
                ), (role, team)
            for route in RECORDING_ROUTES:
                r = caller.get(route.replace("{id}", sid))
                assert r.status_code == status, (role, team, route, r.text[:200])
