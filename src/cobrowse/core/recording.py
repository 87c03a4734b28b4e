"""Session recordings as data: what a chunk is, how it is sealed, when one is purged.

A recording is the stream the agent received (page data as relayed, masking already
applied in the visitor's browser), plus the chat, guidance, control and acts, each
with the time it happened. It is cut into chunks that are only ever appended:

    chunk   = MAGIC (4) | key id length (1) | key id (ASCII) | nonce (12) | ciphertext
    sealed  = AES-256-GCM(key, nonce, plaintext, aad = MAGIC | key id | recording id | index)
    plain   = JSON array of [at, to, frame] (frame: the JSON text the agent was sent)

The key id in every chunk lets keys rotate: new chunks are sealed with the current
key, old ones open with the key they name. The recording id and the chunk's index are
bound into the tag, so a chunk moved to another recording or another place fails to
open (`ChunkError`), as does any changed byte.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CBR1"
NONCE_BYTES = 12
KEY_BYTES = 32
MAX_KEY_ID = 64
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_RECORDING_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
DAY = 86400.0

# Who a captured frame went to: the agent, or the visitor (the agent's own guidance
# and acts, which the agent chose and so saw).
Captured = tuple[float, str, bytes]


class ChunkError(ValueError):
    """Not a chunk we sealed, sealed with an unknown key, or changed since."""


class KeyError_(ValueError):
    """A recording key that is not usable (named so as not to shadow KeyError)."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The keys recordings are sealed with: `current` seals, every one opens."""

    current: str
    keys: dict[str, bytes] = field(default_factory=dict)

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise ChunkError(f"sealed with key {key_id!r}, which is not configured") from None


def parse_keys(text: str, *, current: str = "") -> KeyRing:
    """Keys from configuration: entries `ID=BASE64` (32 bytes each), separated by
    newlines or commas; `#` starts a comment. `current` names the sealing key (by
    default the last entry). KeyError_ names what is wrong."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for raw in re.split(r"[\n,]", text):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        key_id, sep, value = entry.partition("=")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise KeyError_("a recording key is ID=BASE64 (ID: letters, digits, . _ -)")
        if key_id in keys:
            raise KeyError_(f"recording key {key_id!r} is given twice")
        try:
            secret = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyError_(f"recording key {key_id!r} is not base64") from None
        if len(secret) != KEY_BYTES:
            raise KeyError_(f"recording key {key_id!r} must be {KEY_BYTES} bytes (AES-256)")
        keys[key_id] = secret
        order.append(key_id)
    if not keys:
        raise KeyError_("no recording key is configured")
    chosen = current or order[-1]
    if chosen not in keys:
        raise KeyError_(f"the current recording key {chosen!r} is not among the keys")
    return KeyRing(current=chosen, keys=keys)


def new_key_line(key_id: str) -> str:
    """A fresh key entry for a key file (`cobrowse recordings new-key`)."""
    if not _KEY_ID.fullmatch(key_id):
        raise KeyError_("a key id is 1-64 letters, digits, . _ -")
    return f"{key_id}={base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def check_recording_id(recording_id: str) -> str:
    if not _RECORDING_ID.fullmatch(recording_id):
        raise ChunkError("not a recording id")
    return recording_id


def _aad(key_id: bytes, recording_id: str, index: int) -> bytes:
    return MAGIC + key_id + b"|" + recording_id.encode() + b"|%d" % index


def encode_records(records: Iterable[Captured]) -> bytes:
    return orjson.dumps([[at, to, frame.decode("utf-8", "replace")] for at, to, frame in records])


def decode_records(plain: bytes) -> list[Captured]:
    try:
        rows = orjson.loads(plain)
        return [(float(at), str(to), str(frame).encode()) for at, to, frame in rows]
    except (orjson.JSONDecodeError, TypeError, ValueError):
        raise ChunkError("a chunk's content is not a list of records") from None


def seal(
    records: Sequence[Captured],
    *,
    ring: KeyRing,
    recording_id: str,
    index: int,
    nonce: bytes | None = None,
) -> bytes:
    """One chunk holding `records`, sealed with the ring's current key."""
    key_id = ring.current.encode()
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key(ring.current)).encrypt(
        nonce, encode_records(records), _aad(key_id, recording_id, index)
    )
    return MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed


def chunk_key_id(chunk: bytes) -> str:
    if not chunk.startswith(MAGIC) or len(chunk) < len(MAGIC) + 1:
        raise ChunkError("not a recording chunk")
    n = chunk[len(MAGIC)]
    key_id = chunk[len(MAGIC) + 1 : len(MAGIC) + 1 + n]
    if not 0 < n <= MAX_KEY_ID or len(key_id) != n:
        raise ChunkError("a chunk's key id is cut short")
    return key_id.decode("ascii", "replace")


def open_chunk(chunk: bytes, *, ring: KeyRing, recording_id: str, index: int) -> list[Captured]:
    """The records of a chunk; ChunkError when it was changed, moved, or its key is unknown."""
    key_id = chunk_key_id(chunk)
    start = len(MAGIC) + 1 + len(key_id)
    nonce, sealed = chunk[start : start + NONCE_BYTES], chunk[start + NONCE_BYTES :]
    if len(nonce) != NONCE_BYTES or len(sealed) < 16:
        raise ChunkError("a chunk is cut short")
    try:
        plain = AESGCM(ring.key(key_id)).decrypt(
            nonce, sealed, _aad(key_id.encode(), recording_id, index)
        )
    except InvalidTag:
        raise ChunkError(f"chunk {index} of {recording_id} was changed or moved") from None
    return decode_records(plain)


@dataclass(slots=True)
class Batcher:
    """Captured frames gathered into chunks: one is due past `max_bytes` of frames
    or `max_age` seconds after its first frame (checked as frames come and on ticks)."""

    max_bytes: int = 256 * 1024
    max_age: float = 5.0
    records: list[Captured] = field(default_factory=list)
    size: int = 0
    first_at: float | None = None

    def add(self, at: float, to: str, frame: bytes) -> list[Captured] | None:
        if self.first_at is None:
            self.first_at = at
        self.records.append((at, to, frame))
        self.size += len(frame)
        return self.take() if self.size >= self.max_bytes else self.due(at)

    def due(self, now: float) -> list[Captured] | None:
        if self.first_at is not None and now - self.first_at >= self.max_age:
            return self.take()
        return None

    def take(self) -> list[Captured] | None:
        if not self.records:
            return None
        taken, self.records, self.size, self.first_at = self.records, [], 0, None
        return taken


@dataclass(frozen=True, slots=True, kw_only=True)
class Meta:
    """What a recording is about: whose session, on which site, when. Kept beside the
    chunks (sealed like them, as chunk index -1), written when it starts and ends."""

    id: str
    session_id: str
    site: str | None
    started_at: float
    ended_at: float | None = None
    agent_name: str | None = None
    agent_id: str | None = None
    agent_team: str | None = None
    chunks: int = 0
    lost: int = 0  # frames that could not be kept (queue full, storage failed)

    def to_json(self) -> bytes:
        return orjson.dumps({k: getattr(self, k) for k in self.__slots__})

    @classmethod
    def from_json(cls, data: bytes) -> Meta:
        try:
            raw = orjson.loads(data)
            return cls(**{k: raw.get(k) for k in cls.__slots__ if k in raw})
        except (orjson.JSONDecodeError, TypeError, AttributeError):
            raise ChunkError("a recording's description is not readable") from None


META_INDEX = -1


def seal_meta(meta: Meta, *, ring: KeyRing) -> bytes:
    key_id = ring.current.encode()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key(ring.current)).encrypt(
        nonce, meta.to_json(), _aad(key_id, meta.id, META_INDEX)
    )
    return MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed


def open_meta(blob: bytes, *, ring: KeyRing, recording_id: str) -> Meta:
    key_id = chunk_key_id(blob)
    start = len(MAGIC) + 1 + len(key_id)
    nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        plain = AESGCM(ring.key(key_id)).decrypt(
            nonce, sealed, _aad(key_id.encode(), recording_id, META_INDEX)
        )
    except (InvalidTag, ValueError):
        raise ChunkError(f"the description of {recording_id} was changed or moved") from None
    meta = Meta.from_json(plain)
    if meta.id != recording_id:
        raise ChunkError("a recording's description names another recording")
    return meta


def _blob_aad(key_id: bytes, recording_id: str, name: str) -> bytes:
    return MAGIC + key_id + b"|" + recording_id.encode() + b"|" + name.encode()


def seal_blob(data: bytes, *, ring: KeyRing, recording_id: str, name: str) -> bytes:
    """An object of a recording other than a chunk (an asset, the asset index), bound
    to its recording and its name."""
    key_id = ring.current.encode()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key(ring.current)).encrypt(
        nonce, data, _blob_aad(key_id, recording_id, name)
    )
    return MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed


def open_blob(blob: bytes, *, ring: KeyRing, recording_id: str, name: str) -> bytes:
    key_id = chunk_key_id(blob)
    start = len(MAGIC) + 1 + len(key_id)
    nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        return AESGCM(ring.key(key_id)).decrypt(
            nonce, sealed, _blob_aad(key_id.encode(), recording_id, name)
        )
    except (InvalidTag, ValueError):
        raise ChunkError(f"{name} of {recording_id} was changed or moved") from None


def expired(
    recordings: Iterable[tuple[str, float]], *, now: float, retention_days: float
) -> list[str]:
    """The recordings (id, when it started) older than the retention period; none when
    it is 0 (keep everything), as for the audit log."""
    if retention_days <= 0:
        return []
    before = now - retention_days * DAY
    return [rid for rid, started in recordings if started < before]
