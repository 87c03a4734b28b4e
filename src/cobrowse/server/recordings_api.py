"""Recordings over REST, for the console (the agent cookie; role decides, core/roles.py):

GET /api/v1/recordings                   the recordings this console user may replay
GET /api/v1/recordings/{id}              one, decrypted, with its session's audit entries
GET /api/v1/recordings/{id}/export       one, as a single self-contained HTML file

Agents never replay (403 `forbidden`); supervisors replay their team's (all without a
team), admins every one; a recording they may not replay is 404 like one that does not
exist. Every replay and export is audited (`recording.replayed`, `recording.exported`).
"""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cobrowse.core import audit as a
from cobrowse.core.recording import Captured, ChunkError, Meta
from cobrowse.core.roles import Role, may_replay
from cobrowse.server.api import ERRORS, AgentDep, Ctx
from cobrowse.server.audit_api import EntryOut, _plain
from cobrowse.server.context import STATIC_DIR, Context, client_address
from cobrowse.server.errors import ApiError
from cobrowse.server.recording_assets import data_targets, point_at, route_targets
from cobrowse.store.audit import AuditQuery
from cobrowse.store.guards import Agent
from cobrowse.store.recordings import RecordingStoreError

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"])

RecordingId = PathParam(pattern=r"^[A-Za-z0-9_-]{1,128}$")
MAX_AUDIT = 2000
DIST = STATIC_DIR / "dist"
TEMPLATE = STATIC_DIR / "recording-export.html"


class RecordingOut(BaseModel):
    id: str
    session_id: str
    site: str | None
    started_at: float
    ended_at: float | None = Field(description="null while the session goes on")
    agent_name: str | None
    agent_team: str | None
    chunks: int
    lost: int = Field(description="frames that could not be kept (queue full, storage failed)")


class RecordingListOut(BaseModel):
    recordings: list[RecordingOut]


class RecordOut(BaseModel):
    at: float = Field(description="when the server relayed it, seconds since the epoch")
    to: str = Field(description='"agent", or "visitor" for the agent\'s own guidance and acts')
    frame: dict[str, Any] = Field(description="the wire message as it was sent")


class ReplayOut(BaseModel):
    recording: RecordingOut
    records: list[RecordOut]
    audit: list[EntryOut]


def _out(meta: Meta) -> RecordingOut:
    return RecordingOut(
        id=meta.id,
        session_id=meta.session_id,
        site=meta.site,
        started_at=meta.started_at,
        ended_at=meta.ended_at,
        agent_name=meta.agent_name,
        agent_team=meta.agent_team,
        chunks=meta.chunks,
        lost=meta.lost,
    )


def _replayer(agent: Agent) -> None:
    if agent.role is Role.AGENT:
        raise ApiError(403, "forbidden", "Only supervisors and admins replay recordings.")


def _allowed(agent: Agent, meta: Meta) -> bool:
    return may_replay(
        role=agent.role,
        team=agent.team,
        me=agent.id,
        agent_id=meta.agent_id,
        agent_team=meta.agent_team,
    )


async def _blocking(ctx: Context, work: Any, *args: Any) -> Any:
    try:
        return await asyncio.to_thread(work, *args)
    except RecordingStoreError as exc:
        raise ApiError(
            503, "storage_unavailable", f"Recordings cannot be read now: {exc}"
        ) from None


@router.get("", response_model=RecordingListOut, responses=ERRORS)
async def list_recordings(agent: AgentDep, ctx: Ctx) -> RecordingListOut:
    """The recordings the signed-in supervisor or admin may replay, newest first."""
    _replayer(agent)
    if ctx.recorder is None:
        return RecordingListOut(recordings=[])
    metas: list[Meta] = await _blocking(ctx, ctx.recorder.listing)
    return RecordingListOut(recordings=[_out(m) for m in metas if _allowed(agent, m)])


async def _open(ctx: Context, agent: Agent, recording_id: str) -> tuple[Meta, list[Captured]]:
    _replayer(agent)
    missing = ApiError(404, "not_found", "No such recording that you may replay.")
    if ctx.recorder is None:
        raise missing
    try:
        meta: Meta | None = await _blocking(ctx, ctx.recorder.meta, recording_id)
        if meta is None or not _allowed(agent, meta):
            raise missing
        got = await _blocking(ctx, ctx.recorder.read, recording_id)
    except ChunkError as exc:
        raise ApiError(409, "recording_damaged", f"The recording cannot be opened: {exc}") from None
    if got is None:
        raise missing
    meta, records = got
    return meta, records


def _audited(ctx: Context, request: Request, agent: Agent, meta: Meta, kind: a.Kind) -> None:
    verb = "replayed" if kind is a.Kind.RECORDING_REPLAYED else "exported"
    ctx.audit.record(
        a.AuditEntry(
            at=ctx.clock(),
            kind=kind,
            actor=a.agent_actor(agent.name),
            session_id=meta.session_id,
            address=client_address(request),
            outcome="ok",
            detail=f"{verb} the recording",
            data={"recording": meta.id, "role": agent.role.value, "agent_id": agent.id},
        )
    )


def _records(records: list[Captured], targets: dict[str, str]) -> list[dict[str, Any]]:
    """The records as JSON, the kept assets' URLs pointed at `targets`."""
    out = []
    for at, to, frame in records:
        text = frame.decode("utf-8", "replace")
        if targets:
            text = point_at(text, targets)
        try:
            out.append({"at": at, "to": to, "frame": orjson.loads(text)})
        except orjson.JSONDecodeError:
            continue
    return out


async def _audit_of(ctx: Context, session_id: str) -> list[dict[str, Any]]:
    entries = await ctx.audit.query(AuditQuery(session_id=session_id, limit=MAX_AUDIT))
    return [_plain(e) for e in entries if e.kind not in REPLAY_KINDS]


REPLAY_KINDS = (a.Kind.RECORDING_REPLAYED, a.Kind.RECORDING_EXPORTED)


@router.get(
    "/{recording_id}",
    response_model=ReplayOut,
    responses={**ERRORS, 409: ERRORS[404]},
)
async def replay(
    request: Request, agent: AgentDep, ctx: Ctx, recording_id: str = RecordingId
) -> Response:
    """One recording for the console's player: every record in order, and the session's
    audit entries. 409 `recording_damaged` when a chunk was changed or is missing."""
    meta, records = await _open(ctx, agent, recording_id)
    assert ctx.recorder is not None
    index = await _blocking(ctx, ctx.recorder.asset_index, meta.id)
    _audited(ctx, request, agent, meta, a.Kind.RECORDING_REPLAYED)
    body = {
        "recording": _out(meta).model_dump(),
        "records": _records(records, route_targets(meta.id, index)),
        "audit": await _audit_of(ctx, meta.session_id),
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get(
    "/{recording_id}/export",
    responses={
        **ERRORS,
        200: {"content": {"text/html": {}}, "description": "one self-contained HTML file"},
    },
)
async def export(
    request: Request, agent: AgentDep, ctx: Ctx, recording_id: str = RecordingId
) -> Response:
    """One recording as a single HTML file that plays it offline: the replayer, the
    recording decrypted, the chat and the audit entries."""
    meta, records = await _open(ctx, agent, recording_id)
    recorder = ctx.recorder
    assert recorder is not None

    def inlined() -> dict[str, str]:
        index = recorder.asset_index(meta.id)
        return data_targets(index, lambda name: recorder.asset(meta.id, name))

    targets = await _blocking(ctx, inlined)
    data = {
        "recording": _out(meta).model_dump(),
        "records": _records(records, targets),
        "audit": await _audit_of(ctx, meta.session_id),
    }
    page = export_page(data)
    _audited(ctx, request, agent, meta, a.Kind.RECORDING_EXPORTED)
    name = f"cobrowse-recording-{meta.id[:16]}.html"
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/{recording_id}/assets/{name}",
    responses={**ERRORS, 200: {"content": {"*/*": {}}, "description": "a kept asset"}},
)
async def recorded_asset(
    agent: AgentDep,
    ctx: Ctx,
    recording_id: str = RecordingId,
    name: str = PathParam(pattern=r"^a[0-9]{6}$"),
) -> Response:
    """A stylesheet, font or image a proxied session's agent was served, kept with its
    recording, for the player (the replay itself is audited)."""
    _replayer(agent)
    missing = ApiError(404, "not_found", "No such asset.")
    recorder = ctx.recorder
    if recorder is None:
        raise missing
    try:
        meta: Meta | None = await _blocking(ctx, recorder.meta, recording_id)
        if meta is None or not _allowed(agent, meta):
            raise missing
        index = await _blocking(ctx, recorder.asset_index, recording_id)
        found = [(ctype, n) for _, ctype, n in index if n == name]
        body: bytes | None = await _blocking(ctx, recorder.asset, recording_id, name)
    except ChunkError as exc:
        raise ApiError(409, "recording_damaged", f"The asset cannot be opened: {exc}") from None
    if not found or body is None:
        raise missing
    ctype = found[0][0]
    if ctype.startswith("text/css"):
        body = point_at(
            body.decode("utf-8", "replace"), route_targets(recording_id, index)
        ).encode()
    return Response(
        body,
        media_type=ctype,
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
            ),
        },
    )


def _script_safe(text: str) -> str:
    """Text inside <script> or <style>: nothing in it can end the element."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def export_page(data: dict[str, Any]) -> bytes:
    """The one-file export: the player (web/src/console/replay-entry.ts, with rrweb's
    replayer) and the recording's data inlined, so it plays offline, anywhere."""
    rec = data["recording"]
    json_text = orjson.dumps(data).decode().replace("<", "\\u003c")
    parts = {
        "title": html.escape(f"Co-browse recording {rec['id'][:16]}"),
        "about": html.escape(
            f"Session {rec['session_id']} on {rec['site'] or 'an unknown site'}, "
            f"agent {rec['agent_name'] or 'none'}, started {a.iso_time(rec['started_at'])}."
        ),
        "css": _script_safe((DIST / "replay.css").read_text(encoding="utf-8")),
        "js": _script_safe((DIST / "replay.js").read_text(encoding="utf-8")),
        "data": json_text,
    }
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], TEMPLATE.read_text("utf-8"))
    return page.encode()
