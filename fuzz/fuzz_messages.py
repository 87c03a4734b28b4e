"""atheris harness for the wire decoder: only a message or a ProtocolError.

make fuzz                      # every harness, FUZZ_SECONDS each
PYTHONPATH=. .venv/bin/python fuzz/fuzz_messages.py -max_total_time=60
"""

from __future__ import annotations

import sys

import atheris
import orjson
from tests.core.message_shapes import CLIENT_TYPES, FIELDS

with atheris.instrument_imports():
    from cobrowse.core import messages as m


def value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    """A JSON value shaped by the input (raw bytes rarely parse as JSON, and the JSON
    parser is C code the fuzzer cannot see into)."""
    pick = fdp.ConsumeIntInRange(0, 9 if depth < 3 else 6)
    if pick == 0:
        return None
    if pick == 1:
        return fdp.ConsumeBool()
    if pick == 2:
        return fdp.ConsumeInt(8)
    if pick == 3:
        return fdp.ConsumeRegularFloat()
    if pick == 4:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 80))
    if pick == 5:
        return fdp.PickValueInList(CLIENT_TYPES + FIELDS)
    if pick == 6:
        return fdp.ConsumeProbability()
    if pick == 7:
        return [value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    return {
        fdp.PickValueInList(FIELDS): value(fdp, depth + 1)
        for _ in range(fdp.ConsumeIntInRange(0, 5))
    }


def shaped(data: bytes) -> bytes:
    fdp = atheris.FuzzedDataProvider(data)
    obj = {
        "v": 1 if fdp.ConsumeIntInRange(0, 7) else value(fdp),
        "t": fdp.PickValueInList(CLIENT_TYPES),
    }
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        obj[fdp.PickValueInList(FIELDS)] = value(fdp)
    return orjson.dumps(obj)


def one(data: bytes) -> None:
    for frame in (data, data.decode("utf-8", "surrogateescape"), shaped(data)):
        try:
            m.decode_client(frame, max_bytes=1 << 16)
        except m.ProtocolError as exc:
            if exc.code not in (m.CLOSE_TOO_BIG, m.CLOSE_BAD_MESSAGE) or len(exc.reason) > 200:
                raise AssertionError(exc.code, exc.reason) from None


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
