"""Click to start (core/invites.py): the CRM creates the session, the agent's link joins
it, the visitor only allows.

- `POST /api/v1/invites` (CRM, API key): a new session for a page of an allowed site;
  answers the agent's one-time sign-in link (it joins this session, no PIN) and the
  visitor's link (the /start page, which opens the page and asks the visitor to allow);
- `POST /api/v1/invites/claim` (the visitor's browser, from /start): the one-time
  code for the session's visitor token, as `POST /sessions` answers;
- `POST /api/v1/sessions/{id}/join-invited` (the agent's console, after the link):
  join the session the link was made for.

The room ops (server/invite_ops.py) run where the room runs (Hub.room_call), so the
code is used up once whichever node the visitor reaches.
"""

from __future__ import annotations

import math
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from cobrowse.core import audit as a
from cobrowse.core import invites
from cobrowse.core.links import LinkError, agent_name_problem, sign_link
from cobrowse.core.participants import browser_of
from cobrowse.core.pin import display_pin
from cobrowse.core.roles import Role
from cobrowse.core.session import EndReason
from cobrowse.rewrite.urls import origin_of
from cobrowse.server.api import (
    ERRORS,
    AgentDep,
    AgentOut,
    ApiKeyCredentials,
    CreateSessionOut,
    Ctx,
    JoinOut,
    Masking,
    Strict,
    agent_key,
    api_key,
    check_same_origin,
    ws_url,
)
from cobrowse.server.api_keys import key_id_of
from cobrowse.server.auth import AGENT_COOKIE
from cobrowse.server.errors import ApiError
from cobrowse.store.memory import CapacityError

router = APIRouter(prefix="/api/v1")


class InviteIn(Strict):
    agent: str = Field(min_length=1, max_length=80, description="The agent's display name")
    url: str = Field(max_length=8192, description="The page of an allowed site to open")
    role: Role = Field(default=Role.AGENT)
    team: str | None = Field(default=None, max_length=64)


class InviteOut(BaseModel):
    session_id: str
    agent_url: str = Field(description="The agent's one-time sign-in link; it joins this session")
    visitor_url: str = Field(description="For the visitor: opens the page and asks them to allow")
    expires_at: int = Field(description="Both links work until then (whole Unix seconds)")


class ClaimIn(Strict):
    invite: str = Field(max_length=200, description="The `invite` of the visitor's link")


# --- routes ---------------------------------------------------------------------------


@router.post("/invites", status_code=201, response_model=InviteOut, responses=ERRORS)
async def create_invite(body: InviteIn, ctx: Ctx, credentials: ApiKeyCredentials) -> InviteOut:
    """For a CRM: start a session for the visitor on the line. The agent opens
    `agent_url` (it signs them in and joins the session), the visitor opens
    `visitor_url` and only chooses Allow. Both work once, for `session.pin_ttl_seconds`."""
    key = api_key(ctx, credentials)
    problem = agent_name_problem(body.agent)
    if problem:
        raise ApiError(422, "invalid_request", problem)
    origin = origin_of(body.url)
    if origin is None or not ctx.site_origins.allows(origin):
        raise ApiError(422, "not_proxyable", "That page is not on a site allowed for co-browsing.")
    try:
        created = await ctx.hub.create_session(site=a.safe_url(origin))
    except CapacityError:
        raise ApiError(503, "at_capacity", "The co-browse service is busy; try again.") from None
    s = created.session
    ttl = min(ctx.config.session.pin_ttl_seconds, 3600.0)
    try:
        token, expires_at = sign_link(
            secret=ctx.link_secret,
            agent=body.agent,
            now=ctx.clock(),
            ttl=ttl,
            role=body.role,
            team=body.team,
            session=s.id,
        )
    except LinkError as exc:
        await ctx.hub.end(s, EndReason.ADMIN)
        raise ApiError(422, "invalid_request", str(exc)) from None
    code = secrets.token_urlsafe(invites.CODE_BYTES)
    agent_id = f"link:{body.agent.strip()}"
    head = {"digest": invites.digest(code), "agent_id": agent_id}
    await ctx.hub.room_call(s.id, "set_invite", head)
    ctx.audit.record(
        a.AuditEntry(
            at=ctx.clock(),
            kind=a.Kind.SESSION_CREATED,
            actor=a.crm_actor(key_id_of(key)),
            session_id=s.id,
            target=a.agent_actor(body.agent),
            detail=f"invitation for {body.agent} on {a.safe_url(origin)}",
            data={"origin": a.safe_url(origin), "invited": True},
        )
    )
    base = ctx.config.base_url
    query = urlencode({"url": body.url, "invite": f"{s.id}.{code}"})
    return InviteOut(
        session_id=s.id,
        agent_url=f"{base}/agent/signin?token={token}",
        visitor_url=f"{base}/start?{query}",
        expires_at=min(expires_at, math.floor(s.pin_expires_at)),
    )


@router.post("/invites/claim", response_model=CreateSessionOut, responses=ERRORS)
async def claim_invite(request: Request, body: ClaimIn, ctx: Ctx) -> CreateSessionOut:
    """The visitor's browser (the /start page) exchanges the invitation for the visitor
    token. Once; 404 `invalid_invite` for a wrong, used or expired one (all alike)."""
    parsed = invites.parse(body.invite)
    refused = ApiError(404, "invalid_invite", "This invitation is not valid (any more).")
    if parsed is None:
        raise refused
    session_id, code = parsed
    session = await ctx.hub.sessions.get(session_id)
    if session is None or not session.live:
        raise refused
    browser = browser_of(request.headers.get("user-agent"))
    done = await ctx.hub.room_call(session_id, "claim_invite", {"code": code, "browser": browser})
    if "token" not in done:
        raise refused
    origin = session.info.site
    return CreateSessionOut(
        mode=ctx.config.proxy.mode,
        session_id=session.id,
        pin=session.pin,
        pin_display=display_pin(session.pin),
        expires_at=math.floor(session.pin_expires_at),
        visitor_token=done["token"],
        ws_url=ws_url(ctx),
        masking=Masking(**ctx.config.masking_rules.browser_rules(origin)),
        grace_seconds=ctx.config.session.visitor_grace_seconds,
    )


@router.post("/sessions/{session_id}/join-invited", response_model=JoinOut, responses=ERRORS)
async def join_invited(session_id: str, request: Request, agent: AgentDep, ctx: Ctx) -> JoinOut:
    """The agent whose link carried this session joins it (no PIN): the console calls
    this after `/agent/signin` brought it to `/console#invite=<session id>`."""
    if "origin" in request.headers:
        check_same_origin(request)
    head = {
        "name": agent.name,
        "key": agent_key(request.cookies.get(AGENT_COOKIE, "")),
        "id": agent.id,
        "team": agent.team,
    }
    done = await ctx.hub.room_call(session_id, "join_invited", head)
    if "token" not in done:
        raise ApiError(404, "not_found", "No session waits for you here.")
    return JoinOut(
        session_id=session_id,
        agent_token=done["token"],
        ws_url=ws_url(ctx),
        agent=AgentOut(name=agent.name, role=agent.role, team=agent.team),
    )
