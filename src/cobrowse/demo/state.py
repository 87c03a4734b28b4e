"""Everything one portal app remembers, kept on `app.state.portal` (memory only)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cobrowse.demo.accounts import SessionStore
from cobrowse.demo.itr import ItrReturn
from cobrowse.demo.tax import TaxComputation
from cobrowse.demo.uploads import MAX_DOCUMENTS, MAX_UPLOAD_BYTES, Document

MAX_SUBMISSIONS_PER_PAN = 20


@dataclass(frozen=True, slots=True)
class Submission:
    ack_number: str
    itr: ItrReturn
    tax: TaxComputation
    documents: tuple[str, ...]
    filed_at: float


@dataclass(frozen=True, slots=True)
class Draft:
    values: dict[str, str]
    saved_at: float


@dataclass
class PortalState:
    cobrowse_url: str
    clock: Callable[[], float] = time.time
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    sessions: SessionStore = field(init=False)
    drafts: dict[str, Draft] = field(default_factory=dict)
    documents: dict[str, list[Document]] = field(default_factory=dict)
    submissions: dict[str, list[Submission]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sessions = SessionStore(clock=self.clock)

    def add_document(self, pan: str, document: Document) -> str | None:
        """Keep a document's details; a message instead when the list is full."""
        docs = self.documents.setdefault(pan, [])
        if len(docs) >= MAX_DOCUMENTS:
            return f"You can attach at most {MAX_DOCUMENTS} documents."
        docs.append(document)
        return None

    def file_return(self, itr: ItrReturn, tax: TaxComputation, pan: str) -> Submission:
        submission = Submission(
            ack_number=new_ack_number(),
            itr=itr,
            tax=tax,
            documents=tuple(d.name for d in self.documents.get(pan, [])),
            filed_at=self.clock(),
        )
        filed = self.submissions.setdefault(pan, [])
        filed.append(submission)
        del filed[:-MAX_SUBMISSIONS_PER_PAN]
        self.drafts.pop(pan, None)
        self.documents.pop(pan, None)
        return submission

    def find_submission(self, pan: str, ack_number: str) -> Submission | None:
        return next((s for s in self.submissions.get(pan, []) if s.ack_number == ack_number), None)


def new_ack_number() -> str:
    """15 digits, like the acknowledgement numbers of ITR-V."""
    return str(10**14 + secrets.randbelow(9 * 10**14))
