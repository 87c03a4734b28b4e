"""Fuzzing the wire decoder: whatever arrives, the answer is a typed message or a
ProtocolError with a close code, never another exception (docs/threat-model.md T8).

No timing thresholds: "no hang" is structural. The decoder refuses anything past
`max_bytes` before parsing it, so its work is bounded by the frame size limit; and
orjson parses iteratively-bounded JSON (nesting past 1024 is an error).
"""

from __future__ import annotations

import json
import typing
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobrowse.core import messages as m
from tests.core.message_shapes import CLIENT_TYPES, FIELDS

FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLOSE_CODES = {m.CLOSE_TOO_BIG, m.CLOSE_BAD_MESSAGE}
TYPES = [
    *CLIENT_TYPES,
    "welcome",
    "HELLO",
    "",
    "events ",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["pointer", "click", "request", "grant", "vt_x", "\ud800ok"[1:], "1e999"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(st.text(max_size=12), inner, max_size=6),
    ),
    max_leaves=40,
)
# Objects shaped like messages: a version, a known type, then fields of the right
# names with arbitrary values, so that the checks past the envelope are reached.
shaped = st.builds(
    lambda v, t, fields: {"v": v, "t": t, **fields},
    st.one_of(st.just(1), json_values),
    st.sampled_from(TYPES),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
)
event_lists = st.builds(
    lambda events: {"v": 1, "t": "events", "events": events},
    st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries({"type": json_values, "timestamp": json_values}),
        ),
        max_size=5,
    ),
)


def decode(data: str | bytes, max_bytes: int = 1 << 20) -> m.ClientMessage | None:
    """The decoder's answer: a message, or None for a ProtocolError (checked)."""
    try:
        message = m.decode_client(data, max_bytes=max_bytes)
    except m.ProtocolError as exc:
        assert exc.code in CLOSE_CODES, exc.code
        assert exc.error_code in ("too_big", "bad_message")
        assert 0 < len(exc.reason) < 400  # a close reason fits in a close frame after [:120]
        return None
    assert isinstance(message, typing.get_args(m.ClientMessage))
    return message


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    decode(data)


@FUZZ
@given(st.text(max_size=500))
def test_arbitrary_text_including_lone_surrogates(data: str) -> None:
    decode(data)


@FUZZ
@given(st.one_of(json_values, shaped, event_lists))
def test_arbitrary_json(value: Any) -> None:
    for data in (
        (json.dumps(value), orjson.dumps(value)) if _orjson_ok(value) else (json.dumps(value),)
    ):
        message = decode(data)
        if message is not None:
            _check_decoded(message, value)


@FUZZ
@given(shaped)
def test_decoded_messages_respect_their_limits(value: dict[str, Any]) -> None:
    message = decode(json.dumps(value))
    if message is not None:
        _check_decoded(message, value)


@FUZZ
@given(st.binary(min_size=1, max_size=300), st.integers(min_value=0, max_value=299))
def test_anything_over_the_limit_is_too_big_before_it_is_parsed(data: bytes, limit: int) -> None:
    if len(data) <= limit:
        return
    try:
        m.decode_client(data, max_bytes=limit)
    except m.ProtocolError as exc:
        assert exc.code == m.CLOSE_TOO_BIG
    else:
        raise AssertionError("decoded a frame over the limit")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for depth in (100, 1023, 1025, 100_000):
        decode('{"v":1,"t":"events","events":[' + "[" * depth + "]" * depth + "]}", 1 << 22)
        decode("[" * depth, 1 << 22)


def test_huge_numbers_and_strings_at_the_limit() -> None:
    for raw in (
        '{"v":1,"t":"act","ref":"a","kind":"scroll","dx":1e999}',
        '{"v":1,"t":"act","ref":"a","kind":"scroll","dy":' + "9" * 5000 + "}",
        '{"v":1,"t":"guide","kind":"draw","points":[[1e308,-1e308]]}',
        '{"v":1,"t":"chat","id":"c","text":"' + "x" * 100_000 + '"}',
    ):
        assert decode(raw) is None


def _orjson_ok(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


def _check_decoded(message: m.ClientMessage, value: Any) -> None:
    """What a decoded message promises the hub, whatever the input was."""
    assert isinstance(value, dict) and value.get("v") == 1 and type(value["v"]) is int
    if isinstance(message, m.Hello):
        assert 0 < len(message.token) <= m.MAX_TOKEN_LENGTH
    elif isinstance(message, m.Events):
        for event in message.events:
            assert type(event["type"]) is int
            assert type(event["timestamp"]) in (int, float)
    elif isinstance(message, m.Chat):
        assert 0 < len(message.id) <= m.MAX_ID and 0 < len(message.text) <= m.MAX_CHAT
    elif isinstance(message, m.Guide):
        assert message.kind in m.GUIDE_KINDS and len(message.points) <= m.MAX_POINTS
        _check_target(message.target)
    elif isinstance(message, m.Act):
        assert message.kind in m.ACT_KINDS and len(message.value) <= m.MAX_VALUE
        assert abs(message.dx) <= 1e7 and abs(message.dy) <= 1e7
        _check_target(message.target)
    elif isinstance(message, m.ControlMsg):
        assert message.action in m.CONTROL_ACTIONS
    elif isinstance(message, m.ActResult):
        assert message.reason is None or len(message.reason) <= 200
    elif isinstance(message, m.OfferAnswer):
        assert 0 < len(message.file_id) <= m.MAX_ID


def _check_target(target: m.Target | None) -> None:
    if target is not None:
        assert target.id >= 0 and 0 <= target.x <= 1 and 0 <= target.y <= 1


def test_a_client_value_is_never_echoed_whole_into_the_close_reason() -> None:
    """Found by the fuzzer: the version was echoed with repr() into the reason, which is
    logged and sent back; a client could write anything of any size into the log."""
    secret = "4111 1111 1111 1111 " * 50
    for frame in ({"v": [secret], "t": "hello"}, {"v": 1, "t": secret}):
        try:
            m.decode_client(json.dumps(frame), max_bytes=1 << 20)
        except m.ProtocolError as exc:
            assert len(exc.reason) < 100 and secret not in exc.reason
        else:
            raise AssertionError("decoded")
