"""Audit entries as plain data: what each event says, and what it never carries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.core import audit as a
from cobrowse.core.audit import AuditEntry, Coalescer, Kind

T = 1_800_000_000.0


def act(
    kind: str, value: str = "", node: int | None = 7, dx: float = 0, dy: float = 0
) -> a.PendingAct:
    return a.pending_act(kind=kind, node=node, value=value, dx=dx, dy=dy)


def done(
    p: a.PendingAct, *, ok: bool = True, reason: str | None = None, desc: str | None = None
) -> AuditEntry:
    return a.act_entry(
        at=T, session_id="s_1", agent="Asha Rao", act=p, ok=ok, reason=reason, description=desc
    )


def test_typing_is_counted_never_kept() -> None:
    pending = act("input", "Meera Iyer")
    assert "Meera" not in repr(pending)
    e = done(pending, desc="text field “Full name”")
    assert e.kind is Kind.AGENT_ACT and e.actor == "Asha Rao" and e.outcome == "ok"
    assert e.detail == "typed 10 characters into “text field “Full name””"
    assert e.target == "text field “Full name”"
    assert e.data == {"act": "input", "node": 7, "chars": 10}
    assert "Meera" not in repr(e)


def test_a_masked_refusal_names_only_a_masked_field() -> None:
    e = done(act("input", "ABCDE1234F"), ok=False, reason="masked", desc="text field “PAN”")
    assert e.target == a.MASKED
    assert e.outcome == "masked"
    assert e.detail == "typed 10 characters into “masked field” (refused: masked)"
    assert "ABCDE" not in repr(e) and "PAN" not in repr(e)


def test_each_act_kind() -> None:
    assert done(act("click"), desc="button “Save”").detail == "clicked “button “Save””"
    assert done(act("click")).target == "an element"  # no description sent
    assert done(act("scroll", node=None, dy=300)).detail == "scrolled the page"
    assert done(act("scroll", node=None, dy=300)).data["dy"] == 300
    assert done(act("key", "Enter", node=None)).detail == "pressed Enter"
    # A character key is a typed character: never named.
    key = done(act("key", "q", node=3), desc="text field “Name”")
    assert key.detail == "pressed a character key on “text field “Name””"
    assert "'q'" not in repr(key)
    nav = done(act("navigate", "https://portal.example/itr?pan=ABCDE1234F#x", node=None))
    assert nav.detail == "opened https://portal.example/itr"
    assert "ABCDE" not in repr(nav)
    assert done(act("navigate", "back", node=None)).detail == "went back"
    assert (
        done(act("navigate", "javascript:alert(1)", node=None)).detail
        == "opened an invalid address"
    )
    refused = done(act("click"), ok=False, reason="Something <odd>")
    assert refused.outcome == "other"


def test_descriptions_are_cleaned_and_bounded() -> None:
    assert a.clean_description("  button\n\t“Save”\u202e ") == "button “Save”"
    assert a.clean_description("x" * 500) == "x" * (a.MAX_TARGET - 1) + "…"
    assert a.clean_description("") is None and a.clean_description(5) is None
    assert a.clean_description("Refund to 1234 5678 9012") == "Refund to …"
    assert a.clean_description("Mail meera@example.in now") == "Mail … now"
    assert a.clean_description("Form 16") == "Form 16"


@given(st.text(max_size=400))
def test_any_description_is_one_short_line(raw: str) -> None:
    cleaned = a.clean_description(raw)
    if cleaned is not None:
        assert len(cleaned) <= a.MAX_TARGET
        assert cleaned == cleaned.strip() and "\n" not in cleaned and "\r" not in cleaned
        assert "@" not in cleaned  # every token with an @ is blanked


def test_other_entries() -> None:
    chat = a.chat_entry(at=T, session_id="s", actor="visitor", text="my PAN is ABCDE1234F")
    assert chat.data == {"chars": 20} and "ABCDE" not in repr(chat)
    revoked = a.control_entry(
        at=T, session_id="s", actor="visitor", action="revoke", reason="escape"
    )
    assert (revoked.kind, revoked.outcome, revoked.detail) == (
        Kind.CONTROL_REVOKED,
        "escape",
        "revoke (escape)",
    )
    f = a.file_entry(
        at=T,
        kind=Kind.FILE_OFFERED,
        session_id="s",
        actor="Asha Rao",
        file_id="f_1",
        name="Form 16 2024.pdf",
        size=1234,
        type="application/pdf",
    )
    assert f.detail == "offered “Form 16 2024.pdf” (1234 bytes, application/pdf)"
    assert f.data["size"] == 1234
    ended = a.ended_entry(at=T, session_id="s", reason="agent_left", agent="Asha Rao")
    assert (ended.actor, ended.outcome) == ("Asha Rao", "agent_left")
    assert (
        a.ended_entry(at=T, session_id="s", reason="visitor_stopped", agent="A").actor == "visitor"
    )
    assert a.ended_entry(at=T, session_id="s", reason="pin_expired", agent=None).actor == "system"
    assert a.consent_entry(at=T, session_id="s", allow=False).kind is Kind.CONSENT_DENIED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Enter", "Enter"),
        ("ArrowDown", "ArrowDown"),
        ("a", "a character key"),
        ("1", "a character key"),
        ("Tab", "Tab"),
        ("é", "a character key"),
        ("Meera Iyer", "a character key"),
    ],
)
def test_key_names(value: str, expected: str) -> None:
    assert a.key_name(value) == expected


def test_runs_of_typing_become_one_entry_with_the_final_count() -> None:
    c = Coalescer(idle=2.0)
    typed = [done(act("input", "Meera Iyer"[:n]), desc="text field “Full name”") for n in (1, 2, 3)]
    assert c.add(typed[0], now=0) == []
    assert c.add(typed[1], now=0.1) == []
    assert c.add(typed[2], now=0.2) == []
    click = done(act("click", node=9), desc="button “Save”")
    out = c.add(click, now=0.3)  # the run ends before the click, and the click is not held
    assert [e.detail for e in out] == [
        "typed 3 characters into “text field “Full name””",
        "clicked “button “Save””",
    ]
    assert out[0].data["count"] == 3
    assert len(c) == 0


def test_runs_end_on_idle_on_another_target_and_at_drain() -> None:
    c = Coalescer(idle=2.0)
    c.add(done(act("input", "ab", node=1)), now=0)
    out = c.add(done(act("input", "xyz", node=2)), now=0.5)  # another field: a new run
    assert [e.data["chars"] for e in out] == [2]
    assert c.due(now=1.0) == []
    (idle,) = c.due(now=2.6)
    assert idle.data["chars"] == 3
    pointer = a.guide_entry(at=T, session_id="s_1", agent="A", kind="pointer", node=4)
    other = a.guide_entry(at=T, session_id="s_2", agent="B", kind="pointer", node=4)
    c.add(pointer, now=3)
    c.add(pointer, now=3.1)
    assert c.add(other, now=3.2) == []  # sessions hold their own runs
    drained = c.drain()
    assert sorted((e.session_id, e.data.get("count")) for e in drained) == [
        ("s_1", 2),
        ("s_2", None),
    ]


def test_scroll_runs_add_up() -> None:
    c = Coalescer()
    c.add(done(act("scroll", node=None, dy=100)), now=0)
    c.add(done(act("scroll", node=None, dy=50)), now=0.1)
    (e,) = c.drain()
    assert (e.data["dy"], e.data["count"]) == (150.0, 2)


def test_entries_without_a_session_are_never_held() -> None:
    c = Coalescer()
    e = AuditEntry(at=T, kind=Kind.AGENT_LINK_ISSUED, actor="crm:abc")
    assert c.add(e, now=0) == [e]


def join(outcome: str, *, actor: str = "Asha Rao", address: str = "10.0.0.9") -> AuditEntry:
    return AuditEntry(
        at=T,
        kind=Kind.JOIN_ATTEMPTED,
        actor=actor,
        address=address,
        outcome=outcome,
        session_id="s_1" if outcome == "ok" else None,
    )


def test_a_burst_of_wrong_pins_is_one_entry_ended_by_the_right_one() -> None:
    c = Coalescer()
    for _ in range(50):
        assert c.add(join("wrong_pin"), now=0) == []
    assert c.add(join("wrong_pin", address="10.0.0.10"), now=0) == []  # another address
    out = c.add(join("ok"), now=0.5)
    assert [(e.outcome, e.data.get("count")) for e in out] == [("wrong_pin", 50), ("ok", None)]
    (other,) = c.drain()
    assert other.address == "10.0.0.10" and "count" not in other.data
    c.add(join("wrong_pin"), now=0)
    out = c.add(join("throttled"), now=0.1)  # the outcome changes: a new run
    assert [e.outcome for e in out] == ["wrong_pin"]
