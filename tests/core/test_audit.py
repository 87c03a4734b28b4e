"""Audit entries as plain data: what each event says, and what it never carries."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.core import audit as a
from cobrowse.core.audit import AuditEntry, Coalescer, Kind
from cobrowse.core.masking import compile_rules
from cobrowse.core.masking_checks import luhn_valid, mod97_valid, verhoeff_digit

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
    # A code-shaped reason the runtime never sends is "other": it could carry a value.
    assert done(act("click"), ok=False, reason="abcde1234f").outcome == "other"
    assert done(act("click"), ok=False, reason="not_found").outcome == "not_found"
    assert done(act("click"), ok=False, reason=None).outcome == "failed"


def test_descriptions_are_cleaned_and_bounded() -> None:
    assert a.clean_description("  button\n\t“Save”\u202e ") == "button “Save”"
    assert a.clean_description("x" * 500) == "x" * (a.MAX_TARGET - 1) + "…"
    assert a.clean_description("") is None and a.clean_description(5) is None
    # A 12-digit account number: masked by a pattern (digits kept apart by spaces too).
    assert a.clean_description("Refund to 1234 5678 9012") == "Refund to **** **** ****"
    assert a.clean_description("Refund to 1234 5678 9012", patterns=()) == "Refund to …"
    assert a.clean_description("Ref 2024/25-001") == "Ref …"  # no pattern: blanked
    assert a.clean_description("Mail meera@example.in now") == "Mail … now"
    assert a.clean_description("Form 16") == "Form 16"


@given(st.text(max_size=400))
def test_any_description_is_one_short_line(raw: str) -> None:
    cleaned = a.clean_description(raw)
    if cleaned is not None:
        assert len(cleaned) <= a.MAX_TARGET
        assert cleaned == cleaned.strip() and "\n" not in cleaned and "\r" not in cleaned
        assert "@" not in cleaned  # every token with an @ is blanked


# --- values on a button: generated per run, in the forms a page could show them -------

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALNUM = UPPER + DIGITS


@st.composite
def pans(draw: st.DrawFn) -> str:
    letters = st.text(UPPER, min_size=5, max_size=5)
    digits = st.text(DIGITS, min_size=4, max_size=4)
    return draw(letters) + draw(digits) + draw(st.text(UPPER, min_size=1, max_size=1))


def _grouped(value: str, sep: str) -> str:
    return sep.join(value[i : i + 4] for i in range(0, len(value), 4))


@st.composite
def aadhaars(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from("23456789")) + draw(st.text(DIGITS, min_size=10, max_size=10))
    return _grouped(body + verhoeff_digit(body), draw(st.sampled_from(["", " ", "-"])))


@st.composite
def cards(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(["4", "51", "6011"]))
    body += draw(st.text(DIGITS, min_size=15 - len(body), max_size=15 - len(body)))
    full = next(body + d for d in DIGITS if luhn_valid(body + d))
    return _grouped(full, draw(st.sampled_from(["", " ", "-"])))


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["GB", "DE", "FR", "IN", "NL"]))
    bban = draw(st.text(ALNUM, min_size=11, max_size=24))
    check = next(f"{n:02d}" for n in range(2, 99) if mod97_valid(country + f"{n:02d}" + bban))
    return _grouped(country + check + bban, draw(st.sampled_from(["", " "])))


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=20))
    domain = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12))
    tld = draw(st.sampled_from(["in", "com", "co.in", "org"]))
    return f"{local}@{domain}.{tld}"


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


FORMS = {
    "plain": lambda v: v,
    "lower": str.lower,
    "spaced": lambda v: " ".join(v.replace(" ", "")),
    "zero-width": lambda v: "\u200b".join(v),
    "soft hyphens": lambda v: "\u00ad".join(v),
    "full-width": _fullwidth,
    "devanagari digits": lambda v: "".join(chr(0x966 + int(c)) if c.isdigit() else c for c in v),
}
VALUES = st.one_of(pans(), aadhaars(), cards(), ibans(), emails())


@given(VALUES, st.sampled_from(sorted(FORMS)), st.sampled_from(["button", "link", "heading"]))
def test_a_value_on_a_button_never_reaches_the_log(value: str, form: str, role: str) -> None:
    """What the browser failed to mask (an old or modified client, a page the rules do not
    cover) is masked again here, whatever form the page showed it in."""
    shown = FORMS[form](value)
    cleaned = a.clean_description(f"{role} “Pay: {shown}”")
    assert cleaned is not None and cleaned.startswith(f"{role} “Pay: "), cleaned
    rest = cleaned[len(f"{role} “Pay: ") :]
    assert not re.search(r"[^\W_]", rest), (shown, cleaned)  # no letter or digit of it is left
    # Through an act: the entry's target and detail alike.
    e = done(act("click"), desc=f"{role} “Pay: {shown}”")
    compact = re.sub(r"[\s.@-]", "", value).lower()
    kept = re.sub(r"[\s.@-]", "", f"{e.target} {e.detail} {e.data}").lower()
    assert compact not in kept and value.lower() not in repr(e).lower()


def test_blanking_alone_would_have_kept_the_letters() -> None:
    """Why patterns come first: digit blanking leaves a PAN's letters, and a pattern of
    letters without a digit run is not blanked at all."""
    assert a.clean_description("button “ABCDE1234F”", patterns=()) == "button “ABCDE…F”"
    assert a.clean_description("button “ABCDE1234F”") == "button “**********”"


def test_custom_patterns_of_any_site_mask_descriptions() -> None:
    rules = compile_rules(
        selectors=[],
        patterns=["pan"],
        custom_patterns=[{"name": "case_ref", "regex": r"[A-Z]{3}-[A-Z]{4}", "boundary": "alnum"}],
        sites=[{"origin": "https://a.example.in", "patterns": ["case_ref"]}],
    )
    patterns = a.audit_patterns(rules)
    assert {"pan", "aadhaar", "card", "iban", "bank_account", "phone", "email", "case_ref"} <= {
        p.name for p in patterns
    }  # every built-in (the opt-in ones too) and every site's own
    text = "button “Open KXQ-WZPL now”"
    assert a.clean_description(text) == text  # not a built-in: kept without the rules
    assert a.clean_description(text, patterns=patterns) == "button “Open ***-**** now”"
    e = a.act_entry(
        at=T,
        session_id="s",
        agent="A",
        act=act("click"),
        ok=True,
        reason=None,
        description=text,
        patterns=patterns,
    )
    assert "KXQ" not in repr(e) and e.target == "button “Open ***-**** now”"


@given(pans())
def test_file_names_and_urls_keep_no_value(pan: str) -> None:
    f = a.file_entry(
        at=T,
        kind=Kind.FILE_OFFERED,
        session_id="s",
        actor="Asha Rao",
        file_id="f_1",
        name=f"Form16_{pan}.pdf",
        size=10,
        type="application/pdf",
    )
    assert f.target == "Form16_**********.pdf" and f.data["name"] == "Form16_**********.pdf"
    assert pan not in repr(f)
    encoded = "".join(f"%{ord(c):02X}" for c in pan)
    for path in (f"/profile/{pan}/edit", f"/profile/{pan.lower()}", f"/profile/{encoded}"):
        nav = done(act("navigate", f"https://portal.example{path}?q=1", node=None))
        assert nav.data["url"].startswith("https://portal.example/profile/**********")
        assert pan not in repr(nav).upper() and encoded not in repr(nav)


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
