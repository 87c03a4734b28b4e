"""The v1 wire messages: golden fixtures both ways, every malformed frame, fuzzing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core import messages as m
from cobrowse.core.messages import (
    CLOSE_BAD_MESSAGE,
    CLOSE_TOO_BIG,
    Consent,
    End,
    Events,
    Hello,
    ProtocolError,
    decode_client,
)
from cobrowse.core.relay import events_frame, stamp

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = FIXTURES / "messages"
BAD = FIXTURES / "bad_messages"
LIMIT = 64 * 1024


def load(name: str) -> Any:
    return json.loads((GOOD / name).read_text(encoding="utf-8"))


def decode(data: str | bytes, *, max_bytes: int = LIMIT) -> m.ClientMessage:
    return decode_client(data, max_bytes=max_bytes)


def bad(data: str | bytes, *, max_bytes: int = LIMIT) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode_client(data, max_bytes=max_bytes)
    return info.value


# --- golden client fixtures -------------------------------------------------------

CLIENT_FIXTURES = sorted(p.name for p in GOOD.glob("client.*.json"))
SERVER_FIXTURES = sorted(p.name for p in GOOD.glob("server.*.json"))
BAD_FIXTURES = sorted(p.name for p in BAD.iterdir() if p.is_file())


def test_fixture_sets_are_present() -> None:
    # Guards the parametrized tests below from silently running on nothing.
    assert {"client.hello.json", "client.end.json", "client.events.json"} <= set(CLIENT_FIXTURES)
    assert len(SERVER_FIXTURES) >= 8
    assert len(BAD_FIXTURES) >= 10


EXPECTED_CLIENT: dict[str, type] = {
    "hello": Hello,
    "consent": Consent,
    "events": Events,
    "end": End,
    "guide": m.Guide,
    "chat": m.Chat,
    "control": m.ControlMsg,
    "act": m.Act,
    "act_result": m.ActResult,
    "offer_answer": m.OfferAnswer,
    "note": m.Note,
    "watch_answer": m.WatchAnswer,
}


@pytest.mark.parametrize("name", CLIENT_FIXTURES)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_client_fixture_decodes_to_its_type(name: str, as_bytes: bool) -> None:
    text = (GOOD / name).read_text(encoding="utf-8")
    raw = json.loads(text)
    msg = decode(text.encode() if as_bytes else text)
    assert type(msg) is EXPECTED_CLIENT[raw["t"]]
    assert name.split(".")[1] == raw["t"]


def test_hello_fixture_fields() -> None:
    raw = load("client.hello.json")
    assert decode(json.dumps(raw)) == Hello(token=raw["token"])


@pytest.mark.parametrize(
    ("name", "allow"), [("client.consent.allow.json", True), ("client.consent.deny.json", False)]
)
def test_consent_fixture_fields(name: str, allow: bool) -> None:
    assert decode(json.dumps(load(name))) == Consent(allow=allow)


def test_events_fixture_keeps_events_as_sent() -> None:
    raw = load("client.events.json")
    msg = decode(json.dumps(raw))
    assert isinstance(msg, Events)
    assert isinstance(msg.events, tuple)
    assert list(msg.events) == raw["events"]
    assert [e["type"] for e in msg.events] == [4, 2]


def test_end_fixture() -> None:
    assert decode(json.dumps(load("client.end.json"))) == End()


# --- malformed frames -------------------------------------------------------------

BAD_REASON_WORDS = {
    "consent_not_bool.json": "allow",
    "event_bool_type.json": "type",
    "event_without_type.json": "type",
    "events_not_list.json": "list",
    "hello_token_not_string.json": "token",
    "hello_without_token.json": "token",
    "missing_version.json": "version",
    "not_json.txt": "JSON",
    "not_object.json": "object",
    "unknown_type.json": "dance",
    "wrong_version.json": "version",
    "guide_unknown_kind.json": "kind",
    "guide_target_out_of_box.json": "target.x",
    "chat_empty.json": "chat text",
    "control_unknown_action.json": "action",
    "act_unknown_kind.json": "kind",
    "offer_answer_not_bool.json": "accept",
    "act_result_description_too_long.json": "description",
    "control_unknown_reason.json": "reason",
    "control_reason_not_revoke.json": "only a revoke",
}


@pytest.mark.parametrize("name", BAD_FIXTURES)
def test_bad_fixture_is_rejected_with_4400(name: str) -> None:
    err = bad((BAD / name).read_bytes())
    assert err.code == CLOSE_BAD_MESSAGE == 4400
    assert err.error_code == "bad_message"
    assert err.reason.startswith("bad message: ")
    assert str(err) == err.reason
    # Every bad fixture is listed with a word its reason must contain.
    assert BAD_REASON_WORDS[name] in err.reason


@pytest.mark.parametrize(
    ("frame", "word"),
    [
        ('{"v": true, "t": "end"}', "version"),  # True == 1 must not pass
        ('{"v": "1", "t": "end"}', "version"),
        ('{"v": 0, "t": "end"}', "version"),
        ('{"v": null, "t": "end"}', "version"),
        ('{"v": 1}', "type t"),
        ('{"v": 1, "t": 3}', "type t"),
        ('{"v": 1, "t": null}', "type t"),
        ('{"v": 1, "t": "Hello"}', "unknown"),
        ('{"v": 1, "t": "hello", "token": ""}', "token"),
        ('{"v": 1, "t": "hello", "token": null}', "token"),
        ('{"v": 1, "t": "hello", "token": ["a"]}', "token"),
        ('{"v": 1, "t": "consent"}', "allow"),
        ('{"v": 1, "t": "consent", "allow": 1}', "allow"),
        ('{"v": 1, "t": "consent", "allow": null}', "allow"),
        ('{"v": 1, "t": "events"}', "list"),
        ('{"v": 1, "t": "events", "events": null}', "list"),
        ('{"v": 1, "t": "events", "events": [1]}', "event 0 is not an object"),
        ('{"v": 1, "t": "events", "events": [[]]}', "event 0 is not an object"),
        (
            '{"v": 1, "t": "events", "events": [{"type": 2, "timestamp": 1}, {"type": 3}]}',
            "event 1 has no numeric timestamp",
        ),
        (
            '{"v": 1, "t": "events", "events": [{"type": 2.0, "timestamp": 1}]}',
            "event 0 has no integer type",
        ),
        (
            '{"v": 1, "t": "events", "events": [{"type": "2", "timestamp": 1}]}',
            "event 0 has no integer type",
        ),
        ('{"v": 1, "t": "events", "events": [{"type": 2, "timestamp": "1"}]}', "timestamp"),
        ('{"v": 1, "t": "events", "events": [{"type": 2, "timestamp": true}]}', "timestamp"),
        ('{"v": 1, "t": "events", "events": [{"type": 2, "timestamp": null}]}', "timestamp"),
        ("", "JSON"),
        ("   ", "JSON"),
        ("null", "object"),
        ('"hello"', "object"),
        ("42", "object"),
        ('{"v": 1, "t": "end"} trailing', "JSON"),
        (b"\xff\xfe{}", "JSON"),
        (b'{"v": 1, "t": "hello", "token": "\xc3"}', "JSON"),  # invalid UTF-8
        ("NaN", "JSON"),
    ],
)
def test_malformed_frames(frame: str | bytes, word: str) -> None:
    err = bad(frame)
    assert err.code == CLOSE_BAD_MESSAGE
    assert word in err.reason


def test_unknown_type_reason_is_truncated() -> None:
    err = bad(json.dumps({"v": 1, "t": "x" * 1000}))
    assert "x" * 40 in err.reason
    assert "x" * 41 not in err.reason


def test_token_length_limit() -> None:
    ok = "a" * m.MAX_TOKEN_LENGTH
    assert decode(json.dumps({"v": 1, "t": "hello", "token": ok})) == Hello(token=ok)
    err = bad(json.dumps({"v": 1, "t": "hello", "token": ok + "a"}))
    assert err.code == CLOSE_BAD_MESSAGE


def test_events_envelope_accepts_float_timestamp_and_empty_list() -> None:
    msg = decode('{"v":1,"t":"events","events":[{"type":3,"timestamp":1.5,"data":{}}]}')
    assert msg == Events(events=({"type": 3, "timestamp": 1.5, "data": {}},))
    assert decode('{"v":1,"t":"events","events":[]}') == Events(events=())


def test_extra_fields_are_ignored() -> None:
    assert decode('{"v":1,"t":"end","extra":{"x":1}}') == End()


def test_float_version_is_rejected() -> None:
    err = bad('{"v": 1.0, "t": "end"}')
    assert err.code == CLOSE_BAD_MESSAGE


# --- size limit -------------------------------------------------------------------


def test_oversize_frame_closes_with_1009() -> None:
    frame = json.dumps({"v": 1, "t": "hello", "token": "a" * 100})
    size = len(frame.encode())
    assert decode(frame, max_bytes=size) == Hello(token="a" * 100)  # exactly at the limit
    for data in (frame, frame.encode()):
        err = bad(data, max_bytes=size - 1)
        assert err.code == CLOSE_TOO_BIG == 1009
        assert err.error_code == "too_big"
        assert "too big" in err.reason
        assert str(size - 1) in err.reason


def test_size_of_text_is_counted_in_utf8_bytes() -> None:
    token = "\u20b9" * 10  # 3 bytes each in UTF-8
    frame = json.dumps({"v": 1, "t": "hello", "token": token}, ensure_ascii=False)
    assert len(frame) < len(frame.encode())
    err = bad(frame, max_bytes=len(frame))
    assert err.code == CLOSE_TOO_BIG
    assert decode(frame, max_bytes=len(frame.encode())) == Hello(token=token)


def test_size_is_checked_before_parsing() -> None:
    # Garbage over the limit is "too big", not "bad message".
    assert bad(b"x" * 2000, max_bytes=1024).code == CLOSE_TOO_BIG


# --- encoders against the golden server fixtures ------------------------------------


def parsed(data: bytes) -> Any:
    assert isinstance(data, bytes)
    return json.loads(data)


def test_encode_welcome_visitor() -> None:
    fx = load("server.welcome.visitor.json")
    out = m.encode_welcome(
        role="visitor",
        session_id=fx["session_id"],
        state=fx["state"],
        agent_name=None,
        pin_display=fx["pin_display"],
        expires_at=fx["expires_at"],
    )
    assert parsed(out) == fx


def test_encode_welcome_agent() -> None:
    fx = load("server.welcome.agent.json")
    out = m.encode_welcome(
        role="agent",
        session_id=fx["session_id"],
        state=fx["state"],
        agent_name=fx["agent"]["name"],
        pin_display=None,
        expires_at=None,
    )
    assert parsed(out) == fx


def test_encode_welcome_resumed() -> None:
    fx = load("server.welcome.resumed.json")
    out = m.encode_welcome(
        role="agent",
        session_id=fx["session_id"],
        state=fx["state"],
        agent_name=fx["agent"]["name"],
        pin_display=None,
        expires_at=None,
        seq=fx["n"],
        resumed=True,
    )
    assert parsed(out) == fx


def test_encode_synced() -> None:
    fx = load("server.synced.json")
    assert parsed(m.encode_synced(seq=fx["n"])) == fx


def test_numbered_frames_match_their_fixtures() -> None:
    events = load("server.events.numbered.json")
    out = events_frame(events["n"], orjson.dumps(events["events"]))
    assert parsed(out) == events
    chat = load("server.chat.numbered.json")
    entry = {k: v for k, v in chat.items() if k not in ("v", "t", "n")}
    assert parsed(stamp(m.encode_chat(entry), chat["n"])) == chat


def test_hello_with_a_resume_point() -> None:
    fx = load("client.hello.resume.json")
    assert decode(json.dumps(fx)) == m.Hello(token=fx["token"], seq=fx["n"])
    for bad in (-1, 1.5, "3", True, 2**53):
        with pytest.raises(m.ProtocolError, match="hello's n"):
            decode(json.dumps({**fx, "n": bad}))


def test_an_events_frame_is_relayed_as_its_bytes_when_it_can_be() -> None:
    raw = b'{"v":1,"t":"events","events":[{"type":3,"timestamp":1,"data":{"x":1.50}}]}'
    message = m.decode_client(raw, max_bytes=1000)
    assert isinstance(message, m.Events)
    assert message.events_json == b'[{"type":3,"timestamp":1,"data":{"x":1.50}}]'
    # Any other shape is re-encoded: what is relayed is exactly what was checked.
    for other in (
        b'{"t":"events","v":1,"events":[{"type":3,"timestamp":1}]}',
        b'{"v":1,"t":"events","events":[{"type":3,"timestamp":1}],"x":1}',
        b'{"v":1,"t":"events","events":[{"type":3,"timestamp":1}]} ',
    ):
        message = m.decode_client(other, max_bytes=1000)
        assert isinstance(message, m.Events)
        assert message.events_json == b'[{"type":3,"timestamp":1}]'
    # Repeated keys: both JSON.parse and orjson keep the last, inside the relayed frame too.
    twice = b'{"v":1,"t":"events","events":[{"type":9,"timestamp":9}],"events":[]}'
    message = m.decode_client(twice, max_bytes=1000)
    assert isinstance(message, m.Events) and message.events == ()
    relayed = orjson.loads(events_frame(1, message.events_json))
    assert relayed["events"] == []


@pytest.mark.parametrize("name", ["server.state.active.json", "server.state.pending.json"])
def test_encode_state(name: str) -> None:
    fx = load(name)
    out = m.encode_state(state=fx["state"], agent_name=fx["agent"]["name"])
    assert parsed(out) == fx


def test_encode_state_without_agent() -> None:
    assert parsed(m.encode_state(state="created", agent_name=None)) == {
        "v": 1,
        "t": "state",
        "state": "created",
        "agent": None,
    }


def test_encode_ended() -> None:
    fx = load("server.ended.json")
    assert parsed(m.encode_ended(reason=fx["reason"])) == fx


def test_encode_error() -> None:
    fx = load("server.error.json")
    assert parsed(m.encode_error(code=fx["code"], message=fx["message"])) == fx


def test_encode_snapshot_request() -> None:
    assert parsed(m.encode_snapshot_request()) == load("server.snapshot_request.json")


def test_events_frame_matches_fixture() -> None:
    fx = load("server.events.json")
    out = parsed(events_frame(7, orjson.dumps(fx["events"])))
    assert out.pop("n") == 7
    assert out == fx


@pytest.mark.parametrize("count", [0, 1, 3])
def test_events_frame_parses(count: int) -> None:
    events = [{"type": 3, "timestamp": i, "data": {"text": f'\u00e9"{i}'}} for i in range(count)]
    out = events_frame(1, orjson.dumps(events))
    assert parsed(out) == {"v": 1, "n": 1, "t": "events", "events": events}


def test_every_server_fixture_has_an_encoder_test() -> None:
    # If a server fixture is added, a test above must cover it.
    covered = {
        "server.ended.json",
        "server.error.json",
        "server.events.json",
        "server.snapshot_request.json",
        "server.state.active.json",
        "server.state.pending.json",
        "server.welcome.agent.json",
        "server.welcome.visitor.json",
        "server.guide.json",
        "server.chat.json",
        "server.chat_history.json",
        "server.control.json",
        "server.act.json",
        "server.act_result.json",
        "server.offer.json",
        "server.offer_answer.json",
        "server.offer_ready.json",
        "server.synced.json",
        "server.welcome.resumed.json",
        "server.events.numbered.json",
        "server.chat.numbered.json",
        "server.note.json",
        "server.note_history.json",
        "server.participants.json",
        "server.handed_over.json",
        "server.transfer.json",
    }
    assert set(SERVER_FIXTURES) == covered


def test_supervision_frames_match_their_fixtures() -> None:
    note = load("server.note.json")
    entry = {k: note[k] for k in ("seq", "id", "name", "text", "at")}
    out = m.encode_note(m.chat_entry(sender="watcher", **entry))
    assert parsed(stamp(out, note["n"])) == note
    history = load("server.note_history.json")
    assert parsed(m.encode_note_history(history["notes"])) == history
    people = load("server.participants.json")
    out = m.encode_participants(
        watching=[w["name"] for w in people["watching"]],
        asking=[(a["id"], a["name"]) for a in people["asking"]],
    )
    assert parsed(stamp(out, people["n"])) == people
    handed = load("server.handed_over.json")
    out = m.encode_handed_over(to_name=handed["agent"]["name"], how=handed["how"])
    assert parsed(stamp(out, handed["n"])) == handed
    transfer = load("server.transfer.json")
    out = m.encode_transfer(state=transfer["state"], to_name=transfer["to"]["name"])
    assert parsed(stamp(out, transfer["n"])) == transfer


def test_offer_fixtures_match_their_encoders() -> None:
    assert decode(json.dumps(load("client.offer_answer.json"))) == m.OfferAnswer("f_Zq81kP", True)
    offer = m.encode_offer(
        file_id="f_Zq81kP",
        name="Form-16-guide.pdf",
        size=48213,
        type="application/pdf",
        agent_name="Asha Rao",
    )
    assert orjson.loads(offer) == load("server.offer.json")
    answer = m.encode_offer_answer(file_id="f_Zq81kP", accept=True)
    assert orjson.loads(answer) == load("server.offer_answer.json")
    ready = m.encode_offer_ready(
        file_id="f_Zq81kP", url="http://127.0.0.1:8000/files/Ykq2Wc7xv0Hq9a8nLr3T5e1s"
    )
    assert orjson.loads(ready) == load("server.offer_ready.json")


# --- guidance, chat, control -------------------------------------------------------


def test_guidance_chat_and_control_fixtures_decode_to_their_fields() -> None:
    assert decode(json.dumps(load("client.guide.pointer.json"))) == m.Guide(
        kind="pointer", target=m.Target(id=42, x=0.25, y=0.5), points=()
    )
    draw = decode(json.dumps(load("client.guide.draw.json")))
    assert isinstance(draw, m.Guide) and draw.points == ((0.1, 0.2), (0.15, 0.25), (0.2, 0.3))
    assert decode(json.dumps(load("client.guide.clear.json"))) == m.Guide("clear", None, ())
    assert decode(json.dumps(load("client.chat.json"))) == m.Chat(
        id="c-1764000000-1", text="Please open the File ITR page."
    )
    assert decode(json.dumps(load("client.control.grant.json"))) == m.ControlMsg("grant")
    act = decode(json.dumps(load("client.act.input.json")))
    assert act == m.Act(
        ref="a2", kind="input", target=m.Target(91, 0.5, 0.5), value="Meera Iyer", dx=0, dy=0
    )
    assert decode(json.dumps(load("client.act_result.json"))) == m.ActResult(
        "a2", False, "masked", description="masked field"
    )


def test_audit_fields_revoke_reason_and_act_description() -> None:
    assert decode(json.dumps(load("client.control.revoke.json"))) == m.ControlMsg(
        "revoke", reason="escape"
    )
    assert decode(json.dumps(load("client.act_result.described.json"))) == m.ActResult(
        "a3", True, None, description="text field “Full name”"
    )
    # Both are optional: older clients send neither.
    assert decode('{"v":1,"t":"control","action":"revoke"}') == m.ControlMsg("revoke")
    plain = decode('{"v":1,"t":"act_result","ref":"r","ok":true,"reason":null}')
    assert plain == m.ActResult("r", True, None)
    longest = "d" * m.MAX_DESCRIPTION
    described = decode(
        json.dumps({"v": 1, "t": "act_result", "ref": "r", "ok": True, "description": longest})
    )
    assert isinstance(described, m.ActResult) and described.description == longest
    # Relayed to the agent without it: the description is for the audit log only.
    assert b"description" not in m.encode_act_result(described)
    for frame_text, word in (
        ('{"v":1,"t":"act_result","ref":"r","ok":true,"description":7}', "description"),
        ('{"v":1,"t":"control","action":"request","reason":"escape"}', "only a revoke"),
        ('{"v":1,"t":"control","action":"revoke","reason":"x"}', "reason"),
    ):
        assert word in bad(frame_text).reason


def test_new_server_fixtures_match_their_encoders() -> None:
    guide = m.Guide(kind="highlight", target=m.Target(42, 0.5, 0.5), points=())
    assert orjson.loads(m.encode_guide(guide, agent_name="Asha Rao")) == load("server.guide.json")
    entry = m.chat_entry(
        seq=3,
        id="c-1764000000-1",
        sender="agent",
        name="Asha Rao",
        text="Please open the File ITR page.",
        at=1764000000.5,
    )
    assert orjson.loads(m.encode_chat(entry)) == load("server.chat.json")
    first = m.chat_entry(
        seq=1, id="v-1", sender="visitor", name="Visitor", text="Hello", at=1764000000.0
    )
    assert orjson.loads(m.encode_chat_history([first])) == load("server.chat_history.json")
    assert orjson.loads(m.encode_control(state="requested")) == load("server.control.json")
    act = m.Act(ref="a1", kind="click", target=m.Target(88, 0.5, 0.5), value="", dx=0, dy=0)
    assert orjson.loads(m.encode_act(act)) == load("server.act.json")
    result = m.ActResult(ref="a1", ok=True, reason=None)
    assert orjson.loads(m.encode_act_result(result)) == load("server.act_result.json")


@pytest.mark.parametrize(
    ("frame", "word"),
    [
        ('{"v":1,"t":"guide","kind":"draw","target":null,"points":[[1]]}', "pair"),
        (
            '{"v":1,"t":"guide","kind":"draw","target":null,"points":'
            + "[[0,0]]" * 0
            + "["
            + ",".join(["[0,0]"] * 501)
            + "]}",
            "at most 500",
        ),
        ('{"v":1,"t":"guide","kind":"pointer","target":{"id":-1,"x":0,"y":0}}', "node id"),
        ('{"v":1,"t":"guide","kind":"pointer","target":{"id":true,"x":0,"y":0}}', "node id"),
        ('{"v":1,"t":"chat","id":"","text":"hi"}', "id must be"),
        ('{"v":1,"t":"chat","id":"x","text":"' + "a" * 2001 + '"}', "2000"),
        ('{"v":1,"t":"chat","id":"x","text":"   "}', "chat text"),
        ('{"v":1,"t":"act","ref":"r","kind":"scroll","target":null,"dy":1e9}', "out of range"),
        ('{"v":1,"t":"act","ref":"r","kind":"input","target":null,"value":5}', "value"),
        ('{"v":1,"t":"act_result","ref":"r","ok":"yes","reason":null}', "ok"),
    ],
)
def test_bad_guidance_and_actions(frame: str, word: str) -> None:
    err = bad(frame)
    assert err.code == 4400 and word in err.reason


def test_every_fixture_has_version_1() -> None:
    for name in CLIENT_FIXTURES + SERVER_FIXTURES:
        assert load(name)["v"] == m.VERSION == 1, name


def test_encoded_server_frames_are_not_accepted_as_client_messages() -> None:
    # A client echoing a server frame gets a clean 4400, not a crash.
    for name in (
        "server.welcome.agent.json",
        "server.state.active.json",
        "server.snapshot_request.json",
    ):
        assert bad((GOOD / name).read_bytes()).code == CLOSE_BAD_MESSAGE


def test_error_helpers() -> None:
    err = m.not_allowed("events before Allow")
    assert (err.code, err.error_code) == (m.CLOSE_NOT_ALLOWED, "not_allowed")
    assert err.reason == "not allowed: events before Allow"
    assert m.bad_message("x").reason == "bad message: x"
    assert (
        m.CLOSE_NORMAL,
        m.CLOSE_BAD_TOKEN,
        m.CLOSE_HELLO_TIMEOUT,
        m.CLOSE_REPLACED,
        m.CLOSE_ENDED,
    ) == (1000, 4401, 4408, 4409, 4410)


# --- fuzzing ----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

envelopes = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 1, 1, 2, True, "1", None]),
        "t": st.sampled_from(["hello", "consent", "events", "end", "x", 1, None]),
    },
    optional={
        "token": json_values,
        "allow": json_values,
        "events": st.lists(
            st.dictionaries(st.sampled_from(["type", "timestamp", "data"]), json_values)
            | json_values,
            max_size=4,
        )
        | json_values,
    },
)


def _decode_or_protocol_error(data: str | bytes, max_bytes: int = LIMIT) -> None:
    try:
        msg = decode_client(data, max_bytes=max_bytes)
    except ProtocolError as err:
        assert err.code in (CLOSE_BAD_MESSAGE, CLOSE_TOO_BIG)
        assert err.reason
    else:
        assert isinstance(msg, Hello | Consent | Events | End)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_bytes(data: bytes) -> None:
    _decode_or_protocol_error(data)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200))
def test_fuzz_text(data: str) -> None:
    _decode_or_protocol_error(data)


@settings(max_examples=300, deadline=None)
@given(json_values | envelopes)
def test_fuzz_json_values(value: Any) -> None:
    data = json.dumps(value)
    _decode_or_protocol_error(data)
    _decode_or_protocol_error(data.encode(), max_bytes=max(1, len(data) // 2))


@settings(max_examples=200, deadline=None)
@given(envelopes)
def test_fuzz_accepted_messages_match_their_input(value: dict[str, Any]) -> None:
    try:
        msg = decode(json.dumps(value))
    except ProtocolError:
        return
    assert value["v"] == 1 and value["v"] is not True
    if isinstance(msg, Hello):
        assert msg.token == value["token"]
    elif isinstance(msg, Consent):
        assert msg.allow is value["allow"]
    elif isinstance(msg, Events):
        assert list(msg.events) == value["events"]
        for event in msg.events:
            assert type(event["type"]) is int
    else:
        assert value["t"] == "end"


def test_lone_surrogate_text_is_a_protocol_error() -> None:
    _decode_or_protocol_error('{"v":1,"t":"hello","token":"\ud800"}')
