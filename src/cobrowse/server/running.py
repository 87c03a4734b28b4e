"""Where a running server is: `<data_dir>/running.json`, for the CLI on the same machine.

`cobrowse demo` and `cobrowse serve` write it when they start listening (atomically,
0600, like every data file: server/datafiles.py) and remove it when they stop:
`{"pid": ..., "base_url": ...}`. `cobrowse agent-link` reads it, so that a demo started
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
    return Running(pid=pid, base_url=base_url.rstrip("/"))


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # there, but another user's
    return True


def read_running(config: Config, *, alive: Callable[[int], bool] = process_alive) -> Running | None:
    """The live server's record in the data directory, or None (none, stale, unreadable)."""
    try:
        record = parse_running(read_json(running_path(config)))
    except DataFileError:
        return None
    return record if record is not None and alive(record.pid) else None


@contextlib.contextmanager
def announced(config: Config, *, pid: int | None = None) -> Iterator[None]:
    """While inside: this process's record (config.base_url, where browsers reach it)."""
    pid = os.getpid() if pid is None else pid
    path = running_path(config)
    write_private_json(path, {"pid": pid, "base_url": config.base_url})
    try:
        yield
    finally:
        with contextlib.suppress(DataFileError, OSError):
            record = parse_running(read_json(path))
            if record is not None and record.pid == pid:
                path.unlink(missing_ok=True)
