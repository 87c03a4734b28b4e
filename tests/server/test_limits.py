"""Per-connection limits on the WebSocket: origins, message rate, connection caps,
and isolation (one client's flood never disturbs another session)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pytest

from tests.server.conftest import SITE, Server, wait_for
from tests.server.test_ws import Story, event, expect_close, frame, hello

PROXY_HOST_ORIGIN = "http://abc123-1.cobrowse.localhost"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (SITE, True),  # an allowed site (the widget)
        ("http://testserver", True),  # our own origin (the /start page)
        (None, True),  # not a browser: the token rules alone
        ("https://evil.test", False),
        ("http://portal.test:8002", False),  # the right host on another port
        (PROXY_HOST_ORIGIN, False),  # proxied pages run the upstream site's script
        ("null", False),  # sandboxed frames and file: pages
    ],
)
def test_visitor_sockets_only_from_allowed_sites_or_our_origin(
    server: Server, stack: ExitStack, origin: str | None, allowed: bool
) -> None:
    created = server.create_session()
    ws = hello(server.client, created["visitor_token"], stack, origin)
    first = ws.receive_json()
    if allowed:
        assert first["t"] == "welcome" and first["role"] == "visitor"
    else:
        assert first == {
            "v": 1,
            "t": "error",
            "code": "origin_not_allowed",
            "message": "not allowed: origin",
        }
        assert expect_close(ws, 4403) == "not allowed: origin"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://testserver", True),  # the console
        (None, True),
        (SITE, False),  # a site may host visitors, never agents
        (PROXY_HOST_ORIGIN, False),
        ("https://evil.test", False),
    ],
)
def test_agent_sockets_only_from_the_console_origin(
    server: Server, stack: ExitStack, origin: str | None, allowed: bool
) -> None:
    story = Story(server, stack).join()
    ws = hello(story.agent_browser, story.agent_token, stack, origin)
    first = ws.receive_json()
    if allowed:
        assert first["t"] == "welcome" and first["role"] == "agent"
    else:
        assert first["code"] == "origin_not_allowed"
        expect_close(ws, 4403)
        # Nothing changed: the console's own socket still works.
        console = hello(story.agent_browser, story.agent_token, stack, "http://testserver")
        assert console.receive_json()["state"] == "pending"


def test_a_visitor_past_the_burst_is_closed_with_4429_and_may_come_back(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    server = make_server(limits={"visitor_message_burst": 6, "visitor_messages_per_second": 1})
    story = Story(server, stack).allow()  # the consent frame took one token
    for stamp in range(5):
        story.visitor.send_text(frame("events", events=[event(3, stamp)]))
        assert story.agent.receive_json()["events"][0]["timestamp"] == stamp
    story.visitor.send_text(frame("events", events=[event(3, 99)]))
    error = story.visitor.receive_json()
    assert error["t"] == "error" and error["code"] == "rate_limited"
    assert "rate limit" in expect_close(story.visitor, 4429)
    # The session lives on; a new socket has a new bucket.
    server.clock.advance(1)
    visitor = hello(server.client, story.visitor_token, stack, SITE)
    assert visitor.receive_json()["state"] == "active"
    visitor.send_text(frame("events", events=[event(2, 100)]))
    got = story.agent.receive_json()
    while got["t"] != "events":  # control state and chat history come first
        got = story.agent.receive_json()
    assert got["events"][0]["timestamp"] == 100


def test_the_bucket_refills_with_time(make_server: Callable[..., Server], stack: ExitStack) -> None:
    server = make_server(limits={"agent_message_burst": 2, "agent_messages_per_second": 2})
    story = Story(server, stack).allow()
    for _round in range(4):
        for n in range(2):
            story.agent.send_text(frame("guide", kind="pointer", target={"id": 1, "x": 0, "y": n}))
            assert story.visitor.receive_json()["t"] == "guide"
        server.clock.advance(1)  # two tokens back each second
    story.agent.send_text(frame("guide", kind="clear"))
    story.agent.send_text(frame("guide", kind="clear"))
    story.agent.send_text(frame("guide", kind="clear"))
    assert story.agent.receive_json()["code"] == "rate_limited"
    expect_close(story.agent, 4429)


def test_connections_per_address_are_capped(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    server = make_server(limits={"connections_per_address": 3})
    open_ = [
        stack.enter_context(server.client.websocket_connect("/ws", headers={"Origin": SITE}))
        for _ in range(3)
    ]
    fourth = stack.enter_context(server.client.websocket_connect("/ws", headers={"Origin": SITE}))
    assert fourth.receive_json()["code"] == "too_many_connections"
    expect_close(fourth, 4429)
    open_[0].close()
    wait_for(lambda: server.ctx.sockets.count(address="testclient") == 2)
    created = server.create_session()
    ws = hello(server.client, created["visitor_token"], stack, SITE)
    assert ws.receive_json()["t"] == "welcome"


def test_connections_per_session_are_capped(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    server = make_server(limits={"connections_per_session": 2})
    story = Story(server, stack).join()  # the visitor and the agent
    third = hello(story.agent_browser, story.agent_token, stack)
    assert third.receive_json()["code"] == "too_many_connections"
    expect_close(third, 4429)
    # A visitor whose socket went away comes back (its slot is freed on close).
    story.visitor.close()
    wait_for(lambda: server.ctx.sockets.count(session_id=story.session_id) == 1)
    visitor = hello(server.client, story.visitor_token, stack, SITE)
    assert visitor.receive_json()["state"] == "pending"


def test_a_flood_in_one_session_never_disturbs_another(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    """Session A's visitor floods (past its limit); session B's frames all arrive,
    in order, and nothing of A's reaches B. Correctness, not timing."""
    server = make_server(limits={"visitor_message_burst": 300, "visitor_messages_per_second": 1})
    a = Story(server, stack).allow()
    b_browser = server.agent_client("Ravi Kumar")
    b = Story(server, stack)
    b.agent_browser = b_browser
    b.visitor.receive_json()
    b.agent_token = server.join(b_browser, b.pin)["agent_token"]
    assert b.visitor.receive_json()["state"] == "pending"
    b.agent = hello(b_browser, b.agent_token, stack)
    assert b.agent.receive_json()["state"] == "pending"
    b.visitor.send_text(frame("consent", allow=True))
    assert b.visitor.receive_json()["state"] == "active"
    assert b.agent.receive_json()["state"] == "active"

    big = {"type": 3, "timestamp": -1, "data": {"source": 0, "adds": [{"x": "y" * 4000}]}}
    sent_b = []
    for n in range(400):  # A: 400 frames, past its burst of 300
        a.visitor.send_text(frame("events", events=[big]))
        if n % 10 == 0:
            b.visitor.send_text(frame("events", events=[event(3, n)]))
            sent_b.append(n)
    assert "rate limit" in expect_close(a.visitor, 4429)
    got_b = [b.agent.receive_json()["events"][0]["timestamp"] for _ in sent_b]
    assert got_b == sent_b
    # A's agent got exactly A's 299 frames within the limit (consent took one token).
    for _ in range(299):
        msg = a.agent.receive_json()
        assert msg["t"] == "events" and msg["events"][0]["data"]["adds"][0]["x"] == "y" * 4000
    # Both sessions are still live and B's still answers at once.
    b.visitor.send_text(frame("chat", id="c1", text="still here"))
    assert b.agent.receive_json()["text"] == "still here"
    assert server.session(a.session_id).live  # type: ignore[union-attr]
