"""The screenshot comparer's PNG decoder, on every PNG filter type."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.e2e.corpus.pixels import _paeth, compare, decode
from tests.e2e.corpus.site import png


def _encode(rows: list[bytes], width: int, filters: list[int]) -> bytes:
    """An RGB PNG whose row y uses filter filters[y % len(filters)]."""
    bpp = 3
    out = bytearray()
    prev = bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = filters[y % len(filters)]
        line = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) >> 1, _paeth(a, b, c)][kind]
            line.append((x - pred) & 0xFF)
        out += bytes([kind]) + line
        prev = row

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(out)))
        + chunk(b"IEND", b"")
    )


def _rows(width: int, height: int, seed: int) -> list[bytes]:
    return [
        bytes((x * 7 + y * 13 + seed * (x ^ y)) % 256 for x in range(width * 3))
        for y in range(height)
    ]


@pytest.mark.parametrize("filters", [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]])
def test_every_filter_decodes_to_the_pixels(filters: list[int]) -> None:
    rows = _rows(17, 9, 5)
    assert decode(_encode(rows, 17, filters)).rows == rows


def test_compare_counts_pixels_beyond_the_tolerance() -> None:
    rows = _rows(10, 4, 3)
    changed = [bytearray(r) for r in rows]
    changed[1][0:3] = bytes((v + 40) % 256 for v in changed[1][0:3])  # one pixel, far
    changed[2][6] = (changed[2][6] + 5) % 256  # another, near
    a = _encode(rows, 10, [4])
    b = _encode([bytes(r) for r in changed], 10, [1, 3])
    diff = compare(a, b, tolerance=16)
    assert (diff.pixels, diff.total, diff.max_delta) == (1, 40, 40)
    assert compare(a, _encode(rows, 10, [2]), tolerance=0).pixels == 0


def test_identical_solid_images() -> None:
    image = png(8, 8, (1, 2, 3))
    assert decode(image).rows[0] == bytes((1, 2, 3)) * 8
    assert compare(image, image, tolerance=0).max_delta == 0
