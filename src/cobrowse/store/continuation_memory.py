"""The continuation point's tickets in this process (store/continuation_store.py): one
node, the default. It is core/continuation.py's ContinuationBook behind the async
Protocol; every step runs without an await in between, so each is atomic here."""

from __future__ import annotations

from dataclasses import dataclass, field

from cobrowse.core.continuation import ContinuationBook, Handoff, WriteBack


@dataclass(slots=True)
class MemoryContinuationStore:
    book: ContinuationBook = field(default_factory=ContinuationBook)

    async def handoff(self, session_id: str, origin: str, *, now: float) -> str:
        return self.book.handoff(session_id, origin, now=now)

    async def redeem(self, ticket: str, *, now: float) -> Handoff | None:
        return self.book.redeem(ticket, now=now)

    async def claim_import(self, handoff: Handoff) -> bool:
        if self.book.imported(handoff):
            return False
        self.book.mark_imported(handoff)
        return True

    async def return_ticket(self, handoff: Handoff) -> tuple[str, str]:
        return self.book.return_ticket(handoff)

    async def take_return(self, ticket: str, binding: str) -> Handoff | None:
        return self.book.take_return(ticket, binding)

    async def take_ended(self, ticket: str, binding: str, *, now: float) -> WriteBack | None:
        return self.book.take_ended(ticket, binding, now=now)

    async def returns_of(self, session_id: str) -> list[tuple[str, Handoff]]:
        return self.book.returns_of(session_id)

    async def ended(self, session_id: str, results: dict[str, WriteBack], *, now: float) -> None:
        self.book.ended(session_id, results, now=now)

    async def close(self) -> None:
        return None
