"""The v1 wire protocol: one typed union of WebSocket messages (see docs/protocol.md).

Decoding is strict and pure: bytes or str in, a typed message out, or a
`ProtocolError` carrying the close code and reason the socket is closed with.
rrweb events are checked only for their envelope (an object with an integer
`type` and a numeric `timestamp`); their payload is relayed as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson

VERSION = 1

CLOSE_NORMAL = 1000
CLOSE_TOO_BIG = 1009
CLOSE_BAD_MESSAGE = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_REPLACED = 4409
CLOSE_ENDED = 4410

Role = Literal["visitor", "agent"]


class ProtocolError(Exception):
    """A frame the server will not accept; the socket is closed with `code`."""

    def __init__(self, code: int, reason: str, *, error_code: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.error_code = error_code


def bad_message(detail: str) -> ProtocolError:
    return ProtocolError(CLOSE_BAD_MESSAGE, f"bad message: {detail}", error_code="bad_message")


def too_big(limit: int) -> ProtocolError:
    return ProtocolError(
        CLOSE_TOO_BIG, f"message too big (limit {limit} bytes)", error_code="too_big"
    )


def not_allowed(detail: str) -> ProtocolError:
    return ProtocolError(CLOSE_NOT_ALLOWED, f"not allowed: {detail}", error_code="not_allowed")


# --- client -> server -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    token: str


@dataclass(frozen=True, slots=True)
class Consent:
    allow: bool


@dataclass(frozen=True, slots=True)
class Events:
    """A batch of rrweb events; `events` keeps the decoded objects as sent."""

    events: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class End:
    pass


ClientMessage = Hello | Consent | Events | End

MAX_TOKEN_LENGTH = 256


def decode_client(data: str | bytes, *, max_bytes: int) -> ClientMessage:
    """Decode one client frame; raise ProtocolError for anything malformed."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise too_big(max_bytes)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise bad_message("not valid JSON") from None
    if not isinstance(obj, dict):
        raise bad_message("a message must be a JSON object")
    version = obj.get("v")
    if type(version) is not int or version != VERSION:
        raise bad_message(f"unsupported protocol version {version!r}, expected {VERSION}")
    kind = obj.get("t")
    if kind == "hello":
        token = obj.get("token")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise bad_message("hello needs a token string")
        return Hello(token=token)
    if kind == "consent":
        allow = obj.get("allow")
        if not isinstance(allow, bool):
            raise bad_message("consent needs allow: true or false")
        return Consent(allow=allow)
    if kind == "events":
        return Events(events=_check_events(obj.get("events")))
    if kind == "end":
        return End()
    if isinstance(kind, str):
        raise bad_message(f"unknown message type {kind[:40]!r}")
    raise bad_message("missing message type t")


def _check_events(events: object) -> tuple[dict[str, Any], ...]:
    if not isinstance(events, list):
        raise bad_message("events must be a list")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise bad_message(f"event {index} is not an object")
        kind = event.get("type")
        stamp = event.get("timestamp")
        if not isinstance(kind, int) or isinstance(kind, bool):
            raise bad_message(f"event {index} has no integer type")
        if not isinstance(stamp, int | float) or isinstance(stamp, bool):
            raise bad_message(f"event {index} has no numeric timestamp")
    return tuple(events)


# --- server -> client -------------------------------------------------------


def _frame(kind: str, **fields: Any) -> bytes:
    return orjson.dumps({"v": VERSION, "t": kind, **fields})


def encode_welcome(
    *,
    role: Role,
    session_id: str,
    state: str,
    agent_name: str | None,
    pin_display: str | None,
    expires_at: float | None,
) -> bytes:
    return _frame(
        "welcome",
        role=role,
        session_id=session_id,
        state=state,
        agent=_agent(agent_name),
        pin_display=pin_display,
        expires_at=expires_at,
    )


def encode_state(*, state: str, agent_name: str | None) -> bytes:
    return _frame("state", state=state, agent=_agent(agent_name))


def encode_events_raw(events_json: list[bytes]) -> bytes:
    """An `events` frame from already-encoded event objects (no re-encoding)."""
    return b'{"v":1,"t":"events","events":[' + b",".join(events_json) + b"]}"


def encode_snapshot_request() -> bytes:
    return _frame("snapshot_request")


def encode_ended(*, reason: str) -> bytes:
    return _frame("ended", reason=reason)


def encode_error(*, code: str, message: str) -> bytes:
    return _frame("error", code=code, message=message)


def _agent(name: str | None) -> dict[str, str] | None:
    return None if name is None else {"name": name}
