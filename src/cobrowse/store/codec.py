"""Sessions, grants and tombstones as plain JSON-ready dicts, and back.

Pure (no I/O): what a shared store keeps. Readers ignore keys they do not know and
take defaults for keys that are missing, so nodes of two adjacent versions can share
a store during a rolling upgrade. Malformed data raises CodecError.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson

from cobrowse.core.control import Control
from cobrowse.core.messages import Role
from cobrowse.core.participants import PageInfo, Transfer, Watcher
from cobrowse.core.session import EndReason, Session, State, Timeouts
from cobrowse.store.base import Grant, Tombstone

FORMAT = 1  # the "v" of a stored session
_ROLES: tuple[Role, ...] = ("visitor", "agent", "watcher")
_E = TypeVar("_E", State, EndReason, Control)


class CodecError(ValueError):
    """Stored data that is not a session, grant or tombstone of ours."""


def timeouts_to_dict(timeouts: Timeouts) -> dict[str, float]:
    return {f.name: getattr(timeouts, f.name) for f in dataclasses.fields(Timeouts)}


def timeouts_from_dict(data: Any) -> Timeouts:
    if not isinstance(data, Mapping):
        raise CodecError("timeouts must be an object")
    values = {
        f.name: _number(data, f.name)
        for f in dataclasses.fields(Timeouts)
        if data.get(f.name) is not None
    }
    return Timeouts(**values)


def session_to_dict(session: Session) -> dict[str, Any]:
    return {
        "v": FORMAT,
        "id": session.id,
        "pin": session.pin,
        "created_at": session.created_at,
        "timeouts": timeouts_to_dict(session.timeouts),
        "state": session.state.value,
        "agent_name": session.agent_name,
        "agent_key": session.agent_key,
        "joined_at": session.joined_at,
        "ended_at": session.ended_at,
        "end_reason": None if session.end_reason is None else session.end_reason.value,
        "visitor_left_at": session.visitor_left_at,
        "agent_left_at": session.agent_left_at,
        "control": session.control.value,
        "agent_id": session.agent_id,
        "agent_team": session.agent_team,
        "info": [session.info.site, session.info.page, session.info.viewport],
        "browser": session.browser,
        "watchers": [[w.id, w.name, w.key, w.agent_id, w.allowed] for w in session.watchers],
        "transfer": _transfer_list(session.transfer),
    }


def _transfer_list(t: Transfer | None) -> list[Any] | None:
    return None if t is None else [t.to_id, t.to_name, t.from_name, t.until]


def session_from_dict(data: Any) -> Session:
    if not isinstance(data, Mapping):
        raise CodecError("a session must be an object")
    version = data.get("v", FORMAT)
    if version != FORMAT:
        raise CodecError(f"unknown session format {version!r}")
    reason = data.get("end_reason")
    return Session(
        id=_text(data, "id"),
        pin=_text(data, "pin"),
        created_at=_number(data, "created_at"),
        timeouts=timeouts_from_dict(data.get("timeouts", {})),
        state=_enum(State, data.get("state", State.CREATED.value), "state"),
        agent_name=_optional_text(data, "agent_name"),
        agent_key=_optional_text(data, "agent_key"),
        joined_at=_optional_number(data, "joined_at"),
        ended_at=_optional_number(data, "ended_at"),
        end_reason=None if reason is None else _enum(EndReason, reason, "end_reason"),
        visitor_left_at=_optional_number(data, "visitor_left_at"),
        agent_left_at=_optional_number(data, "agent_left_at"),
        control=_enum(Control, data.get("control", Control.VIEW.value), "control"),
        agent_id=_optional_text(data, "agent_id"),
        agent_team=_optional_text(data, "agent_team"),
        info=_info(data.get("info")),
        browser=_optional_text(data, "browser"),
        watchers=_watchers(data.get("watchers")),
        transfer=_transfer(data.get("transfer")),
    )


def _info(value: Any) -> PageInfo:
    if value is None:
        return PageInfo()
    if not isinstance(value, list) or len(value) != 3:
        raise CodecError("info must be [site, page, viewport]")
    if not all(v is None or isinstance(v, str) for v in value):
        raise CodecError("info holds strings or nulls")
    return PageInfo(site=value[0], page=value[1], viewport=value[2])


def _watchers(value: Any) -> tuple[Watcher, ...]:
    if value is None:
        return ()
    try:
        return tuple(
            Watcher(id=str(i), name=str(n), key=str(k), agent_id=str(a), allowed=bool(ok))
            for i, n, k, a, ok in value
        )
    except (TypeError, ValueError) as exc:
        raise CodecError(f"bad watchers: {exc}") from None


def _transfer(value: Any) -> Transfer | None:
    if value is None:
        return None
    try:
        to_id, to_name, from_name, until = value
        return Transfer(str(to_id), str(to_name), str(from_name), float(until))
    except (TypeError, ValueError) as exc:
        raise CodecError(f"bad transfer: {exc}") from None


def encode_session(session: Session) -> bytes:
    return orjson.dumps(session_to_dict(session))


def decode_session(raw: bytes | str) -> Session:
    return session_from_dict(_loads(raw))


def encode_grant(grant: Grant) -> bytes:
    return orjson.dumps({"s": grant.session_id, "r": grant.role, "h": grant.holder})


def decode_grant(raw: bytes | str) -> Grant:
    data = _loads(raw)
    if not isinstance(data, Mapping):
        raise CodecError("a grant must be an object")
    role = data.get("r")
    for known in _ROLES:
        if role == known:
            return Grant(_text(data, "s"), known, _optional_text(data, "h"))
    raise CodecError(f"unknown role {role!r}")


def encode_tombstone(tomb: Tombstone) -> bytes:
    return orjson.dumps({"s": tomb.session_id, "r": tomb.reason.value, "at": tomb.ended_at})


def decode_tombstone(raw: bytes | str) -> Tombstone:
    data = _loads(raw)
    if not isinstance(data, Mapping):
        raise CodecError("a tombstone must be an object")
    return Tombstone(
        _text(data, "s"), _enum(EndReason, data.get("r"), "reason"), _number(data, "at")
    )


def _loads(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"not JSON: {exc}") from None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise CodecError(f"{key} must be a string")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CodecError(f"{key} must be a number")
    result = float(value)
    if not math.isfinite(result):
        raise CodecError(f"{key} must be finite")
    return result


def _optional_number(data: Mapping[str, Any], key: str) -> float | None:
    return None if data.get(key) is None else _number(data, key)


def _enum(kind: type[_E], value: Any, key: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise CodecError(f"{key}: unknown value {value!r}") from None
