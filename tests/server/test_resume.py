"""Resume after a drop, over real sockets: numbered frames, `synced`, replay of what
was missed, a fresh start when that cannot be, control kept through a short drop."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from tests.server.conftest import Server, wait_for
from tests.server.test_ws import Story, event, expect_close, frame, hello


def numbered(ws: Any) -> list[dict[str, Any]]:
    """Raw frames up to and with `synced` (the welcome's catch-up)."""
    frames = []
    while True:
        message = ws.raw.receive_json()
        frames.append(message)
        if message["t"] == "synced":
            return frames


def test_a_dropped_agent_resumes_with_exactly_what_it_missed(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    story.visitor.send_text(frame("events", events=[event(4, 1), event(2, 2)]))
    first = story.agent.raw.receive_json()
    assert first["t"] == "events" and isinstance(first["n"], int)
    story.agent.close()
    wait_for(lambda: "agent" not in server.ctx.hub.rooms[story.session_id].conns)
    story.visitor.send_text(frame("events", events=[event(3, 3)]))
    story.visitor.send_text(frame("chat", id="v1", text="Still there?"))
    again = hello(story.agent_browser, story.agent_token, stack, seq=first["n"])
    got = numbered(again)
    assert got[0]["t"] == "welcome" and got[0]["resumed"] is True
    assert [(f["t"], f.get("n")) for f in got[1:]] == [
        ("events", first["n"] + 1),
        ("chat", first["n"] + 2),
        ("synced", first["n"] + 2),
    ]
    assert got[1]["events"] == [event(3, 3)]


def test_a_resume_point_from_elsewhere_gets_a_fresh_start(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).allow()
    story.visitor.send_text(frame("events", events=[event(4, 1), event(2, 2)]))
    story.agent.receive_json()
    again = hello(story.agent_browser, story.agent_token, stack, seq=10_000)
    got = numbered(again)
    assert got[0]["resumed"] is False
    assert [f["t"] for f in got[1:]] == ["control", "events", "synced"]
    assert expect_close(story.agent, 4409) == "replaced"


def test_a_bad_resume_point_is_refused_and_changes_nothing(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).allow()
    ws = stack.enter_context(story.agent_browser.websocket_connect("/ws"))
    ws.send_text(frame("hello", token=story.agent_token, n=-1))
    assert ws.receive_json()["code"] == "bad_message"
    assert "hello's n" in expect_close(ws, 4400)
    story.visitor.send_text(frame("chat", id="v1", text="hello"))
    assert story.agent.receive_json()["text"] == "hello"  # the session goes on


def test_control_is_kept_through_a_short_drop_of_the_agent(
    server: Server, stack: ExitStack
) -> None:
    story = Story(server, stack).control()
    story.agent.close()
    wait_for(lambda: "agent" not in server.ctx.hub.rooms[story.session_id].conns)
    server.clock.advance(server.config.session.control_hold_seconds / 2)
    again = hello(story.agent_browser, story.agent_token, stack, seq=0)
    assert numbered(again)[0]["t"] == "welcome"
    server.clock.advance(server.config.session.control_hold_seconds)
    act = {"ref": "r1", "kind": "click", "target": None, "value": "", "dx": 0, "dy": 0}
    again.send_text(frame("act", **act))
    assert story.visitor.receive_json()["t"] == "act"  # still in control: relayed
    session = server.session(story.session_id)
    assert session is not None and session.control == "control"
