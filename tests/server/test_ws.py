"""The WebSocket relay, as conversations: who sends what, who receives what."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.server.conftest import SITE, Server, wait_for

Socket = Any  # starlette.testclient.WebSocketTestSession

META = {"type": 4, "data": {"href": "http://portal.test:8001/", "width": 1280, "height": 720}}
SNAPSHOT = {"type": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1}}}


def event(kind: int, stamp: int, **data: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": stamp, "data": data}


def frame(t: str, **fields: Any) -> str:
    return json.dumps({"v": 1, "t": t, **fields})


class Plain:
    """A test socket that reads frames without the resume bookkeeping: no frame
    numbers (`n`), no `synced` frames, no `resumed` (test_resume.py checks those)."""

    def __init__(self, ws: Socket) -> None:
        self.raw = ws

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def receive_json(self) -> Any:
        while True:
            message = self.raw.receive_json()
            if isinstance(message, dict):
                if message.get("t") == "synced":
                    continue
                message.pop("n", None)
                message.pop("resumed", None)
            return message

    def receive_text(self) -> str:
        while True:
            text: str = self.raw.receive_text()
            if '"t":"synced"' not in text:
                return text


def hello(
    client: TestClient,
    token: str,
    stack: ExitStack,
    origin: str | None = None,
    *,
    seq: int | None = None,
) -> Socket:
    headers = {"Origin": origin} if origin else {}
    ws = stack.enter_context(client.websocket_connect("/ws", headers=headers))
    ws.send_text(frame("hello", token=token) if seq is None else frame("hello", token=token, n=seq))
    return Plain(ws)


def expect_close(ws: Socket, code: int) -> str:
    """Read until the server closes; return the reason. Fails on another code."""
    while True:
        try:
            ws.receive_text()
        except WebSocketDisconnect as exc:
            assert exc.code == code, (exc.code, exc.reason)
            return str(exc.reason)


class Story:
    """A visitor and an agent in one session, up to the point a test needs."""

    def __init__(self, server: Server, stack: ExitStack) -> None:
        self.server = server
        self.stack = stack
        created = server.create_session()
        self.session_id: str = created["session_id"]
        self.pin: str = created["pin"]
        self.visitor_token: str = created["visitor_token"]
        self.visitor = hello(server.client, self.visitor_token, stack, SITE)
        self.agent_browser = server.agent_client()
        self.agent_token = ""
        self.agent: Socket = None

    def join(self) -> Story:
        welcome = self.visitor.receive_json()
        assert welcome["state"] == "created" and welcome["pin_display"]
        self.agent_token = self.server.join(self.agent_browser, self.pin)["agent_token"]
        assert self.visitor.receive_json() == {
            "v": 1,
            "t": "state",
            "state": "pending",
            "agent": {"name": "Asha Rao"},
        }
        self.agent = hello(self.agent_browser, self.agent_token, self.stack)
        assert self.agent.receive_json()["state"] == "pending"
        return self

    def allow(self) -> Story:
        self.join()
        self.visitor.send_text(frame("consent", allow=True))
        active = {"v": 1, "t": "state", "state": "active", "agent": {"name": "Asha Rao"}}
        assert self.visitor.receive_json() == active
        assert self.agent.receive_json() == active
        return self

    def control(self) -> Story:
        """The agent asks for control and the visitor grants it."""
        self.allow()
        self.agent.send_text(frame("control", action="request"))
        requested = {"v": 1, "t": "control", "state": "requested"}
        assert self.visitor.receive_json() == requested
        assert self.agent.receive_json() == requested
        self.visitor.send_text(frame("control", action="grant"))
        granted = {"v": 1, "t": "control", "state": "control"}
        assert self.visitor.receive_json() == granted
        assert self.agent.receive_json() == granted
        return self


def test_visitor_welcome_shows_the_pin_and_expiry(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack)
    welcome = story.visitor.receive_json()
    assert welcome == {
        "v": 1,
        "t": "welcome",
        "role": "visitor",
        "session_id": story.session_id,
        "state": "created",
        "agent": None,
        "pin_display": f"{story.pin[:3]} {story.pin[3:]}",
        "expires_at": server.clock() + 600,
    }


def test_page_data_flows_only_after_allow(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).allow()
    batch = [event(4, 1, href="http://portal.test:8001/"), event(2, 2, node={"id": 1})]
    story.visitor.send_text(frame("events", events=batch))
    assert story.agent.receive_json() == {"v": 1, "t": "events", "events": batch}


def test_events_before_allow_are_refused_and_never_relayed(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).join()
    story.visitor.send_text(frame("events", events=[event(4, 1), event(2, 2)]))
    assert "before the visitor allows" in expect_close(story.visitor, 4403)
    # The session survives; the visitor reconnects and allows; the agent's first
    # page data is what comes after Allow.
    visitor = hello(server.client, story.visitor_token, stack, SITE)
    assert visitor.receive_json()["state"] == "pending"
    visitor.send_text(frame("consent", allow=True))
    assert visitor.receive_json()["state"] == "active"
    assert story.agent.receive_json()["state"] == "active"
    visitor.send_text(frame("events", events=[event(4, 10), event(2, 11)]))
    assert [e["timestamp"] for e in story.agent.receive_json()["events"]] == [10, 11]


def test_deny_ends_the_session_for_both(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).join()
    story.visitor.send_text(frame("consent", allow=False))
    ended = {"v": 1, "t": "ended", "reason": "denied"}
    assert story.visitor.receive_json() == ended
    assert story.agent.receive_json() == ended
    expect_close(story.visitor, 1000)
    expect_close(story.agent, 1000)


@pytest.mark.parametrize(
    ("who", "reason"), [("visitor", "visitor_stopped"), ("agent", "agent_left")]
)
def test_stop_or_leave_ends_it_and_every_token_dies(
    server: Server, stack: ExitStack, who: str, reason: str
) -> None:
    story = Story(server, stack).allow()
    getattr(story, who).send_text(frame("end"))
    for ws in (story.visitor, story.agent):
        assert ws.receive_json() == {"v": 1, "t": "ended", "reason": reason}
        expect_close(ws, 1000)
    for token in (story.visitor_token, story.agent_token):
        ws = hello(server.client, token, stack)
        assert ws.receive_json() == {"v": 1, "t": "ended", "reason": reason}
        expect_close(ws, 4410)
    assert server.session(story.session_id) is None
    r = story.agent_browser.post("/api/v1/join", json={"pin": story.pin})
    assert r.status_code == 404


def test_late_agent_gets_last_snapshot_and_events_since(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).allow()
    first_page = [event(4, 1), event(2, 2), event(3, 3)]
    second_page = [event(4, 10), event(2, 11)]
    story.visitor.send_text(frame("events", events=first_page))
    story.visitor.send_text(frame("events", events=second_page))
    story.visitor.send_text(frame("events", events=[event(3, 12)]))
    for _ in range(3):
        story.agent.receive_json()
    # The console reloads: a new socket with the same token replaces the old one.
    again = hello(story.agent_browser, story.agent_token, stack)
    assert again.receive_json()["state"] == "active"
    assert again.receive_json() == {"v": 1, "t": "control", "state": "view"}
    history = [again.receive_json(), again.receive_json()]  # as the visitor sent them
    assert [e["timestamp"] for h in history for e in h["events"]] == [10, 11, 12]
    assert expect_close(story.agent, 4409) == "replaced"


def test_a_malformed_frame_closes_only_its_own_socket(server: Server, stack: ExitStack) -> None:
    a = Story(server, stack).allow()
    b = Story(server, stack).allow()
    a.visitor.send_text('{"v": 1, "t": "events", "events": [{"timestamp": 1}]}')
    error = a.visitor.receive_json()
    assert error["t"] == "error" and error["code"] == "bad_message"
    assert "event 0 has no integer type" in expect_close(a.visitor, 4400)
    # Session B goes on untouched, and so does A's agent.
    b.visitor.send_text(frame("events", events=[event(4, 1), event(2, 2)]))
    assert len(b.agent.receive_json()["events"]) == 2
    assert server.session(a.session_id) is not None
    visitor = hello(server.client, a.visitor_token, stack, SITE)
    assert visitor.receive_json()["state"] == "active"


@pytest.mark.parametrize(
    "text",
    ["not json", '{"v": 2, "t": "end"}', '{"v": 1, "t": "dance"}', "[1]", '{"v": 1}'],
)
def test_bad_frames_close_with_4400(server: Server, stack: ExitStack, text: str) -> None:
    story = Story(server, stack).allow()
    story.agent.send_text(text)
    assert expect_close(story.agent, 4400).startswith("bad message")
    story.visitor.send_text(frame("events", events=[event(4, 1)]))  # the session lives on


def test_oversized_frame_closes_with_1009(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    server = make_server(limits={"agent_message_bytes": 2048})
    story = Story(server, stack).allow()
    story.agent.send_text(frame("end", pad="x" * 4096))
    assert "too big" in expect_close(story.agent, 1009)
    assert server.session(story.session_id) is not None


def test_agents_may_not_send_page_data_or_consent(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).join()
    story.agent.send_text(frame("consent", allow=True))
    expect_close(story.agent, 4403)
    session = server.session(story.session_id)
    assert session is not None and session.state == "pending"


def test_unknown_token_and_frames_before_hello(server: Server, stack: ExitStack) -> None:
    ws = hello(server.client, "vt_made_up", stack)
    assert ws.receive_json()["code"] == "bad_token"
    expect_close(ws, 4401)
    ws = stack.enter_context(server.client.websocket_connect("/ws"))
    ws.send_text(frame("end"))
    expect_close(ws, 4401)


def test_a_visitor_token_cannot_act_as_agent_from_the_console_origin(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).join()
    ws = hello(server.client, story.agent_token, stack, origin=SITE)
    assert ws.receive_json()["code"] == "origin_not_allowed"
    expect_close(ws, 4403)


def test_sockets_from_other_sites_are_refused(server: Server, stack: ExitStack) -> None:
    """Refused after the handshake, so that a browser sees the code and the reason."""
    evil = {"Origin": "https://evil.test"}
    ws = stack.enter_context(server.client.websocket_connect("/ws", headers=evil))
    assert ws.receive_json()["code"] == "origin_not_allowed"
    assert "origin" in expect_close(ws, 4403)


def test_visitor_gone_past_the_grace_period_ends_the_session(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    story.visitor.close()
    session = server.session(story.session_id)
    assert session is not None
    from tests.server.conftest import wait_for

    wait_for(lambda: session.visitor_left_at is not None)
    server.clock.advance(29)
    server.client.portal.call(server.ctx.hub.sweep)  # type: ignore[union-attr]
    assert session.live
    server.clock.advance(2)
    server.client.portal.call(server.ctx.hub.sweep)  # type: ignore[union-attr]
    assert story.agent.receive_json() == {"v": 1, "t": "ended", "reason": "visitor_gone"}


def test_pin_expiry_ends_a_waiting_session(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack)
    assert story.visitor.receive_json()["state"] == "created"
    server.clock.advance(600)
    server.client.portal.call(server.ctx.hub.sweep)  # type: ignore[union-attr]
    assert story.visitor.receive_json() == {"v": 1, "t": "ended", "reason": "pin_expired"}
    r = story.agent_browser.post("/api/v1/join", json={"pin": story.pin})
    assert r.status_code == 404


def test_buffer_overflow_asks_the_visitor_for_a_new_snapshot(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    server = make_server(limits={"visitor_message_bytes": 4096, "replay_buffer_bytes": 4096})
    story = Story(server, stack).allow()
    story.visitor.send_text(frame("events", events=[event(4, 1), event(2, 2)]))
    story.agent.receive_json()
    for i in range(3):
        story.visitor.send_text(frame("events", events=[event(3, 10 + i, text="y" * 1500)]))
    assert story.visitor.receive_json() == {"v": 1, "t": "snapshot_request"}


# --- guidance, chat and control ----------------------------------------------------

POINTER = {"kind": "pointer", "target": {"id": 5, "x": 0.5, "y": 0.25}, "points": []}


def test_guidance_reaches_the_visitor_with_the_agent_s_name(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    story.agent.send_text(frame("guide", **POINTER, extra="dropped"))
    assert story.visitor.receive_json() == {
        "v": 1,
        "t": "guide",
        **POINTER,
        "agent": {"name": "Asha Rao"},
    }


def test_visitors_do_not_send_guidance_and_nobody_before_allow(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).join()
    story.agent.send_text(frame("guide", **POINTER))
    assert "before the visitor allows" in expect_close(story.agent, 4403)
    other = Story(server, stack).allow()
    other.visitor.send_text(frame("guide", **POINTER))
    assert "only the agent" in expect_close(other.visitor, 4403)


def test_chat_is_numbered_sent_to_both_and_kept_for_reconnects(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    story.visitor.send_text(frame("chat", id="v1", text="Where is Form 16?"))
    story.agent.send_text(frame("chat", id="a1", text="Scroll down, please."))
    first = {
        "seq": 1,
        "id": "v1",
        "from": "visitor",
        "name": "Visitor",
        "text": "Where is Form 16?",
        "at": server.clock(),
    }
    second = {
        "seq": 2,
        "id": "a1",
        "from": "agent",
        "name": "Asha Rao",
        "text": "Scroll down, please.",
        "at": server.clock(),
    }
    for ws in (story.visitor, story.agent):
        assert ws.receive_json() == {"v": 1, "t": "chat", **first}
        assert ws.receive_json() == {"v": 1, "t": "chat", **second}
    # A resend after a reconnect is not doubled.
    story.visitor.send_text(frame("chat", id="v1", text="Where is Form 16?"))
    story.visitor.send_text(frame("chat", id="v2", text="Found it"))
    assert story.agent.receive_json()["seq"] == 3
    # A new page (or console reload) gets the whole history right after welcome.
    again = hello(server.client, story.visitor_token, stack, SITE)
    assert again.receive_json()["t"] == "welcome"
    history = again.receive_json()
    assert history["t"] == "chat_history"
    assert [m["seq"] for m in history["messages"]] == [1, 2, 3]


def test_control_needs_the_visitor_s_grant_and_acts_only_then(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    act = {
        "ref": "a1",
        "kind": "click",
        "target": {"id": 9, "x": 0.5, "y": 0.5},
        "value": "",
        "dx": 0,
        "dy": 0,
    }
    refused = {"v": 1, "t": "act_result", "ref": "a0", "ok": False, "reason": "no control"}
    story.agent.send_text(frame("act", **{**act, "ref": "a0"}))
    assert story.agent.receive_json() == refused  # never relayed, the socket stays
    story.agent.send_text(frame("control", action="request"))
    assert story.visitor.receive_json()["state"] == "requested"
    assert story.agent.receive_json()["state"] == "requested"
    story.visitor.send_text(frame("control", action="grant"))
    assert story.visitor.receive_json()["state"] == "control"
    assert story.agent.receive_json()["state"] == "control"
    story.agent.send_text(frame("act", **act))
    assert story.visitor.receive_json() == {"v": 1, "t": "act", **act}
    story.visitor.send_text(frame("act_result", ref="a1", ok=False, reason="masked"))
    assert story.agent.receive_json() == {
        "v": 1,
        "t": "act_result",
        "ref": "a1",
        "ok": False,
        "reason": "masked",
    }
    # Take back control: acts are refused again.
    story.visitor.send_text(frame("control", action="revoke"))
    assert story.agent.receive_json()["state"] == "view"
    assert story.visitor.receive_json()["state"] == "view"
    story.agent.send_text(frame("act", **{**act, "ref": "a2"}))
    assert story.agent.receive_json() == {**refused, "ref": "a2"}
    # An act sent again with a ref the session has seen (a resend after a drop) runs once.
    story.agent.send_text(frame("act", **act))  # answered with its result, not run again
    assert story.agent.receive_json() == {**refused, "ref": "a1", "reason": "masked"}
    # A stale grant (nothing is requested any more) is answered, not punished.
    story.visitor.send_text(frame("control", action="grant"))
    assert story.visitor.receive_json() == {"v": 1, "t": "control", "state": "view"}
    story.visitor.send_text(frame("chat", id="still-here", text="ok"))
    assert story.visitor.receive_json()["t"] == "chat"


def test_only_the_visitor_grants_and_agents_cannot_grant_themselves(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    story.agent.send_text(frame("control", action="grant"))
    assert "agent may not grant" in expect_close(story.agent, 4403)
    session = server.session(story.session_id)
    assert session is not None and session.control == "view"


def agent_gone_for_good(server: Server, story: Story) -> None:
    """Close the agent's socket and let its control hold run out."""
    story.agent.close()
    wait_for(lambda: "agent" not in server.ctx.hub.rooms[story.session_id].conns)
    server.clock.advance(server.config.session.control_hold_seconds)


def test_control_drops_when_the_agent_goes_away(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).control()
    agent_gone_for_good(server, story)
    assert story.visitor.receive_json() == {"v": 1, "t": "control", "state": "view"}


def test_an_act_while_the_visitor_is_between_pages_is_answered_not_dropped(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).control()
    story.visitor.close()  # a page load: control stays, the visitor's socket is gone
    act = {"ref": "r1", "kind": "navigate", "target": None, "value": "reload", "dx": 0, "dy": 0}
    story.agent.send_text(frame("act", **act))
    frames = [story.agent.receive_json() for _ in range(1)]
    while frames[-1]["t"] != "act_result" and len(frames) < 5:  # presence news first
        frames.append(story.agent.receive_json())
    assert frames[-1] == {
        "v": 1,
        "t": "act_result",
        "ref": "r1",
        "ok": False,
        "reason": "visitor away",
    }


# --- documents ----------------------------------------------------------------------

PDF = b"%PDF-1.7\n% a guide\n"


def offer(story: Story, name: str, data: bytes) -> Any:
    return story.agent_browser.post(
        f"/api/v1/sessions/{story.session_id}/files", files={"file": (name, data)}
    )


def test_a_file_offer_is_downloaded_once_and_only_after_accept(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    r = offer(story, "Form-16 guide.pdf", PDF)
    assert r.status_code == 201, r.text
    file_id = r.json()["file_id"]
    assert r.json() == {
        "file_id": file_id,
        "name": "Form-16 guide.pdf",
        "size": len(PDF),
        "type": "application/pdf",
    }
    assert story.visitor.receive_json() == {
        "v": 1,
        "t": "offer",
        "file_id": file_id,
        "name": "Form-16 guide.pdf",
        "size": len(PDF),
        "type": "application/pdf",
        "agent": {"name": "Asha Rao"},
    }
    story.visitor.send_text(frame("offer_answer", file_id=file_id, accept=True))
    assert story.agent.receive_json() == {
        "v": 1,
        "t": "offer_answer",
        "file_id": file_id,
        "accept": True,
    }
    ready = story.visitor.receive_json()
    assert ready["t"] == "offer_ready" and ready["url"].startswith("http://testserver/files/")
    path = ready["url"].removeprefix("http://testserver")
    got = server.browser().get(path)
    assert got.content == PDF
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''Form-16%20guide.pdf"
    assert server.browser().get(path).status_code == 404  # single use


def test_a_declined_offer_gives_no_download(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).allow()
    file_id = offer(story, "guide.pdf", PDF).json()["file_id"]
    story.visitor.receive_json()
    story.visitor.send_text(frame("offer_answer", file_id=file_id, accept=False))
    assert story.agent.receive_json()["accept"] is False
    story.visitor.send_text(frame("offer_answer", file_id=file_id, accept=True))  # too late
    story.visitor.send_text(frame("chat", id="c", text="ok"))
    assert story.visitor.receive_json()["t"] == "chat"  # no offer_ready came first


def test_an_unanswered_offer_is_asked_again_on_the_next_page(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    file_id = offer(story, "guide.pdf", PDF).json()["file_id"]
    assert story.visitor.receive_json()["t"] == "offer"
    page2 = hello(server.client, story.visitor_token, stack, SITE)
    frames = [page2.receive_json() for _ in range(3)]
    assert [f["t"] for f in frames] == ["welcome", "control", "offer"]
    assert frames[2]["file_id"] == file_id
    page2.send_text(frame("offer_answer", file_id=file_id, accept=False))
    assert story.agent.receive_json()["accept"] is False
    page3 = hello(server.client, story.visitor_token, stack, SITE)
    assert [page3.receive_json()["t"] for _ in range(2)] == ["welcome", "control"]
    page3.send_text(frame("chat", id="c3", text="hi"))
    assert page3.receive_json()["t"] == "chat"  # no offer this time


def test_offers_are_checked_and_only_from_the_session_s_agent(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    server = make_server(limits={"offer_bytes": 1024})
    story = Story(server, stack).allow()
    r = offer(story, "setup.exe", b"MZ\x90")
    assert r.status_code == 415 and r.json()["error"]["code"] == "file_type_refused"
    r = offer(story, "fake.pdf", b"<html>")
    assert r.status_code == 415 and "does not contain" in r.json()["error"]["message"]
    r = offer(story, "big.pdf", PDF + b"x" * 1024)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    other = server.agent_client("Someone Else")
    r = other.post(f"/api/v1/sessions/{story.session_id}/files", files={"file": ("a.pdf", PDF)})
    assert r.status_code == 404
    r = server.browser().post(
        f"/api/v1/sessions/{story.session_id}/files", files={"file": ("a.pdf", PDF)}
    )
    assert r.status_code == 401
