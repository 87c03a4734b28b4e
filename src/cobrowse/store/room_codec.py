"""A room's state without its page data, as JSON and back: what a node that takes a
session over needs to carry on where the last owner stopped.

Pure (no I/O). Kept: chat (with the ids that make a resent message a no-op), control
hold, acts awaiting results and the acts seen (so an act resent after the takeover
runs once), the file offers (their bytes are stored apart, by id) and each log's last
frame number. Not kept: the connections (each participant attaches again to the new
owner) and the page history (the new owner asks the visitor for a fresh snapshot).
The session itself is the store's (store/codec.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import orjson

from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.masking import Pattern
from cobrowse.core.room import OfferedFile, Room
from cobrowse.core.session import Session
from cobrowse.store.codec import CodecError

FORMAT = 1
TAKEOVER_GAP = 1 << 32  # more frames than a session can be sent in its lifetime


@dataclasses.dataclass(frozen=True, slots=True)
class FileInfo:
    """An offered file without its bytes."""

    id: str
    name: str
    type: str


@dataclasses.dataclass(frozen=True, slots=True)
class RoomState:
    raw: bytes
    files: list[FileInfo]


def encode_room(room: Room) -> bytes:
    data = {
        "v": FORMAT,
        "chat": room.chat,
        "chat_seq": room.chat_seq,
        "notes": room.notes,
        "files": [{"id": f.id, "name": f.name, "type": f.type} for f in room.files.values()],
        "unanswered": room.unanswered,
        "acts": {ref: dataclasses.asdict(act) for ref, act in room.acts.items()},
        "seen": {ref: None if r is None else [r.ok, r.reason] for ref, r in room.seen_acts.items()},
        "hold": room.control_hold_until,
        "recording": room.recording,
        "present": sorted(room.conns),
        "agent_n": room.agent_log.seq,
        "visitor_n": room.visitor_log.seq,
    }
    return orjson.dumps(data)


def file_infos(raw: bytes) -> list[FileInfo]:
    """The offered files a stored room refers to (to fetch their bytes)."""
    data = _load(raw)
    try:
        return [FileInfo(str(f["id"]), str(f["name"]), str(f["type"])) for f in data["files"]]
    except (KeyError, TypeError) as exc:
        raise CodecError(f"bad files: {exc}") from None


def present_roles(raw: bytes) -> list[m.Role]:
    """Who was connected when the room was stored (the new owner starts their grace)."""
    present = _load(raw).get("present", [])
    return [r for r in ("visitor", "agent") if isinstance(present, list) and r in present]


def decode_room(
    raw: bytes,
    *,
    session: Session,
    buffer_bytes: int,
    files: Mapping[str, bytes],
    audit_patterns: tuple[Pattern, ...] = a.BUILTIN_AUDIT_PATTERNS,
) -> Room:
    """The room as stored, for `session`, with nobody connected; an offered file whose
    bytes are missing is left out (with its pending offer)."""
    data = _load(raw)
    room = Room.open(session, buffer_bytes=buffer_bytes, audit_patterns=audit_patterns)
    try:
        room.chat = [dict(entry) for entry in data["chat"]]
        room.chat_ids = {(str(e["from"]), str(e["id"])) for e in room.chat}
        room.chat_seq = int(data["chat_seq"])
        room.notes = [dict(entry) for entry in data.get("notes", [])]
        room.note_ids = {(str(e["from"]), str(e["id"])) for e in room.notes}
        for info in file_infos(raw):
            body = files.get(info.id)
            if body is not None:
                room.files[info.id] = OfferedFile(info.id, info.name, info.type, body)
        room.unanswered = [str(f) for f in data["unanswered"] if f in room.files]
        room.acts = {str(ref): a.PendingAct(**act) for ref, act in data["acts"].items()}
        room.seen_acts = {
            str(ref): None if r is None else m.ActResult(ref=str(ref), ok=bool(r[0]), reason=r[1])
            for ref, r in data["seen"].items()
        }
        hold = data["hold"]
        room.control_hold_until = None if hold is None else float(hold)
        room.snapshot_owed = True  # the page history stayed with the old owner
        room.recording = bool(data.get("recording", False))
        # Numbering jumps past anything the old owner could have given out after it
        # stored this: every participant starts afresh (chat, control, offers, and for
        # the agent a fresh snapshot), and no number means two frames.
        for log, key in ((room.agent_log, "agent_n"), (room.visitor_log, "visitor_n")):
            log.seq = log.floor = int(data[key]) + TAKEOVER_GAP
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodecError(f"bad room: {exc!r}") from None
    return room


def _load(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != FORMAT:
        raise CodecError("not a stored room")
    return data
