"""Who may do what in the console: the three roles and the rules between them.

- agent: helps visitors; sees and acts on their own sessions only;
- supervisor: also sees their team's sessions (all of them without a team), watches
  a live one, sends its agent private notes, takes it over, replays recordings;
- admin: everything a supervisor may, for every team, plus the server's own
  records (webhook deliveries, recordings of every team).

A role comes from the sign-in: a CRM link's `role` claim, a local account's role,
or the OIDC groups mapped in configuration (auth.oidc_role_groups). Pure rules:
the server asks these functions, it never compares role names itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}
MAX_TEAM_LENGTH = 64


class RoleError(ValueError):
    """Not a role (or not a team name)."""


def parse_role(value: object) -> Role:
    """A role from configuration or a claim; RoleError names the choices."""
    if isinstance(value, str):
        try:
            return Role(value.strip().lower())
        except ValueError:
            pass
    choices = ", ".join(r.value for r in Role)
    raise RoleError(f"{str(value)[:40]!r} is not a role (one of {choices})")


def parse_team(value: object) -> str | None:
    """A team name, or None for none; RoleError when it is not a short plain string."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RoleError("a team is a string")
    team = value.strip()
    if len(team) > MAX_TEAM_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in team):
        raise RoleError(f"a team name is 1-{MAX_TEAM_LENGTH} plain characters")
    return team or None


def at_least(role: Role, wanted: Role) -> bool:
    return RANK[role] >= RANK[wanted]


def role_from_groups(groups: Iterable[str], mapping: Mapping[str, Role]) -> Role:
    """The highest role any of an SSO user's groups maps to; agent when none does."""
    best = Role.AGENT
    for group in groups:
        role = mapping.get(group)
        if role is not None and RANK[role] > RANK[best]:
            best = role
    return best


def sees(
    *, role: Role, team: str | None, me: str, agent_id: str | None, agent_team: str | None
) -> bool:
    """Whether a console user (`me`, with `role` and `team`) sees a session whose agent
    is `agent_id` (None: no agent yet, a waiting session) of `agent_team`."""
    if agent_id is not None and agent_id == me:
        return True
    if role is Role.ADMIN:
        return True
    if role is Role.SUPERVISOR:
        return team is None or agent_id is None or agent_team == team
    return False


def may_supervise(
    *, role: Role, team: str | None, me: str, agent_id: str | None, agent_team: str | None
) -> bool:
    """Whether they may watch, note and take over that session (never their own)."""
    if not at_least(role, Role.SUPERVISOR) or agent_id is None or agent_id == me:
        return False
    return sees(role=role, team=team, me=me, agent_id=agent_id, agent_team=agent_team)


def may_replay(
    *, role: Role, team: str | None, me: str, agent_id: str | None, agent_team: str | None
) -> bool:
    """Whether they may replay or export a recording of that session's agent."""
    if not at_least(role, Role.SUPERVISOR):
        return False
    return sees(role=role, team=team, me=me, agent_id=agent_id, agent_team=agent_team)
