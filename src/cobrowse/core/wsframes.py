"""WebSocket (RFC 6455) as the relay's server side speaks it, sans I/O: the upgrade's
answer, client frames read from a byte stream, server frames to write.

Only what a browser's `new WebSocket(url)` needs: no extensions (no compression), no
subprotocols. A client's frames must be masked; control frames are at most 125 bytes
and never fragmented; reserved bits must be clear; a message (its fragments together)
is at most `max_message` bytes, and is refused as soon as its header says it would be
larger, before its payload arrives. Any violation raises FrameError with the close code
to send.

Memory: the reader keeps only an incomplete frame. A frame that arrived whole in one
read is parsed where it lies, and once a large frame is consumed its buffer is let go:
a socket that once received a 354 KB snapshot does not keep 354 KB for good.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from collections.abc import Callable

# (payload, 4-byte mask) -> the payload unmasked. The server passes websockets' C helper
# (server/ws_relay.py); `unmask` below is the same in pure Python, 10x slower.
Unmask = Callable[[bytes | bytearray, bytes | bytearray], bytes]

OP_CONTINUATION = 0
OP_TEXT = 1
OP_BINARY = 2
OP_CLOSE = 8
OP_PING = 9
OP_PONG = 10
DATA_OPS = frozenset({OP_CONTINUATION, OP_TEXT, OP_BINARY})
CONTROL_OPS = frozenset({OP_CLOSE, OP_PING, OP_PONG})

CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005
CLOSE_TOO_BIG = 1009
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_CONTROL = 125


class FrameError(Exception):
    """The client broke the protocol: close with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class HandshakeError(Exception):
    """Not a WebSocket upgrade this server accepts: answer 400 with the reason."""


def parse_head(head: bytes) -> tuple[bytes, bytes, dict[str, str]] | None:
    """A request head (up to its blank line) as (method, target, headers): names lower
    case, a repeated header's values joined with ", "; None without a request line."""
    line, _, rest = head.partition(b"\r\n")
    parts = line.split(b" ")
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for raw in rest.split(b"\r\n"):
        name, sep, value = raw.partition(b":")
        if not sep:
            continue
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("latin-1")
        headers[key] = headers[key] + ", " + text if key in headers else text
    return parts[0], parts[1], headers


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode()


def upgrade_answer(headers: dict[str, str]) -> bytes:
    """The 101 response to an upgrade request (`headers`: lower-case names, values as
    sent); HandshakeError when it is not a valid version-13 upgrade."""
    if "websocket" not in headers.get("upgrade", "").lower():
        raise HandshakeError("Upgrade: websocket expected")
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    if "upgrade" not in tokens:
        raise HandshakeError("Connection: Upgrade expected")
    if headers.get("sec-websocket-version", "").strip() != "13":
        raise HandshakeError("Sec-WebSocket-Version: 13 expected")
    key = headers.get("sec-websocket-key", "").strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise HandshakeError("a Sec-WebSocket-Key of 16 bytes expected")
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
    ).encode("ascii")


def frame_header(opcode: int, length: int) -> bytes:
    """A server frame's header (final, unmasked) for a payload of `length` bytes."""
    if length < 126:
        return bytes((0x80 | opcode, length))
    if length < 65536:
        return bytes((0x80 | opcode, 126)) + length.to_bytes(2, "big")
    return bytes((0x80 | opcode, 127)) + length.to_bytes(8, "big")


def text_frame(data: bytes) -> bytes:
    """A server's text frame of `data` (UTF-8)."""
    return frame_header(OP_TEXT, len(data)) + data


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame; the reason is cut to fit a control frame's 125 bytes."""
    payload = code.to_bytes(2, "big") + reason.encode()[: _MAX_CONTROL - 2]
    return frame_header(OP_CLOSE, len(payload)) + payload


def unmask(data: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    """A client frame's payload unmasked (RFC 6455 5.3): each byte XOR the mask's."""
    n = len(data)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def close_code(payload: bytes) -> int:
    """The code of a client's close frame (1005 when it gave none)."""
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else CLOSE_NO_STATUS


class FrameReader:
    """Client frames out of the bytes read so far: `feed` returns each whole message
    as (OP_TEXT or OP_BINARY, payload), and each control frame as (opcode, payload)."""

    __slots__ = ("_buffer", "_max", "_parts", "_parts_op", "_parts_size", "_unmask")

    def __init__(self, max_message: int, *, unmask: Unmask = unmask) -> None:
        self._max = max_message
        self._unmask = unmask
        self._buffer = bytearray()  # an incomplete frame, when there is one
        self._parts: list[bytes] | None = None  # a fragmented message so far
        self._parts_op = OP_TEXT
        self._parts_size = 0

    def held(self) -> int:
        """Bytes the reader's buffer holds in memory (its allocation, not its length)."""
        return sys.getsizeof(self._buffer)

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        if self._buffer:
            self._buffer += data
            source: bytes | bytearray = self._buffer
        else:
            source = data
        out: list[tuple[int, bytes]] = []
        pos = self._frames(source, out)
        if pos == len(source):
            if self._buffer:
                self._buffer = bytearray()  # a large frame's buffer goes with it
        elif source is self._buffer:
            if pos:
                self._buffer = bytearray(memoryview(source)[pos:])
        else:
            self._buffer = bytearray(memoryview(source)[pos:])
        return out

    def _frames(self, buf: bytes | bytearray, out: list[tuple[int, bytes]]) -> int:
        """Append each whole frame of `buf` to `out`; the position after the last."""
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            if b0 & 0x70:
                raise FrameError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
            if not b1 & 0x80:
                raise FrameError(CLOSE_PROTOCOL_ERROR, "an unmasked client frame")
            opcode, fin, length = b0 & 0x0F, b0 & 0x80, b1 & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if end - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            self._check(opcode, fin, length)
            start = pos + head + 4
            if end - start < length:
                break
            payload = self._unmask(
                bytes(buf[start : start + length]), bytes(buf[pos + head : start])
            )
            pos = start + length
            self._take(opcode, fin, payload, out)
        return pos

    def _check(self, opcode: int, fin: int, length: int) -> None:
        if opcode in CONTROL_OPS:
            if not fin or length > _MAX_CONTROL:
                raise FrameError(CLOSE_PROTOCOL_ERROR, "a fragmented or long control frame")
            return
        if opcode not in DATA_OPS:
            raise FrameError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if opcode == OP_CONTINUATION:
            if self._parts is None:
                raise FrameError(CLOSE_PROTOCOL_ERROR, "a continuation with no message")
            if self._parts_size + length > self._max:
                raise FrameError(CLOSE_TOO_BIG, "message too big")
        elif self._parts is not None:
            raise FrameError(CLOSE_PROTOCOL_ERROR, "a new message inside a fragmented one")
        elif length > self._max:
            raise FrameError(CLOSE_TOO_BIG, "message too big")

    def _take(self, opcode: int, fin: int, payload: bytes, out: list[tuple[int, bytes]]) -> None:
        if opcode in CONTROL_OPS:
            out.append((opcode, payload))
        elif opcode == OP_CONTINUATION:
            assert self._parts is not None
            self._parts.append(payload)
            self._parts_size += len(payload)
            if fin:
                out.append((self._parts_op, b"".join(self._parts)))
                self._parts = None
        elif fin:
            out.append((opcode, payload))
        else:
            self._parts, self._parts_op, self._parts_size = [payload], opcode, len(payload)
