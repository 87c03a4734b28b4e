"""The audit log on SQL: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL.

Append-only: this interface adds and reads entries and purges those older than the
retention period, nothing else; the database refuses the rest too. SQLite gets
triggers that abort every UPDATE and every DELETE except the purge's (which opens a
gate row naming its cut-off, in the same transaction); PostgreSQL gets a trigger
function that raises on UPDATE, TRUNCATE and on DELETE unless the transaction set
`cobrowse.audit_purge_before` and the row is older than it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from cobrowse.core.audit import AuditEntry, Kind, Scalar
from cobrowse.store.private_files import sqlite_file, touch_private

metadata = MetaData()

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", Float(precision=53), nullable=False),
    Column("session_id", String(64)),
    Column("kind", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("address", String(64)),
    Column("target", String(120)),
    Column("outcome", String(40)),
    Column("detail", String(400), nullable=False),
    Column("data", Text, nullable=False),
    Index("audit_log_at", "at"),
    Index("audit_log_session", "session_id", "id"),
    Index("audit_log_kind", "kind", "id"),
    Index("audit_log_actor", "actor", "id"),
    sqlite_autoincrement=True,  # ids are never reused, even after a purge
)

SQLITE_GUARDS = (
    "CREATE TABLE IF NOT EXISTS audit_purge_gate (before REAL NOT NULL)",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM audit_purge_gate WHERE OLD.at < before)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END""",
)

POSTGRES_GUARDS = (
    "SELECT pg_advisory_xact_lock(4242170501)",  # several nodes starting at once
    """CREATE OR REPLACE FUNCTION cobrowse_audit_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE cutoff text := current_setting('cobrowse.audit_purge_before', true);
    BEGIN
      IF TG_OP = 'DELETE' AND coalesce(cutoff, '') <> ''
         AND OLD.at < cutoff::double precision THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION cobrowse_audit_guard()""",
    """CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION cobrowse_audit_guard()""",
)


POSTGRES_READY = """SELECT to_regclass('audit_log') IS NOT NULL AND (
    SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass('audit_log')
    AND tgname IN ('audit_log_append_only', 'audit_log_no_truncate')) = 2"""


class AuditUrlError(ValueError):
    pass


def engine_url(url: str) -> str:
    """The SQLAlchemy URL with our async driver: sqlite:/// -> sqlite+aiosqlite:///,
    postgresql:// (or postgres://) -> postgresql+asyncpg://."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise AuditUrlError(f"not a database URL: {url!r}")
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return "sqlite+aiosqlite://" + rest
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        return "postgresql+asyncpg://" + rest
    raise AuditUrlError(f"the audit log needs a sqlite:/// or postgresql:// URL, not {scheme}://")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    session_id: str | None = None
    kinds: tuple[str, ...] = ()
    actor: str | None = None
    since: float | None = None  # at >= since
    until: float | None = None  # at < until
    after_id: int = 0  # the cursor: entries with a greater id
    limit: int = 100


class AuditStore(Protocol):
    async def open(self) -> None: ...
    async def append(self, entries: Sequence[AuditEntry]) -> None: ...
    async def query(self, q: AuditQuery) -> list[AuditEntry]: ...
    async def purge(self, *, before: float) -> int: ...
    async def close(self) -> None: ...


class SqlAuditStore:
    """The audit log in one table; `open` creates it (and its guards) if missing."""

    def __init__(self, url: str) -> None:
        self.url = engine_url(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            kwargs: dict[str, Any] = {}
            if self.dialect == "postgresql":
                kwargs.update(
                    pool_pre_ping=True,
                    pool_size=2,
                    max_overflow=2,
                    connect_args={"timeout": 10, "command_timeout": 30},
                )
            else:  # a connection (and its thread) per batch: nothing lingers at shutdown
                kwargs.update(poolclass=NullPool)
            engine = create_async_engine(self.url, **kwargs)
            if self.dialect == "sqlite":
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            self._engine = engine
        return self._engine

    async def open(self) -> None:
        if self.dialect == "sqlite":
            _make_file(self.url)
        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Made already (maybe by another role, the server's own owning nothing):
                # a role that may only SELECT and INSERT must still start.
                found = await conn.execute(text(POSTGRES_READY))
                if found.scalar():
                    return
                await conn.execute(text(POSTGRES_GUARDS[0]))
            await conn.run_sync(metadata.create_all)
            guards = SQLITE_GUARDS if self.dialect == "sqlite" else POSTGRES_GUARDS[1:]
            for statement in guards:
                await conn.exec_driver_sql(statement)

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        rows = [_row(e) for e in entries]
        async with self.engine.begin() as conn:
            await conn.execute(insert(audit_log), rows)

    async def query(self, q: AuditQuery) -> list[AuditEntry]:
        t = audit_log.c
        stmt = select(audit_log).where(t.id > q.after_id)
        if q.session_id is not None:
            stmt = stmt.where(t.session_id == q.session_id)
        if q.kinds:
            stmt = stmt.where(t.kind.in_(q.kinds))
        if q.actor is not None:
            stmt = stmt.where(t.actor == q.actor)
        if q.since is not None:
            stmt = stmt.where(t.at >= q.since)
        if q.until is not None:
            stmt = stmt.where(t.at < q.until)
        stmt = stmt.order_by(t.id).limit(q.limit)
        async with self.engine.connect() as conn:
            result = await conn.execute(stmt)
            return [_entry(row._mapping) for row in result]

    async def purge(self, *, before: float) -> int:
        """Delete the entries older than `before` (epoch seconds); how many went."""
        async with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                await conn.execute(text("DELETE FROM audit_purge_gate"))
                await conn.execute(
                    text("INSERT INTO audit_purge_gate (before) VALUES (:b)"), {"b": before}
                )
            else:
                await conn.execute(
                    text("SELECT set_config('cobrowse.audit_purge_before', :b, true)"),
                    {"b": repr(float(before))},
                )
            result = await conn.execute(audit_log.delete().where(audit_log.c.at < before))
            if self.dialect == "sqlite":
                await conn.execute(text("DELETE FROM audit_purge_gate"))
            return int(result.rowcount or 0)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (an export) never block the writer
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _make_file(url: str) -> None:
    """The database file, made 0600 (in a folder made 0700) before SQLite opens it:
    SQLite gives its -wal, -shm and -journal files the database file's mode."""
    path = sqlite_file(url.split(":///", 1)[1]) if ":///" in url else None
    if path is not None:
        touch_private(path)


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "session_id": entry.session_id,
        "kind": entry.kind.value,
        "actor": entry.actor[:200],
        "address": entry.address[:64] if entry.address else None,
        "target": entry.target[:120] if entry.target else None,
        "outcome": entry.outcome[:40] if entry.outcome else None,
        "detail": entry.detail[:400],
        "data": json.dumps(dict(entry.data), ensure_ascii=False, sort_keys=True),
    }


def _entry(row: Any) -> AuditEntry:
    data: dict[str, Scalar] = json.loads(row["data"]) if row["data"] else {}
    return AuditEntry(
        id=int(row["id"]),
        at=float(row["at"]),
        kind=Kind(row["kind"]),
        actor=row["actor"],
        session_id=row["session_id"],
        address=row["address"],
        target=row["target"],
        outcome=row["outcome"],
        detail=row["detail"],
        data=data,
    )
