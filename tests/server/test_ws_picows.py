"""The relay's sockets on picows (server/ws_picows.py), through a real listening server
built as `cobrowse serve` builds it: one port, pages on uvicorn, `/ws` on picows.

The rules themselves (hello, origins, limits, bad frames) are server/ws.py's, shared
with the ASGI route that tests/server/test_ws.py drives; these tests show that the
picows engine carries each of them out on a real socket, and what only it does:
fragments, the head routing, shutdown, the transport's buffer as the outbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cobrowse.config import load_config
from cobrowse.core import messages as m
from cobrowse.core.links import sign_link
from cobrowse.server.ws_picows import FramePeer, RelaySocket, is_relay_upgrade
from tests.server.live import Served, serving

SITE = "http://portal.test:8001"
LINK_SECRET = "picows-test-secret-0123456789abcdef0123"
META = {"type": 4, "data": {"href": f"{SITE}/", "width": 1280, "height": 720}, "timestamp": 1}
SNAPSHOT = {"type": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1}}, "timestamp": 2}
WAIT = 30.0  # generous: a loaded 2-core machine


@contextmanager
def live(tmp_path: Path, **sections: dict[str, Any]) -> Iterator[Served]:
    base: dict[str, Any] = {
        "server": {"data_dir": str(tmp_path / "data"), "public_url": "", "log_level": "warning"},
        "proxy": {"allowed_origins": [SITE], "mode": "inline"},
        "auth": {"link_secret": LINK_SECRET},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    with serving(load_config(base, {})) as served:
        yield served


def frame(t: str, **fields: Any) -> bytes:
    return orjson.dumps({"v": 1, "t": t, **fields})


async def until_frame(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of `kind`, skipping others."""
    async with asyncio.timeout(WAIT):
        while True:
            message = orjson.loads(await ws.recv())
            if message.get("t") == kind:
                return dict(message)


async def closed_with(ws: ClientConnection) -> tuple[int | None, list[dict[str, Any]]]:
    """Read until the server closes: its close code and the frames before it."""
    frames = []
    async with asyncio.timeout(WAIT):
        try:
            while True:
                frames.append(orjson.loads(await ws.recv()))
        except ConnectionClosed as exc:
            return (exc.rcvd.code if exc.rcvd else None), frames


@asynccontextmanager
async def socket(
    served: Served, token: str | None, *, origin: str | None = SITE, **kwargs: Any
) -> AsyncIterator[ClientConnection]:
    headers = {"Origin": origin} if origin else {}
    async with connect(
        served.ws_url, additional_headers={**headers, **kwargs.pop("headers", {})}, **kwargs
    ) as ws:
        if token is not None:
            with suppress(ConnectionClosed):  # refused at once: the test reads why
                await ws.send(frame("hello", token=token))
        yield ws


async def new_session(served: Served) -> tuple[dict[str, Any], str]:
    """(the created session, an agent token for it)."""
    async with httpx.AsyncClient(base_url=served.base, timeout=WAIT) as http:
        r = await http.post("/api/v1/sessions", json={}, headers={"Origin": SITE})
        assert r.status_code == 201, r.text
        created = r.json()
        token, _ = sign_link(secret=LINK_SECRET, agent="Asha Rao", now=time.time(), ttl=300)
        r = await http.get("/agent/signin", params={"token": token})
        assert r.status_code == 303, r.text
        r = await http.post("/api/v1/join", json={"pin": created["pin"]})
        assert r.status_code == 200, r.text
        return created, r.json()["agent_token"]


@asynccontextmanager
async def sharing(served: Served) -> AsyncIterator[tuple[ClientConnection, ClientConnection]]:
    """A session whose visitor allowed: (visitor, agent), both past their welcome."""
    created, agent_token = await new_session(served)
    async with (
        socket(served, created["visitor_token"]) as visitor,
        socket(served, agent_token, origin=served.base) as agent,
    ):
        await until_frame(visitor, "welcome")
        await until_frame(agent, "welcome")
        await visitor.send(frame("consent", allow=True))
        await until_frame(agent, "state")
        yield visitor, agent


async def test_pages_stay_on_uvicorn_and_the_relay_sockets_go_to_picows(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        async with httpx.AsyncClient(base_url=served.base, timeout=WAIT) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/ws")).status_code in (400, 403, 404, 405)
        created, _ = await new_session(served)
        async with socket(served, created["visitor_token"]) as visitor:
            welcome = await until_frame(visitor, "welcome")
            assert welcome["session_id"] == created["session_id"]
            connections = served.server.server_state.connections
            assert len([c for c in connections if isinstance(c, RelaySocket)]) == 1


async def test_a_session_relays_page_events_and_chat(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        async with sharing(served) as (visitor, agent):
            await visitor.send(frame("events", events=[META, SNAPSHOT]))
            got = await until_frame(agent, "events")
            assert got["events"] == [META, SNAPSHOT]
            await agent.send(frame("chat", id="c1", text="Hello from the helpdesk"))
            chat = await until_frame(visitor, "chat")
            assert chat["text"] == "Hello from the helpdesk"


async def test_a_bad_frame_closes_only_its_own_socket(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        async with (
            sharing(served) as (visitor_a, _agent_a),
            sharing(served) as (visitor_b, agent_b),
        ):
            await visitor_a.send(b"{not json")
            code, frames = await closed_with(visitor_a)
            assert code == m.CLOSE_BAD_MESSAGE
            assert frames[-1]["t"] == "error" and frames[-1]["code"] == "bad_message"
            await visitor_b.send(frame("events", events=[META]))
            assert (await until_frame(agent_b, "events"))["events"] == [META]


@pytest.mark.parametrize(
    ("origin", "token", "code", "error"),
    [
        ("https://evil.example", "made-up", m.CLOSE_NOT_ALLOWED, "origin_not_allowed"),
        (SITE, "vt_made_up", m.CLOSE_BAD_TOKEN, "bad_token"),
    ],
)
async def test_refused_sockets_are_told_why(
    tmp_path: Path, origin: str, token: str, code: int, error: str
) -> None:
    with live(tmp_path) as served:
        async with socket(served, token, origin=origin) as ws:
            got, frames = await closed_with(ws)
        assert got == code
        assert frames and frames[-1]["code"] == error


async def test_a_socket_that_never_says_hello_is_closed(tmp_path: Path) -> None:
    with live(tmp_path, limits={"hello_timeout_seconds": 0.5}) as served:
        async with socket(served, None) as ws:
            await ws.ping()  # a ping is not a hello
            code, frames = await closed_with(ws)
        assert code == m.CLOSE_HELLO_TIMEOUT
        assert frames[-1]["code"] == "hello_timeout"


async def test_fragmented_messages_are_whole_messages_and_are_limited(tmp_path: Path) -> None:
    with live(tmp_path, limits={"visitor_message_bytes": 64 * 1024}) as served:
        created, _ = await new_session(served)
        async with socket(served, None) as ws:
            hello = frame("hello", token=created["visitor_token"])
            await ws.send(iter([hello[:10], hello[10:20], hello[20:]]))
            welcome = await until_frame(ws, "welcome")
            assert welcome["session_id"] == created["session_id"]
            parts = [b"x" * 32 * 1024] * 5  # 160 KB: past twice the limit
            await ws.send(iter(parts))
            code, _frames = await closed_with(ws)
        assert code == m.CLOSE_TOO_BIG


async def test_the_address_cap_counts_the_forwarded_client(tmp_path: Path) -> None:
    with live(
        tmp_path,
        server={"forwarded_allow_ips": "127.0.0.1"},
        limits={"connections_per_address": 1},
    ) as served:
        one = {"X-Forwarded-For": "203.0.113.7"}
        other = {"X-Forwarded-For": "203.0.113.8"}
        async with socket(served, None, headers=one):
            async with socket(served, "vt_x", headers=one) as second:
                code, frames = await closed_with(second)
            assert code == m.CLOSE_RATE_LIMITED
            assert frames[-1]["code"] == "too_many_connections"
            async with socket(served, "vt_x", headers=other) as third:
                code, _ = await closed_with(third)
            assert code == m.CLOSE_BAD_TOKEN  # admitted: refused only for its token


async def test_a_server_shutting_down_closes_its_sockets_with_1012(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        created, _ = await new_session(served)
        async with socket(served, created["visitor_token"]) as visitor:
            await until_frame(visitor, "welcome")
            served.server.should_exit = True
            code, _ = await closed_with(visitor)
        assert code == 1012


class FakeTransport:
    """What FramePeer uses of a picows WSTransport and its socket."""

    def __init__(self, buffered: int) -> None:
        self.buffered = buffered
        self.sent: list[bytes] = []
        self.closes: list[int] = []
        self.is_disconnected = False
        self.graceful: bool | None = None
        self.underlying_transport = SimpleNamespace(get_write_buffer_size=lambda: self.buffered)

    def send(self, kind: object, data: bytes) -> None:
        self.sent.append(data)

    def send_close(self, code: int, reason: bytes = b"") -> None:
        self.closes.append(code)

    def disconnect(self, graceful: bool = True) -> None:
        self.graceful = graceful


def test_a_reader_that_does_not_keep_up_is_dropped() -> None:
    counted: list[int] = []
    transport = FakeTransport(buffered=0)
    peer = FramePeer(transport, max_pending=100, sent=lambda n, s: counted.append(n))  # type: ignore[arg-type]
    peer.send(b"a" * 60)
    transport.buffered = 60  # not read yet
    peer.send(b"b" * 60)
    peer.send(b"c")  # after the drop: nothing
    assert transport.sent == [b"a" * 60]
    assert counted == [60]
    assert transport.closes == [1008] and transport.graceful is False


@pytest.mark.parametrize(
    ("head", "relay"),
    [
        (b"GET /ws HTTP/1.1\r\nHost: cb.example\r\nUpgrade: websocket", True),
        (b"GET /ws?x=1 HTTP/1.1\r\nhost: cb.example\r\nUPGRADE: WebSocket", True),
        (b"GET /ws HTTP/1.1\r\nHost: cb.example", False),  # not an upgrade
        (b"POST /ws HTTP/1.1\r\nHost: cb.example\r\nUpgrade: websocket", False),
        (b"GET /wss HTTP/1.1\r\nHost: cb.example\r\nUpgrade: websocket", False),
        (b"GET /ws HTTP/1.1\r\nHost: a1.proxy.example\r\nUpgrade: websocket", False),
        (b"GET /ws HTTP/1.1\r\nHost: a\r\nHost: b\r\nUpgrade: websocket", False),
        (b"garbage", False),
    ],
)
def test_which_requests_go_to_picows(head: bytes, relay: bool) -> None:
    hosts = SimpleNamespace(is_proxy_host=lambda host: host.endswith(".proxy.example"))
    ctx: Any = SimpleNamespace(proxy=SimpleNamespace(hosts=hosts))
    assert is_relay_upgrade(head, ctx) is relay
