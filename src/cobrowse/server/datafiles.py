"""Small JSON files in the data directory: written atomically, readable by us alone.

One writer (the `cobrowse` CLI), any number of readers (servers). A writer puts the
whole new content into a temporary file in the same directory (mode 0600, in a folder
made 0700: store/private_files.py), syncs
it and renames it over the old one, so a reader sees either the old file or the
new one, never half of it. Readers notice a change by the file's identity
(inode, size, modification time) and reload, so a revocation or a password reset
made with the CLI takes effect on the next request, without a restart.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from cobrowse.store.private_files import private_dir

T = TypeVar("T")


class DataFileError(Exception):
    """The file exists but cannot be read or is not what we wrote."""


def read_json(path: Path) -> Any | None:
    """The parsed content, or None when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DataFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DataFileError(f"{path} is not valid JSON: {exc}") from None


def write_private_json(path: Path, data: Any) -> None:
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(slots=True)
class Watched(Generic[T]):
    """The parsed content of a data file, parsed again whenever the file changes."""

    path: Path
    parse: Callable[[Any | None], T]
    _cache: tuple[tuple[int, int, int] | None, T] | None = field(default=None)

    def get(self) -> T:
        identity = _identity(self.path)
        if self._cache is None or self._cache[0] != identity:
            self._cache = (identity, self.parse(read_json(self.path)))
        return self._cache[1]
