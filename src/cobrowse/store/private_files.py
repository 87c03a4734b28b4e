"""Owner-only files and folders: what the server keeps on disk is for its own user alone.

The data directory (`server.data_dir`) holds the link secret, agent accounts, API keys
and by default the audit log (SQLite, with its `-wal`, `-shm` and `-journal` files).
Every folder the server makes there is 0700 and every file 0600, whatever the
process's umask: the mode passed to `mkdir` and `open` is filtered by the umask, so it
is set once more explicitly. SQLite gives its side files the mode of the database file,
so the database is made 0600 before SQLite opens it.

`tighten` fixes what is already there (made by an older version, another umask, or an
operator's copy) and says what it changed: the server calls it at start-up for the data
directory and each file it keeps (server/datafiles.py, `secure_data`), and logs it.
Other files an operator put in the data directory are left as they are.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
# The files SQLite keeps beside a database.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

log = logging.getLogger("cobrowse.files")


def private_dir(path: Path) -> Path:
    """`path` and any missing parents, each folder made here 0700 (existing ones are
    left as they are: the parents of a data directory may be shared)."""
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it in the meantime
            continue
        os.chmod(folder, DIR_MODE)
    return path


def open_private(path: Path, flags: int) -> int:
    """`os.open` of a file created 0600 (`flags` should include O_CREAT); an existing
    regular file is made 0600 too (a device or a pipe, `/dev/stdout`, is left alone)."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def touch_private(path: Path) -> None:
    """Create `path` empty and 0600 unless it exists; make it 0600 either way."""
    private_dir(path.parent)
    os.close(open_private(path, os.O_WRONLY | os.O_CREAT))


def sqlite_file(url_path: str) -> Path | None:
    """The database file of a `sqlite:///PATH` URL's path, or None for memory databases."""
    path = url_path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def tighten(path: Path) -> list[str]:
    """Make `path` owner-only: a folder 0700 (not what is in it: see `tighten_all`), a
    file 0600 and the SQLite side files beside it too. Symbolic links are not followed.
    Returns a line for each change, and for each that could not be made."""
    changes: list[str] = []
    try:
        st = path.lstat()
    except FileNotFoundError:
        return changes
    if stat.S_ISDIR(st.st_mode):
        if st.st_mode & stat.S_ISVTX or path.resolve() == Path("/"):  # /tmp and the like
            return [f"{path}: a shared folder; give the server a folder of its own"]
        _fix(path, st, DIR_MODE, changes)
    elif stat.S_ISREG(st.st_mode):
        _fix(path, st, FILE_MODE, changes)
        for suffix in SQLITE_SIDE_FILES:
            changes += tighten(path.with_name(path.name + suffix))
    return changes


def _fix(path: Path, st: os.stat_result, mode: int, changes: list[str]) -> None:
    current = stat.S_IMODE(st.st_mode)
    if current & 0o077 == 0:  # nobody else has any access: leave the owner's bits be
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        changes.append(f"{path}: mode {current:04o} could not be changed: {exc.strerror}")
        return
    changes.append(f"{path}: mode {current:04o} -> {mode:04o}")


def tighten_all(paths: list[Path]) -> None:
    """`tighten` each of `paths`, logging every change at WARNING."""
    for path in paths:
        for change in tighten(path):
            log.warning("data file permissions: %s", change)
