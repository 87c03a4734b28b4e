"""The SQL audit store on SQLite and on a real PostgreSQL server: append, query with
every filter, cursor order, purge, and the database itself refusing UPDATE/DELETE."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from cobrowse.core.audit import AuditEntry, Kind
from cobrowse.store.audit import AuditQuery, AuditUrlError, SqlAuditStore, engine_url

T0 = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/audit/audit.db"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
async def store(url: str) -> AsyncIterator[SqlAuditStore]:
    s = SqlAuditStore(url)
    await s.open()
    await s.open()  # idempotent: a restart finds the table and its guards in place
    yield s
    await s.close()


def entry(n: int, **fields: object) -> AuditEntry:
    base: dict[str, object] = {
        "at": T0 + n,
        "kind": Kind.CHAT_SENT,
        "actor": "visitor",
        "session_id": "s_a",
        "detail": f"entry {n}",
        "data": {"chars": n},
    }
    base.update(fields)
    return AuditEntry(**base)  # type: ignore[arg-type]


async def test_append_and_read_back_every_field(store: SqlAuditStore) -> None:
    e = AuditEntry(
        at=T0 + 0.125,
        kind=Kind.AGENT_ACT,
        actor="Asha Rao",
        session_id="s_1",
        address="203.0.113.9",
        target="text field “Full name”",
        outcome="ok",
        detail="typed 10 characters into “text field “Full name””",
        data={"act": "input", "node": 91, "chars": 10, "ok": True, "none": None, "x": 0.5},
    )
    await store.append([e])
    (got,) = await store.query(AuditQuery())
    assert got.id is not None and got.id > 0
    assert got == AuditEntry(**{**_fields(e), "id": got.id})


def _fields(e: AuditEntry) -> dict[str, object]:
    return {k: getattr(e, k) for k in e.__slots__}  # type: ignore[attr-defined]


async def test_filters_cursor_and_limit(store: SqlAuditStore) -> None:
    await store.append(
        [
            entry(1),
            entry(2, session_id="s_b", kind=Kind.SESSION_CREATED),
            entry(3, actor="Asha Rao", kind=Kind.AGENT_ACT),
            entry(4, session_id="s_b", actor="Asha Rao", kind=Kind.CHAT_SENT),
            entry(5, session_id=None, actor="crm:abc", kind=Kind.AGENT_LINK_ISSUED),
        ]
    )
    details = lambda q: [e.detail for e in q]  # noqa: E731
    assert details(await store.query(AuditQuery())) == [f"entry {n}" for n in range(1, 6)]
    assert details(await store.query(AuditQuery(session_id="s_b"))) == ["entry 2", "entry 4"]
    assert details(await store.query(AuditQuery(actor="Asha Rao"))) == ["entry 3", "entry 4"]
    kinds = (Kind.CHAT_SENT.value, Kind.AGENT_LINK_ISSUED.value)
    assert details(await store.query(AuditQuery(kinds=kinds))) == ["entry 1", "entry 4", "entry 5"]
    assert details(await store.query(AuditQuery(since=T0 + 2, until=T0 + 4))) == [
        "entry 2",
        "entry 3",
    ]
    first = await store.query(AuditQuery(limit=2))
    assert details(first) == ["entry 1", "entry 2"]
    assert first[-1].id is not None
    rest = await store.query(AuditQuery(after_id=first[-1].id, limit=2))
    assert details(rest) == ["entry 3", "entry 4"]
    combined = AuditQuery(session_id="s_b", actor="Asha Rao", kinds=(Kind.CHAT_SENT.value,))
    assert details(await store.query(combined)) == ["entry 4"]


async def test_purge_deletes_only_older_entries_and_ids_are_never_reused(
    store: SqlAuditStore,
) -> None:
    await store.append([entry(n) for n in range(1, 5)])
    before = await store.query(AuditQuery())
    assert await store.purge(before=T0 + 3) == 2
    left = await store.query(AuditQuery())
    assert [e.detail for e in left] == ["entry 3", "entry 4"]
    assert await store.purge(before=T0 + 100) == 2
    assert await store.query(AuditQuery()) == []
    await store.append([entry(9)])
    (new,) = await store.query(AuditQuery())
    assert new.id is not None and before[-1].id is not None and new.id > before[-1].id


async def test_the_database_refuses_update_and_delete(store: SqlAuditStore) -> None:
    await store.append([entry(1), entry(2)])
    for statement in (
        "UPDATE audit_log SET detail = 'forged'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)",
    ):
        with pytest.raises(Exception, match="append-only"):
            async with store.engine.begin() as conn:
                await conn.execute(text(statement))
    assert [e.detail for e in await store.query(AuditQuery())] == ["entry 1", "entry 2"]


async def test_purge_gate_does_not_open_newer_rows(store: SqlAuditStore) -> None:
    """Inside a purge the only deletable rows are those older than its cut-off."""
    await store.append([entry(1), entry(5)])
    with pytest.raises(Exception, match="append-only"):
        async with store.engine.begin() as conn:
            if store.dialect == "sqlite":
                await conn.execute(
                    text("INSERT INTO audit_purge_gate (before) VALUES (:b)"), {"b": T0 + 2}
                )
            else:
                await conn.execute(
                    text("SELECT set_config('cobrowse.audit_purge_before', :b, true)"),
                    {"b": str(T0 + 2)},
                )
            await conn.execute(text("DELETE FROM audit_log"))
    assert len(await store.query(AuditQuery())) == 2


async def test_sqlite_refuses_changes_from_any_other_client(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    store = SqlAuditStore(f"sqlite:///{path}")
    await store.open()
    await store.append([entry(1)])
    await store.close()
    db = sqlite3.connect(path)
    try:
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
        assert db.execute("SELECT count(*) FROM audit_log").fetchone() == (1,)
    finally:
        db.close()


async def test_postgres_refuses_changes_from_any_other_client(pg_database: str) -> None:
    store = SqlAuditStore(pg_database)
    await store.open()
    await store.append([entry(1)])
    await store.close()
    conn = await asyncpg.connect(pg_database)
    try:
        for statement in (
            "UPDATE audit_log SET actor = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 1
    finally:
        await conn.close()


def test_engine_urls() -> None:
    assert engine_url("sqlite:////var/lib/c/audit.db") == "sqlite+aiosqlite:////var/lib/c/audit.db"
    assert engine_url("postgresql://u:p@db/audit") == "postgresql+asyncpg://u:p@db/audit"
    assert engine_url("postgres://db/audit") == "postgresql+asyncpg://db/audit"
    for bad in ("mysql://db/x", "audit.db", "sqlite+pysqlite:///x"):
        with pytest.raises(AuditUrlError):
            engine_url(bad)


async def test_postgres_role_that_may_only_select_and_insert(pg_database: str) -> None:
    """The deployment docs/audit.md suggests: the server's role owns nothing."""
    owner = SqlAuditStore(pg_database)
    await owner.open()
    await owner.append([entry(1)])
    await owner.close()
    role = "app_" + secrets.token_hex(4)  # roles belong to the whole (shared) server
    admin = await asyncpg.connect(pg_database)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        await admin.execute(f"GRANT SELECT, INSERT ON audit_log TO {role}")
        await admin.execute(f"GRANT USAGE ON SEQUENCE audit_log_id_seq TO {role}")
    finally:
        await admin.close()
    app = SqlAuditStore(pg_database.replace("postgres@", f"{role}@"))
    try:
        await app.open()  # finds the table and its guards: starts
        await app.append([entry(2)])
        assert [e.detail for e in await app.query(AuditQuery())] == ["entry 1", "entry 2"]
        with pytest.raises(Exception, match="permission denied"):
            await app.purge(before=T0 + 100)
    finally:
        await app.close()
