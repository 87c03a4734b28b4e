"""A room stored and taken over by another node (store/room_codec.py): the conversation
goes on from the stored room as it would have on the old one, as far as the protocol
promises after a takeover: chat, control, acts seen, offers; everyone starts afresh."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from cobrowse.core import audit as a
from cobrowse.core import messages as m
from cobrowse.core.masking import compile_rules
from cobrowse.core.room import OfferedFile, Record
from cobrowse.store.codec import CodecError
from cobrowse.store.room_codec import (
    TAKEOVER_GAP,
    decode_room,
    encode_room,
    file_infos,
    present_roles,
)
from tests.core.test_room import (
    CLICK,
    GRANTED,
    PAGE,
    Play,
    agent_welcome,
    control,
    play,
)

PDF = OfferedFile(id="f_1", name="guide.pdf", type="application/pdf", data=b"%PDF")
RESULT = {"t": "act_result", "ref": "r1", "ok": True, "reason": None}


def lived() -> Play:
    """A session with history: page, two chat messages, control, an act answered, an
    act awaiting its result and a file offer not yet answered."""
    p = play(
        GRANTED,
        [
            ("agent", "sends", {"t": "chat", "id": "a1", "text": "Hello"}),
            ("visitor", "sends", {"t": "chat", "id": "v1", "text": "Hi"}),
            ("agent", "sends", CLICK),
            ("visitor", "sends", {"t": "act_result", "ref": "r1", "ok": True}),
            ("agent", "sends", {**CLICK, "ref": "r2"}),
        ],
    )
    p.run(p.room.offer(PDF, now=p.now))
    p.inbox.clear()
    p.audit.clear()
    return p


def taken_over(p: Play, files: dict[str, bytes] | None = None) -> Play:
    """The room as another node rebuilds it from what the old owner stored."""
    raw = encode_room(p.room)
    session = dataclasses.replace(p.room.session)
    files = {PDF.id: PDF.data} if files is None else files
    room = decode_room(raw, session=session, buffer_bytes=1 << 20, files=files)
    return Play(room, now=p.now)


def test_a_stored_room_goes_on_where_it_stopped() -> None:
    before = lived()
    raw = encode_room(before.room)
    assert present_roles(raw) == ["visitor", "agent"]
    assert [f.id for f in file_infos(raw)] == ["f_1"]
    assert b"%PDF" not in raw  # file bytes are stored apart
    after = taken_over(before)
    T = after.now
    assert after.room.conns == {}  # everyone attaches again
    history = {
        "t": "chat_history",
        "messages": [
            {"seq": 1, "id": "a1", "from": "agent", "name": "Asha Rao", "text": "Hello", "at": T},
            {"seq": 2, "id": "v1", "from": "visitor", "name": "Visitor", "text": "Hi", "at": T},
        ],
    }
    offer = {"t": "offer", "file_id": "f_1", "name": "guide.pdf", "size": 4}
    after.step(("agent", "resumes", before.room.agent_log.seq))  # its number: no resume
    after.step(
        (
            "agent",
            "gets",
            [agent_welcome("active", resumed=False), history, control("control"), {"t": "synced"}],
        )
    )
    after.step(("visitor", "resumes", before.room.visitor_log.seq))
    got = after.inbox.pop(after.conn_of["visitor"])
    assert [g["t"] for g in got] == [
        "welcome",
        "chat_history",
        "control",
        "offer",
        "snapshot_request",  # the agent's page stayed with the old owner
        "synced",
    ]
    assert got[0]["resumed"] is False and got[1] == {"v": 1, **history}
    assert {k: got[3][k] for k in offer} == offer
    # The page comes back; chat numbering goes on; resent messages and acts run once.
    after.step(PAGE[0])
    after.step(PAGE[1])
    after.step(("agent", "sends", {"t": "chat", "id": "a1", "text": "Hello"}))
    after.step(("visitor", "gets", []))
    after.step(("agent", "sends", {"t": "chat", "id": "a2", "text": "Again"}))
    again = {"t": "chat", "seq": 3, "id": "a2", "from": "agent", "name": "Asha Rao"}
    again |= {"text": "Again", "at": T}
    after.step(("visitor", "gets", [again]))
    after.step(("agent", "gets", [again]))
    after.step(("agent", "sends", CLICK))  # answered before: its result again, not rerun
    after.step(("visitor", "gets", []))
    after.step(("agent", "gets", [RESULT]))
    after.step(("agent", "sends", {**CLICK, "ref": "r2"}))  # awaiting: not sent twice
    after.step(("visitor", "gets", []))
    after.step(("visitor", "sends", {"t": "act_result", "ref": "r2", "ok": True}))
    after.step(("agent", "gets", [{**RESULT, "ref": "r2"}]))
    after.step(("audit", ["chat.sent", "agent.act"]))  # a2; the act awaited before
    after.step(("visitor", "sends", {"t": "offer_answer", "file_id": "f_1", "accept": True}))
    assert after.delivered == ["f_1"]


def test_frame_numbers_jump_past_what_the_old_owner_sent() -> None:
    before = lived()
    after = taken_over(before)
    for log, old in (
        (after.room.agent_log, before.room.agent_log),
        (after.room.visitor_log, before.room.visitor_log),
    ):
        assert log.seq == old.seq + TAKEOVER_GAP
        assert log.since(old.seq) is None  # any number the old owner gave: a fresh start
        assert log.since(old.seq + 1000) is None


def test_an_offer_whose_bytes_are_gone_is_dropped() -> None:
    after = taken_over(lived(), files={})
    assert after.room.files == {} and after.room.unanswered == []


def test_who_was_connected_is_away_from_the_takeover() -> None:
    """Their grace periods start, and control is held for the agent, then taken back."""
    before = lived()
    after = taken_over(before)
    hold = after.room.session.timeouts.control_hold
    after.run(after.room.taken_over(["visitor", "agent"], now=after.now))
    assert after.room.session.visitor_left_at == after.now
    assert after.room.session.agent_left_at == after.now
    assert after.room.control_hold_until == after.now + hold
    after.step(("visitor", "connects"))
    after.inbox.clear()
    after.step(("after", hold))
    after.step(("visitor", "gets", [control("view")]))
    after.step(("audit", ["control.revoked"]))


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b'{"v": 2}', b"not json", orjson.dumps({"v": 1, "chat": 3})],
)
def test_bad_stored_data_is_a_codec_error(raw: bytes) -> None:
    session = lived().room.session
    with pytest.raises(CodecError):
        decode_room(raw, session=session, buffer_bytes=1 << 20, files={})


def test_the_new_owner_cleans_the_audit_with_the_patterns_it_is_given() -> None:
    """A stored room keeps no patterns: the node taking it over passes the server's
    (core/audit.py audit_patterns), or a site's own pattern would stop applying."""
    rules = compile_rules(
        selectors=[],
        patterns=[],
        custom_patterns=[{"name": "case_ref", "regex": r"[A-Z]{3}-[A-Z]{4}"}],
    )
    p = lived()
    raw = encode_room(p.room)
    answer = m.ActResult(ref="r2", ok=True, reason=None, description="button “Case KXQ-WZPL”")
    targets = []
    for patterns in (a.BUILTIN_AUDIT_PATTERNS, a.audit_patterns(rules)):
        session = dataclasses.replace(p.room.session)
        room = decode_room(
            raw,
            session=session,
            buffer_bytes=1 << 20,
            files={PDF.id: PDF.data},
            audit_patterns=patterns,
        )
        effects = room.receive("visitor", answer, now=p.now)
        targets += [e.entry.target for e in effects if isinstance(e, Record)]
    assert targets == ["button “Case KXQ-WZPL”", "button “Case ***-****”"]
