"""A fault-injecting TCP relay for tests: it forwards loopback connections to a server
and cuts them at random points.

    async with FaultRelay(("127.0.0.1", server_port), seed=seed) as relay:
        ...connect clients to ("127.0.0.1", relay.port)...
        relay.cut_all()          # on demand
        relay.cutting = False    # let things settle
        print(relay.cuts)

Every connection through the relay draws, when it opens, a byte budget for each
direction (client to server, server to client) from a seeded RNG (`CutPolicy`). The
first direction to use its budget up cuts the connection at exactly that byte: the
bytes before it are forwarded, the rest never are, and both sides are aborted
(`transport.abort()`, with SO_LINGER 0, so each peer gets a reset and no orderly close).
Budgets land anywhere: inside the HTTP upgrade, inside `hello` or `welcome`, in the
middle of a WebSocket frame. A share of connections gets a small budget on purpose, so
handshakes and hellos are cut often. `cut_all()` cuts every open connection at once,
whatever its budget. Optionally (`CutPolicy.stall`) a cut resets only the client's side
and leaves the server's open and silent for a while, as when a client's network changes.

The RNG is seeded (`seed`); the budgets a run draws follow from it, in connection order.
The interleaving of the traffic does not, so a seed reproduces a run's cut pattern,
not its exact timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import Counter
from dataclasses import dataclass
from types import TracebackType

UP = "up"  # client to server
DOWN = "down"  # server to client
DEMAND = "demand"  # cut_all()


@dataclass(frozen=True, slots=True)
class CutPolicy:
    """How many bytes a direction of a connection carries before it is cut.

    With probability `early`, a budget under `early_bytes` (the HTTP upgrade and the
    first frames); otherwise one between `min_bytes` and `max_bytes`."""

    min_bytes: int = 0
    max_bytes: int = 8192
    early: float = 0.1
    early_bytes: int = 512
    # With probability `stall`, a cut resets only the client's side: the server's side
    # stays open and silent (nothing is read from it or sent to it) for up to
    # `stall_seconds`, then is reset too; the server learns of the drop only from the
    # client's next connection (or its own timeouts), as after a network change.
    stall: float = 0.0
    stall_seconds: float = 0.5

    def budget(self, rng: random.Random) -> int:
        if rng.random() < self.early:
            return rng.randrange(self.early_bytes)
        return rng.randint(self.min_bytes, self.max_bytes)


def _reset_on_close(transport: asyncio.BaseTransport) -> None:
    """Make the coming abort() send a reset (SO_LINGER 0) rather than a FIN."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _Link:
    """One relayed connection: the client's side, the server's side, the budgets."""

    def __init__(self, relay: FaultRelay, budgets: dict[str, int]) -> None:
        self.relay = relay
        self.left = budgets
        self.client: asyncio.Transport | None = None
        self.server: asyncio.Transport | None = None
        self.early: list[bytes] = []  # client bytes before the server side is up
        self.done = False

    def _to(self, direction: str) -> asyncio.Transport | None:
        return self.server if direction == UP else self.client

    def forward(self, direction: str, data: bytes) -> None:
        if self.done:
            return
        if direction == UP and self.server is None:
            self.early.append(data)
            return
        if self.relay.cutting:
            left = self.left[direction]
            if len(data) >= left:
                target = self._to(direction)
                if left and target is not None:
                    target.write(data[:left])
                self.cut(direction)
                return
            self.left[direction] = left - len(data)
        target = self._to(direction)
        if target is not None:
            target.write(data)

    def server_up(self, transport: asyncio.Transport) -> None:
        self.server = transport
        if self.done:
            self._abort(transport)
            return
        early, self.early = self.early, []
        for data in early:
            self.forward(UP, data)

    def cut(self, why: str) -> None:
        """Abort both sides now (or the client's now and the server's later, for a
        stall); counted as a cut."""
        if self.done:
            return
        self.relay._counted(why)
        policy, rng = self.relay.policy, self.relay.rng
        server = self.server
        if server is None or policy.stall <= 0 or rng.random() >= policy.stall:
            self.close(abort=True)
            return
        self.relay.stalls += 1
        self.server = None
        self.close(abort=True)
        server.pause_reading()
        self.relay._stalled.add(server)
        delay = rng.uniform(0, policy.stall_seconds)
        asyncio.get_running_loop().call_later(delay, self.relay._unstall, server)

    def close(self, *, abort: bool) -> None:
        if self.done:
            return
        self.done = True
        self.relay._links.discard(self)
        for transport in (self.client, self.server):
            if transport is None:
                continue
            if abort:
                self._abort(transport)
            else:
                transport.close()

    @staticmethod
    def _abort(transport: asyncio.Transport) -> None:
        _reset_on_close(transport)
        transport.abort()

    def pause(self, direction: str) -> None:
        """The side `direction` writes to is full: stop reading from the other side."""
        source = self.client if direction == UP else self.server
        if source is not None and not source.is_closing():
            source.pause_reading()

    def resume(self, direction: str) -> None:
        source = self.client if direction == UP else self.server
        if source is not None and not source.is_closing():
            source.resume_reading()


class _ClientSide(asyncio.Protocol):
    def __init__(self, relay: FaultRelay) -> None:
        self.relay = relay
        self.link: _Link | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link = self.relay._open(transport)

    def data_received(self, data: bytes) -> None:
        if self.link is not None:
            self.link.forward(UP, data)

    def eof_received(self) -> bool | None:
        if self.link is not None:
            self.link.close(abort=False)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link is not None:
            self.link.close(abort=exc is not None)

    def pause_writing(self) -> None:
        if self.link is not None:
            self.link.pause(DOWN)

    def resume_writing(self) -> None:
        if self.link is not None:
            self.link.resume(DOWN)


class _ServerSide(asyncio.Protocol):
    def __init__(self, link: _Link) -> None:
        self.link = link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link.server_up(transport)

    def data_received(self, data: bytes) -> None:
        self.link.forward(DOWN, data)

    def eof_received(self) -> bool | None:
        self.link.close(abort=False)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.close(abort=exc is not None)

    def pause_writing(self) -> None:
        self.link.pause(UP)

    def resume_writing(self) -> None:
        self.link.resume(UP)


class FaultRelay:
    """A TCP relay on 127.0.0.1 (an ephemeral port) to `target` that cuts connections.

    `cuts` counts the connections it cut, `cut_by` the same by where the cut came from
    (`up`: a client-to-server budget ran out, `down`: a server-to-client one, `demand`:
    `cut_all()`); `connections` counts those it accepted. Set `cutting` to False to let
    connections live (budgets are not spent meanwhile); `cut_all()` works either way."""

    def __init__(
        self,
        target: tuple[str, int],
        *,
        seed: int,
        policy: CutPolicy | None = None,
        cutting: bool = True,
    ) -> None:
        self.target = target
        self.seed = seed
        self.policy = policy or CutPolicy()
        self.cutting = cutting
        self.rng = random.Random(seed)
        self.cut_by: Counter[str] = Counter()
        self.stalls = 0  # cuts that left the server's side hanging for a while
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._stalled: set[asyncio.Transport] = set()
        self._connecting: set[asyncio.Task[None]] = set()

    @property
    def cuts(self) -> int:
        return sum(self.cut_by.values())

    @property
    def open_links(self) -> int:
        return len(self._links)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _ClientSide(self), "127.0.0.1", 0, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and abort every connection (not counted as cuts)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._connecting):
            task.cancel()
        for link in list(self._links):
            link.close(abort=True)
        for server in list(self._stalled):
            self._unstall(server)

    async def __aenter__(self) -> FaultRelay:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def cut_all(self) -> int:
        """Cut every open connection now; returns how many."""
        links = list(self._links)
        for link in links:
            link.cut(DEMAND)
        return len(links)

    # --- inside ------------------------------------------------------------------

    def _unstall(self, server: asyncio.Transport) -> None:
        if server in self._stalled:
            self._stalled.discard(server)
            _Link._abort(server)

    def _counted(self, why: str) -> None:
        self.cut_by[why] += 1

    def _open(self, client: asyncio.Transport) -> _Link:
        self.connections += 1
        budgets = {UP: self.policy.budget(self.rng), DOWN: self.policy.budget(self.rng)}
        link = _Link(self, budgets)
        link.client = client
        self._links.add(link)
        task = asyncio.get_running_loop().create_task(self._connect(link))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)
        return link

    async def _connect(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: _ServerSide(link), *self.target)
        except OSError:
            link.close(abort=True)
