"""Compare two screenshots pixel by pixel: a small PNG decoder (8-bit RGB/RGBA, not
interlaced, the kind Chromium writes) on zlib, no imaging library needed."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int  # 3 (RGB) or 4 (RGBA)
    rows: list[bytes]  # unfiltered scanlines


@dataclass(frozen=True)
class Difference:
    pixels: int  # pixels whose largest channel difference exceeds the tolerance
    total: int
    max_delta: int  # the largest channel difference anywhere (0-255)

    @property
    def fraction(self) -> float:
        return self.pixels / self.total if self.total else 0.0


def _chunks(data: bytes) -> tuple[bytes, bytes]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, header, idat = 8, b"", []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    return header, zlib.decompress(b"".join(idat))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(data: bytes) -> Image:
    header, raw = _chunks(data)
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {color})")
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    prev = bytearray(stride)
    rows: list[bytes] = []
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((x + p) & 0xFF for x, p in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                if i >= bpp:
                    line[i] = (line[i] + _paeth(line[i - bpp], prev[i], prev[i - bpp])) & 0xFF
                else:
                    line[i] = (line[i] + prev[i]) & 0xFF
        elif kind != 0:
            raise ValueError(f"bad PNG filter {kind}")
        rows.append(bytes(line))
        prev = line
    return Image(width, height, bpp, rows)


def compare(a_png: bytes, b_png: bytes, *, tolerance: int) -> Difference:
    """How many pixels differ by more than `tolerance` in some channel, and the largest
    channel difference. Identical encodings are recognised without decoding."""
    ha, raw_a = _chunks(a_png)
    hb, raw_b = _chunks(b_png)
    if ha != hb:
        raise ValueError("screenshots of different sizes or formats")
    width, height = struct.unpack(">II", ha[:8])
    if raw_a == raw_b:
        return Difference(0, width * height, 0)
    a, b = decode(a_png), decode(b_png)
    n = a.channels
    pixels = max_delta = 0
    for ra, rb in zip(a.rows, b.rows, strict=True):
        if ra == rb:
            continue
        for x in range(0, len(ra), n):
            worst = max(abs(ra[x + k] - rb[x + k]) for k in range(3))
            if worst:
                max_delta = max(max_delta, worst)
                if worst > tolerance:
                    pixels += 1
    return Difference(pixels, width * height, max_delta)
