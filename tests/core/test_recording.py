"""Recording chunks as data: their format, sealing, tampering, key rotation, batching
and retention."""

from __future__ import annotations

import base64

import pytest

from cobrowse.core.recording import (
    MAGIC,
    Batcher,
    ChunkError,
    KeyError_,
    Meta,
    chunk_key_id,
    expired,
    new_key_line,
    open_chunk,
    open_meta,
    parse_keys,
    seal,
    seal_meta,
)

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(32, 64))).decode()
RING = parse_keys(f"k1={K1}")
RECORDS = [
    (1.5, "agent", b'{"v":1,"n":1,"t":"events","events":[{"type":4}]}'),
    (2.25, "visitor", b'{"v":1,"t":"act","kind":"click"}'),
]


def test_a_chunk_opens_to_its_records() -> None:
    chunk = seal(RECORDS, ring=RING, recording_id="s_1", index=0)
    assert chunk.startswith(MAGIC + bytes([2]) + b"k1")
    assert chunk_key_id(chunk) == "k1"
    assert open_chunk(chunk, ring=RING, recording_id="s_1", index=0) == RECORDS


def test_a_chunk_holds_no_plain_text() -> None:
    chunk = seal(RECORDS, ring=RING, recording_id="s_1", index=0)
    assert b"events" not in chunk and b"click" not in chunk


@pytest.mark.parametrize("at", [0, 4, 5, 7, 20, -1])
def test_any_changed_byte_is_detected(at: int) -> None:
    chunk = bytearray(seal(RECORDS, ring=RING, recording_id="s_1", index=0))
    chunk[at] ^= 0x01
    with pytest.raises(ChunkError):
        open_chunk(bytes(chunk), ring=RING, recording_id="s_1", index=0)


def test_a_chunk_moved_to_another_place_or_recording_is_detected() -> None:
    chunk = seal(RECORDS, ring=RING, recording_id="s_1", index=3)
    with pytest.raises(ChunkError):
        open_chunk(chunk, ring=RING, recording_id="s_1", index=2)
    with pytest.raises(ChunkError):
        open_chunk(chunk, ring=RING, recording_id="s_2", index=3)
    with pytest.raises(ChunkError):
        open_chunk(chunk[:-1], ring=RING, recording_id="s_1", index=3)


def test_keys_rotate_old_chunks_open_with_the_key_they_name() -> None:
    old = seal(RECORDS, ring=RING, recording_id="s_1", index=0)
    rotated = parse_keys(f"k1={K1}\nk2={K2}")
    assert rotated.current == "k2"
    new = seal(RECORDS, ring=rotated, recording_id="s_1", index=1)
    assert chunk_key_id(new) == "k2"
    assert open_chunk(old, ring=rotated, recording_id="s_1", index=0) == RECORDS
    assert open_chunk(new, ring=rotated, recording_id="s_1", index=1) == RECORDS
    with pytest.raises(ChunkError, match="k2"):
        open_chunk(new, ring=RING, recording_id="s_1", index=1)
    pinned = parse_keys(f"k1={K1},k2={K2}", current="k1")
    assert chunk_key_id(seal(RECORDS, ring=pinned, recording_id="s", index=0)) == "k1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no recording key"),
        ("k1", "ID=BASE64"),
        ("k 1=" + K1, "ID=BASE64"),
        ("k1=not base64!", "not base64"),
        ("k1=" + base64.b64encode(b"short").decode(), "32 bytes"),
        (f"k1={K1}\nk1={K2}", "twice"),
    ],
)
def test_bad_keys_are_refused_with_a_reason(text: str, problem: str) -> None:
    with pytest.raises(KeyError_, match=problem):
        parse_keys(text)


def test_the_current_key_must_be_configured() -> None:
    with pytest.raises(KeyError_, match="k9"):
        parse_keys(f"k1={K1}", current="k9")


def test_a_new_key_line_parses_and_comments_are_ignored() -> None:
    ring = parse_keys("# made by cobrowse\n" + new_key_line("2026-12") + "  # current\n")
    assert ring.current == "2026-12" and len(ring.keys["2026-12"]) == 32


def test_the_description_is_sealed_and_bound_to_its_recording() -> None:
    meta = Meta(id="s_1", session_id="s_1", site="https://portal.test", started_at=10.0)
    blob = seal_meta(meta, ring=RING)
    assert b"portal" not in blob
    assert open_meta(blob, ring=RING, recording_id="s_1") == meta
    with pytest.raises(ChunkError):
        open_meta(blob, ring=RING, recording_id="s_2")


def test_frames_are_batched_by_size_and_age() -> None:
    b = Batcher(max_bytes=10, max_age=5.0)
    assert b.add(100.0, "agent", b"12345") is None
    assert b.add(101.0, "agent", b"67890") == [
        (100.0, "agent", b"12345"),
        (101.0, "agent", b"67890"),
    ]
    assert b.add(102.0, "agent", b"x") is None
    assert b.due(106.9) is None
    assert b.due(107.0) == [(102.0, "agent", b"x")]
    assert b.take() is None


def test_retention_keeps_what_is_younger_and_0_keeps_all() -> None:
    day = 86400.0
    now = 100 * day
    ages = [("old", now - 31 * day), ("edge", now - 30 * day), ("new", now - day)]
    assert expired(ages, now=now, retention_days=30) == ["old"]
    assert expired(ages, now=now, retention_days=0) == []
