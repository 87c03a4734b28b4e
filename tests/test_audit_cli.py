"""`cobrowse audit export` and `cobrowse audit purge` on the configured database."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import stat
import time
from pathlib import Path

import pytest

from cobrowse.cli import main
from cobrowse.core import audit as a
from cobrowse.core.audit import AuditEntry
from cobrowse.server.audit import DAY
from cobrowse.store.audit import AuditQuery, SqlAuditStore


def seed(url: str, entries: list[AuditEntry]) -> None:
    async def go() -> None:
        store = SqlAuditStore(url)
        await store.open()
        await store.append(entries)
        await store.close()

    asyncio.run(go())


def count(url: str) -> int:
    async def go() -> int:
        store = SqlAuditStore(url)
        try:
            return len(await store.query(AuditQuery(limit=10_000)))
        finally:
            await store.close()

    return asyncio.run(go())


def aged(days: float, session: str = "s_1") -> AuditEntry:
    return a.chat_entry(at=time.time() - days * DAY, session_id=session, actor="visitor", text="hi")


@pytest.fixture(params=["sqlite", "postgresql"])
def where(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, list[str]]:
    """(database URL, the CLI arguments that point at it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/audit.db", ["--data-dir", str(tmp_path)]
    url = str(request.getfixturevalue("pg_database"))
    monkeypatch.setenv("COBROWSE_AUDIT_URL", url)
    return url, []


def test_export_jsonl_and_csv_with_filters(
    where: tuple[str, list[str]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url, args = where
    seed(
        url,
        [
            aged(3),
            aged(2, "s_2"),
            a.control_entry(at=time.time(), session_id="s_1", actor="Asha Rao", action="request"),
        ],
    )
    assert main(["audit", "export", *args]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [e["kind"] for e in lines] == ["chat.sent", "chat.sent", "control.requested"]
    assert err.strip() == "exported 3 entries"
    assert (
        main(
            ["audit", "export", *args, "--format", "csv", "--session", "s_1", "--kind", "chat.sent"]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["session_id"], r["kind"]) for r in rows] == [("s_1", "chat.sent")]
    target = tmp_path / "out.jsonl"
    assert main(["audit", "export", *args, "--actor", "Asha Rao", "-o", str(target)]) == 0
    assert [json.loads(x)["actor"] for x in target.read_text().splitlines()] == ["Asha Rao"]


def test_purge_uses_retention_days_or_the_flag(
    where: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, args = where
    seed(url, [aged(400), aged(40), aged(1)])
    assert main(["audit", "purge", *args]) == 0  # the default: 365 days
    assert "purged 1 entries older than 365 days" in capsys.readouterr().err
    assert main(["audit", "purge", *args, "--older-than-days", "30"]) == 0
    assert "purged 1 entries" in capsys.readouterr().err
    assert count(url) == 1
    monkeypatch.setenv("COBROWSE_AUDIT_RETENTION_DAYS", "0")
    assert main(["audit", "purge", *args]) == 0
    assert "nothing purged" in capsys.readouterr().err
    assert count(url) == 1


def test_bad_filters_are_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--data-dir", str(tmp_path)]
    assert main(["audit", "export", *args, "--kind", "chat.sent,nope"]) == 2
    assert "unknown kind 'nope'" in capsys.readouterr().err
    assert main(["audit", "export", *args, "--since", "last week"]) == 2
    assert "audit export:" in capsys.readouterr().err


def test_an_export_file_and_the_database_are_owner_only(tmp_path: Path) -> None:
    """Whatever the umask the command starts with; it is put back afterwards."""
    data = tmp_path / "data"
    target = tmp_path / "export.jsonl"
    target.write_text("an older, readable export\n")
    target.chmod(0o644)
    old = os.umask(0o022)
    try:
        seed(f"sqlite:///{data}/audit.db", [aged(1)])
        assert main(["audit", "export", "--data-dir", str(data), "-o", str(target)]) == 0
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old)
    assert len(target.read_text().splitlines()) == 1
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "audit.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_purge_also_purges_recordings_past_their_retention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from cobrowse.config import load_config
    from cobrowse.server.recording_setup import load_ring, store_for
    from cobrowse.server.recordings import Recorder

    config = load_config(
        {"server": {"data_dir": str(tmp_path)}, "recordings": {"sites": ["https://a.test"]}}, {}
    )
    ring = load_ring(config, create=True)
    assert ring is not None
    rec = Recorder(store_for(config), ring)
    now = time.time()
    for sid, age in (("s_old", 91), ("s_new", 89)):
        rec.start(sid, site=None, now=now - age * 86400)
        rec.finish(sid, now=now - age * 86400)
    rec.drain()
    assert main(["audit", "purge", "--data-dir", str(tmp_path)]) == 0
    assert "purged 1 recordings older than 90 days" in capsys.readouterr().err
    assert rec.store.ids() == ["s_new"]
    monkeypatch.setenv("COBROWSE_RECORDINGS_RETENTION_DAYS", "30")
    monkeypatch.setenv("COBROWSE_AUDIT_RETENTION_DAYS", "0")
    assert main(["audit", "purge", "--data-dir", str(tmp_path)]) == 0
    assert "purged 1 recordings older than 30 days" in capsys.readouterr().err
    assert rec.store.ids() == []
