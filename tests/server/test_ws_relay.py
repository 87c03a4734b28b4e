"""The relay's sockets on the direct engine (server/ws_relay.py), through a real
listening server built as `cobrowse serve` builds it: one port, pages on uvicorn, `/ws`
on RelayConnection.

The rules themselves (hello, origins, limits, bad frames) are server/ws.py's, shared
with the ASGI route that tests/server/test_ws.py drives; these tests show that the
direct engine carries each of them out on a real socket, and what only it does: the
upgrade, fragments, pings, the head routing, shutdown, the transport's buffer as the
outbox. core/wsframes.py's own rules are tests/core/test_wsframes.py's."""

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
from cobrowse.core import wsframes as wf
from cobrowse.core.links import sign_link
from cobrowse.server.ws_relay import RelayConnection, relay_request
from tests.core.test_wsframes import client_frame
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


async def test_pages_stay_on_uvicorn_and_the_relay_sockets_go_direct(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        async with httpx.AsyncClient(base_url=served.base, timeout=WAIT) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/ws")).status_code in (400, 403, 404, 405)
        created, _ = await new_session(served)
        async with socket(served, created["visitor_token"]) as visitor:
            welcome = await until_frame(visitor, "welcome")
            assert welcome["session_id"] == created["session_id"]
            connections = served.server.server_state.connections
            assert len([c for c in connections if isinstance(c, RelayConnection)]) == 1


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
    """What RelayConnection uses of an asyncio transport."""

    def __init__(self) -> None:
        self.buffered = 0
        self.written: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def writelines(self, parts: Any) -> None:
        self.written.append(b"".join(parts))

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def abort(self) -> None:
        self.aborted = True


def test_a_reader_that_does_not_keep_up_is_dropped() -> None:
    counted: list[int] = []
    conn = RelayConnection(
        SimpleNamespace(),  # type: ignore[arg-type]
        answer=b"",
        origin=None,
        host="",
        address="x",
        max_message=1024,
        connections=set(),
    )
    transport = FakeTransport()
    conn.transport = transport  # type: ignore[assignment]
    conn.max_pending, conn.sent = 300, lambda n, s: counted.append(n)
    conn.send(b"a" * 200)
    transport.buffered = 200  # not read yet
    conn.send(b"b" * 200)
    conn.send(b"c")  # after the drop: nothing
    assert transport.written[0] == bytes((0x81, 126)) + (200).to_bytes(2, "big") + b"a" * 200
    assert transport.written[1][:4] == bytes((0x88, 10)) + (1008).to_bytes(2, "big")
    assert len(transport.written) == 2 and transport.aborted
    assert counted == [200]


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
def test_which_requests_go_direct(head: bytes, relay: bool) -> None:
    hosts = SimpleNamespace(is_proxy_host=lambda host: host.endswith(".proxy.example"))
    ctx: Any = SimpleNamespace(proxy=SimpleNamespace(hosts=hosts))
    assert (relay_request(head, ctx) is not None) is relay


async def test_a_bad_upgrade_is_answered_400_with_why(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(
            b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        async with asyncio.timeout(WAIT):
            answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert answer.endswith(b"a Sec-WebSocket-Key of 16 bytes expected")


async def test_pings_are_answered_and_a_client_close_is_echoed(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        async with socket(served, None) as ws:
            async with asyncio.timeout(WAIT):
                await (await ws.ping(b"are you there"))
            await ws.close(4000, "bye")
            assert ws.close_code == 4000


async def test_a_large_snapshot_reaches_the_agent_whole(tmp_path: Path) -> None:
    with live(tmp_path) as served:
        async with sharing(served) as (visitor, agent):
            text = "नमस्ते " * 40_000  # about 0.9 MB in UTF-8: past any one read
            big = {**SNAPSHOT, "data": {"node": {"type": 3, "textContent": text, "id": 1}}}
            await visitor.send(frame("events", events=[META, big]))
            got = await until_frame(agent, "events")
            assert got["events"] == [META, big]


async def test_what_came_before_a_close_is_still_handled(tmp_path: Path) -> None:
    """The widget ends a session it cannot share on a fresh socket: hello, end, close,
    all at once. Here they come in one write, so the end and the close arrive while the
    hello is still being checked."""
    with live(tmp_path) as served:
        created, agent_token = await new_session(served)
        async with socket(served, agent_token, origin=served.base) as agent:
            await until_frame(agent, "welcome")
            reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
            writer.write(
                b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                + client_frame(wf.OP_TEXT, frame("hello", token=created["visitor_token"]))
                + client_frame(wf.OP_TEXT, frame("end"))
                + client_frame(wf.OP_CLOSE, (1000).to_bytes(2, "big"))
            )
            async with asyncio.timeout(WAIT):
                await reader.read()  # until the server closes
            writer.close()
            ended = await until_frame(agent, "ended")
            assert ended["reason"] == "visitor_stopped"
