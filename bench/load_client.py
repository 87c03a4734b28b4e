"""The client side of bench/load.py: one session's visitor and agent sockets.

A session opens the way the widget and the console do (cobrowse: create with the
site's Origin, visitor hello, agent sign-in link, join with the PIN, agent hello,
Allow; the bare relay: two hellos), then the visitor sends the page's opening frame
(Meta + FullSnapshot) and about `EVENTS_PER_SECOND` events in frames of 1 or 2, and
the agent notes, for every frame of incremental events, how long ago it was sent.

Every session has its own loopback source address (127.77.x.y), as real visitors
have their own addresses: per-address limits then apply as in production.
Unknown frame types and unknown fields are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from bench.load_traffic import Traffic
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from cobrowse.core.links import sign_link

SITE = "http://efiling.bench.localhost"  # the allowed site the visitor's page is on
AGENT_COOKIE = "cobrowse_agent"
EVENTS_PER_SECOND = 10.0
TCP_INFO_BYTES = struct.Struct("QQ")  # tcpi_bytes_acked, tcpi_bytes_received
TCP_INFO_OFFSET = 120  # in struct tcp_info (linux/tcp.h)


@dataclass(frozen=True, slots=True)
class Target:
    app: str  # "ours" or "bare"
    port: int
    compression: bool
    link_secret: str = ""
    # Several nodes (on one Redis): each participant of each session goes to one of
    # them at random, as nginx's round robin would place them; empty: `port` alone.
    ports: tuple[int, ...] = ()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def node(self, index: int, role: str) -> Target:
        """Where `role` of session `index` talks to (a Target on one port)."""
        if not self.ports:
            return self
        port = random.Random(f"{index}:{role}").choice(self.ports)
        return Target(self.app, port, self.compression, self.link_secret)


@dataclass(slots=True)
class Meter:
    """What all sessions saw since the last reset."""

    latencies: list[float] = field(default_factory=list)  # ms, one per relayed frame
    frames_sent: int = 0
    frames_received: int = 0
    snapshot_requests: int = 0
    failures: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.latencies = []
        self.frames_sent = self.frames_received = self.snapshot_requests = 0


def source_address(index: int) -> str:
    return f"127.77.{index // 250}.{index % 250 + 1}"


def wire_bytes(conn: ClientConnection) -> tuple[int, int]:
    """(bytes sent and acknowledged, bytes received) on the TCP connection so far."""
    sock = conn.transport.get_extra_info("socket")
    if sock is None:
        return 0, 0
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
    sent, received = TCP_INFO_BYTES.unpack_from(info, TCP_INFO_OFFSET)
    return int(sent), int(received)


def _frame(t: str, **fields: Any) -> bytes:
    return orjson.dumps({"v": 1, "t": t, **fields})


async def _until(conn: ClientConnection, t: str, state: str | None = None) -> dict[str, Any]:
    """Read frames until one of type `t` (and `state`); others are skipped."""
    while True:
        message = orjson.loads(await conn.recv(decode=False))
        if message.get("t") == t and (state is None or message.get("state") == state):
            return dict(message)


class Session:
    def __init__(self, index: int, target: Target, traffic: Traffic, meter: Meter) -> None:
        self.index = index
        self.target = target
        self.traffic = traffic
        self.meter = meter
        self.visitor: ClientConnection | None = None
        self.agent: ClientConnection | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.closing = False

    async def open(self) -> None:
        ip = source_address(self.index)
        opener = self._open_bare if self.target.app == "bare" else self._open_ours
        self.visitor, self.agent = await opener(ip)
        self.tasks = [
            asyncio.create_task(self._guard("visitor", self._send_events())),
            asyncio.create_task(self._guard("visitor", self._read_visitor())),
            asyncio.create_task(self._guard("agent", self._read_agent())),
        ]

    async def close(self) -> None:
        self.closing = True
        for task in self.tasks:
            task.cancel()
        for conn in (self.visitor, self.agent):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()

    def wire(self) -> tuple[int, int]:
        """(visitor's bytes sent, agent's bytes received) on the wire so far."""
        if self.visitor is None or self.agent is None:
            return 0, 0
        return wire_bytes(self.visitor)[0], wire_bytes(self.agent)[1]

    async def _connect(self, ip: str, origin: str, role: str = "visitor") -> ClientConnection:
        return await connect(
            self.target.node(self.index, role).ws_url,
            origin=Origin(origin),
            compression="deflate" if self.target.compression else None,
            max_size=None,
            ping_interval=None,  # browsers do not ping; keep the traffic to the events
            open_timeout=120,
            close_timeout=2,
            local_addr=(ip, 0),
        )

    async def _open_bare(self, ip: str) -> tuple[ClientConnection, ClientConnection]:
        key = f"s{self.index}"
        visitor = await self._connect(ip, SITE)
        await visitor.send(_frame("hello", token=f"visitor:{key}"))
        await _until(visitor, "welcome")
        agent = await self._connect(ip, self.target.base)
        await agent.send(_frame("hello", token=f"agent:{key}"))
        await _until(agent, "welcome")
        await _until(visitor, "state", "active")
        return visitor, agent

    async def _open_ours(self, ip: str) -> tuple[ClientConnection, ClientConnection]:
        timeout = aiohttp.ClientTimeout(total=120)
        async with (
            aiohttp.ClientSession(
                base_url=self.target.node(self.index, "visitor").base,
                connector=aiohttp.TCPConnector(local_addr=(ip, 0)),
                timeout=timeout,
            ) as site,
            aiohttp.ClientSession(
                base_url=self.target.node(self.index, "agent").base,
                connector=aiohttp.TCPConnector(local_addr=(ip, 0)),
                timeout=timeout,
            ) as http,
        ):
            created = await _post(site, "/api/v1/sessions", {}, {"Origin": SITE})
            visitor = await self._connect(ip, SITE)
            await visitor.send(_frame("hello", token=created["visitor_token"]))
            await _until(visitor, "welcome")
            cookie = await self._sign_in(http)
            joined = await _post(http, "/api/v1/join", {"pin": created["pin"]}, {"Cookie": cookie})
        agent = await self._connect(ip, self.target.node(self.index, "agent").base, "agent")
        await agent.send(_frame("hello", token=joined["agent_token"]))
        await _until(agent, "welcome")
        await _until(visitor, "state", "pending")
        await visitor.send(_frame("consent", allow=True))
        await _until(visitor, "state", "active")
        return visitor, agent

    async def _sign_in(self, http: aiohttp.ClientSession) -> str:
        """The agent's cookie, from a CRM-signed link (what `cobrowse agent-link` prints)."""
        token, _ = sign_link(
            secret=self.target.link_secret,
            agent=f"Bench Agent {self.index}",
            now=time.time(),
            ttl=600,
        )
        async with http.get(
            "/agent/signin", params={"token": token}, allow_redirects=False
        ) as response:
            morsel = response.cookies.get(AGENT_COOKIE)
            if morsel is None:
                raise RuntimeError(f"agent sign-in failed: {response.status}")
            return f"{AGENT_COOKIE}={morsel.value}"

    async def _guard(self, role: str, loop: Any) -> None:
        try:
            await loop
        except ConnectionClosed as exc:
            if not self.closing:
                self.meter.failures.append(f"{role} socket closed: {exc}")

    async def _send_events(self) -> None:
        assert self.visitor is not None
        await self.visitor.send(self.traffic.opening, text=True)
        rng = random.Random(self.index)
        while True:
            count = rng.choice((1, 2))
            await asyncio.sleep(count / EVENTS_PER_SECOND * rng.uniform(0.5, 1.5))
            await self.visitor.send(self.traffic.frame(count, rng), text=True)
            self.meter.frames_sent += 1

    async def _read_visitor(self) -> None:
        assert self.visitor is not None
        while True:
            message = orjson.loads(await self.visitor.recv(decode=False))
            if message.get("t") == "snapshot_request":
                self.meter.snapshot_requests += 1
                await self.visitor.send(self.traffic.opening, text=True)

    async def _read_agent(self) -> None:
        assert self.agent is not None
        meter = self.meter
        while True:
            data = await self.agent.recv(decode=False)
            now = time.time() * 1000
            message = orjson.loads(data)
            if message.get("t") != "events":
                continue
            for event in message.get("events", ()):
                if event.get("type") == 3:  # incremental: this frame was sent live
                    meter.latencies.append(now - event["timestamp"])
                    meter.frames_received += 1
                    break


async def _post(
    http: aiohttp.ClientSession, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    async with http.post(path, json=body, headers=headers) as response:
        answer = await response.json()
        if response.status >= 300:
            raise RuntimeError(f"POST {path}: {response.status} {answer}")
        return dict(answer)
