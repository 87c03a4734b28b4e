"""Where a running server is: `<data_dir>/running.json`, for the CLI on the same machine.

`cobrowse demo` and `cobrowse serve` write it when they start listening (atomically,
0600, like every data file: server/datafiles.py) and remove it when they stop:
`{"pid": ..., "base_url": ..., "started": ...}` (`started`: the process's start time
from /proc where there is one, so that a later process given the same pid is not
taken for it). `cobrowse agent-link` reads it, so that a demo started
with `--port 8123` gets links to port 8123 without `--base-url`. A record whose process
is gone (a server killed before it could remove it) is stale and ignored, as is one that
is not what we write; a server only removes its own record, never a newer one's.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cobrowse.config import Config
from cobrowse.server.datafiles import DataFileError, read_json, write_private_json

RUNNING_FILE = "running.json"


@dataclass(frozen=True, slots=True)
class Running:
    pid: int
    base_url: str
    started: str | None = None


def running_path(config: Config) -> Path:
    return Path(config.server.data_dir) / RUNNING_FILE


def parse_running(data: Any) -> Running | None:
    """The record in `data` (the file's JSON), or None when it is not one of ours."""
    if not isinstance(data, dict):
        return None
    pid, base_url = data.get("pid"), data.get("base_url")
    if type(pid) is not int or pid <= 0 or not isinstance(base_url, str):
        return None
    if not base_url.startswith(("http://", "https://")):
        return None
    started = data.get("started")
    if started is not None and not isinstance(started, str):
        return None
    return Running(pid=pid, base_url=base_url.rstrip("/"), started=started)


def process_started(pid: int) -> str | None:
    """When process `pid` started (clock ticks after boot, from /proc/PID/stat), or None
    where that cannot be read (no /proc, no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the name, in parentheses, may hold spaces
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # there, but another user's
    return True


def is_live(
    record: Running,
    *,
    alive: Callable[[int], bool] = process_alive,
    started: Callable[[int], str | None] = process_started,
) -> bool:
    """Whether the record's process still runs: its pid is there and, when both are
    known, started when the record says (else the pid went to another process)."""
    if not alive(record.pid):
        return False
    now = started(record.pid) if record.started is not None else None
    return now is None or now == record.started


def read_running(
    config: Config,
    *,
    alive: Callable[[int], bool] = process_alive,
    started: Callable[[int], str | None] = process_started,
) -> Running | None:
    """The live server's record in the data directory, or None (none, stale, unreadable)."""
    try:
        record = parse_running(read_json(running_path(config)))
    except DataFileError:
        return None
    if record is None or not is_live(record, alive=alive, started=started):
        return None
    return record


@contextlib.contextmanager
def announced(config: Config, *, pid: int | None = None) -> Iterator[None]:
    """While inside: this process's record (config.base_url, where browsers reach it)."""
    pid = os.getpid() if pid is None else pid
    path = running_path(config)
    entry: dict[str, object] = {"pid": pid, "base_url": config.base_url}
    started = process_started(pid)
    if started is not None:
        entry["started"] = started
    write_private_json(path, entry)
    try:
        yield
    finally:
        with contextlib.suppress(DataFileError, OSError):
            record = parse_running(read_json(path))
            if record is not None and record.pid == pid:
                path.unlink(missing_ok=True)
