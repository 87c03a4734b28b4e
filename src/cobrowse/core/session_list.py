"""The console's Sessions list: which sessions a console user sees, in which order, and
what each row says and offers. Pure: sessions and the viewer in, rows out.

A row never holds what a session's page showed: the site (an origin), the page's path,
the visitor's browser and viewport, who helps and who watches, and times. Waiting
sessions (a PIN was made, no agent yet) are listed for supervisors, never their PIN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cobrowse.core.roles import Role, may_supervise, sees
from cobrowse.core.session import Session, State


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewer:
    id: str  # store/guards.py Agent.id
    role: Role
    team: str | None


def row(session: Session, viewer: Viewer, *, now: float) -> dict[str, Any]:
    s = session
    mine = s.agent_id == viewer.id
    to_me = s.transfer is not None and s.transfer.to_id == viewer.id
    supervise = s.state is State.ACTIVE and may_supervise(
        role=viewer.role,
        team=viewer.team,
        me=viewer.id,
        agent_id=s.agent_id,
        agent_team=s.agent_team,
    )
    watching = any(w.agent_id == viewer.id for w in s.watchers)
    started = s.joined_at if s.joined_at is not None else s.created_at
    return {
        "session_id": s.id,
        "state": "waiting" if s.state is State.CREATED else s.state.value,
        "agent": s.agent_name,
        "team": s.agent_team,
        "mine": mine,
        "site": s.info.site,
        "page": s.info.page,
        "browser": s.browser,
        "viewport": s.info.viewport,
        "started_at": int(started),
        "duration_seconds": max(0, int(now - started)),
        "control": s.control.value,
        "watchers": [w.name for w in s.watchers if w.allowed],
        "transfer": None
        if s.transfer is None
        else {"to": s.transfer.to_name, "from": s.transfer.from_name, "to_me": to_me},
        "can_watch": supervise and not watching,
        "watching": watching,
        "can_take_over": supervise,
        "can_transfer": mine and s.state is State.ACTIVE and s.transfer is None,
        "can_accept": to_me and s.state is State.ACTIVE,
    }


def visible(session: Session, viewer: Viewer) -> bool:
    if not session.live:
        return False
    if session.transfer is not None and session.transfer.to_id == viewer.id:
        return True
    return sees(
        role=viewer.role,
        team=viewer.team,
        me=viewer.id,
        agent_id=session.agent_id,
        agent_team=session.agent_team,
    )


def rows(sessions: list[Session], viewer: Viewer, *, now: float) -> list[dict[str, Any]]:
    """The viewer's rows: theirs first (and those offered to them), then live ones,
    then waiting ones; the longest-running first within each."""
    shown = [s for s in sessions if visible(s, viewer)]
    listed = [row(s, viewer, now=now) for s in shown]

    def order(r: dict[str, Any]) -> tuple[int, int, int, str]:
        own = 0 if r["mine"] or (r["transfer"] and r["transfer"]["to_me"]) else 1
        waiting = 1 if r["state"] == "waiting" else 0
        return (own, waiting, r["started_at"], r["session_id"])

    return sorted(listed, key=order)
