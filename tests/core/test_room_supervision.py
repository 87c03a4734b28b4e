"""Supervision in the room, as conversations: a supervisor watches (with or without a
new Allow), notes go between the agent and supervisors only, a supervisor takes over,
an agent transfers. Steps as in test_room.py, plus:

- ("watch", wid, name, ask)       supervisor `name` starts watching as watcher `wid`
- (wid, "connects" | "drops" | "sends" | "gets" | "refused", ...)   as for the others
- ("unwatch", wid)                the watcher leaves through the console
- ("hand over", name, how, id)    `name` (agent id `id`) becomes the agent (taken_over /
                                  transferred)
- ("transfer", name) / ("decline",)   the agent offers the session to `name`; declined
- ("closed", who, code)           `who`'s connection was closed with `code`
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from cobrowse.core import messages as m
from cobrowse.core.participants import Transfer, Watcher
from cobrowse.core.room import Room
from cobrowse.core.session import InvalidTransition, Session, Timeouts
from tests.core.test_room import ACTIVE, FULL, META, PAGE, T0, Play, control, events
from tests.server.test_access_matrix import EXAMPLES

MEERA = {"name": "Meera Iyer"}


def participants(watching: list[str], asking: list[tuple[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "t": "participants",
        "watching": [{"name": n} for n in watching],
        "asking": [{"id": i, "name": n} for i, n in asking],
    }


@dataclass
class Supervised(Play):
    def step(self, step: tuple[Any, ...]) -> None:
        who, *rest = step
        if who == "watch":
            wid, name, ask = rest
            watcher = Watcher(id=wid, name=name, key="k-" + wid, agent_id="account:" + wid)
            self.run(self.room.watch(watcher, ask=ask, now=self.now))
        elif who == "unwatch":
            self.run(self.room.unwatch(rest[0], now=self.now))
        elif who == "hand over":
            name, how, agent_id = rest
            self.run(
                self.room.hand_over(
                    name=name, key="k2", agent_id=agent_id, team=None, how=how, now=self.now
                )
            )
        elif who == "transfer":
            t = Transfer(
                to_id="account:ravi", to_name=rest[0], from_name="Asha Rao", until=self.now + 60
            )
            self.run(self.room.offer_transfer(t, now=self.now))
        elif who == "decline":
            self.run(self.room.decline_transfer(now=self.now))
        elif who == "closed":
            assert self.closed.get(self.conn_of[rest[0]]) == rest[1], self.closed
        elif (
            isinstance(who, str)
            and who.startswith("w_")
            and rest[0] in ("connects", "resumes", "drops", "sends")
        ):
            if rest[0] in ("connects", "resumes"):
                self._next += 1
                self.conn_of[who] = self._next
                seq = rest[1] if rest[0] == "resumes" else None
                self.run(self.room.attach("watcher", self._next, seq=seq, now=self.now, holder=who))
            elif rest[0] == "drops":
                self.run(self.room.detach("watcher", self.conn_of[who], now=self.now))
            else:
                message = m.decode_client(orjson.dumps({"v": 1, **rest[1]}), max_bytes=1 << 20)
                self.last_error = None
                try:
                    self.run(
                        self.room.receive("watcher", message, now=self.now, conn=self.conn_of[who])
                    )
                except m.ProtocolError as exc:
                    self.last_error = exc.reason
        else:
            super().step(step)


def supervised(*parts: list[tuple[Any, ...]], **timeouts: float) -> Supervised:
    session = Session(id="s_1", pin="123456", created_at=T0, timeouts=Timeouts(**timeouts))
    p = Supervised(Room.open(session, buffer_bytes=1 << 20))
    for part in parts:
        for step in part:
            p.step(step)
    return p


def watcher_welcome(**extra: Any) -> dict[str, Any]:
    return {
        "t": "welcome",
        "role": "watcher",
        "session_id": "s_1",
        "state": "active",
        "agent": {"name": "Asha Rao"},
        "pin_display": None,
        "expires_at": None,
        **extra,
    }


ASKED: list[tuple[Any, ...]] = [
    ("watch", "w_1", "Meera Iyer", True),
    ("audit", ["watch.asked"]),
    ("visitor", "gets", [participants([], [("w_1", "Meera Iyer")])]),
    ("agent", "gets", [participants([], [("w_1", "Meera Iyer")])]),
    ("w_1", "connects"),
    # Waiting for the visitor: told who is there, shown nothing of the page.
    (
        "w_1",
        "gets",
        [
            watcher_welcome(),
            control("view"),
            participants([], [("w_1", "Meera Iyer")]),
            {"t": "synced"},
        ],
    ),
]


def test_a_watcher_sees_nothing_until_the_visitor_allows_then_what_the_agent_sees() -> None:
    supervised(
        ACTIVE + PAGE + ASKED,
        [
            ("visitor", "sends", {"t": "watch_answer", "watcher": "w_1", "allow": True}),
            ("audit", ["watch.allowed"]),
            ("visitor", "gets", [participants(["Meera Iyer"])]),
            ("agent", "gets", [participants(["Meera Iyer"])]),
            ("w_1", "gets", [participants(["Meera Iyer"]), events(META, FULL)]),
            # From now on, the page flows to both.
            (
                "visitor",
                "sends",
                {"t": "events", "events": [{"type": 3, "timestamp": 5, "data": {}}]},
            ),
            ("agent", "gets", [events({"type": 3, "timestamp": 5, "data": {}})]),
            ("w_1", "gets", [events({"type": 3, "timestamp": 5, "data": {}})]),
        ],
    )


def test_a_denied_watcher_is_closed_and_the_others_told() -> None:
    p = supervised(
        ACTIVE + PAGE + ASKED,
        [
            ("visitor", "sends", {"t": "watch_answer", "watcher": "w_1", "allow": False}),
            ("audit", ["watch.denied"]),
            ("w_1", "gets", [{"t": "ended", "reason": "watch_ended"}]),
            ("closed", "w_1", m.CLOSE_WATCH_ENDED),
            ("visitor", "gets", [participants([])]),
            ("agent", "gets", [participants([])]),
            # A second answer for a watcher that is gone changes nothing.
            ("visitor", "sends", {"t": "watch_answer", "watcher": "w_1", "allow": True}),
            ("visitor", "gets", []),
            ("audit", []),
        ],
    )
    assert p.room.session.watchers == ()


def test_a_site_may_let_supervisors_watch_without_asking_but_never_unannounced() -> None:
    supervised(
        ACTIVE + PAGE,
        [
            ("watch", "w_1", "Meera Iyer", False),
            ("audit", ["watch.asked"]),
            ("visitor", "gets", [participants(["Meera Iyer"])]),
            ("w_1", "connects"),
            (
                "w_1",
                "gets",
                [
                    watcher_welcome(),
                    control("view"),
                    participants(["Meera Iyer"]),
                    events(META, FULL),
                    {"t": "synced"},
                ],
            ),
        ],
    )


def test_notes_go_to_the_agent_side_only_and_a_resend_is_a_no_op() -> None:
    note = {"t": "note", "id": "n1", "text": "Ask for the acknowledgement number"}
    got = {
        "t": "note",
        "seq": 1,
        "id": "n1",
        "from": "watcher",
        "name": "Meera Iyer",
        "text": note["text"],
        "at": T0,
    }
    supervised(
        ACTIVE + PAGE,
        [
            ("watch", "w_1", "Meera Iyer", False),
            ("w_1", "connects"),
            ("visitor", "gets", [participants(["Meera Iyer"])]),
            ("agent", "gets", [participants(["Meera Iyer"])]),
            ("audit", ["watch.asked"]),
            (
                "w_1",
                "gets",
                [
                    watcher_welcome(),
                    control("view"),
                    participants(["Meera Iyer"]),
                    events(META, FULL),
                    {"t": "synced"},
                ],
            ),
            ("w_1", "sends", note),
            ("agent", "gets", [got]),
            ("w_1", "gets", [got]),
            ("visitor", "gets", []),
            ("audit", ["note.sent"]),
            ("w_1", "sends", note),
            ("agent", "gets", []),
            ("audit", []),
            # The agent answers privately; the visitor may send none.
            ("agent", "sends", {"t": "note", "id": "n2", "text": "Done"}),
            (
                "w_1",
                "gets",
                [
                    {
                        **got,
                        "seq": 2,
                        "id": "n2",
                        "from": "agent",
                        "name": "Asha Rao",
                        "text": "Done",
                    }
                ],
            ),
            ("visitor", "sends", {"t": "note", "id": "n3", "text": "hello"}),
            ("visitor", "refused", "only the agent sends note"),
        ],
    )


@pytest.mark.parametrize(
    "message",
    [
        {"t": "chat", "id": "c1", "text": "hi"},
        {"t": "guide", "kind": "pointer", "target": {"id": 1, "x": 0.5, "y": 0.5}},
        {"t": "control", "action": "request"},
        {"t": "act", "ref": "a1", "kind": "click", "target": {"id": 1, "x": 0.5, "y": 0.5}},
        {"t": "consent", "allow": True},
    ],
)
def test_a_watcher_only_watches(message: dict[str, Any]) -> None:
    supervised(
        ACTIVE + PAGE,
        [
            ("watch", "w_1", "Meera Iyer", False),
            ("w_1", "connects"),
            ("w_1", "sends", message),
            ("w_1", "refused", "a watcher does not send"),
            ("visitor", "gets", [participants(["Meera Iyer"])]),
        ],
    )


def test_a_watcher_whose_connection_stays_away_has_left() -> None:
    p = supervised(
        ACTIVE + PAGE,
        [
            ("watch", "w_1", "Meera Iyer", False),
            ("w_1", "connects"),
            ("w_1", "drops"),
            ("after", 10),
            ("w_1", "connects"),  # back within the grace: still watching
            ("w_1", "drops"),
            ("audit", ["watch.asked"]),
            ("after", 16),
            ("audit", ["watch.ended"]),
        ],
    )
    assert p.room.session.watchers == ()
    last = p.inbox[p.conn_of["visitor"]][-1]
    assert {k: v for k, v in last.items() if k != "n"} == {"v": 1, **participants([])}


def test_a_supervisor_takes_over() -> None:
    p = supervised(
        ACTIVE + PAGE,
        [
            ("agent", "sends", {"t": "control", "action": "request"}),
            ("visitor", "sends", {"t": "control", "action": "grant"}),
            ("watch", "w_1", "Meera Iyer", False),
            ("w_1", "connects"),
            ("audit", ["control.requested", "control.granted", "watch.asked"]),
            (
                "visitor",
                "gets",
                [control("requested"), control("control"), participants(["Meera Iyer"])],
            ),
            ("hand over", "Meera Iyer", "taken_over", "account:w_1"),
            ("audit", ["control.revoked", "session.handed_over"]),
            # The agent before is told and let go.
            ("closed", "agent", m.CLOSE_HANDED_OVER),
            # The visitor is told who helps now, and control is theirs again.
            (
                "visitor",
                "gets",
                [
                    {"t": "handed_over", "agent": MEERA, "how": "taken_over"},
                    {"t": "state", "state": "active", "agent": MEERA},
                    control("view"),
                    participants([]),
                ],
            ),
            ("closed", "w_1", m.CLOSE_WATCH_ENDED),  # Meera stops watching: she is the agent
            ("agent", "connects"),
        ],
    )
    s = p.room.session
    assert (s.agent_name, s.agent_key, s.control) == ("Meera Iyer", "k2", "view")
    agent_frames = p.inbox[p.conn_of["agent"]]
    assert agent_frames[0]["t"] == "welcome" and agent_frames[0]["agent"] == MEERA
    # The page, for the new agent:
    assert any(f["t"] == "events" and f["events"] == [META, FULL] for f in agent_frames)


def test_a_transfer_is_offered_declined_or_lapses() -> None:
    p = supervised(
        ACTIVE + PAGE,
        [
            ("transfer", "Ravi Kumar"),
            ("audit", ["transfer.offered"]),
            (
                "agent",
                "gets",
                [{"t": "transfer", "state": "offered", "to": {"name": "Ravi Kumar"}}],
            ),
            ("decline",),
            ("audit", ["transfer.declined"]),
            (
                "agent",
                "gets",
                [{"t": "transfer", "state": "declined", "to": {"name": "Ravi Kumar"}}],
            ),
            ("transfer", "Ravi Kumar"),
            (
                "agent",
                "gets",
                [{"t": "transfer", "state": "offered", "to": {"name": "Ravi Kumar"}}],
            ),
            ("after", 61),
            ("audit", ["transfer.offered", "transfer.lapsed"]),
            ("agent", "gets", [{"t": "transfer", "state": "lapsed", "to": {"name": "Ravi Kumar"}}]),
            ("visitor", "gets", []),  # a transfer is the helpdesk's business until it happens
        ],
    )
    assert p.room.session.transfer is None


def test_no_supervision_before_the_session_is_active() -> None:
    session = Session(id="s_1", pin="123456", created_at=T0, timeouts=Timeouts())
    room = Room.open(session, buffer_bytes=1 << 20)
    with pytest.raises(InvalidTransition):
        room.watch(Watcher("w_1", "M", "k", "account:m"), ask=True, now=T0)
    with pytest.raises(InvalidTransition):
        room.hand_over(name="M", key="k", agent_id="a", team=None, how="taken_over", now=T0)


def test_watching_again_replaces_the_earlier_watch_and_watchers_are_bounded() -> None:
    p = supervised(ACTIVE + PAGE, [("watch", "w_1", "Meera Iyer", False), ("w_1", "connects")])
    again = Watcher(id="w_9", name="Meera Iyer", key="k", agent_id="account:w_1")
    p.run(p.room.watch(again, ask=False, now=T0))
    assert [w.id for w in p.room.session.watchers] == ["w_9"]
    assert p.closed[p.conn_of["w_1"]] == m.CLOSE_WATCH_ENDED
    for i in range(3):
        p.run(p.room.watch(Watcher(f"w_{i + 2}", "S", "k", f"account:{i}"), ask=True, now=T0))
    with pytest.raises(InvalidTransition, match="at most 4"):
        p.room.watch(Watcher("w_7", "S", "k", "account:7"), ask=True, now=T0)


def test_the_end_closes_the_watchers_too() -> None:
    p = supervised(
        ACTIVE + PAGE,
        [
            ("watch", "w_1", "Meera Iyer", False),
            ("w_1", "connects"),
            ("visitor", "sends", {"t": "end"}),
        ],
    )
    assert p.inbox[p.conn_of["w_1"]][-1] == {"v": 1, "t": "ended", "reason": "visitor_stopped"}
    assert p.closed[p.conn_of["w_1"]] == m.CLOSE_NORMAL


def test_the_page_s_meta_event_fills_the_session_list_info() -> None:
    p = supervised(ACTIVE + PAGE)
    info = p.room.session.info
    assert (info.site, info.page, info.viewport) == ("https://portal.test", "/", "1x1")


# Every client message as a watcher (the access matrix's examples, one per type).
WATCHER_MAY = {m.Note: "note", m.End: "left"}


@pytest.mark.parametrize("kind", list(EXAMPLES), ids=lambda k: k.__name__)
def test_every_message_type_from_a_watcher(kind: type) -> None:
    p = supervised(
        ACTIVE + PAGE,
        [("watch", "w_1", "Meera Iyer", False), ("w_1", "connects"), ("audit", ["watch.asked"])],
    )
    message = m.decode_client(orjson.dumps({"v": 1, **EXAMPLES[kind]}), max_bytes=1 << 20)
    conn = p.conn_of["w_1"]
    if kind is m.Hello:
        with pytest.raises(m.ProtocolError, match="already said"):
            p.room.receive("watcher", message, now=T0, conn=conn)
    elif kind in WATCHER_MAY:
        p.run(p.room.receive("watcher", message, now=T0, conn=conn))
        assert p.audit == (["note.sent"] if kind is m.Note else ["watch.ended"])
    else:
        with pytest.raises(m.ProtocolError, match="a watcher does not send"):
            p.room.receive("watcher", message, now=T0, conn=conn)
        assert p.audit == [] and p.room.session.watchers  # nothing changed
