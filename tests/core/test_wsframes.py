"""core/wsframes.py: the direct engine's WebSocket, as data in and data out."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.core import wsframes as wf


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A frame as a browser sends it: masked with a random key."""
    n = len(payload)
    first = (0x80 if fin else 0) | rsv | opcode
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_the_rfc_example_key() -> None:
    assert wf.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_the_upgrade_is_answered_with_101() -> None:
    answer = wf.upgrade_answer(
        {
            "upgrade": "websocket",
            "connection": "keep-alive, Upgrade",
            "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
    )
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in answer
    assert answer.endswith(b"\r\n\r\n")


GOOD = {
    "upgrade": "websocket",
    "connection": "Upgrade",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"upgrade": "h2c"}, "Upgrade"),
        ({"connection": "keep-alive"}, "Connection"),
        ({"sec-websocket-version": "8"}, "Version"),
        ({"sec-websocket-key": "not base64!"}, "Key"),
        ({"sec-websocket-key": "c2hvcnQ="}, "Key"),  # 5 bytes, not 16
    ],
)
def test_a_bad_upgrade_is_refused_with_its_reason(change: dict[str, str], reason: str) -> None:
    with pytest.raises(wf.HandshakeError, match=reason):
        wf.upgrade_answer({**GOOD, **change})


@pytest.mark.parametrize("n", [0, 125, 126, 65535, 65536, 300_000])
def test_server_frame_headers(n: int) -> None:
    head = wf.frame_header(wf.OP_TEXT, n)
    assert head[0] == 0x81
    if n < 126:
        assert head[1] == n and len(head) == 2
    elif n < 65536:
        assert head[1] == 126 and int.from_bytes(head[2:], "big") == n
    else:
        assert head[1] == 127 and int.from_bytes(head[2:], "big") == n


def test_a_close_frame_fits_a_control_frame() -> None:
    frame = wf.close_frame(4400, "x" * 500)
    assert frame[0] == 0x88 and frame[1] == 125 and len(frame) == 127
    assert wf.close_code(frame[2:]) == 4400
    assert wf.close_code(b"") == wf.CLOSE_NO_STATUS


def test_messages_and_control_frames_come_out_in_order() -> None:
    reader = wf.FrameReader(1 << 20)
    stream = (
        client_frame(wf.OP_TEXT, b'{"t":"hello"}')
        + client_frame(wf.OP_PING, b"p")
        + client_frame(wf.OP_BINARY, b"\x00\x01")
        + client_frame(wf.OP_CLOSE, (1000).to_bytes(2, "big"))
    )
    assert reader.feed(stream) == [
        (wf.OP_TEXT, b'{"t":"hello"}'),
        (wf.OP_PING, b"p"),
        (wf.OP_BINARY, b"\x00\x01"),
        (wf.OP_CLOSE, b"\x03\xe8"),
    ]


def test_fragments_make_one_message_with_a_ping_between() -> None:
    reader = wf.FrameReader(1 << 20)
    stream = (
        client_frame(wf.OP_TEXT, b"one ", fin=False)
        + client_frame(wf.OP_PING, b"")
        + client_frame(wf.OP_CONTINUATION, b"two ", fin=False)
        + client_frame(wf.OP_CONTINUATION, b"three")
    )
    assert reader.feed(stream) == [(wf.OP_PING, b""), (wf.OP_TEXT, b"one two three")]


@given(
    sizes=st.lists(st.integers(0, 70_000), min_size=1, max_size=6),
    seed=st.integers(0, 2**32),
)
def test_any_split_of_the_stream_reads_the_same(sizes: list[int], seed: int) -> None:
    rng = random.Random(seed)
    payloads = [rng.randbytes(n) for n in sizes]
    stream = b"".join(client_frame(wf.OP_BINARY, p) for p in payloads)
    reader = wf.FrameReader(1 << 20)
    got: list[tuple[int, bytes]] = []
    at = 0
    while at < len(stream):
        step = rng.choice((1, 2, 3, 7, 100, 4096, 70_000))
        got += reader.feed(stream[at : at + step])
        at += step
    assert got == [(wf.OP_BINARY, p) for p in payloads]


@pytest.mark.parametrize(
    ("stream", "code"),
    [
        (client_frame(wf.OP_TEXT, b"x", rsv=0x40), wf.CLOSE_PROTOCOL_ERROR),  # compressed?
        (bytes((0x81, 0x01)) + b"x", wf.CLOSE_PROTOCOL_ERROR),  # unmasked
        (client_frame(wf.OP_PING, b"x" * 126), wf.CLOSE_PROTOCOL_ERROR),
        (client_frame(wf.OP_PING, b"", fin=False), wf.CLOSE_PROTOCOL_ERROR),
        (client_frame(wf.OP_CONTINUATION, b"x"), wf.CLOSE_PROTOCOL_ERROR),
        (client_frame(3, b"x"), wf.CLOSE_PROTOCOL_ERROR),  # a reserved opcode
        (
            client_frame(wf.OP_TEXT, b"a", fin=False) + client_frame(wf.OP_TEXT, b"b"),
            wf.CLOSE_PROTOCOL_ERROR,
        ),
        (client_frame(wf.OP_TEXT, b"x" * 1001), wf.CLOSE_TOO_BIG),
        (
            client_frame(wf.OP_TEXT, b"x" * 600, fin=False)
            + client_frame(wf.OP_CONTINUATION, b"x" * 600),
            wf.CLOSE_TOO_BIG,
        ),
    ],
)
def test_protocol_violations_say_how_to_close(stream: bytes, code: int) -> None:
    with pytest.raises(wf.FrameError) as raised:
        wf.FrameReader(1000).feed(stream)
    assert raised.value.code == code


def test_a_message_too_big_is_refused_by_its_header_alone() -> None:
    reader = wf.FrameReader(1000)
    header = bytes((0x81, 0x80 | 127)) + (10**9).to_bytes(8, "big") + b"mask"
    with pytest.raises(wf.FrameError) as raised:
        reader.feed(header)  # none of the gigabyte has come
    assert raised.value.code == wf.CLOSE_TOO_BIG


def test_a_large_frame_s_buffer_is_let_go_once_read() -> None:
    reader = wf.FrameReader(1 << 20)
    small = reader.held()
    big = client_frame(wf.OP_TEXT, b"s" * 354_000) + client_frame(wf.OP_TEXT, b"n")[:3]
    pieces = [big[i : i + 65536] for i in range(0, len(big), 65536)]
    got = [m for piece in pieces for m in reader.feed(piece)]
    assert got == [(wf.OP_TEXT, b"s" * 354_000)]
    assert reader.held() < small + 1024  # only the next frame's first bytes


def _read(*pieces: bytes) -> tuple[list[tuple[int, bytes]], int | None]:
    reader = wf.FrameReader(4096)
    out: list[tuple[int, bytes]] = []
    try:
        for piece in pieces:
            out += reader.feed(piece)
    except wf.FrameError as exc:
        return out, exc.code
    return out, None


@given(stream=st.binary(max_size=600), split=st.integers(0, 600))
def test_any_bytes_give_frames_or_one_frame_error_however_split(stream: bytes, split: int) -> None:
    """Garbage from the network: never another exception, and the same however the
    reads fall (make fuzz runs the same property under atheris)."""
    whole = _read(stream)
    parts = _read(stream[:split], stream[split:])
    assert parts[1] == whole[1] in (None, wf.CLOSE_PROTOCOL_ERROR, wf.CLOSE_TOO_BIG)
    if whole[1] is None:  # after an error the socket closes: what came before it differs
        assert parts == whole
    assert all(len(payload) <= 4096 for _, payload in whole[0])


@given(data=st.binary(max_size=2000), mask=st.binary(min_size=4, max_size=4))
def test_the_pure_unmask_is_websockets_c_helper(data: bytes, mask: bytes) -> None:
    from websockets.speedups import apply_mask

    assert wf.unmask(data, mask) == apply_mask(data, mask)


def test_a_request_head_parses_to_method_target_and_headers() -> None:
    head = (
        b"GET /ws?x=1 HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 1.2.3.4\r\n"
        b"x-forwarded-for:  5.6.7.8 \r\nbad line"
    )
    assert wf.parse_head(head) == (
        b"GET",
        b"/ws?x=1",
        {"host": "a.example", "x-forwarded-for": "1.2.3.4, 5.6.7.8"},
    )
    assert wf.parse_head(b"garbage") is None
