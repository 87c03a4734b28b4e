"""The relay's rules as conversations written as data: "visitor sends X, agent
receives Y", played against the sans-I/O room with no sockets and no clock.

A conversation is a list of steps:
- (who, "connects")                 a new connection for `who` says hello
- (who, "resumes", n)               a new connection resumes from frame number n
- (who, "drops")                    its connection closes
- (who, "sends", {...})             a client message (decoded as the server would)
- (who, "refused", "text")          the last message was refused with this reason
- (who, "gets", [{...}, ...])       exactly these frames arrived since the last look;
                                    a frame's `n` is compared only when written
- ("audit", ["kind", ...])          these audit entries were written since the last look
- ("agent joins",)                  the agent entered the PIN
- ("after", seconds)                time passes (deadlines are checked)
- ("ended", reason)                 the session finished with this reason
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from cobrowse.core import messages as m
from cobrowse.core.room import Close, Deliver, Effect, Finished, OfferedFile, Record, Room, Send
from cobrowse.core.session import Session, Timeouts

T0 = 1_800_000_000.0
AGENT = {"name": "Asha Rao"}
META = {
    "type": 4,
    "timestamp": 1,
    "data": {"href": "https://portal.test/", "width": 1, "height": 1},
}
FULL = {"type": 2, "timestamp": 2, "data": {"node": {"id": 1}}}


def inc(ts: int) -> dict[str, Any]:
    return {"type": 3, "timestamp": ts, "data": {"source": 0}}


def state(s: str) -> dict[str, Any]:
    return {"t": "state", "state": s, "agent": AGENT}


def control(s: str) -> dict[str, Any]:
    return {"t": "control", "state": s}


def events(*batch: dict[str, Any], n: int | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"t": "events", "events": list(batch)}
    return frame if n is None else {**frame, "n": n}


@dataclass
class Play:
    room: Room
    now: float = T0
    conn_of: dict[str, int] = field(default_factory=dict)
    inbox: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    closed: dict[int, int] = field(default_factory=dict)
    audit: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    last_error: str | None = None
    _next: int = 0

    def run(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self.inbox.setdefault(effect.conn, []).append(orjson.loads(effect.frame))
            elif isinstance(effect, Close):
                self.closed[effect.conn] = effect.code
            elif isinstance(effect, Record):
                self.audit.append(effect.entry.kind)
            elif isinstance(effect, Finished):
                self.finished.append(effect.reason)
            elif isinstance(effect, Deliver):
                self.delivered.append(effect.file.id)

    def step(self, step: tuple[Any, ...]) -> None:
        who, *rest = step
        if who == "agent joins":
            self.room.session.join(agent_name=AGENT["name"], now=self.now)
            self.run(self.room.joined())
        elif who == "after":
            self.now += rest[0]
            self.run(self.room.tick(self.now))
        elif who == "audit":
            assert self.audit == rest[0], self.audit
            self.audit.clear()
        elif who == "ended":
            assert self.finished == [rest[0]]
        elif rest[0] in ("connects", "resumes"):
            self._next += 1
            self.conn_of[who] = self._next
            seq = rest[1] if rest[0] == "resumes" else None
            self.run(self.room.attach(who, self._next, seq=seq, now=self.now))
        elif rest[0] == "drops":
            self.run(self.room.detach(who, self.conn_of[who], now=self.now))
        elif rest[0] == "sends":
            message = m.decode_client(orjson.dumps({"v": 1, **rest[1]}), max_bytes=1 << 20)
            self.last_error = None
            try:
                self.run(self.room.receive(who, message, now=self.now))
            except m.ProtocolError as exc:
                self.last_error = exc.reason
        elif rest[0] == "refused":
            assert self.last_error is not None and rest[1] in self.last_error, self.last_error
        elif rest[0] == "gets":
            got = self.inbox.pop(self.conn_of[who], [])
            assert [_like(g, w) for g, w in zip(got, rest[0 + 1], strict=False)] == [
                {"v": 1, **w} for w in rest[1]
            ], got
            assert len(got) == len(rest[1]), got
        else:
            raise AssertionError(f"unknown step {step!r}")


def _like(got: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """`got` without the fields the expectation does not mention among n/resumed."""
    return {k: v for k, v in got.items() if k not in ("n", "resumed") or k in wanted}


def play(*parts: list[tuple[Any, ...]], **timeouts: float) -> Play:
    """Play the steps of `parts`, one after the other."""
    session = Session(id="s_1", pin="123456", created_at=T0, timeouts=Timeouts(**timeouts))
    p = Play(Room.open(session, buffer_bytes=1 << 20))
    for part in parts:
        for step in part:
            p.step(step)
    return p


def agent_welcome(state: str, **extra: Any) -> dict[str, Any]:
    """The agent's welcome in a state (with `n` or `resumed` when the step checks them)."""
    return {
        "t": "welcome",
        "role": "agent",
        "session_id": "s_1",
        "state": state,
        "agent": AGENT,
        "pin_display": None,
        "expires_at": None,
        **extra,
    }


WELCOME_V = {"t": "welcome", "role": "visitor", "session_id": "s_1", "agent": None}
ACTIVE: list[tuple[Any, ...]] = [
    ("visitor", "connects"),
    (
        "visitor",
        "gets",
        [
            {**WELCOME_V, "state": "created", "pin_display": "123 456", "expires_at": T0 + 600},
            {"t": "synced"},
        ],
    ),
    ("agent joins",),
    ("visitor", "gets", [state("pending")]),
    ("agent", "connects"),
    (
        "agent",
        "gets",
        [
            agent_welcome("pending"),
            {"t": "synced"},
        ],
    ),
    ("visitor", "sends", {"t": "consent", "allow": True}),
    ("visitor", "gets", [state("active")]),
    ("agent", "gets", [state("active")]),
    ("audit", ["consent.allowed"]),
]
PAGE: list[tuple[Any, ...]] = [
    ("visitor", "sends", {"t": "events", "events": [META, FULL]}),
    ("agent", "gets", [events(META, FULL)]),
]


def test_consent_then_page_data_flows() -> None:
    play(ACTIVE + PAGE)


def test_nothing_is_relayed_before_the_visitor_allows() -> None:
    play(
        [
            ("visitor", "connects"),
            ("agent joins",),
            ("agent", "connects"),
            ("visitor", "sends", {"t": "events", "events": [META, FULL]}),
            ("visitor", "refused", "events before the visitor allows"),
            (
                "agent",
                "gets",
                [
                    agent_welcome("pending"),
                    {"t": "synced"},
                ],
            ),
        ]
    )


def test_a_denial_ends_the_session_for_both() -> None:
    p = play(
        [
            ("visitor", "connects"),
            ("agent joins",),
            ("agent", "connects"),
            ("visitor", "sends", {"t": "consent", "allow": False}),
            ("audit", ["consent.denied", "session.ended"]),
            ("ended", "denied"),
        ]
    )
    assert sorted(p.closed.values()) == [m.CLOSE_NORMAL, m.CLOSE_NORMAL]
    assert p.inbox[p.conn_of["agent"]][-1] == {"v": 1, "t": "ended", "reason": "denied"}


def test_a_late_agent_gets_the_page_and_a_resumed_one_only_what_it_missed() -> None:
    play(
        ACTIVE,
        PAGE,
        [
            ("visitor", "sends", {"t": "events", "events": [inc(3)]}),
            ("agent", "gets", [events(inc(3), n=3)]),
            ("agent", "drops"),
            ("visitor", "sends", {"t": "events", "events": [inc(4)]}),
            ("visitor", "sends", {"t": "chat", "id": "c1", "text": "Hello?"}),
            ("audit", ["chat.sent"]),
            ("agent", "resumes", 3),
            (
                "agent",
                "gets",
                [
                    agent_welcome("active", resumed=True, n=5),
                    events(inc(4), n=4),
                    {
                        "t": "chat",
                        "n": 5,
                        "seq": 1,
                        "id": "c1",
                        "from": "visitor",
                        "name": "Visitor",
                        "text": "Hello?",
                        "at": T0,
                    },
                    {"t": "synced", "n": 5},
                ],
            ),
            # A console reload (no resume point) starts afresh: chat, control, the page.
            ("agent", "connects"),
            (
                "agent",
                "gets",
                [
                    agent_welcome("active", resumed=False),
                    {
                        "t": "chat_history",
                        "messages": [
                            {
                                "seq": 1,
                                "id": "c1",
                                "from": "visitor",
                                "name": "Visitor",
                                "text": "Hello?",
                                "at": T0,
                            }
                        ],
                    },
                    control("view"),
                    events(META, FULL, n=2),
                    events(inc(3), n=3),
                    events(inc(4), n=4),
                    {"t": "synced", "n": 5},
                ],
            ),
        ],
    )


def test_a_resume_point_the_room_cannot_serve_starts_afresh() -> None:
    play(
        ACTIVE,
        PAGE,
        [
            ("agent", "resumes", 99),  # never given out
            (
                "agent",
                "gets",
                [
                    agent_welcome("active", resumed=False),
                    control("view"),
                    events(META, FULL),
                    {"t": "synced", "n": 2},
                ],
            ),
        ],
    )


def test_a_fresh_agent_with_no_usable_page_asks_the_visitor_for_one() -> None:
    play(
        ACTIVE,
        [
            ("agent", "connects"),
            (
                "agent",
                "gets",
                [
                    agent_welcome("active"),
                    control("view"),
                    {"t": "synced"},
                ],
            ),
            ("visitor", "gets", [{"t": "snapshot_request"}]),
        ],
    )


def test_a_resume_across_the_visitor_s_page_load_gets_the_new_page_and_the_chat() -> None:
    play(
        ACTIVE,
        PAGE,
        [
            ("agent", "drops"),
            ("agent", "sends", {"t": "chat", "id": "a1", "text": "Click Next"}),  # queued before
            (
                "visitor",
                "gets",
                [
                    {
                        "t": "chat",
                        "seq": 1,
                        "id": "a1",
                        "from": "agent",
                        "name": "Asha Rao",
                        "text": "Click Next",
                        "at": T0,
                    }
                ],
            ),
            ("visitor", "sends", {"t": "events", "events": [inc(3)]}),
            ("visitor", "sends", {"t": "events", "events": [META, FULL]}),  # the next page
            ("agent", "resumes", 2),
            (
                "agent",
                "gets",
                [
                    agent_welcome("active", resumed=True),
                    {
                        "t": "chat",
                        "n": 3,
                        "seq": 1,
                        "id": "a1",
                        "from": "agent",
                        "name": "Asha Rao",
                        "text": "Click Next",
                        "at": T0,
                    },
                    events(META, FULL, n=5),
                    {"t": "synced", "n": 5},
                ],
            ),
        ],
    )


GRANTED: list[tuple[Any, ...]] = [
    *ACTIVE,
    *PAGE,
    ("agent", "sends", {"t": "control", "action": "request"}),
    ("visitor", "sends", {"t": "control", "action": "grant"}),
    ("visitor", "gets", [control("requested"), control("control")]),
    ("agent", "gets", [control("requested"), control("control")]),
    ("audit", ["control.requested", "control.granted"]),
]
CLICK = {
    "t": "act",
    "ref": "r1",
    "kind": "click",
    "target": {"id": 5, "x": 0.5, "y": 0.5},
    "value": "",
    "dx": 0,
    "dy": 0,
}
CLICK_OUT = {**CLICK, "dx": 0.0, "dy": 0.0}


def test_control_survives_a_short_drop_of_the_agent() -> None:
    play(
        GRANTED,
        [
            ("agent", "drops"),
            ("after", 9),
            ("agent", "resumes", 4),
            (
                "agent",
                "gets",
                [
                    agent_welcome("active", resumed=True),
                    {"t": "synced"},
                ],
            ),
            ("after", 5),  # past the hold: nothing changes, the agent is back
            ("visitor", "gets", []),
            ("agent", "sends", CLICK),
            ("visitor", "gets", [CLICK_OUT]),
        ],
        control_hold=10,
    )


def test_control_is_taken_back_when_the_agent_stays_away() -> None:
    play(
        GRANTED,
        [
            ("agent", "drops"),
            ("after", 9.9),
            ("visitor", "gets", []),
            ("after", 0.1),
            ("visitor", "gets", [control("view")]),
            ("audit", ["control.revoked"]),
        ],
        control_hold=10,
    )


def test_an_act_sent_again_after_a_drop_runs_once_and_gets_its_result() -> None:
    result = {"t": "act_result", "ref": "r1", "ok": True, "reason": None}
    play(
        GRANTED,
        [
            ("agent", "sends", CLICK),
            ("visitor", "gets", [CLICK_OUT]),
            ("agent", "sends", CLICK),  # resent before the result: not run twice
            ("visitor", "gets", []),
            (
                "visitor",
                "sends",
                {"t": "act_result", "ref": "r1", "ok": True, "description": "button “Next”"},
            ),
            ("agent", "gets", [result]),
            ("audit", ["agent.act"]),
            ("agent", "sends", CLICK),  # resent after the result: the result again
            ("visitor", "gets", []),
            ("agent", "gets", [result]),
            ("audit", []),
        ],
    )


def test_acts_need_control_and_a_present_visitor() -> None:
    play(
        ACTIVE,
        PAGE,
        [
            ("agent", "sends", CLICK),
            (
                "agent",
                "gets",
                [{"t": "act_result", "ref": "r1", "ok": False, "reason": "no control"}],
            ),
            ("audit", ["agent.act"]),
            ("visitor", "sends", {"t": "act", **{k: v for k, v in CLICK.items() if k != "t"}}),
            ("visitor", "refused", "only the agent sends act"),
        ],
    )


def test_the_visitor_s_resume_never_replays_an_act_it_already_had() -> None:
    play(
        GRANTED,
        [
            ("agent", "sends", CLICK),
            ("visitor", "gets", [CLICK_OUT]),
            ("visitor", "drops"),
            ("agent", "sends", {"t": "chat", "id": "a1", "text": "Done?"}),
            ("visitor", "resumes", 5),
            (
                "visitor",
                "gets",
                [
                    {
                        **WELCOME_V,
                        "state": "active",
                        "agent": AGENT,
                        "pin_display": None,
                        "expires_at": None,
                        "resumed": True,
                    },
                    {
                        "t": "chat",
                        "n": 6,
                        "seq": 1,
                        "id": "a1",
                        "from": "agent",
                        "name": "Asha Rao",
                        "text": "Done?",
                        "at": T0,
                    },
                    {"t": "synced", "n": 6},
                ],
            ),
        ],
    )


def test_a_replaced_connection_is_closed_and_its_late_close_changes_nothing() -> None:
    p = play(ACTIVE, [("agent", "connects")])
    old = p.conn_of["agent"] - 1
    assert p.closed == {old: m.CLOSE_REPLACED}
    p.run(p.room.detach("agent", old, now=p.now))
    assert "agent" in p.room.conns


def test_files_are_offered_answered_and_delivered() -> None:
    p = play(ACTIVE)
    pdf = OfferedFile(id="f_1", name="guide.pdf", type="application/pdf", data=b"%PDF")
    p.run(p.room.offer(pdf, now=p.now))
    offer = {
        "t": "offer",
        "file_id": "f_1",
        "name": "guide.pdf",
        "size": 4,
        "type": "application/pdf",
        "agent": AGENT,
    }
    p.step(("visitor", "gets", [offer]))
    p.step(("visitor", "drops"))
    p.step(("visitor", "connects"))  # a new page asks again
    p.step(
        (
            "visitor",
            "gets",
            [
                {
                    **WELCOME_V,
                    "state": "active",
                    "agent": AGENT,
                    "pin_display": None,
                    "expires_at": None,
                },
                control("view"),
                offer,
                {"t": "synced"},
            ],
        )
    )
    p.step(("visitor", "sends", {"t": "offer_answer", "file_id": "f_1", "accept": True}))
    p.step(("agent", "gets", [{"t": "offer_answer", "file_id": "f_1", "accept": True}]))
    assert p.delivered == ["f_1"]
    p.step(("visitor", "sends", {"t": "offer_answer", "file_id": "f_1", "accept": True}))
    assert p.delivered == ["f_1"]  # answered once


@pytest.mark.parametrize(
    ("who", "reason"), [("visitor", "visitor_stopped"), ("agent", "agent_left")]
)
def test_end_from_either_side_tells_both_and_closes(who: str, reason: str) -> None:
    p = play(ACTIVE, PAGE, [(who, "sends", {"t": "end"}), ("ended", reason)])
    for role in ("visitor", "agent"):
        assert p.inbox[p.conn_of[role]][-1] == {"v": 1, "t": "ended", "reason": reason}
    assert p.room.agent_log.size == 0 and p.room.agent_log.history() == []
    assert p.room.receive("visitor", m.Chat(id="x", text="late"), now=p.now) == []


def test_deadlines_end_the_session() -> None:
    p = play([("visitor", "connects"), ("after", 601)])
    assert p.finished == ["pin_expired"]
    p = play(ACTIVE, [("visitor", "drops"), ("after", 31)], visitor_grace=30)
    assert p.finished == ["visitor_gone"]
