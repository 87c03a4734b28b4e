"""The v1 wire protocol: one typed union of WebSocket messages (see docs/protocol.md).

Decoding is strict and pure: bytes or str in, a typed message out, or a
`ProtocolError` carrying the close code and reason the socket is closed with.
rrweb events are checked only for their envelope (an object with an integer
`type` and a numeric `timestamp`); their payload is relayed as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
CLOSE_RATE_LIMITED = 4429

CLOSE_HANDED_OVER = 4411  # the agent's session was taken over or transferred
CLOSE_WATCH_ENDED = 4412  # a watcher was refused by the visitor, or the watch ended

Role = Literal["visitor", "agent", "watcher"]


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


def rate_limited(detail: str) -> ProtocolError:
    return ProtocolError(CLOSE_RATE_LIMITED, f"rate limit: {detail}", error_code="rate_limited")


def not_allowed(detail: str) -> ProtocolError:
    return ProtocolError(CLOSE_NOT_ALLOWED, f"not allowed: {detail}", error_code="not_allowed")


# --- client -> server -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    token: str
    # The number (`n`) of the last frame this client received in an earlier connection:
    # resume from there.
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    allow: bool


@dataclass(frozen=True, slots=True)
class Events:
    """A batch of rrweb events; `events` keeps the decoded objects as sent, and
    `events_json` their JSON array as it came in (relayed without re-encoding)."""

    events: tuple[dict[str, Any], ...]
    events_json: bytes = field(default=b"[]", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class End:
    pass


@dataclass(frozen=True, slots=True)
class Target:
    """A point relative to an element's box: rrweb node id, x and y in 0..1."""

    id: int
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Guide:
    kind: str
    target: Target | None
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Chat:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class ControlMsg:
    action: str
    reason: str | None = None  # a revoke's why: button, escape or hidden (for the audit)


@dataclass(frozen=True, slots=True)
class Act:
    ref: str
    kind: str
    target: Target | None
    value: str
    dx: float
    dy: float


@dataclass(frozen=True, slots=True)
class ActResult:
    ref: str
    ok: bool
    reason: str | None
    # The element acted on, from its role and label, as the visitor's browser names it
    # ("button “Save”", "masked field"); never a value. Kept for the audit, not relayed.
    description: str | None = None


@dataclass(frozen=True, slots=True)
class OfferAnswer:
    file_id: str
    accept: bool


@dataclass(frozen=True, slots=True)
class Note:
    """A private note between the agent and the supervisors watching: never the visitor's."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class WatchAnswer:
    """The visitor's answer to a supervisor asking to watch."""

    watcher: str
    allow: bool


ClientMessage = (
    Hello
    | Consent
    | Events
    | End
    | Guide
    | Chat
    | ControlMsg
    | Act
    | ActResult
    | OfferAnswer
    | Note
    | WatchAnswer
)

GUIDE_KINDS = frozenset({"pointer", "highlight", "laser", "draw", "clear"})
ACT_KINDS = frozenset({"click", "input", "scroll", "key", "navigate"})
CONTROL_ACTIONS = frozenset({"request", "release", "grant", "deny", "revoke"})
REVOKE_REASONS = frozenset({"button", "escape", "hidden"})
MAX_DESCRIPTION = 120
MAX_POINTS = 500
MAX_CHAT = 2000
MAX_ID = 64
MAX_VALUE = 10_000

MAX_TOKEN_LENGTH = 256
MAX_SEQ = 2**53 - 1  # what a JavaScript number holds exactly
# How the runtimes encode an events frame: its array is then the rest of the frame.
_EVENTS_PREFIX = b'{"v":1,"t":"events","events":'


def decode_client(data: str | bytes, *, max_bytes: int) -> ClientMessage:
    """Decode one client frame; raise ProtocolError for anything malformed."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise too_big(max_bytes)
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_message("not valid JSON") from None
    if not isinstance(obj, dict):
        raise bad_message("a message must be a JSON object")
    version = obj.get("v")
    if type(version) is not int or version != VERSION:
        # Never echo the client's value whole: it goes into a close reason and a log line.
        raise bad_message(f"unsupported protocol version {repr(version)[:20]}, expected {VERSION}")
    kind = obj.get("t")
    if kind == "events":  # the relay's steady case, first
        events = _check_events(obj.get("events"))
        return Events(events=events, events_json=_events_json(raw, obj, events))
    if kind == "hello":
        token = obj.get("token")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise bad_message("hello needs a token string")
        seq = obj.get("n")
        if seq is not None and (type(seq) is not int or not 0 <= seq <= MAX_SEQ):
            raise bad_message("hello's n must be a whole number")
        return Hello(token=token, seq=seq)
    if kind == "consent":
        allow = obj.get("allow")
        if not isinstance(allow, bool):
            raise bad_message("consent needs allow: true or false")
        return Consent(allow=allow)
    if kind == "end":
        return End()
    if kind == "guide":
        guide_kind = _choice(obj, "kind", GUIDE_KINDS)
        return Guide(kind=guide_kind, target=_target(obj.get("target")), points=_points(obj))
    if kind == "chat":
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT:
            raise bad_message(f"chat text must be 1-{MAX_CHAT} characters")
        return Chat(id=_ident(obj, "id"), text=text)
    if kind == "control":
        action = _choice(obj, "action", CONTROL_ACTIONS)
        if obj.get("reason") is None:
            return ControlMsg(action=action)
        if action != "revoke":
            raise bad_message("only a revoke carries a reason")
        return ControlMsg(action=action, reason=_choice(obj, "reason", REVOKE_REASONS))
    if kind == "act":
        value = obj.get("value", "")
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise bad_message(f"act value must be a string of at most {MAX_VALUE} characters")
        return Act(
            ref=_ident(obj, "ref"),
            kind=_choice(obj, "kind", ACT_KINDS),
            target=_target(obj.get("target")),
            value=value,
            dx=_number(obj.get("dx", 0), "dx"),
            dy=_number(obj.get("dy", 0), "dy"),
        )
    if kind == "act_result":
        ok = obj.get("ok")
        reason = obj.get("reason")
        if not isinstance(ok, bool) or not (reason is None or isinstance(reason, str)):
            raise bad_message("act_result needs ok (bool) and reason (string or null)")
        description = obj.get("description")
        if description is not None and (
            not isinstance(description, str) or len(description) > MAX_DESCRIPTION
        ):
            raise bad_message(f"act_result description: a string of at most {MAX_DESCRIPTION}")
        return ActResult(
            ref=_ident(obj, "ref"),
            ok=ok,
            reason=None if reason is None else reason[:200],
            description=description,
        )
    if kind == "offer_answer":
        accept = obj.get("accept")
        if not isinstance(accept, bool):
            raise bad_message("offer_answer needs accept: true or false")
        return OfferAnswer(file_id=_ident(obj, "file_id"), accept=accept)
    if kind == "note":
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT:
            raise bad_message(f"note text must be 1-{MAX_CHAT} characters")
        return Note(id=_ident(obj, "id"), text=text)
    if kind == "watch_answer":
        allow = obj.get("allow")
        if not isinstance(allow, bool):
            raise bad_message("watch_answer needs allow: true or false")
        return WatchAnswer(watcher=_ident(obj, "watcher"), allow=allow)
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


def _events_json(raw: bytes, obj: dict[str, Any], events: tuple[dict[str, Any], ...]) -> bytes:
    """The events array of a frame as it came in, when the frame is exactly
    `{"v":1,"t":"events","events":[...]}` (as the runtimes send it); re-encoded otherwise.

    The slice is the rest of a valid JSON object after its prefix: the array, and at
    most repeats of the same three keys, of which JSON.parse, like orjson, keeps the
    last. Relayed inside another object, it means exactly what was checked here."""
    if len(obj) == 3 and raw.startswith(_EVENTS_PREFIX) and raw.endswith(b"}"):
        return raw[len(_EVENTS_PREFIX) : -1]
    return orjson.dumps(list(events))


def _choice(obj: dict[str, Any], key: str, allowed: frozenset[str]) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or value not in allowed:
        raise bad_message(f"{key} must be one of {', '.join(sorted(allowed))}")
    return value


def _ident(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise bad_message(f"{key} must be a string of 1-{MAX_ID} characters")
    return value


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise bad_message(f"{name} must be a number")
    if abs(value) > 1e7:
        raise bad_message(f"{name} is out of range")
    return float(value)


def _unit(value: object, name: str) -> float:
    number = _number(value, name)
    if not 0.0 <= number <= 1.0:
        raise bad_message(f"{name} must be within 0..1")
    return number


def _target(value: object) -> Target | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_message("target must be an object or null")
    node = value.get("id")
    if isinstance(node, bool) or not isinstance(node, int) or node < 0:
        raise bad_message("target.id must be a node id")
    return Target(id=node, x=_unit(value.get("x"), "target.x"), y=_unit(value.get("y"), "target.y"))


def _points(obj: dict[str, Any]) -> tuple[tuple[float, float], ...]:
    points = obj.get("points", [])
    if not isinstance(points, list) or len(points) > MAX_POINTS:
        raise bad_message(f"points must be a list of at most {MAX_POINTS} pairs")
    out: list[tuple[float, float]] = []
    for point in points:
        if not isinstance(point, list) or len(point) != 2:
            raise bad_message("each point is an [x, y] pair")
        out.append((_number(point[0], "point x"), _number(point[1], "point y")))
    return tuple(out)


# --- server -> client -------------------------------------------------------


def _frame(message_type: str, /, **fields: Any) -> bytes:
    return orjson.dumps({"v": VERSION, "t": message_type, **fields})


def encode_welcome(
    *,
    role: Role,
    session_id: str,
    state: str,
    agent_name: str | None,
    pin_display: str | None,
    expires_at: float | None,
    seq: int = 0,
    resumed: bool = False,
) -> bytes:
    """The first frame of every connection. `resumed`: the frames this client missed
    follow; otherwise the session's state does (chat history, control, the page)."""
    return _frame(
        "welcome",
        role=role,
        session_id=session_id,
        state=state,
        agent=_agent(agent_name),
        pin_display=pin_display,
        expires_at=expires_at,
        n=seq,
        resumed=resumed,
    )


def encode_synced(*, seq: int) -> bytes:
    """After the welcome's catch-up: the client has every frame up to number `seq` and
    resumes from there after a drop."""
    return _frame("synced", n=seq)


def encode_state(*, state: str, agent_name: str | None) -> bytes:
    return _frame("state", state=state, agent=_agent(agent_name))


def _target_json(target: Target | None) -> dict[str, float] | None:
    return None if target is None else {"id": target.id, "x": target.x, "y": target.y}


def encode_guide(guide: Guide, *, agent_name: str | None) -> bytes:
    return _frame(
        "guide",
        kind=guide.kind,
        target=_target_json(guide.target),
        points=[list(p) for p in guide.points],
        agent=_agent(agent_name),
    )


def chat_entry(
    *, seq: int, id: str, sender: Role, name: str, text: str, at: float
) -> dict[str, Any]:
    return {"seq": seq, "id": id, "from": sender, "name": name, "text": text, "at": at}


def encode_chat(entry: dict[str, Any]) -> bytes:
    return _frame("chat", **entry)


def encode_chat_history(entries: list[dict[str, Any]]) -> bytes:
    return _frame("chat_history", messages=entries)


def encode_note(entry: dict[str, Any]) -> bytes:
    """A private note, for the agent and the watchers (entry: as chat_entry's)."""
    return _frame("note", **entry)


def encode_note_history(entries: list[dict[str, Any]]) -> bytes:
    return _frame("note_history", notes=entries)


def encode_participants(*, watching: list[str], asking: list[tuple[str, str]]) -> bytes:
    """Who else is in the session: the names of the supervisors watching, and those
    asking the visitor to (id, name) until the visitor answers."""
    return _frame(
        "participants",
        watching=[{"name": name} for name in watching],
        asking=[{"id": wid, "name": name} for wid, name in asking],
    )


def encode_handed_over(*, to_name: str, how: str) -> bytes:
    """The session has a new agent (`how`: taken_over or transferred)."""
    return _frame("handed_over", agent={"name": to_name}, how=how)


def encode_transfer(*, state: str, to_name: str) -> bytes:
    """For the agent's side: a transfer they offered is offered, declined or lapsed."""
    return _frame("transfer", state=state, to={"name": to_name})


def encode_control(*, state: str) -> bytes:
    return _frame("control", state=state)


def encode_act(act: Act) -> bytes:
    return _frame(
        "act",
        ref=act.ref,
        kind=act.kind,
        target=_target_json(act.target),
        value=act.value,
        dx=act.dx,
        dy=act.dy,
    )


def encode_act_result(result: ActResult) -> bytes:
    return _frame("act_result", ref=result.ref, ok=result.ok, reason=result.reason)


def encode_offer(*, file_id: str, name: str, size: int, type: str, agent_name: str | None) -> bytes:
    return _frame(
        "offer", file_id=file_id, name=name, size=size, type=type, agent=_agent(agent_name)
    )


def encode_offer_answer(*, file_id: str, accept: bool) -> bytes:
    return _frame("offer_answer", file_id=file_id, accept=accept)


def encode_offer_ready(*, file_id: str, url: str) -> bytes:
    return _frame("offer_ready", file_id=file_id, url=url)


def encode_snapshot_request() -> bytes:
    return _frame("snapshot_request")


def encode_ended(*, reason: str) -> bytes:
    return _frame("ended", reason=reason)


def encode_error(*, code: str, message: str) -> bytes:
    return _frame("error", code=code, message=message)


def _agent(name: str | None) -> dict[str, str] | None:
    return None if name is None else {"name": name}
