"""Click to start's operations on a room (server/invites.py has the routes), run where
the room runs (Hub.room_call): keep the invitation, claim it once, join the agent the
link was made for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cobrowse.core import invites
from cobrowse.core.room import Room
from cobrowse.core.session import InvalidTransition

if TYPE_CHECKING:
    from cobrowse.server.hub import Hub, RoomOp


async def _set_invite(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    def step() -> list[Any]:
        room.session.invite = head["digest"]
        room.session.invited_agent = head["agent_id"]
        return []

    await hub.run_room(room, step)
    return {"ok": True}


async def _claim(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    s = room.session
    claimed = False

    def step() -> list[Any]:  # checked and used up in one step: two claims, one wins
        nonlocal claimed
        if s.live and invites.matches(head["code"], s.invite):
            claimed = True
            s.invite = None
            if head.get("browser"):
                s.browser = head["browser"]
        return []

    await hub.run_room(room, step)
    if not claimed:
        return {"error": "invalid"}
    return {"token": await hub.sessions.issue_visitor_token(s)}


async def _join_invited(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    s = room.session
    refused: str | None = None

    def step() -> list[Any]:  # checked and joined in one step
        nonlocal refused
        now = hub.clock()
        if s.invited_agent is None or s.invited_agent != head["id"]:
            refused = "this session was not made for you"
            return []
        if not s.pin_usable(now):
            refused = f"the session is {s.state} already"
            return []
        s.join(
            agent_name=head["name"],
            agent_key=head["key"],
            agent_id=head["id"],
            agent_team=head["team"],
            now=now,
        )
        s.invited_agent = None
        return room.joined()

    try:
        await hub.run_room(room, step)
    except InvalidTransition as exc:
        return {"error": str(exc)}
    if refused is not None:
        return {"error": refused}
    await hub.sessions.retire_pin(s)
    return {"token": await hub.sessions.issue_agent_token(s)}


OPS: dict[str, RoomOp] = {
    "set_invite": _set_invite,
    "claim_invite": _claim,
    "join_invited": _join_invited,
}
