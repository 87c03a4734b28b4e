"""The visitor's consent is enforced by the server: nothing a visitor's socket sends
before "Allow" reaches an agent, now or later (replay to a late joiner), whatever it is.

Every frame a visitor sends before Allow carries a marker; the agent's frames are
searched for it, byte for byte. After Allow a new marker must arrive, so the search
would find a leak. docs/threat-model.md (T3) points here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.conftest import SITE, Server
from tests.server.test_ws import expect_close, frame, hello

BEFORE = "PRE-ALLOW-SECRET"


def _node(text: str) -> dict[str, Any]:
    return {"type": 3, "textContent": text, "id": 5}


def _frames(mark: str) -> dict[str, str]:
    """Every kind of frame a visitor (or a script in its page) could send, marked."""
    meta = {"type": 4, "timestamp": 1, "data": {"href": f"{SITE}/?q={mark}"}}
    snapshot = {"type": 2, "timestamp": 2, "data": {"node": _node(mark)}}
    mutation = {"type": 3, "timestamp": 3, "data": {"source": 0, "adds": [_node(mark)]}}
    return {
        "meta_and_snapshot": frame("events", events=[meta, snapshot]),
        "mutation": frame("events", events=[mutation]),
        "input": frame("events", events=[{"type": 3, "timestamp": 4, "data": {"text": mark}}]),
        "chat": frame("chat", id="c-" + mark[:20], text=mark),
        "act_result": frame("act_result", ref="a1", ok=False, reason=mark),
        "offer_answer": frame("offer_answer", file_id=mark[:60], accept=True),
        "guide": frame("guide", kind="pointer", target={"id": 5, "x": 0, "y": 0}),
        "act": frame("act", ref="r", kind="input", value=mark),
        "control": frame("control", action="grant"),
        "hello_again": frame("hello", token=mark),
        "not_json": "{" + mark,
        "unknown": json.dumps({"v": 1, "t": "dom", "html": mark}),
        "consent_in_created": frame("consent", allow=True),
    }


KINDS = sorted(_frames(BEFORE))


def _collect_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> list[str]:
    seen = []
    while True:
        text = ws.receive_text()
        seen.append(text)
        if done(json.loads(text)):
            return seen


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before_join=st.lists(st.sampled_from(KINDS), max_size=4),
    while_pending=st.lists(
        st.sampled_from([k for k in KINDS if k != "consent_in_created"]), min_size=1, max_size=6
    ),
)
def test_nothing_sent_before_allow_ever_reaches_an_agent(
    server: Server, before_join: list[str], while_pending: list[str]
) -> None:
    with ExitStack() as stack:
        created = server.create_session()
        token = created["visitor_token"]
        frames = _frames(BEFORE)

        def send_on_fresh_socket(kind: str) -> None:
            ws = hello(server.client, token, stack, SITE)
            assert ws.receive_json()["t"] == "welcome"
            ws.send_text(frames[kind])
            # A probe that is always refused: if `kind` was (wrongly) accepted, the error
            # is the probe's, and the test fails here instead of waiting.
            ws.send_text(frame("hello", token="probe"))
            error = ws.receive_json()
            assert error["t"] == "error", (kind, error)
            assert kind == "hello_again" or "already said" not in error["message"], kind
            expect_close(ws, 4400 if kind in ("not_json", "unknown", "hello_again") else 4403)

        for kind in before_join:
            send_on_fresh_socket(kind)
        agent_browser = server.agent_client()
        agent_token = server.join(agent_browser, created["pin"])["agent_token"]
        agent = hello(agent_browser, agent_token, stack)
        heard = [agent.receive_text()]
        for kind in while_pending:
            send_on_fresh_socket(kind)
        # Overlay (proxy mode) is refused too: no proxied page, no assets for the mirror.
        r = server.client.post(
            f"/api/v1/sessions/{created['session_id']}/overlay",
            json={"url": SITE + "/"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 409
        visitor = hello(server.client, token, stack, SITE)
        assert visitor.receive_json()["state"] == "pending"
        visitor.send_text(frame("consent", allow=True))
        heard += _collect_until(agent, lambda f: f.get("state") == "active")
        # After Allow: new data flows, and a late-joining console replays only that.
        after = _frames("POST-ALLOW")
        visitor.receive_json()  # state: active
        visitor.send_text(after["meta_and_snapshot"])
        visitor.send_text(after["chat"])
        heard += _collect_until(agent, lambda f: f["t"] == "chat")
        late = hello(agent_browser, agent_token, stack)
        heard += _collect_until(late, lambda f: f["t"] == "chat_history")
        heard += _collect_until(late, lambda f: f["t"] == "events")
        assert not any(BEFORE in text for text in heard), [t for t in heard if BEFORE in t]
        assert sum("POST-ALLOW" in text for text in heard) >= 4  # the search can find
        visitor.send_text(frame("end"))


def test_a_replaced_socket_s_frames_are_never_relayed_after_deny(
    server: Server, stack: ExitStack
) -> None:
    """Deny ends everything: a socket of the visitor opened before it is told and
    closed, and its frames afterwards reach nobody."""
    created = server.create_session()
    visitor = hello(server.client, created["visitor_token"], stack, SITE)
    visitor.receive_json()
    agent_browser = server.agent_client()
    agent_token = server.join(agent_browser, created["pin"])["agent_token"]
    agent = hello(agent_browser, agent_token, stack)
    agent.receive_json()
    visitor.receive_json()  # pending
    visitor.send_text(frame("consent", allow=False))
    assert visitor.receive_json()["reason"] == "denied"
    assert agent.receive_json()["reason"] == "denied"
    expect_close(agent, 1000)
    expect_close(visitor, 1000)
    again = hello(server.client, created["visitor_token"], stack, SITE)
    assert again.receive_json() == {"v": 1, "t": "ended", "reason": "denied"}
    expect_close(again, 4410)
