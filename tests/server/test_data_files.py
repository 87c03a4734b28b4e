"""The data directory is for the server's user alone: folders 0700, files 0600.

The server runs here under a umask that would leave files readable by everyone
(0o022), as a process started by hand or by a careless unit would: what it writes must
be owner-only anyway. Files left loose by an earlier start are tightened and logged.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cobrowse.config import load_config
from cobrowse.server.accounts import AccountStore, accounts_path
from cobrowse.server.api_keys import ApiKeyStore, api_keys_path
from cobrowse.server.app import create_app
from cobrowse.server.context import Context
from cobrowse.store.audit import AuditQuery
from cobrowse.store.private_files import open_private, private_dir, tighten
from tests.server.conftest import SITE


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every folder and file under `root` (itself included) with its permission bits."""
    out = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder) / name
            out[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return out


def owner_only(found: dict[str, str], root: Path) -> dict[str, str]:
    """The entries of `found` that are not exactly 0700 (folders) or 0600 (files)."""
    bad = {}
    for name, mode in found.items():
        want = oct(0o700) if (root / name).is_dir() else oct(0o600)
        if mode != want:
            bad[name] = mode
    return bad


def config_for(data: Path) -> dict[str, dict[str, object]]:
    return {
        "server": {"data_dir": str(data), "public_url": "http://testserver"},
        "proxy": {"allowed_origins": [SITE]},
    }


def test_everything_the_server_writes_is_owner_only(tmp_path: Path, loose_umask: None) -> None:
    srv = tmp_path / "srv"
    srv.mkdir(mode=0o755)
    data = srv / "var" / "cobrowse"
    config = load_config(config_for(data), {})
    # What `cobrowse user add` and `cobrowse api-key` write (the same stores).
    AccountStore(accounts_path(config)).add("asha", name="Asha Rao", password="correct horse 1")
    ApiKeyStore(api_keys_path(config), configured=()).create(label="crm")
    reader: sqlite3.Connection | None = None
    with TestClient(create_app(config)) as client:
        ctx = client.app.state.ctx  # type: ignore[attr-defined]
        assert isinstance(ctx, Context)
        for _ in range(2):
            r = client.post("/api/v1/sessions", json={}, headers={"Origin": SITE})
            assert r.status_code == 201
            # Written: the query runs after the batch (one thread, in order).
            client.portal.call(ctx.audit.query, AuditQuery())  # type: ignore[union-attr]
            if reader is None:
                # A reader (an export) keeps SQLite's side files while the server writes.
                reader = sqlite3.connect(data / "audit.db")
                assert reader.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
        running = modes(data)
        assert reader.execute("SELECT count(*) FROM audit_log").fetchone() == (2,)
        reader.close()
        assert {"audit.db", "audit.db-wal", "audit.db-shm"} <= set(running)
    after = modes(data)
    assert {"link-secret", "accounts.json", "api-keys.json", "audit.db"} <= set(after)
    assert owner_only(running, data) == {}
    assert owner_only(after, data) == {}
    # The folders made for it are 0700; the parent that was there is left alone.
    assert oct(stat.S_IMODE((srv / "var").stat().st_mode)) == oct(0o700)
    assert oct(stat.S_IMODE(srv.stat().st_mode)) == oct(0o755)


def test_an_audit_log_elsewhere_is_owner_only_too(tmp_path: Path, loose_umask: None) -> None:
    db = tmp_path / "audit" / "log.sqlite"
    sections = config_for(tmp_path / "data")
    sections["audit"] = {"url": f"sqlite:///{db}"}
    with TestClient(create_app(load_config(sections, {}))) as client:
        ctx = client.app.state.ctx  # type: ignore[attr-defined]
        client.post("/api/v1/sessions", json={}, headers={"Origin": SITE})
        assert client.portal.call(ctx.audit.query, AuditQuery())  # type: ignore[union-attr]
        assert owner_only(modes(db.parent), db.parent) == {}
    assert owner_only(modes(db.parent), db.parent) == {}


def start(data: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Start a server on `data` and stop it, capturing what the start-up logs."""
    config = load_config(config_for(data), {})
    with caplog.at_level(logging.WARNING, logger="cobrowse.files"), TestClient(create_app(config)):
        pass


def test_loose_files_are_tightened_at_start_and_logged(
    tmp_path: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    loose = {"link-secret": "x" * 64 + "\n", "accounts.json": "{}\n", "audit.db": ""}
    for name, text in loose.items():
        (data / name).write_text(text)
        os.chmod(data / name, 0o644)
    (data / "audit.db-wal").write_bytes(b"")
    os.chmod(data / "audit.db-wal", 0o664)
    (data / "notes.txt").write_text("an operator's file\n")  # not ours: left alone
    os.chmod(data / "notes.txt", 0o644)
    start(data, caplog)
    found = modes(data)
    assert found.pop("notes.txt") == oct(0o644)
    assert owner_only(found, data) == {}
    logged = [r.getMessage() for r in caplog.records if r.name == "cobrowse.files"]
    for name in (".", "link-secret", "accounts.json", "audit.db", "audit.db-wal"):
        path = data if name == "." else data / name
        assert any(f"{path}: mode 0" in line for line in logged), (name, logged)
    assert not any("notes.txt" in line for line in logged)
    # A second start finds nothing to change, and says nothing.
    caplog.clear()
    start(data, caplog)
    assert [r for r in caplog.records if r.name == "cobrowse.files"] == []


def test_tighten_leaves_shared_folders_and_owner_only_modes_alone(
    tmp_path: Path, loose_umask: None
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    assert "shared folder" in " ".join(tighten(shared))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    read_only = tmp_path / "secret"
    read_only.write_text("x")
    os.chmod(read_only, 0o400)
    assert tighten(read_only) == []
    assert stat.S_IMODE(read_only.stat().st_mode) == 0o400
    pipe = tmp_path / "pipe"  # `-o /dev/stdout` and the like: not ours to change
    os.mkfifo(pipe, 0o644)
    os.close(open_private(pipe, os.O_RDWR | os.O_CREAT))
    assert stat.S_IMODE(pipe.stat().st_mode) == 0o644
    made = private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700
