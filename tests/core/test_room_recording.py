"""A recorded room captures what its agent was sent (and the agent's own guidance and
acts), nothing the visitor alone was sent, and nothing at all when not recorded."""

from __future__ import annotations

from typing import Any

import orjson

from cobrowse.core.room import Capture, Effect, Send
from tests.core.test_room import CLICK, GRANTED, Play, play

GUIDE = {"t": "guide", "kind": "pointer", "target": {"id": 5, "x": 0.5, "y": 0.5}, "points": []}
REFUSED = {**CLICK, "ref": "r2"}


class Recorded(Play):
    captured: list[tuple[str, dict[str, Any]]]
    to_agent: list[dict[str, Any]]

    def run(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Capture):
                self.captured.append((effect.to, orjson.loads(effect.frame)))
            elif isinstance(effect, Send) and effect.conn == self.conn_of.get("agent"):
                self.to_agent.append(orjson.loads(effect.frame))
        super().run(effects)


def _session(recording: bool) -> Recorded:
    base = play([])
    p = Recorded(base.room)
    p.captured, p.to_agent = [], []
    p.room.recording = recording
    steps = [
        *GRANTED,
        ("agent", "sends", CLICK),
        ("visitor", "sends", {"t": "act_result", "ref": "r1", "ok": False, "reason": "masked"}),
        ("agent", "sends", GUIDE),
        ("agent", "sends", {"t": "chat", "id": "a1", "text": "Which field?"}),
        ("visitor", "sends", {"t": "chat", "id": "v1", "text": "The bank one"}),
        ("visitor", "sends", {"t": "control", "action": "revoke", "reason": "button"}),
    ]
    for step in steps:
        if step[0] in ("agent", "visitor") and step[1] == "gets":
            continue  # the inboxes are not what this test looks at
        p.step(step)
    return p


def test_a_recorded_room_captures_the_agent_s_stream_and_its_own_acts() -> None:
    p = _session(recording=True)
    kinds = [(to, f["t"]) for to, f in p.captured]
    assert ("agent", "events") in kinds
    assert ("agent", "chat") in kinds and ("agent", "control") in kinds
    assert ("visitor", "act") in kinds and ("visitor", "guide") in kinds
    assert ("agent", "act_result") in kinds
    # What went to the agent was captured as sent: same frames, same order (its own
    # welcome and synced, which carry nothing of the visitor's, aside).
    live = [f for f in p.to_agent if f["t"] not in ("welcome", "synced")]
    assert [f for to, f in p.captured if to == "agent"] == live
    # Of what the visitor alone was sent, only the agent's own guidance and acts.
    assert {f["t"] for to, f in p.captured if to == "visitor"} == {"act", "guide"}


def test_an_unrecorded_room_captures_nothing() -> None:
    assert _session(recording=False).captured == []
