"""Sessions, grants and tombstones to JSON and back: every field, every enum, None."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.core.control import Control
from cobrowse.core.session import EndReason, Session, State, Timeouts
from cobrowse.store.base import Grant, Tombstone
from cobrowse.store.codec import (
    CodecError,
    decode_grant,
    decode_session,
    decode_tombstone,
    encode_grant,
    encode_session,
    encode_tombstone,
    session_from_dict,
    session_to_dict,
    timeouts_to_dict,
)

finite = st.floats(allow_nan=False, allow_infinity=False)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
durations = st.floats(min_value=0.001, max_value=1e7, allow_nan=False)
texts = st.text(max_size=40)

timeouts = st.builds(
    Timeouts,
    **{f.name: durations for f in dataclasses.fields(Timeouts)},
)

sessions = st.builds(
    Session,
    id=texts,
    pin=st.from_regex(r"[0-9]{6}", fullmatch=True),
    created_at=finite,
    timeouts=timeouts,
    state=st.sampled_from(State),
    agent_name=st.none() | texts,
    agent_key=st.none() | texts,
    joined_at=st.none() | times,
    ended_at=st.none() | times,
    end_reason=st.none() | st.sampled_from(EndReason),
    visitor_left_at=st.none() | times,
    agent_left_at=st.none() | times,
    control=st.sampled_from(Control),
)


@given(sessions)
def test_a_session_survives_json(session: Session) -> None:
    assert decode_session(encode_session(session)) == session
    assert session_from_dict(orjson.loads(orjson.dumps(session_to_dict(session)))) == session


@given(sessions)
def test_the_dict_is_plain_json(session: Session) -> None:
    data = session_to_dict(session)
    assert orjson.loads(orjson.dumps(data)) == data
    assert isinstance(data["state"], str) and type(data["control"]) is str


def test_every_field_is_stored() -> None:
    # A new field of Session or Timeouts must reach the codec (and this list).
    session = Session(id="s_x", pin="123456", created_at=1.0, timeouts=Timeouts())
    data = session_to_dict(session)
    assert set(data) - {"v"} == {f.name for f in dataclasses.fields(Session)}
    assert set(data["timeouts"]) == {f.name for f in dataclasses.fields(Timeouts)}


def test_a_full_session() -> None:
    session = Session(id="s_abc", pin="012345", created_at=1_800_000_000.25, timeouts=Timeouts())
    session.join(agent_name="Asha Rao", agent_key="key", now=1_800_000_001.0)
    session.consent(allow=True, now=1_800_000_002.0)
    session.apply_control(role="agent", action="request")
    session.apply_control(role="visitor", action="grant")
    session.presence(role="agent", connected=False, now=1_800_000_003.5)
    back = decode_session(encode_session(session))
    assert back == session
    assert back.state is State.ACTIVE and back.control is Control.CONTROL
    assert back.pin == "012345"  # a leading zero is kept
    session.end(EndReason.MAX_DURATION, now=1_800_000_009.0)
    back = decode_session(encode_session(session))
    assert back.end_reason is EndReason.MAX_DURATION and back.agent_key is None


def test_missing_keys_take_defaults_and_unknown_keys_are_ignored() -> None:
    # A node one version older or newer shares the store during a rolling upgrade.
    data: dict[str, Any] = {
        "id": "s_a",
        "pin": "000001",
        "created_at": 5,
        "timeouts": {"pin_ttl": 60, "from_the_future": 1.0},
        "color": "blue",
    }
    session = session_from_dict(data)
    assert session == Session(
        id="s_a", pin="000001", created_at=5.0, timeouts=Timeouts(pin_ttl=60.0)
    )
    assert isinstance(session.created_at, float)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"id": None}, "id must be a string"),
        ({"pin": 123456}, "pin must be a string"),
        ({"created_at": "yesterday"}, "created_at must be a number"),
        ({"created_at": True}, "created_at must be a number"),
        ({"state": "paused"}, "state: unknown value 'paused'"),
        ({"control": "all"}, "control: unknown"),
        ({"end_reason": "bored"}, "end_reason: unknown"),
        ({"timeouts": [1, 2]}, "timeouts must be an object"),
        ({"timeouts": {"pin_ttl": "long"}}, "pin_ttl must be a number"),
        ({"joined_at": float("inf")}, "joined_at must be finite"),
        ({"v": 2}, "unknown session format 2"),
    ],
)
def test_malformed_sessions(change: dict[str, Any], words: str) -> None:
    data = session_to_dict(Session(id="s_a", pin="000001", created_at=1.0, timeouts=Timeouts()))
    data.update(change)
    with pytest.raises(CodecError, match=re.escape(words)):
        session_from_dict(data)


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", b"null", "\u00e9"])
def test_not_a_session(raw: bytes | str) -> None:
    with pytest.raises(CodecError):
        decode_session(raw)


def test_grants() -> None:
    for role in ("visitor", "agent"):
        grant = Grant("s_a", role)
        assert decode_grant(encode_grant(grant)) == grant
    with pytest.raises(CodecError, match="unknown role 'admin'"):
        decode_grant(b'{"s": "s_a", "r": "admin"}')
    with pytest.raises(CodecError):
        decode_grant(b'{"r": "agent"}')


@given(st.sampled_from(EndReason), times)
def test_tombstones(reason: EndReason, at: float) -> None:
    tomb = Tombstone("s_a", reason, at)
    assert decode_tombstone(encode_tombstone(tomb)) == tomb


def test_timeouts_to_dict() -> None:
    assert timeouts_to_dict(Timeouts(pin_ttl=1.5))["pin_ttl"] == 1.5
