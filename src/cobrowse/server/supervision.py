"""The supervision operations on a room, run wherever the room runs (Hub.room_call):
watch, stop watching, hand over (take over, an accepted transfer), offer and decline a
transfer. Each answers a JSON-able dict: a token where one is made, or an `error`
(the room's refusal, for the route to turn into a 409)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cobrowse.core.participants import Transfer, Watcher
from cobrowse.core.room import Effect, Room
from cobrowse.core.session import InvalidTransition

if TYPE_CHECKING:
    from cobrowse.server.hub import Hub, RoomOp


async def _watch(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    watcher = Watcher(id=head["id"], name=head["name"], key=head["key"], agent_id=head["agent_id"])
    try:
        await hub.run_room(room, lambda: room.watch(watcher, ask=head["ask"], now=hub.clock()))
    except InvalidTransition as exc:
        return {"error": str(exc)}
    return {"token": await hub.sessions.issue_watcher_token(room.session, watcher.id)}


async def _unwatch(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    await hub.run_room(room, lambda: room.unwatch(head["id"], now=hub.clock()))
    return {"ok": True}


async def _hand_over(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    def step() -> list[Effect]:  # checked and handed over in one step (under the room's lock)
        transfer = room.session.transfer
        if head["how"] == "transferred" and (
            transfer is None or transfer.to_id != head["agent_id"]
        ):
            raise InvalidTransition("no transfer to you is waiting (it lapsed, or was declined)")
        return room.hand_over(
            name=head["name"],
            key=head["key"],
            agent_id=head["agent_id"],
            team=head["team"],
            how=head["how"],
            now=hub.clock(),
        )

    try:
        await hub.run_room(room, step)
    except InvalidTransition as exc:
        return {"error": str(exc)}
    return {"token": await hub.sessions.issue_agent_token(room.session)}


async def _offer_transfer(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    transfer = Transfer(
        to_id=head["to_id"],
        to_name=head["to_name"],
        from_name=head["from_name"],
        until=hub.clock() + head["seconds"],
    )

    def step() -> list[Effect]:
        if room.session.agent_key != head["from_key"]:
            raise InvalidTransition("only the session's agent transfers it")
        return room.offer_transfer(transfer, now=hub.clock())

    try:
        await hub.run_room(room, step)
    except InvalidTransition as exc:
        return {"error": str(exc)}
    return {"until": transfer.until}


async def _decline_transfer(hub: Hub, room: Room, head: dict[str, Any]) -> dict[str, Any]:
    def step() -> list[Effect]:
        transfer = room.session.transfer
        if transfer is None or transfer.to_id != head["agent_id"]:
            raise InvalidTransition("no transfer to you is waiting")
        return room.decline_transfer(now=hub.clock())

    try:
        await hub.run_room(room, step)
    except InvalidTransition as exc:
        return {"error": str(exc)}
    return {"ok": True}


OPS: dict[str, RoomOp] = {
    "watch": _watch,
    "unwatch": _unwatch,
    "hand_over": _hand_over,
    "offer_transfer": _offer_transfer,
    "decline_transfer": _decline_transfer,
}
