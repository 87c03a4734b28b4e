"""Who sees which session in the console's list, in which order, offering what."""

from __future__ import annotations

from cobrowse.core.control import Control
from cobrowse.core.participants import PageInfo, Transfer, Watcher
from cobrowse.core.roles import Role
from cobrowse.core.session import EndReason, Session, State, Timeouts
from cobrowse.core.session_list import Viewer, rows

T0 = 1_800_000_000.0


def session(sid: str, agent: str | None, team: str | None, *, at: float, state: State) -> Session:
    s = Session(id=sid, pin="123456", created_at=at, timeouts=Timeouts(), state=state)
    if agent is not None:
        s.agent_name, s.agent_id, s.agent_team, s.joined_at = agent.title(), agent, team, at + 1
    return s


def world() -> list[Session]:
    return [
        session("s_wait", None, None, at=T0, state=State.CREATED),
        session("s_asha", "asha", "refunds", at=T0 + 10, state=State.ACTIVE),
        session("s_ravi", "ravi", "refunds", at=T0 + 5, state=State.ACTIVE),
        session("s_kim", "kim", "itr", at=T0 + 1, state=State.ACTIVE),
    ]


def ids(viewer: Viewer, sessions: list[Session] | None = None) -> list[str]:
    return [r["session_id"] for r in rows(sessions or world(), viewer, now=T0 + 100)]


def test_an_agent_sees_their_own_sessions_only() -> None:
    assert ids(Viewer(id="asha", role=Role.AGENT, team="refunds")) == ["s_asha"]


def test_a_supervisor_sees_their_team_and_waiting_sessions_theirs_first() -> None:
    meera = Viewer(id="meera", role=Role.SUPERVISOR, team="refunds")
    assert ids(meera) == ["s_ravi", "s_asha", "s_wait"]
    sessions = world()
    sessions[2].agent_id = "meera"  # her own session first
    assert ids(meera, sessions)[0] == "s_ravi"


def test_a_supervisor_without_team_and_an_admin_see_all() -> None:
    everything = ["s_kim", "s_ravi", "s_asha", "s_wait"]
    assert ids(Viewer(id="x", role=Role.SUPERVISOR, team=None)) == everything
    assert ids(Viewer(id="x", role=Role.ADMIN, team="other")) == everything


def test_ended_sessions_are_not_listed() -> None:
    sessions = world()
    sessions[1].end(EndReason.VISITOR_STOPPED, now=T0 + 50)
    assert ids(Viewer(id="asha", role=Role.AGENT, team="refunds"), sessions) == []


def test_a_transfer_shows_the_session_to_its_receiver_with_accept() -> None:
    sessions = world()
    sessions[1].transfer = Transfer("ravi", "Ravi", "Asha", until=T0 + 160)
    got = rows(sessions, Viewer(id="ravi", role=Role.AGENT, team="refunds"), now=T0 + 100)
    assert [r["session_id"] for r in got] == ["s_ravi", "s_asha"]
    offered = got[1]
    assert offered["can_accept"] and offered["transfer"] == {
        "to": "Ravi",
        "from": "Asha",
        "to_me": True,
    }
    assert not offered["can_take_over"] and not offered["can_watch"]
    asha = rows(sessions, Viewer(id="asha", role=Role.AGENT, team="refunds"), now=T0 + 100)[0]
    assert not asha["can_transfer"] and not asha["can_accept"]  # one transfer at a time


def test_a_row_says_what_the_list_shows_and_offers() -> None:
    s = world()[1]
    s.info = PageInfo(site="https://portal.test", page="/itr/review", viewport="1280x800")
    s.browser = "Chrome 131 on Windows"
    s.control = Control.CONTROL
    s.watchers = (Watcher("w_1", "Meera", "k", "meera", allowed=True),)
    r = rows([s], Viewer(id="asha", role=Role.AGENT, team="refunds"), now=T0 + 100)[0]
    assert r == {
        "session_id": "s_asha",
        "state": "active",
        "agent": "Asha",
        "team": "refunds",
        "mine": True,
        "site": "https://portal.test",
        "page": "/itr/review",
        "browser": "Chrome 131 on Windows",
        "viewport": "1280x800",
        "started_at": int(T0 + 11),
        "duration_seconds": 89,
        "control": "control",
        "watchers": ["Meera"],
        "transfer": None,
        "can_watch": False,
        "watching": False,
        "can_take_over": False,
        "can_transfer": True,
        "can_accept": False,
    }
    meera = rows([s], Viewer(id="meera", role=Role.SUPERVISOR, team="refunds"), now=T0 + 100)[0]
    assert meera["watching"] and not meera["can_watch"] and meera["can_take_over"]
    kim = rows([s], Viewer(id="kim", role=Role.SUPERVISOR, team="itr"), now=T0 + 100)
    assert kim == []
