"""Several nodes on one Redis (server/cluster.py): real `cobrowse serve` processes, a
real redis-server, and clients written in Python after the runtimes (resume with the
last frame number `n`, as docs/protocol.md says).

- A session whose visitor and agent sit on different nodes works as on one: consent,
  page data, chat, control, acts, file offers and downloads, the end.
- Kill the node that runs the session (SIGKILL: no goodbye): the participants
  reconnect to the other node, which takes the session over from Redis; the session,
  its chat and its control go on, nothing is applied twice, and the agent gets the page
  again. The time from the kill until both are back is printed (a figure, not a test).
- Redis restarts: with its data kept (appendonly), live sessions go on; without it,
  they end, and both sides are told why.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis as SyncRedis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from cobrowse.server import cluster as cluster_module
from cobrowse.server.cluster import Cluster
from tests.nodes import Node, Nodes, cobrowse_nodes
from tests.redis_server import RedisServer, redis_server

WAIT = 30.0  # generous: a loaded 2-core machine
SESSION = {"visitor_grace_seconds": 60.0, "agent_grace_seconds": 60.0}


def frame(t: str, **fields: Any) -> str:
    return json.dumps({"v": 1, "t": t, **fields})


def event(kind: int, stamp: int, **data: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": stamp, "data": data}


TARGET = {"id": 1, "x": 0.5, "y": 0.5}
ACT = {"ref": "r1", "kind": "click", "target": TARGET, "value": "", "dx": 0, "dy": 0}
PAGE = [event(4, 1, href="https://portal.test/"), event(2, 2, node={"id": 1})]


@dataclass
class Client:
    """One participant: its token, the node it talks to, and its resume point."""

    token: str
    node: Node
    last: int | None = None
    ws: ClientConnection | None = None
    got: list[dict[str, Any]] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)

    def open(self, node: Node | None = None) -> dict[str, Any]:
        """Connect (again) and say hello with the resume point; returns the welcome."""
        self.node = node or self.node
        self.ws = self.stack.enter_context(connect(self.node.ws_url, open_timeout=WAIT))
        hello: dict[str, Any] = {"token": self.token}
        if self.last is not None:
            hello["n"] = self.last
        self.ws.send(frame("hello", **hello))
        welcome = self.next()
        assert welcome["t"] == "welcome", welcome
        return welcome

    def send(self, t: str, **fields: Any) -> None:
        assert self.ws is not None
        self.ws.send(frame(t, **fields))

    def next(self, timeout: float = WAIT) -> dict[str, Any]:
        assert self.ws is not None
        got: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        if got["t"] == "welcome":
            if not got["resumed"]:
                self.last = None
        elif "n" in got and got["t"] not in ("chat_history", "ended", "error"):
            self.last = max(self.last or 0, got["n"])  # a numbered frame, or `synced`
        self.got.append(got)
        return got

    def until(self, t: str, timeout: float = WAIT, **match: Any) -> dict[str, Any]:
        """The next frame of type `t` (with `match`ing fields); others are kept in `got`."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.next(max(0.1, deadline - time.monotonic()))
            if got["t"] == t and all(got.get(k) == v for k, v in match.items()):
                return got

    def closed(self, timeout: float = WAIT) -> int:
        """Read until the server closes; its close code."""
        assert self.ws is not None
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.next(max(0.1, deadline - time.monotonic()))
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd is not None else 1006
        raise AssertionError("the socket stayed open")

    def close(self) -> None:
        self.stack.close()


@dataclass
class Story:
    nodes: Nodes
    session_id: str
    pin: str
    visitor: Client
    agent: Client
    agent_http: httpx.Client


def start_story(nodes: Nodes, visitor_node: Node, agent_node: Node) -> Story:
    """A session created and visited on one node, joined and watched from another."""
    r = httpx.post(f"{visitor_node.url}/api/v1/sessions", json={}, timeout=WAIT)
    assert r.status_code == 201, r.text
    created = r.json()
    agent_http = httpx.Client(base_url=agent_node.url, timeout=WAIT)
    r = agent_http.get(nodes.agent_link(agent_node), follow_redirects=False)
    assert r.status_code == 303, r.text
    visitor = Client(token=created["visitor_token"], node=visitor_node)
    assert visitor.open()["state"] == "created"
    r = agent_http.post("/api/v1/join", json={"pin": created["pin"]}, headers=_same(agent_node))
    assert r.status_code == 200, r.text
    assert visitor.until("state")["state"] == "pending"
    agent = Client(token=r.json()["agent_token"], node=agent_node)
    agent.open()
    visitor.send("consent", allow=True)
    assert visitor.until("state")["state"] == "active"
    assert agent.until("state")["state"] == "active"
    visitor.send("events", events=PAGE)
    assert agent.until("events")["events"] == PAGE
    return Story(nodes, created["session_id"], created["pin"], visitor, agent, agent_http)


def _same(node: Node) -> dict[str, str]:
    return {"Origin": node.url}


def give_control(story: Story) -> None:
    story.agent.send("control", action="request")
    story.visitor.until("control", state="requested")
    story.visitor.send("control", action="grant")
    story.agent.until("control", state="control")


def chat(sender: Client, receiver: Client, chat_id: str, text: str) -> dict[str, Any]:
    sender.send("chat", id=chat_id, text=text)
    got = receiver.until("chat", id=chat_id)
    assert got["text"] == text
    return got


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def two_nodes(redis_srv: RedisServer, tmp_path: Path) -> Iterator[Nodes]:
    prefix = f"t{time.monotonic_ns()}:"
    with cobrowse_nodes(
        2, store_url=f"{redis_srv.url}?prefix={prefix}", tmp=tmp_path, sections={"session": SESSION}
    ) as nodes:
        try:
            yield nodes
        except BaseException:
            print(nodes.logs())
            raise


def test_a_session_spans_two_nodes(two_nodes: Nodes) -> None:
    a, b = two_nodes.nodes
    story = start_story(two_nodes, visitor_node=a, agent_node=b)
    # Page data, both ways of chat, control and an act with its result.
    story.visitor.send("events", events=[event(3, 3, source=2)])
    assert story.agent.until("events")["events"] == [event(3, 3, source=2)]
    first = chat(story.agent, story.visitor, "a1", "Hello from node B")
    second = chat(story.visitor, story.agent, "v1", "Hello from node A")
    assert second["seq"] == first["seq"] + 1  # one numbering, whichever node
    give_control(story)
    act = ACT
    story.agent.send("act", **act)
    assert story.visitor.until("act")["ref"] == "r1"
    story.visitor.send("act_result", ref="r1", ok=True, reason=None)
    assert story.agent.until("act_result")["ok"] is True
    # A file offered through node B's REST, downloaded through node B too.
    r = story.agent_http.post(
        f"/api/v1/sessions/{story.session_id}/files",
        files={"file": ("guide.pdf", b"%PDF-1.4 guide", "application/pdf")},
        headers=_same(b),
    )
    assert r.status_code == 201, r.text
    offer = story.visitor.until("offer")
    story.visitor.send("offer_answer", file_id=offer["file_id"], accept=True)
    ready = story.visitor.until("offer_ready")
    path = ready["url"].split("/files/", 1)[1]
    got = httpx.get(f"{b.url}/files/{path}", timeout=WAIT)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 guide"
    assert httpx.get(f"{a.url}/files/{path}", timeout=WAIT).status_code == 404  # once
    # A protocol error on node B's socket closes that socket only.
    story.agent.send("consent", allow=True)
    assert story.agent.until("error")["code"] == "not_allowed"
    assert story.agent.closed() == 4403
    story.agent.open()
    chat(story.visitor, story.agent, "v2", "still here")
    # The end, said on node A, reaches node B.
    story.visitor.send("end")
    assert story.agent.until("ended")["reason"] == "visitor_stopped"
    assert story.agent.closed() == 1000


def test_the_sessions_of_a_killed_node_go_on_on_another(two_nodes: Nodes) -> None:
    a, b = two_nodes.nodes
    story = start_story(two_nodes, visitor_node=a, agent_node=b)
    chat(story.agent, story.visitor, "a1", "before")
    chat(story.visitor, story.agent, "v1", "before too")
    give_control(story)
    act = ACT
    story.agent.send("act", **act)
    assert story.visitor.until("act")["ref"] == "r1"
    story.visitor.send("act_result", ref="r1", ok=True, reason=None)
    assert story.agent.until("act_result")["ok"] is True

    killed = time.monotonic()
    a.kill()  # it ran the session, and held the visitor's socket
    # The agent's node takes the session over and sends the agent to it again.
    assert story.agent.closed() == 1012
    welcomes = _reconnect(story.agent, b), _reconnect(story.visitor, b)
    back = time.monotonic() - killed
    for welcome in welcomes:
        assert welcome["state"] == "active" and welcome["resumed"] is False
    for who in (story.visitor, story.agent):
        history = who.until("chat_history")["messages"]
        assert [(m["id"], m["text"]) for m in history] == [("a1", "before"), ("v1", "before too")]
        assert who.until("control")["state"] == "control"  # control kept
    # The agent's page comes back: the visitor is asked for a fresh snapshot.
    story.visitor.until("snapshot_request")
    page_again = time.monotonic() - killed
    story.visitor.send("events", events=PAGE)
    assert story.agent.until("events")["events"] == PAGE
    print(f"\nkill -> both reconnected {back:.2f} s; -> snapshot asked {page_again:.2f} s")
    # The act sent again after the drop is not applied twice: its result is repeated.
    story.agent.send("act", **act)
    assert story.agent.until("act_result")["ok"] is True
    # Chat goes on, numbered after what was kept; a resent message is not doubled.
    after = chat(story.agent, story.visitor, "a2", "after")
    assert after["seq"] == 3
    story.agent.send("chat", id="a2", text="after")
    chat(story.visitor, story.agent, "v2", "after too")
    texts = [g["text"] for g in story.visitor.got if g["t"] == "chat"]
    assert texts.count("after") == 1
    assert all(g["t"] != "act" for g in story.visitor.got[story.visitor.got.index(welcomes[1]) :])


def _reconnect(client: Client, node: Node) -> dict[str, Any]:
    """Reconnect as a runtime does: with backoff, until a welcome comes."""
    deadline = time.monotonic() + WAIT
    delay = 0.25
    while True:
        try:
            return client.open(node)
        except (OSError, ConnectionClosed, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@pytest.mark.parametrize("kept", [True, False], ids=["data kept", "data lost"])
def test_a_redis_restart(kept: bool, tmp_path: Path) -> None:
    with (
        redis_server(appendonly=kept) as redis,
        cobrowse_nodes(
            1, store_url=redis.url, tmp=tmp_path, sections={"session": SESSION}
        ) as nodes,
    ):
        (node,) = nodes.nodes
        story = start_story(nodes, visitor_node=node, agent_node=node)
        chat(story.agent, story.visitor, "a1", "before")
        redis.stop()
        redis.start()
        if kept:  # the session goes on (the node finds its state as it left it)
            wait_for(lambda: _node_back(node))
            chat(story.visitor, story.agent, "v1", "after the restart")
            story.visitor.close()
            assert _reconnect(story.visitor, node)["resumed"] is True  # its token is known
        else:  # the store forgot the session: it ends, and both sides hear it
            for who in (story.visitor, story.agent):
                assert who.until("ended")["reason"] == "admin"


def _node_back(node: Node) -> bool:
    return httpx.get(f"{node.url}/readyz", timeout=WAIT).status_code == 200


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- the heartbeat -------------------------------------------------------------------


@dataclass
class Watching:
    """A handler that only records what the cluster's watch reports."""

    reports: list[tuple[set[int], bool]] = field(default_factory=list)

    async def on_input(self, fields: dict[bytes, bytes]) -> None: ...

    async def on_output(self, fields: dict[bytes, bytes]) -> None: ...

    async def on_nodes(self, *, dead: set[int], lost: bool) -> None:
        self.reports.append((dead, lost))


async def _watched(watching: Watching, turns: int) -> None:
    """Until the watch has reported `turns` more times."""
    start = len(watching.reports)
    deadline = time.monotonic() + WAIT
    while len(watching.reports) < start + turns:
        assert time.monotonic() < deadline, "the watch stopped"
        await asyncio.sleep(0.02)


async def test_a_busy_loop_does_not_make_a_node_look_gone(redis_srv: RedisServer) -> None:
    """Under load a node's event loop may not turn for longer than the node timeout; its
    heartbeat (a thread) keeps it alive, so its sessions do not move away."""
    node = Cluster.from_url(redis_srv.url, prefix=f"hb{time.monotonic_ns()}:", node_timeout=0.4)
    watching = Watching()
    await node.start(watching)
    try:
        time.sleep(1.6)  # the loop does nothing else: four node timeouts
        assert await node.redis.exists(node.k("node", node.node)) == 1
        await _watched(watching, 2)
        assert not any(lost for _, lost in watching.reports)
    finally:
        await node.stop()


async def test_a_hung_loop_lets_its_node_be_taken_for_gone(
    redis_srv: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_module, "LOOP_STALL_LIMIT", 0.3)
    node = Cluster.from_url(redis_srv.url, prefix=f"hb{time.monotonic_ns()}:", node_timeout=0.4)
    watching = Watching()
    await node.start(watching)
    try:
        key = node.k("node", node.node)
        deadline = time.monotonic() + WAIT
        with SyncRedis.from_url(redis_srv.url) as look:  # blocking: the loop never turns
            while look.exists(key):
                assert time.monotonic() < deadline, "the node stayed alive"
                time.sleep(0.05)
        await _watched(watching, 2)  # the loop turns again: it says it may have lost some
        assert any(lost for _, lost in watching.reports)
        assert await node.redis.exists(key) == 1  # and it is alive again
    finally:
        await node.stop()
