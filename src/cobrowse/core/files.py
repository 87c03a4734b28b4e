"""Files an agent offers to a visitor: which are acceptable, judged by name and content."""

from __future__ import annotations

import re
from dataclasses import dataclass

# type -> (file name endings, how the content must start; None: text checked below)
KNOWN_TYPES: dict[str, tuple[tuple[str, ...], tuple[bytes, ...] | None]] = {
    "application/pdf": ((".pdf",), (b"%PDF-",)),
    "image/png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "text/plain": ((".txt",), None),
    "text/csv": ((".csv",), None),
}
DEFAULT_TYPES = tuple(KNOWN_TYPES)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class FileRefused(ValueError):
    """Why a file may not be offered."""


@dataclass(frozen=True, slots=True)
class Checked:
    name: str
    type: str


def clean_name(name: str) -> str:
    """A safe download name: no path, no control or reserved characters, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return (cleaned or "file")[:120]


def check_offer(name: str, data: bytes, *, allowed: tuple[str, ...], max_bytes: int) -> Checked:
    """The file's clean name and type, or FileRefused saying why not."""
    if not data:
        raise FileRefused("the file is empty")
    if len(data) > max_bytes:
        raise FileRefused(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    cleaned = clean_name(name)
    lower = cleaned.lower()
    for type_, (endings, magic) in KNOWN_TYPES.items():
        if type_ not in allowed or not lower.endswith(endings):
            continue
        if magic is None:
            if b"\x00" in data:
                raise FileRefused(f"{cleaned} is not a text file")
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise FileRefused(f"{cleaned} is not UTF-8 text") from None
        elif not data.startswith(magic):
            raise FileRefused(f"{cleaned} does not contain what its name says")
        return Checked(name=cleaned, type=type_)
    kinds = ", ".join(e for t in allowed if t in KNOWN_TYPES for e in KNOWN_TYPES[t][0])
    raise FileRefused(f"only these files can be offered: {kinds}")
