"""What the hub tells the audit log, in the hub's terms: sessions, roles, messages.

Each method builds one entry with the pure rules of core/audit.py and hands it to
`record` (AuditLog.record: queued, never blocks the relay).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.session import Session


def _discard(entry: a.AuditEntry) -> None:
    return None


@dataclass(slots=True)
class Trail:
    clock: Callable[[], float]
    record: Callable[[a.AuditEntry], None] = _discard

    def actor(self, session: Session, role: str) -> str:
        return a.VISITOR if role == "visitor" else a.agent_actor(session.agent_name)

    def consent(self, session: Session, *, allow: bool) -> None:
        self.record(a.consent_entry(at=self.clock(), session_id=session.id, allow=allow))

    def control(self, session: Session, *, actor: str, action: str, reason: str | None) -> None:
        self.record(
            a.control_entry(
                at=self.clock(), session_id=session.id, actor=actor, action=action, reason=reason
            )
        )

    def guide(self, session: Session, guide: m.Guide) -> None:
        self.record(
            a.guide_entry(
                at=self.clock(),
                session_id=session.id,
                agent=session.agent_name,
                kind=guide.kind,
                node=guide.target.id if guide.target else None,
            )
        )

    @staticmethod
    def pending(act: m.Act) -> a.PendingAct:
        """What is kept of an act until the visitor answers: never an input's value."""
        node = act.target.id if act.target else None
        return a.pending_act(kind=act.kind, node=node, value=act.value, dx=act.dx, dy=act.dy)

    def act(
        self,
        session: Session,
        act: a.PendingAct,
        *,
        ok: bool,
        reason: str | None,
        description: str | None = None,
    ) -> None:
        self.record(
            a.act_entry(
                at=self.clock(),
                session_id=session.id,
                agent=session.agent_name,
                act=act,
                ok=ok,
                reason=reason,
                description=description,
            )
        )

    def chat(self, session: Session, *, actor: str, text: str, at: float) -> None:
        self.record(a.chat_entry(at=at, session_id=session.id, actor=actor, text=text))

    def file(
        self,
        kind: a.Kind,
        session: Session,
        *,
        actor: str,
        id: str,
        name: str,
        type: str,
        size: int,
    ) -> None:
        self.record(
            a.file_entry(
                at=self.clock(),
                kind=kind,
                session_id=session.id,
                actor=actor,
                file_id=id,
                name=name,
                size=size,
                type=type,
            )
        )

    def ended(self, session: Session, reason: str) -> None:
        self.record(
            a.ended_entry(
                at=self.clock(), session_id=session.id, reason=reason, agent=session.agent_name
            )
        )
