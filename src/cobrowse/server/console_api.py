"""The console's own routes under /api/v1: the live Sessions list and supervision.

- `GET /console/sessions` and `GET /console/sessions/stream` (server-sent events, a new
  list whenever it changes): the sessions the signed-in user may see (core/roles.py,
  core/session_list.py);
- `GET /console/agents`: who else has the console open (to transfer a session to);
- `POST /sessions/{id}/watch`, `DELETE /sessions/{id}/watch`: a supervisor watches;
- `POST /sessions/{id}/take-over`: a supervisor becomes the session's agent;
- `POST /sessions/{id}/transfer` (the agent), `.../transfer/accept` and
  `.../transfer/decline` (the agent it was offered to).

Every route needs an agent sign-in and, from a browser, our own origin. Refusals: 404
for a session the user may not see (as if it did not exist), 403 for one they see but
may not do this to, 409 when the session's state does not allow it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from cobrowse.core.roles import Role, may_supervise
from cobrowse.core.session import Session, State
from cobrowse.core.session_list import Viewer, rows, visible
from cobrowse.server.api import (
    ERRORS,
    AgentDep,
    AgentOut,
    Ctx,
    JoinOut,
    Strict,
    agent_key,
    check_same_origin,
    ws_url,
)
from cobrowse.server.auth import AGENT_COOKIE, Agent
from cobrowse.server.context import Context
from cobrowse.server.errors import ApiError

router = APIRouter(prefix="/api/v1")

FEED_SECONDS = 1.0  # how often a stream looks for changes
KEEPALIVE_SECONDS = 15.0
SEEN_SECONDS = 10.0  # how often an open stream says its console is open (CONSOLE_TTL is 30)
SNAPSHOT_SECONDS = 0.5  # one list of live sessions per node serves every console this long


class SessionsOut(BaseModel):
    me: AgentOut
    sessions: list[dict[str, Any]] = Field(
        description="The sessions you may see, yours first (docs/protocol.md, Sessions list)"
    )


class ConsoleAgent(BaseModel):
    id: str
    name: str
    role: Role
    team: str | None


class AgentsOut(BaseModel):
    agents: list[ConsoleAgent]


class WatchOut(BaseModel):
    watcher_id: str
    token: str = Field(description="The watcher's WebSocket token (hello), this watch only")
    ws_url: str
    asks_visitor: bool = Field(description="Whether the visitor is asked first")


class TransferIn(Strict):
    to: str = Field(
        min_length=1, max_length=300, description="The agent's id (GET /console/agents)"
    )


class TransferOut(BaseModel):
    to: str
    expires_at: int


def _viewer(agent: Agent) -> Viewer:
    return Viewer(id=agent.id, role=agent.role, team=agent.team)


async def _live(ctx: Context) -> list[Session]:
    """The live sessions, read at most once per SNAPSHOT_SECONDS on this node."""
    snap = ctx.live_snapshot
    now = ctx.clock()
    if not snap.at <= now < snap.at + SNAPSHOT_SECONDS:
        snap.sessions = await ctx.hub.sessions.live_sessions()
        snap.at = now
    return snap.sessions


async def _rows(ctx: Context, agent: Agent) -> list[dict[str, Any]]:
    return rows(await _live(ctx), _viewer(agent), now=ctx.clock())


def _me(agent: Agent) -> AgentOut:
    return AgentOut(name=agent.name, role=agent.role, team=agent.team)


@router.get("/console/sessions", response_model=SessionsOut, responses=ERRORS)
async def console_sessions(agent: AgentDep, ctx: Ctx) -> SessionsOut:
    """The Sessions list, once."""
    await ctx.guards.seen_console(agent, now=ctx.clock())
    return SessionsOut(me=_me(agent), sessions=await _rows(ctx, agent))


@router.get(
    "/console/sessions/stream",
    responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
)
async def console_sessions_stream(request: Request, agent: AgentDep, ctx: Ctx) -> Response:
    """The Sessions list as server-sent events: a `sessions` event (the body of GET
    /console/sessions) at once and whenever the list changes, a comment every 15 s.
    Ends when the sign-in does (the console then signs in again)."""
    cookie = request.cookies.get(AGENT_COOKIE)

    async def events() -> AsyncIterator[bytes]:
        last: bytes | None = None
        quiet = 0.0
        seen = float("-inf")
        while not await request.is_disconnected():
            now = ctx.clock()
            if await ctx.guards.agent(cookie, now=now) is None:
                yield b"event: signed_out\ndata: {}\n\n"
                return
            if not seen <= now < seen + SEEN_SECONDS:  # the console is open: well within its TTL
                await ctx.guards.seen_console(agent, now=now)
                seen = now
            body = SessionsOut(me=_me(agent), sessions=await _rows(ctx, agent))
            data = orjson.dumps(body.model_dump(mode="json"))
            if data != last:
                last, quiet = data, 0.0
                yield b"event: sessions\ndata: " + data + b"\n\n"
            elif quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield b": keep-alive\n\n"
            await asyncio.sleep(FEED_SECONDS)
            quiet += FEED_SECONDS

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/console/agents", response_model=AgentsOut, responses=ERRORS)
async def console_agents(agent: AgentDep, ctx: Ctx) -> AgentsOut:
    """Who else has the console open now (whom a session may be transferred to)."""
    await ctx.guards.seen_console(agent, now=ctx.clock())
    others = [a for a in await ctx.guards.consoles(now=ctx.clock()) if a.id != agent.id]
    return AgentsOut(
        agents=[
            ConsoleAgent(id=a.id, name=a.name, role=a.role, team=a.team)
            for a in sorted(others, key=lambda a: (a.name.lower(), a.id))
        ]
    )


async def _session(ctx: Context, session_id: str, agent: Agent) -> Session:
    session = await ctx.hub.sessions.get(session_id)
    if session is None or not visible(session, _viewer(agent)):
        raise ApiError(404, "not_found", "No such session of yours.")
    return session


def _supervisable(session: Session, agent: Agent) -> None:
    if not may_supervise(
        role=agent.role,
        team=agent.team,
        me=agent.id,
        agent_id=session.agent_id,
        agent_team=session.agent_team,
    ):
        raise ApiError(403, "not_allowed", "Only a supervisor of this agent's team may do this.")
    if session.state is not State.ACTIVE:
        raise ApiError(409, "not_active", "The session is not active.")


def _answer(ctx: Context, done: dict[str, Any]) -> dict[str, Any]:
    ctx.live_snapshot.at = float("-inf")  # the user's next list shows what they did
    if not done:
        raise ApiError(404, "not_found", "The session has ended.")
    if "error" in done:
        raise ApiError(409, "not_possible", str(done["error"]))
    return done


def _origin(request: Request) -> None:
    if "origin" in request.headers:
        check_same_origin(request)


def _key(request: Request) -> str:
    return agent_key(request.cookies.get(AGENT_COOKIE, ""))


@router.post(
    "/sessions/{session_id}/watch", status_code=201, response_model=WatchOut, responses=ERRORS
)
async def watch(session_id: str, request: Request, agent: AgentDep, ctx: Ctx) -> WatchOut:
    """A supervisor watches a live session of their team, view-only. The visitor is
    asked first unless the site is in `session.watch_without_asking`; either way the
    visitor's bar names everyone watching."""
    _origin(request)
    session = await _session(ctx, session_id, agent)
    _supervisable(session, agent)
    ask = session.info.site not in ctx.config.session.watch_without_asking
    watcher_id = "w_" + secrets.token_urlsafe(9)
    head = {"id": watcher_id, "name": agent.name, "key": _key(request), "agent_id": agent.id}
    done = _answer(ctx, await ctx.hub.room_call(session_id, "watch", {**head, "ask": ask}))
    return WatchOut(
        watcher_id=watcher_id, token=done["token"], ws_url=ws_url(ctx), asks_visitor=ask
    )


@router.delete("/sessions/{session_id}/watch", status_code=204, responses=ERRORS)
async def unwatch(session_id: str, request: Request, agent: AgentDep, ctx: Ctx) -> Response:
    """Stop watching (also what closing the watch view does)."""
    _origin(request)
    session = await _session(ctx, session_id, agent)
    for w in session.watchers:
        if w.agent_id == agent.id:
            await ctx.hub.room_call(session_id, "unwatch", {"id": w.id})
    return Response(status_code=204)


async def _hand_over(
    ctx: Context, request: Request, session_id: str, agent: Agent, how: str
) -> JoinOut:
    head = {
        "name": agent.name,
        "key": _key(request),
        "agent_id": agent.id,
        "team": agent.team,
        "how": how,
    }
    done = _answer(ctx, await ctx.hub.room_call(session_id, "hand_over", head))
    return JoinOut(
        session_id=session_id, agent_token=done["token"], ws_url=ws_url(ctx), agent=_me(agent)
    )


@router.post("/sessions/{session_id}/take-over", response_model=JoinOut, responses=ERRORS)
async def take_over(session_id: str, request: Request, agent: AgentDep, ctx: Ctx) -> JoinOut:
    """A supervisor becomes the session's agent: the agent before is let go, control
    goes back to the visitor, who is told who helps them now. Answers as /join does."""
    _origin(request)
    session = await _session(ctx, session_id, agent)
    _supervisable(session, agent)
    return await _hand_over(ctx, request, session_id, agent, "taken_over")


@router.post(
    "/sessions/{session_id}/transfer", status_code=202, response_model=TransferOut, responses=ERRORS
)
async def transfer(
    session_id: str, body: TransferIn, request: Request, agent: AgentDep, ctx: Ctx
) -> TransferOut:
    """The session's agent offers it to another agent whose console is open; they have
    `session.transfer_seconds` to accept, else it lapses."""
    _origin(request)
    session = await _session(ctx, session_id, agent)
    if session.agent_id != agent.id:
        raise ApiError(403, "not_allowed", "Only the session's agent transfers it.")
    if session.state is not State.ACTIVE:
        raise ApiError(409, "not_active", "The session is not active.")
    if body.to == agent.id:
        raise ApiError(422, "invalid_request", "Choose another agent.")
    target = next((a for a in await ctx.guards.consoles(now=ctx.clock()) if a.id == body.to), None)
    if target is None:
        raise ApiError(422, "agent_not_available", "That agent does not have the console open.")
    head = {
        "to_id": target.id,
        "to_name": target.name,
        "from_name": agent.name,
        "from_key": _key(request),
        "seconds": ctx.config.session.transfer_seconds,
    }
    done = _answer(ctx, await ctx.hub.room_call(session_id, "offer_transfer", head))
    return TransferOut(to=target.name, expires_at=int(done["until"]))


@router.post("/sessions/{session_id}/transfer/accept", response_model=JoinOut, responses=ERRORS)
async def accept_transfer(session_id: str, request: Request, agent: AgentDep, ctx: Ctx) -> JoinOut:
    """The agent a session was offered to takes it. Answers as /join does."""
    _origin(request)
    await _session(ctx, session_id, agent)
    return await _hand_over(ctx, request, session_id, agent, "transferred")


@router.post("/sessions/{session_id}/transfer/decline", status_code=204, responses=ERRORS)
async def decline_transfer(
    session_id: str, request: Request, agent: AgentDep, ctx: Ctx
) -> Response:
    _origin(request)
    await _session(ctx, session_id, agent)
    _answer(ctx, await ctx.hub.room_call(session_id, "decline_transfer", {"agent_id": agent.id}))
    return Response(status_code=204)
