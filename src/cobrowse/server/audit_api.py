"""The audit log over REST, for the CRM or an auditor: `Authorization: Bearer <api key>`.

GET /api/v1/audit            a page of entries, oldest first, with a cursor for the next
GET /api/v1/audit/export     every matching entry, streamed as CSV or JSON Lines
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from cobrowse.core.audit import AuditEntry, Scalar, iso_time, parse_kinds, parse_time
from cobrowse.server.api import ERRORS, ApiKeyCredentials, Ctx, api_key
from cobrowse.server.context import Context
from cobrowse.server.errors import ApiError
from cobrowse.store.audit import AuditQuery

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

MAX_LIMIT = 1000
EXPORT_BATCH = 1000
CSV_COLUMNS = (
    "id",
    "time",
    "at",
    "session_id",
    "kind",
    "actor",
    "address",
    "target",
    "outcome",
    "detail",
    "data",
)


class EntryOut(BaseModel):
    id: int
    time: str  # ISO 8601, UTC
    at: float  # seconds since the epoch
    session_id: str | None
    kind: str
    actor: str
    address: str | None
    target: str | None
    outcome: str | None
    detail: str
    data: dict[str, Scalar]


class PageOut(BaseModel):
    entries: list[EntryOut]
    next_cursor: str | None


def require_api_key(ctx: Ctx, credentials: ApiKeyCredentials) -> None:
    api_key(ctx, credentials)


Authorized = Depends(require_api_key)


def filters(
    session_id: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[
        str | None, Query(max_length=400, description="comma-separated kinds, e.g. agent.act")
    ] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="ISO 8601 or epoch seconds; inclusive")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=40, description="ISO 8601 or epoch seconds; exclusive")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=24, description="next_cursor")] = None,
) -> AuditQuery:
    try:
        kinds = parse_kinds(kind)
    except ValueError as exc:
        raise ApiError(422, "unknown_kind", f"{exc}; see docs/audit.md.") from None
    start, end = _time(since, "since"), _time(until, "until")
    if start is not None and end is not None and end < start:
        raise ApiError(422, "bad_time_range", "until is before since.")
    after = 0
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise ApiError(422, "bad_cursor", "cursor must be a next_cursor from a page.")
        after = int(cursor)
    return AuditQuery(
        session_id=session_id, kinds=kinds, actor=actor, since=start, until=end, after_id=after
    )


Filters = Annotated[AuditQuery, Depends(filters)]


@router.get("", response_model=PageOut, responses=ERRORS, dependencies=[Authorized])
async def list_entries(
    ctx: Ctx,
    q: Filters,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> PageOut:
    """Audit entries matching every filter given, oldest first (see docs/audit.md).
    Pass `next_cursor` back as `cursor` for the next page; it is null on the last."""
    page = await _query(ctx, replace(q, limit=limit))
    more = len(page) == limit
    return PageOut(
        entries=[EntryOut(**_plain(e)) for e in page],
        next_cursor=str(page[-1].id) if more and page else None,
    )


@router.get("/export", responses=ERRORS, dependencies=[Authorized])
async def export(
    ctx: Ctx,
    q: Filters,
    format: Annotated[str, Query(max_length=8, description="csv or jsonl")] = "jsonl",
) -> StreamingResponse:
    """Every matching entry, streamed: `format=csv` (a header row, then one row per entry)
    or `format=jsonl` (one JSON object per line)."""
    if format not in ("csv", "jsonl"):
        raise ApiError(422, "bad_format", "format must be csv or jsonl.")
    first = await _query(ctx, replace(q, limit=EXPORT_BATCH))
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        export_lines(ctx, q, first, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit.{format}"'},
    )


async def export_lines(
    ctx: Context, q: AuditQuery, first: list[AuditEntry], format: str
) -> AsyncIterator[str]:
    if format == "csv":
        yield csv_line(CSV_COLUMNS)
    page = first
    while page:
        yield "".join(csv_line(csv_row(e)) if format == "csv" else jsonl_line(e) for e in page)
        if len(page) < EXPORT_BATCH:
            return
        assert page[-1].id is not None
        page = await ctx.audit.query(replace(q, after_id=page[-1].id, limit=EXPORT_BATCH))


async def _query(ctx: Context, q: AuditQuery) -> list[AuditEntry]:
    try:
        return await ctx.audit.query(q)
    except Exception:
        raise ApiError(503, "audit_unavailable", "The audit database is not reachable.") from None


def _time(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise ApiError(
            422, "bad_time", f"{name} must be ISO 8601 (2026-01-31T12:00:00Z) or epoch seconds."
        ) from None


def _plain(entry: AuditEntry) -> dict[str, Any]:
    assert entry.id is not None
    return {
        "id": entry.id,
        "time": iso_time(entry.at),
        "at": entry.at,
        "session_id": entry.session_id,
        "kind": entry.kind.value,
        "actor": entry.actor,
        "address": entry.address,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "data": dict(entry.data),
    }


def jsonl_line(entry: AuditEntry) -> str:
    return json.dumps(_plain(entry), ensure_ascii=False, separators=(",", ":")) + "\n"


def csv_row(entry: AuditEntry) -> tuple[str, ...]:
    plain = _plain(entry)
    plain["data"] = json.dumps(plain["data"], ensure_ascii=False, sort_keys=True)
    return tuple(_cell(plain[c]) for c in CSV_COLUMNS)


# What a spreadsheet takes for the start of a formula (and the full-width forms some
# convert), and what a reader may drop before it (spaces, quotes, control characters).
_FORMULA = "=+-@\uff1d\uff0b\uff0d\uff20"
_DROPPED = ' \t\r\n\x00\x0b\x0c"'
# A formula character after a separator a spreadsheet may split on (its locale's `;`,
# a tab, a pipe, a line break) would start a cell of its own there.
_SPLIT = re.compile(rf"([,;\t|\r\n][{re.escape(_DROPPED)}]*)(?=[{re.escape(_FORMULA)}])")


def _cell(value: object) -> str:
    """A cell no spreadsheet runs as a formula (OWASP, CSV injection): names, file names
    and descriptions are chosen by people. A cell starting (after spaces or quotes) with
    `=`, `+`, `-`, `@`, or with a tab, CR, LF or NUL, gets a leading apostrophe, and so
    does such a character right after a separator inside the cell; every cell is quoted."""
    text = "" if value is None else str(value)
    text = _SPLIT.sub(r"\1'", text)
    if text and (text[0] in "\t\r\n\x00" or text.lstrip(_DROPPED)[:1] in tuple(_FORMULA)):
        return "'" + text
    return text


def csv_line(cells: tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(cells)
    return out.getvalue()
