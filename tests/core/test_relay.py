"""The replay buffer: one page's history from its Meta event, bounded, re-snapshotted."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.core.relay import FULL_SNAPSHOT, META, Accepted, ReplayBuffer

INCREMENTAL = 3
CUSTOM = 5


def ev(kind: int, ts: int, **data: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": ts, "data": data}


def meta(ts: int) -> dict[str, Any]:
    return ev(META, ts, href="http://portal.test/", width=1280, height=720)


def full(ts: int, pad: int = 0) -> dict[str, Any]:
    return ev(FULL_SNAPSHOT, ts, node={"id": 1}, pad="x" * pad)


def inc(ts: int, pad: int = 0) -> dict[str, Any]:
    return ev(INCREMENTAL, ts, source=0, pad="x" * pad)


def enc(events: list[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


def stamps(buf: ReplayBuffer) -> list[int]:
    return [orjson.loads(b)["timestamp"] for b in buf.history()]


def test_type_constants() -> None:
    assert (META, FULL_SNAPSHOT) == (4, 2)


def test_empty_buffer_has_no_history() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    assert buf.history() == []
    assert buf.size == 0


def test_accepted_events_are_the_orjson_encoding_of_the_inputs() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    events = [meta(1), full(2), inc(3), ev(INCREMENTAL, 4, text='\u00e9\u20b9"<>', n=1.5)]
    result = buf.add(events)
    assert isinstance(result, Accepted)
    assert result.events_json == enc(events)
    assert result.need_snapshot is False
    assert buf.history() == enc(events)
    assert buf.size == sum(len(b) for b in enc(events))


def test_accepted_returns_every_event_even_when_not_buffered() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    events = [inc(1), inc(2)]  # nothing to attach them to
    assert buf.add(events).events_json == enc(events)
    assert buf.history() == []


def test_history_needs_a_full_snapshot() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1)])
    assert buf.history() == []
    buf.add([full(2)])
    assert stamps(buf) == [1, 2]


def test_history_accumulates_over_batches() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1), full(2)])
    buf.add([inc(3)])
    buf.add([inc(4), inc(5)])
    assert stamps(buf) == [1, 2, 3, 4, 5]


def test_history_restarts_at_the_last_meta() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1), full(2), inc(3)])
    buf.add([inc(4), meta(5), full(6), inc(7)])
    assert stamps(buf) == [5, 6, 7]
    assert buf.size == sum(len(b) for b in buf.history())


def test_meta_without_its_snapshot_hides_the_old_page() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1), full(2), inc(3)])
    buf.add([meta(4)])  # navigation: the new page's snapshot is still to come
    assert buf.history() == []
    buf.add([full(5), inc(6)])
    assert stamps(buf) == [4, 5, 6]


def test_second_full_snapshot_without_meta_is_kept_in_order() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1), full(2), inc(3), full(4), inc(5)])
    assert stamps(buf) == [1, 2, 3, 4, 5]


def test_history_is_a_copy() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1), full(2)])
    h = buf.history()
    h.clear()
    assert stamps(buf) == [1, 2]


def test_nothing_before_the_full_snapshot_without_a_meta() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([inc(1), inc(2)])
    buf.add([full(3), inc(4)])
    assert stamps(buf)[0] == 3


def test_nothing_before_the_meta_in_the_same_batch() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([inc(1), inc(2), meta(3), full(4)])
    assert stamps(buf) == [3, 4]


def test_clear_forgets_everything() -> None:
    buf = ReplayBuffer(max_bytes=10_000)
    buf.add([meta(1), full(2), inc(3)])
    buf.clear()
    assert buf.history() == []
    assert buf.size == 0
    buf.add([inc(4)])
    assert buf.history() == []


# --- bounds -----------------------------------------------------------------------


def sized_buffer(extra: int) -> tuple[ReplayBuffer, int]:
    """A buffer that exactly fits meta(1)+full(2) plus `extra` bytes."""
    base = sum(len(b) for b in enc([meta(1), full(2)]))
    buf = ReplayBuffer(max_bytes=base + extra)
    assert buf.add([meta(1), full(2)]).need_snapshot is False
    return buf, base


def test_filling_exactly_to_the_limit_is_fine() -> None:
    one = len(orjson.dumps(inc(3)))
    buf, base = sized_buffer(one)
    result = buf.add([inc(3)])
    assert result.need_snapshot is False
    assert buf.size == base + one == buf.max_bytes
    assert stamps(buf) == [1, 2, 3]


def test_overflow_drops_marks_stale_and_asks_for_a_snapshot() -> None:
    one = len(orjson.dumps(inc(3)))
    buf, _ = sized_buffer(one)
    buf.add([inc(3)])
    result = buf.add([inc(4)])  # one byte too many
    assert result.need_snapshot is True
    assert result.events_json == enc([inc(4)])  # still relayed live
    assert buf.history() == []
    assert buf.size == 0


def test_stale_buffer_ignores_events_until_a_new_meta() -> None:
    buf, _ = sized_buffer(10)
    assert buf.add([inc(3, pad=50)]).need_snapshot is True
    # Later increments are not buffered and do not ask again.
    result = buf.add([inc(4), inc(5)])
    assert result.need_snapshot is False
    assert result.events_json == enc([inc(4), inc(5)])
    assert buf.history() == []
    assert buf.size == 0
    # A lone full snapshot without its Meta does not revive a stale buffer.
    buf.add([full(6)])
    assert buf.history() == []


def test_new_meta_and_snapshot_recover_a_stale_buffer() -> None:
    buf, _ = sized_buffer(60)
    assert buf.add([inc(3, pad=100)]).need_snapshot is True
    buf.add([meta(7)])
    assert buf.history() == []  # Meta alone is not enough
    buf.add([full(8), inc(9)])
    assert stamps(buf) == [7, 8, 9]


def test_overflow_and_recovery_in_one_batch() -> None:
    buf, _ = sized_buffer(60)
    result = buf.add([inc(3, pad=100), inc(4), meta(5), full(6)])
    # The batch brought its own fresh Meta + FullSnapshot: no new snapshot is needed.
    assert result.need_snapshot is False
    assert stamps(buf) == [5, 6]


def test_a_page_bigger_than_the_buffer_is_never_served_partially() -> None:
    buf = ReplayBuffer(max_bytes=200)
    result = buf.add([meta(1), full(2, pad=500), inc(3)])
    assert result.need_snapshot is True
    assert buf.history() == []
    assert buf.size == 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from([META, FULL_SNAPSHOT, INCREMENTAL, CUSTOM]), st.integers(0, 120)
            ),
            max_size=8,
        ),
        max_size=10,
    ),
    st.integers(50, 800),
)
def test_buffer_invariants(batches: list[list[tuple[int, int]]], max_bytes: int) -> None:
    buf = ReplayBuffer(max_bytes=max_bytes)
    ts = 0
    for batch in batches:
        events = []
        for kind, pad in batch:
            ts += 1
            events.append(ev(kind, ts, pad="x" * pad))
        result = buf.add(events)
        assert result.events_json == enc(events)
        history = buf.history()
        assert buf.size <= max_bytes
        if history:
            kinds = [orjson.loads(b)["type"] for b in history]
            assert FULL_SNAPSHOT in kinds
            assert sum(len(b) for b in history) == buf.size
            # A history with a Meta starts at it, and holds only the last one.
            if META in kinds:
                assert kinds[0] == META
                assert kinds.count(META) == 1
            # History is a contiguous run ending with the newest buffered event.
            seen = [orjson.loads(b)["timestamp"] for b in history]
            assert seen == sorted(seen)
