"""The continuation point's tickets behind one async Protocol: memory (one process) or
Redis (several nodes: a hand-off issued on one node redeems on another, a return ticket
issued on one is taken on another, the write-back computed at the end on one is served
by any).

The rules and lifetimes are core/continuation.py's (`ContinuationBook`, HANDOFF_TTL,
RETURN_TTL_AFTER_END): a hand-off ticket is one use and 60 s; the cookies come in once
per session and origin; a return ticket is the newest of its session and origin, works
only with its binding, once; when the session ends, the write-back of each live return
ticket is kept RETURN_TTL_AFTER_END for it, still behind the binding.
"""

from __future__ import annotations

from typing import Protocol

import orjson

from cobrowse.core.continuation import Handoff, WriteBack


class ContinuationStore(Protocol):
    """Times (`now`) are the caller's clock in seconds, used where the memory store
    checks lifetimes; Redis enforces them as TTLs."""

    async def handoff(self, session_id: str, origin: str, *, now: float) -> str:
        """A new hand-off ticket for the session and site origin (HANDOFF_TTL)."""
        ...

    async def redeem(self, ticket: str, *, now: float) -> Handoff | None:
        """The hand-off of a live ticket, which is then used up (once, on every node)."""
        ...

    async def claim_import(self, handoff: Handoff) -> bool:
        """True for the first call of a session and origin, on any node: that caller
        copies the site's cookies in; a later hand-off (a reload of the top page) must
        not undo what happened in the overlay."""
        ...

    async def return_ticket(self, handoff: Handoff) -> tuple[str, str]:
        """A new return ticket and its binding; earlier ones of that session and
        origin stop working."""
        ...

    async def take_return(self, ticket: str, binding: str) -> Handoff | None:
        """The hand-off a live return ticket belongs to (the session is still on); used
        up only when the binding matches."""
        ...

    async def take_ended(self, ticket: str, binding: str, *, now: float) -> WriteBack | None:
        """The write-back kept for a return ticket of an ended session (binding needed;
        once)."""
        ...

    async def returns_of(self, session_id: str) -> list[tuple[str, Handoff]]:
        """The session's live return tickets, each as (a key `ended` takes, its
        hand-off); the key is the ticket or what the store knows of it."""
        ...

    async def ended(self, session_id: str, results: dict[str, WriteBack], *, now: float) -> None:
        """The session is over: keep the write-backs (by `returns_of` key) of its return
        tickets still live, RETURN_TTL_AFTER_END; everything else of it goes."""
        ...

    async def close(self) -> None: ...


def encode_write_back(result: WriteBack) -> bytes:
    return orjson.dumps(
        {"headers": list(result.headers), "carried": result.carried, "elsewhere": result.elsewhere}
    )


def decode_write_back(raw: bytes | str) -> WriteBack:
    data = orjson.loads(raw)
    return WriteBack(tuple(data["headers"]), int(data["carried"]), tuple(data["elsewhere"]))
