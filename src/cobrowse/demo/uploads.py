"""Supporting documents (Form 16 and the like): what is accepted, and the per-user list.

The demo keeps only the name, type and size of an accepted file; the bytes are dropped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 10
MAX_NAME_LENGTH = 100

# kind -> (file name endings, leading bytes)
_KINDS: dict[str, tuple[tuple[str, ...], bytes]] = {
    "PDF": ((".pdf",), b"%PDF-"),
    "JPEG": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "PNG": ((".png",), b"\x89PNG\r\n\x1a\n"),
}
SNIFF_BYTES = 8
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    kind: str
    size: int


def safe_name(raw: str) -> str:
    """The last path segment of a client file name, without control characters, bounded."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, ext = cleaned.rpartition(".")
        keep = MAX_NAME_LENGTH - len(ext) - 2
        cleaned = (stem[:keep] + "…" + dot + ext) if dot and keep > 0 else cleaned[:MAX_NAME_LENGTH]
    return cleaned or "document"


def document_kind(name: str, head: bytes) -> str | None:
    """'PDF', 'JPEG' or 'PNG' when both the name and the content agree, else None."""
    lower = name.lower()
    for kind, (endings, magic) in _KINDS.items():
        if lower.endswith(endings) and head.startswith(magic):
            return kind
    return None


def upload_error(
    name: str, head: bytes, size: int, *, max_bytes: int = MAX_UPLOAD_BYTES
) -> str | None:
    """None when the file is acceptable, else a message for the upload field."""
    if size == 0:
        return f"{safe_name(name)} is empty. Choose the file again."
    if size > max_bytes:
        return f"{safe_name(name)} is larger than {max_bytes // (1024 * 1024)} MB."
    if document_kind(name, head) is None:
        return f"{safe_name(name)} is not a PDF, JPEG or PNG file. Only these types are accepted."
    return None


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class TooLarge(Exception):
    """The request body went over its limit."""
