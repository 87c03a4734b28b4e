"""atheris harness for the direct engine's frame reader (core/wsframes.py): any byte
stream gives messages or one FrameError, never another exception; a stream read in two
pieces gives what it gives whole (the same error, or the same messages); no message is
over the limit.

make fuzz                      # every harness, FUZZ_SECONDS each
PYTHONPATH=. .venv/bin/python fuzz/fuzz_wsframes.py -max_total_time=60
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from cobrowse.core import wsframes as wf

LIMIT = 4096


def read(*pieces: bytes) -> tuple[list[tuple[int, bytes]], int | None]:
    """What a reader gives for `pieces` in turn: the frames, and the close code of the
    error that stopped it (None: no error)."""
    reader = wf.FrameReader(LIMIT)
    out: list[tuple[int, bytes]] = []
    try:
        for piece in pieces:
            out += reader.feed(piece)
    except wf.FrameError as exc:
        if exc.code not in (wf.CLOSE_PROTOCOL_ERROR, wf.CLOSE_TOO_BIG):
            raise AssertionError(exc.code) from None
        return out, exc.code
    return out, None


def one(data: bytes) -> None:
    if not data:
        return
    split = data[0] % len(data)
    stream = data[1:]
    whole = read(stream)
    parts = read(stream[:split], stream[split:])
    assert parts[1] == whole[1]
    if whole[1] is None:  # after an error the socket closes: what came before it differs
        assert parts == whole
    for opcode, payload in whole[0]:
        assert opcode in (wf.OP_TEXT, wf.OP_BINARY, wf.OP_CLOSE, wf.OP_PING, wf.OP_PONG)
        assert len(payload) <= LIMIT


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
