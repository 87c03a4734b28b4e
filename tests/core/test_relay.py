"""The participant's log: numbered frames for a resume, and the agent's page history
(one page from its Meta event, kept as received, bounded in real bytes, compacted)."""

from __future__ import annotations

import gc
import sys
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.relay import (
    ENTRY_OVERHEAD,
    FULL_SNAPSHOT,
    META,
    Outlog,
    events_frame,
    held,
    stamp,
)

INCREMENTAL = 3
CUSTOM = 5
BIG = 10_000_000


def ev(kind: int, ts: int, **data: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": ts, "data": data}


def meta(ts: int) -> dict[str, Any]:
    return ev(META, ts, href="http://portal.test/", width=1280, height=720)


def full(ts: int, pad: int = 0) -> dict[str, Any]:
    return ev(FULL_SNAPSHOT, ts, node={"id": 1}, pad="x" * pad)


def inc(ts: int, pad: int = 0) -> dict[str, Any]:
    return ev(INCREMENTAL, ts, source=0, pad="x" * pad)


def page(log: Outlog, *events: dict[str, Any]) -> Any:
    return log.page(list(events), orjson.dumps(list(events)))


def agent_log(max_bytes: int = BIG, compact_min: int = 0) -> Outlog:
    return Outlog(max_bytes=max_bytes, pages=True, compact_min=compact_min)


def stamps(frames: list[bytes]) -> list[int]:
    return [e["timestamp"] for f in frames for e in orjson.loads(f)["events"]]


def seqs(frames: list[bytes]) -> list[int]:
    return [orjson.loads(f)["n"] for f in frames]


def test_type_constants() -> None:
    assert (META, FULL_SNAPSHOT) == (4, 2)


def test_stamp_puts_the_seq_into_a_frame() -> None:
    assert orjson.loads(stamp(b'{"v":1,"t":"chat","text":"hi"}', 7)) == {
        "v": 1,
        "n": 7,
        "t": "chat",
        "text": "hi",
    }
    with pytest.raises(ValueError):
        stamp(b'{"t":"chat"}', 1)


def test_events_frame_wraps_the_array_as_it_is() -> None:
    raw = b'[{"type":3,"timestamp":1,"data":{"t":"\\u00e9"}}]'
    framed = events_frame(4, raw)
    assert raw in framed
    assert orjson.loads(framed) == {"v": 1, "n": 4, "t": "events", "events": orjson.loads(raw)}


def test_held_counts_what_the_process_holds() -> None:
    frame = b"x" * 233
    assert held(frame) >= sys.getsizeof(frame)
    assert held(frame) == 233 + ENTRY_OVERHEAD


# --- numbering and resume --------------------------------------------------------


def test_frames_are_numbered_one_by_one() -> None:
    log = Outlog(max_bytes=BIG)
    sent = [log.send(b'{"v":1,"t":"control","state":"view"}') for _ in range(3)]
    assert seqs(sent) == [1, 2, 3]
    assert log.seq == 3


def test_since_gives_exactly_what_was_missed() -> None:
    log = Outlog(max_bytes=BIG)
    sent = [log.send(b'{"v":1,"t":"chat","n":%d}' % n) for n in range(5)]
    missed = log.since(2)
    assert missed is not None
    assert [e.frame for e in missed] == sent[2:]
    assert log.since(5) == []
    assert log.since(0) is not None and len(log.since(0) or []) == 5


def test_since_refuses_a_position_it_never_gave() -> None:
    log = Outlog(max_bytes=BIG)
    log.send(b'{"v":1,"t":"x"}')
    assert log.since(2) is None
    assert log.since(-1) is None


def test_a_full_log_drops_its_oldest_frames_and_knows_it() -> None:
    one = held(stamp(b'{"v":1,"t":"x"}', 1))
    log = Outlog(max_bytes=3 * one)
    for _ in range(5):
        log.send(b'{"v":1,"t":"x"}')
    assert log.size <= 3 * one
    assert log.floor == 2
    assert log.since(1) is None  # frame 2 is gone: a fresh start instead
    assert seqs([e.frame for e in log.since(2) or []]) == [3, 4, 5]


# --- the agent's page history ------------------------------------------------------


def test_empty_log_has_no_history() -> None:
    log = agent_log()
    assert log.history() == []
    assert log.size == 0


def test_a_batch_is_relayed_as_the_bytes_it_came_in() -> None:
    log = agent_log()
    events = [meta(1), full(2), inc(3), ev(INCREMENTAL, 4, text='\u00e9\u20b9"<>', n=1.5)]
    raw = b"[ " + b", ".join(orjson.dumps(e) for e in events) + b" ]"
    relayed = log.page(events, raw)
    assert relayed.need_snapshot is False
    assert relayed.frames == [events_frame(1, raw)]
    assert log.history() == relayed.frames
    assert log.size == held(relayed.frames[0])


def test_events_before_any_snapshot_are_relayed_but_not_kept() -> None:
    log = agent_log()
    relayed = page(log, inc(1), inc(2))
    assert stamps(relayed.frames) == [1, 2]
    assert log.history() == []
    assert log.size == 0


def test_history_needs_a_full_snapshot() -> None:
    log = agent_log()
    page(log, meta(1))
    assert log.history() == []
    page(log, full(2))
    assert stamps(log.history()) == [1, 2]


def test_history_accumulates_over_batches() -> None:
    log = agent_log()
    page(log, meta(1), full(2))
    page(log, inc(3))
    page(log, inc(4), inc(5))
    assert stamps(log.history()) == [1, 2, 3, 4, 5]
    assert seqs(log.history()) == [1, 2, 3]


def test_history_restarts_at_the_last_meta() -> None:
    log = agent_log()
    page(log, meta(1), full(2), inc(3))
    page(log, inc(4), meta(5), full(6), inc(7))
    assert stamps(log.history()) == [5, 6, 7]
    assert log.size == sum(held(f) for f in log.history())


def test_a_meta_inside_a_batch_splits_it_and_everything_is_relayed() -> None:
    log = agent_log()
    page(log, meta(1), full(2))
    relayed = page(log, inc(3), meta(4), full(5))
    assert stamps(relayed.frames) == [3, 4, 5]
    assert seqs(relayed.frames) == [2, 3]
    assert stamps(log.history()) == [4, 5]


def test_a_new_page_supersedes_the_old_one_and_keeps_the_other_frames() -> None:
    log = agent_log()
    page(log, meta(1), full(2))
    log.send(b'{"v":1,"t":"chat"}')
    page(log, inc(3))
    page(log, meta(4), full(5))
    # A resume from before the page load gets the chat and the new page, not the old one.
    assert seqs([e.frame for e in log.since(1) or []]) == [2, 4]
    assert seqs([e.frame for e in log.since(0) or []]) == [2, 4]
    assert stamps(log.history()) == [4, 5]


def test_other_frames_kept_over_page_loads_are_bounded() -> None:
    log = Outlog(max_bytes=BIG, pages=True, other_bytes=5 * held(stamp(b'{"v":1,"t":"x"}', 10)))
    for n in range(20):
        log.send(b'{"v":1,"t":"x"}')
        page(log, meta(2 * n), full(2 * n + 1))
    kept = log.since(log.floor) or []
    assert len([e for e in kept if not e.page]) <= 5
    assert log.since(0) is None  # the oldest are gone, and the log knows it


def test_meta_without_its_snapshot_hides_the_old_page() -> None:
    log = agent_log()
    page(log, meta(1), full(2), inc(3))
    page(log, meta(4))  # navigation: the new page's snapshot is still to come
    assert log.history() == []
    page(log, full(5), inc(6))
    assert stamps(log.history()) == [4, 5, 6]


def test_second_full_snapshot_without_meta_is_kept_in_order() -> None:
    log = agent_log()
    page(log, meta(1), full(2), inc(3), full(4), inc(5))
    assert stamps(log.history()) == [1, 2, 3, 4, 5]


def test_history_holds_page_frames_only() -> None:
    log = agent_log()
    page(log, meta(1), full(2))
    log.send(b'{"v":1,"t":"chat"}')
    page(log, inc(3))
    assert stamps(log.history()) == [1, 2, 3]
    assert len(log.since(0) or []) == 3  # a resume gets the chat frame too


def test_clear_forgets_everything() -> None:
    log = agent_log()
    page(log, meta(1), full(2), inc(3))
    log.clear()
    assert log.history() == []
    assert log.size == 0
    page(log, inc(4))
    assert log.history() == []


# --- bounds -------------------------------------------------------------------------


def sized(extra: int) -> tuple[Outlog, int]:
    """A log that exactly fits meta(1)+full(2) plus `extra` bytes."""
    first = events_frame(1, orjson.dumps([meta(1), full(2)]))
    log = agent_log(max_bytes=held(first) + extra)
    assert page(log, meta(1), full(2)).need_snapshot is False
    return log, held(first)


def test_filling_exactly_to_the_limit_is_fine() -> None:
    one = held(events_frame(2, orjson.dumps([inc(3)])))
    log, base = sized(one)
    relayed = page(log, inc(3))
    assert relayed.need_snapshot is False
    assert log.size == base + one == log.max_bytes
    assert stamps(log.history()) == [1, 2, 3]


def test_overflow_drops_marks_stale_and_asks_for_a_snapshot() -> None:
    one = held(events_frame(2, orjson.dumps([inc(3)])))
    log, _ = sized(one)
    page(log, inc(3))
    relayed = page(log, inc(4))  # one frame too many
    assert relayed.need_snapshot is True
    assert stamps(relayed.frames) == [4]  # still relayed live
    assert log.history() == []
    assert log.size == 0


def test_stale_log_ignores_events_until_a_new_meta() -> None:
    log, _ = sized(10)
    assert page(log, inc(3, pad=50)).need_snapshot is True
    relayed = page(log, inc(4), inc(5))
    assert relayed.need_snapshot is False  # asked once
    assert stamps(relayed.frames) == [4, 5]
    assert log.history() == []
    page(log, full(6))  # a lone snapshot without its Meta does not revive it
    assert log.history() == []
    page(log, meta(7), full(8))
    assert stamps(log.history()) == [7, 8]


def test_overflow_and_recovery_in_one_batch() -> None:
    log, _ = sized(60)
    relayed = page(log, inc(3, pad=100), inc(4), meta(5), full(6))
    assert relayed.need_snapshot is False  # the batch brought its own fresh snapshot
    assert stamps(log.history()) == [5, 6]


# --- compaction: memory flat over a long session --------------------------------------


def test_a_fresh_snapshot_is_asked_for_once_events_outweigh_the_snapshot() -> None:
    log = agent_log(compact_min=0)
    page(log, meta(1), full(2, pad=2000))
    snapshot = log.size
    asked = []
    for ts in range(3, 200):
        asked.append(page(log, inc(ts, pad=100)).need_snapshot)
        if asked[-1]:
            break
    assert asked[-1] is True and asked.count(True) == 1
    assert log.size - snapshot > snapshot  # only once the events outweighed it
    assert page(log, inc(500, pad=100)).need_snapshot is False  # asked, not again
    page(log, meta(501), full(502, pad=2000))  # the visitor answered
    assert log.size <= snapshot + 100
    assert stamps(log.history()) == [501, 502]


def test_a_snapshot_is_asked_for_once_per_page() -> None:
    log = agent_log()
    assert log.want_snapshot() is True
    assert log.want_snapshot() is False  # on its way
    page(log, meta(1), full(2))
    assert log.want_snapshot() is True  # a new page: may ask again
    overflow = agent_log(max_bytes=100)
    assert page(overflow, meta(1), full(2, pad=200)).need_snapshot is True
    assert overflow.want_snapshot() is False  # the overflow asked already


def test_compaction_waits_for_the_minimum() -> None:
    log = agent_log(compact_min=100_000)
    page(log, meta(1), full(2))
    for ts in range(3, 300):
        assert page(log, inc(ts, pad=100)).need_snapshot is False


def test_a_long_session_stays_flat() -> None:
    """A session that answers every request: its log never grows past about twice
    its snapshot, however long it runs."""
    log = agent_log(compact_min=0)
    page(log, meta(0), full(1, pad=5000))
    peak = 0
    for ts in range(2, 20_000):
        if page(log, inc(ts, pad=200)).need_snapshot:
            page(log, meta(ts), full(ts, pad=5000))
        peak = max(peak, log.size)
    assert peak < 2 * (5000 + 2 * ENTRY_OVERHEAD + 500) + 400


def test_keeping_frames_allocates_nothing_the_garbage_collector_tracks() -> None:
    """Thousands of kept frames per session: as objects the collector tracks, every full
    collection walked them all (0.2 s pauses of the relay at 400 sessions), and as
    tuples each one still counted towards the next collection. Kept in parallel deques
    of numbers and bytes, a steady relay leaves nothing behind for the collector."""
    log = agent_log()
    page(log, meta(0), full(1, pad=500))
    batches = [[inc(ts, pad=50)] for ts in range(2, 2002)]
    encoded = [orjson.dumps(batch) for batch in batches]
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        for batch, events_json in zip(batches, encoded, strict=True):
            log.page(batch, events_json)
            log.send(b'{"v":1,"t":"control","state":"view"}')
        left = gc.get_count()[0] - before
    finally:
        gc.enable()
    assert len(log.since(log.floor) or []) > 3000
    assert left < 20  # 4000 frames kept; as tuples this was 4000


# --- properties ----------------------------------------------------------------------

batches = st.lists(
    st.lists(st.sampled_from([META, FULL_SNAPSHOT, INCREMENTAL, CUSTOM]), min_size=1, max_size=6),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(batches, st.integers(min_value=200, max_value=4000))
def test_history_is_always_a_snapshot_and_what_followed_within_bounds(
    kinds: list[list[int]], limit: int
) -> None:
    log = agent_log(max_bytes=limit, compact_min=0)
    ts = 0
    relayed_stamps: list[int] = []
    for batch in kinds:
        events = []
        for kind in batch:
            ts += 1
            events.append(ev(kind, ts))
        relayed = page(log, *events)
        relayed_stamps.extend(stamps(relayed.frames))
        assert log.size <= limit
        history = log.history()
        if history:
            first = orjson.loads(history[0])["events"]
            assert any(e["type"] in (META, FULL_SNAPSHOT) for e in first)
            assert FULL_SNAPSHOT in [e["type"] for f in history for e in orjson.loads(f)["events"]]
            kept = stamps(history)
            assert kept == sorted(kept)
    assert relayed_stamps == list(range(1, ts + 1))  # everything was relayed, in order
