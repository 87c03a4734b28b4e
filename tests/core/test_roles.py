"""The console's roles and who sees or supervises which session (core/roles.py)."""

from __future__ import annotations

import pytest

from cobrowse.core.roles import (
    Role,
    RoleError,
    may_replay,
    may_supervise,
    parse_role,
    parse_team,
    role_from_groups,
    sees,
)


@pytest.mark.parametrize(
    ("text", "role"),
    [("agent", Role.AGENT), (" Supervisor ", Role.SUPERVISOR), ("ADMIN", Role.ADMIN)],
)
def test_parse_role(text: str, role: Role) -> None:
    assert parse_role(text) is role


@pytest.mark.parametrize("bad", ["", "root", "superviser", None, 1, ["admin"]])
def test_parse_role_refuses(bad: object) -> None:
    with pytest.raises(RoleError, match="one of agent, supervisor, admin"):
        parse_role(bad)


def test_parse_team() -> None:
    assert parse_team(None) is None
    assert parse_team("") is None
    assert parse_team("  ") is None
    assert parse_team(" Refunds ") == "Refunds"
    for bad in ("x" * 65, "a\nb", 3):
        with pytest.raises(RoleError):
            parse_team(bad)


def test_role_from_groups_takes_the_highest() -> None:
    mapping = {"helpdesk-leads": Role.SUPERVISOR, "it-admins": Role.ADMIN}
    assert role_from_groups([], mapping) is Role.AGENT
    assert role_from_groups(["staff"], mapping) is Role.AGENT
    assert role_from_groups(["staff", "helpdesk-leads"], mapping) is Role.SUPERVISOR
    assert role_from_groups(["it-admins", "helpdesk-leads"], mapping) is Role.ADMIN


# (viewer role, viewer team, session's agent, session's agent team) -> sees, supervises
CASES = [
    (Role.AGENT, "a", "me", "a", True, False),  # my own session
    (Role.AGENT, "a", "bob", "a", False, False),  # a teammate's: agents see only theirs
    (Role.AGENT, None, None, None, False, False),  # waiting, no agent: not an agent's
    (Role.SUPERVISOR, "a", "bob", "a", True, True),  # my team's
    (Role.SUPERVISOR, "a", "carol", "b", False, False),  # another team's
    (Role.SUPERVISOR, None, "carol", "b", True, True),  # no team: all of them
    (Role.SUPERVISOR, "a", "me", "a", True, False),  # never supervise oneself
    (Role.SUPERVISOR, "a", None, None, True, False),  # waiting: nobody to supervise yet
    (Role.ADMIN, "a", "carol", "b", True, True),  # an admin: every team
]


@pytest.mark.parametrize(("role", "team", "agent", "agent_team", "seen", "supervised"), CASES)
def test_who_sees_and_supervises(
    role: Role,
    team: str | None,
    agent: str | None,
    agent_team: str | None,
    seen: bool,
    supervised: bool,
) -> None:
    kw = {"role": role, "team": team, "me": "me", "agent_id": agent, "agent_team": agent_team}
    assert sees(**kw) is seen  # type: ignore[arg-type]
    assert may_supervise(**kw) is supervised  # type: ignore[arg-type]


def test_replay_needs_a_supervisor_who_sees_the_session() -> None:
    kw = {"me": "me", "agent_id": "bob", "agent_team": "a"}
    assert not may_replay(role=Role.AGENT, team="a", **kw)  # type: ignore[arg-type]
    assert may_replay(role=Role.SUPERVISOR, team="a", **kw)  # type: ignore[arg-type]
    assert not may_replay(role=Role.SUPERVISOR, team="b", **kw)  # type: ignore[arg-type]
    assert may_replay(role=Role.ADMIN, team="b", **kw)  # type: ignore[arg-type]
    # an agent never replays, not even their own sessions
    assert not may_replay(role=Role.AGENT, team="a", me="bob", agent_id="bob", agent_team="a")
