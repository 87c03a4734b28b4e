"""The running server's record in its data directory (server/running.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cobrowse.config import Config, load_config
from cobrowse.server.running import (
    RUNNING_FILE,
    Running,
    announced,
    parse_running,
    process_started,
    read_running,
)


def _config(data_dir: Path, **server: object) -> Config:
    return load_config({"server": {"data_dir": str(data_dir), "port": 8123, **server}})


def test_a_server_announces_itself_while_it_runs(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with announced(config, pid=4242):
        path = tmp_path / RUNNING_FILE
        written = json.loads(path.read_text())
        assert {k: written[k] for k in ("pid", "base_url")} == {
            "pid": 4242,
            "base_url": "http://127.0.0.1:8123",
        }
        assert path.stat().st_mode & 0o777 == 0o600
        assert read_running(
            config, alive=lambda pid: pid == 4242, started=lambda pid: written.get("started")
        ) == Running(4242, "http://127.0.0.1:8123", written.get("started"))
        assert read_running(config, alive=lambda pid: False) is None  # stale
    assert not path.exists()


def test_the_public_url_is_what_it_announces(tmp_path: Path) -> None:
    config = _config(tmp_path, public_url="https://cb.example.gov.in/")
    with announced(config, pid=7):
        record = read_running(config, alive=lambda pid: True, started=lambda pid: None)
        assert record is not None and record.base_url == "https://cb.example.gov.in"


def test_a_record_of_this_process_knows_when_it_started(tmp_path: Path) -> None:
    """Its pid alive but started at another time: another process has that pid now."""
    config = _config(tmp_path)
    with announced(config):
        written = json.loads((tmp_path / RUNNING_FILE).read_text())
        assert written["pid"] == os.getpid() and written["started"] == process_started(os.getpid())
        assert read_running(config) == Running(
            os.getpid(), "http://127.0.0.1:8123", written["started"]
        )
        assert read_running(config, started=lambda pid: "1") is None
        assert read_running(config, started=lambda pid: None) is not None  # no /proc


def test_a_server_leaves_a_newer_server_s_record_alone(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with announced(config, pid=1000):
        with announced(_config(tmp_path, port=9000), pid=2000):
            pass
        assert not (tmp_path / RUNNING_FILE).exists()  # 2000 removed its own
        with announced(_config(tmp_path, port=9000), pid=3000):
            pass
    # 1000 stopped after 3000 wrote and removed: nothing of 1000's to remove
    assert not (tmp_path / RUNNING_FILE).exists()
    with announced(config, pid=1000):
        (tmp_path / RUNNING_FILE).write_text(json.dumps({"pid": 2000, "base_url": "http://x:1"}))
    assert json.loads((tmp_path / RUNNING_FILE).read_text())["pid"] == 2000


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "x",
        {},
        {"pid": "12", "base_url": "http://127.0.0.1:8123"},
        {"pid": True, "base_url": "http://127.0.0.1:8123"},
        {"pid": 0, "base_url": "http://127.0.0.1:8123"},
        {"pid": 12, "base_url": 8123},
        {"pid": 12, "base_url": "javascript:alert(1)"},
        {"pid": 12, "base_url": "http://127.0.0.1:8123", "started": 5},
    ],
)
def test_anything_else_in_the_file_is_no_record(data: object) -> None:
    assert parse_running(data) is None


def test_an_unreadable_record_is_none(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / RUNNING_FILE).write_text("{not json")
    assert read_running(config, alive=lambda pid: True) is None
    (tmp_path / RUNNING_FILE).unlink()
    assert read_running(config, alive=lambda pid: True) is None
