"""The REST API under /api/v1 (see docs/protocol.md)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response, Security, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from cobrowse.core import audit as a
from cobrowse.core.files import FileRefused, check_offer
from cobrowse.core.links import LinkError, agent_name_problem, sign_link
from cobrowse.core.origins import origin_matches_host
from cobrowse.core.participants import browser_of
from cobrowse.core.pin import display_pin, normalize_pin
from cobrowse.core.roles import Role
from cobrowse.core.session import Session, State
from cobrowse.rewrite.urls import origin_of
from cobrowse.server.api_keys import key_id_of
from cobrowse.server.auth import AGENT_COOKIE, Agent
from cobrowse.server.context import Context, client_address, get_context
from cobrowse.server.datafiles import DataFileError
from cobrowse.server.errors import ApiError
from cobrowse.server.metrics import JoinOutcome
from cobrowse.store.memory import CapacityError

router = APIRouter(prefix="/api/v1")
log = logging.getLogger("cobrowse.api")

Ctx = Annotated[Context, Depends(get_context)]

# The bearer credentials of the OpenAPI document (Swagger UI's "Authorize"): declared
# here, checked by the handlers (api_key, overlay), so that every refusal is ours.
API_KEY = HTTPBearer(
    scheme_name="apiKey",
    description="A CRM's API key (`cobrowse api-key create`): `Authorization: Bearer cbk_...`",
    auto_error=False,
)
VISITOR_TOKEN = HTTPBearer(
    scheme_name="visitorToken",
    description="The session's visitor token (from POST /api/v1/sessions), for its widget",
    auto_error=False,
)
Bearer = HTTPAuthorizationCredentials | None
ApiKeyCredentials = Annotated[Bearer, Security(API_KEY)]
VisitorCredentials = Annotated[Bearer, Security(VISITOR_TOKEN)]

# The join route's outcomes (as Context.join_attempted names them) as metrics count them.
JOIN_METRIC: dict[str, JoinOutcome] = {
    "joined": "ok",
    "wrong_pin": "wrong_pin",
    "expired": "expired",
    "locked_out": "throttled",
    "paused": "paused",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSessionIn(Strict):
    pass


class Masking(BaseModel):
    """What the visitor's browser masks on this site (docs/masking.md)."""

    v: int = 1
    selectors: list[str] = Field(description="Selectors masked on every page of the site")
    scopes: list[dict[str, Any]] = Field(default_factory=list)
    patterns: list[dict[str, Any]] = Field(default_factory=list)


class CreateSessionOut(BaseModel):
    mode: str = Field(description='"proxy": the widget overlays the page through the proxy')
    session_id: str
    pin: str
    pin_display: str
    expires_at: int = Field(description="when the PIN expires, in whole Unix seconds")
    visitor_token: str
    ws_url: str
    masking: Masking
    grace_seconds: float
    recording: bool = Field(
        default=False, description="This site's sessions are recorded (the visitor is told)"
    )


class JoinIn(Strict):
    pin: str = Field(max_length=32, description="The 6-digit PIN; spaces allowed")


class AgentOut(BaseModel):
    name: str
    role: Role = Field(default=Role.AGENT, description="agent, supervisor or admin")
    team: str | None = None


class JoinOut(BaseModel):
    session_id: str
    agent_token: str
    ws_url: str
    agent: AgentOut


class MeOut(BaseModel):
    agent: AgentOut


class LinkIn(Strict):
    agent: str = Field(min_length=1, max_length=80, description="The agent's display name")
    ttl_seconds: float | None = Field(
        default=None, gt=0, le=3600, description="Lifetime; default auth.link_ttl_seconds"
    )
    role: Role = Field(default=Role.AGENT, description="What the agent may do in the console")
    team: str | None = Field(
        default=None, max_length=64, description="The agent's team (what supervisors see)"
    )


class LinkOut(BaseModel):
    url: str
    expires_at: int = Field(description="when the link expires, in whole Unix seconds")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 422, 429, 503)
}


def ws_url(ctx: Context) -> str:
    base = ctx.config.base_url
    return ("wss://" + base[8:] if base.startswith("https://") else "ws://" + base[7:]) + "/ws"


async def signed_in_agent(request: Request, ctx: Ctx) -> Agent:
    agent = await ctx.guards.agent(request.cookies.get(AGENT_COOKIE), now=ctx.clock())
    if agent is None:
        raise ApiError(401, "not_signed_in", "Sign in first (/agent/login, or your CRM's link).")
    return agent


AgentDep = Annotated[Agent, Depends(signed_in_agent)]


async def joining_agent(request: Request, ctx: Ctx) -> Agent:
    """signed_in_agent, for the join route: a refusal is a join outcome (metrics)."""
    try:
        return await signed_in_agent(request, ctx)
    except ApiError:
        ctx.metrics.join("not_signed_in")
        raise


def api_key(ctx: Context, credentials: Bearer) -> str:
    """The live API key a server-to-server call presents (`Authorization: Bearer`);
    401 `bad_api_key` without one. Called in the handler, after the body is checked."""
    key = credentials.credentials if credentials is not None else ""
    try:
        valid = bool(key) and ctx.api_keys.valid(key)
    except DataFileError as exc:
        log.error("API keys cannot be checked: %s", exc)
        raise ApiError(503, "misconfigured", "API keys cannot be checked just now.") from None
    if not valid:
        raise ApiError(
            401, "bad_api_key", "A valid API key is required (Authorization: Bearer ...)."
        )
    return key


def agent_key(cookie: str) -> str:
    """An agent's sign-in as a session remembers it (a digest, not the cookie)."""
    return hashlib.sha256(cookie.encode()).hexdigest()


def admitted(session: Session, request: Request) -> bool:
    """Whether the request comes from the very sign-in admitted to `session`."""
    cookie = request.cookies.get(AGENT_COOKIE)
    return (
        session.live
        and bool(cookie)
        and session.agent_key is not None
        and hmac.compare_digest(session.agent_key, agent_key(cookie or ""))
    )


def watching(session: Session, request: Request) -> bool:
    """Whether the request comes from a sign-in the visitor let watch `session`."""
    cookie = request.cookies.get(AGENT_COOKIE)
    if not session.live or not cookie:
        return False
    key = agent_key(cookie)
    return any(w.allowed and hmac.compare_digest(w.key, key) for w in session.watchers)


@router.post("/sessions", status_code=201, response_model=CreateSessionOut, responses=ERRORS)
async def create_session(request: Request, body: CreateSessionIn, ctx: Ctx) -> CreateSessionOut:
    """A visitor asks for a PIN. Called by the widget; carries no page data."""
    origin = request.headers.get("origin")
    own = origin is not None and origin_matches_host(origin, request.headers.get("host", ""))
    if origin is not None and not own and not ctx.site_origins.allows(origin):
        raise ApiError(403, "origin_not_allowed", f"{origin} is not an allowed site")
    verdict = await ctx.create_limiter.attempt([client_address(request)], now=ctx.clock())
    if verdict.refused:
        raise _too_many(verdict.retry_after, "Too many co-browse sessions from this address.")
    recording = ctx.recorder is not None and ctx.config.recordings.records(origin)
    try:
        created = await ctx.hub.create_session(
            site=a.safe_url(origin) if origin else None,
            browser=browser_of(request.headers.get("user-agent")),
            recording=recording,
        )
    except CapacityError:
        raise ApiError(503, "at_capacity", "The co-browse service is busy; try again.") from None
    s = created.session
    ctx.audit.record(
        a.AuditEntry(
            at=ctx.clock(),
            kind=a.Kind.SESSION_CREATED,
            actor=a.VISITOR,
            session_id=s.id,
            address=client_address(request),
            detail="created" + (f" from {a.safe_url(origin)}" if origin else ""),
            data={"origin": a.safe_url(origin) if origin else None},
        )
    )
    if recording and ctx.recorder is not None:
        site = a.safe_url(origin) if origin else None
        ctx.recorder.start(s.id, site=site, now=ctx.clock())
    return CreateSessionOut(
        recording=recording,
        mode=ctx.config.proxy.mode,
        session_id=s.id,
        pin=s.pin,
        pin_display=display_pin(s.pin),
        expires_at=math.floor(s.pin_expires_at),
        visitor_token=created.visitor_token,
        ws_url=ws_url(ctx),
        masking=Masking(**ctx.config.masking_rules.browser_rules(origin)),
        grace_seconds=ctx.config.session.visitor_grace_seconds,
    )


class OverlayIn(Strict):
    url: str = Field(max_length=8192, description="The page to show through the proxy")


class HandoffOut(BaseModel):
    path: str = Field(description="The continuation point's path on the site's origin")
    ticket: str = Field(description="Single use, 60 s, this session and site only")


class OverlayOut(BaseModel):
    src: str
    proxy_origin: str
    handoff: HandoffOut | None = Field(
        default=None,
        description="Where the widget hands the site's login over (docs/proxy.md); "
        "null when the page is not on the site itself or the site has no continuation point",
    )


@router.post(
    "/sessions/{session_id}/overlay", status_code=201, response_model=OverlayOut, responses=ERRORS
)
async def overlay(
    session_id: str,
    body: OverlayIn,
    request: Request,
    ctx: Ctx,
    credentials: VisitorCredentials,
) -> OverlayOut:
    """Proxy mode: the visitor's widget asks for the overlay iframe's first URL.
    `Authorization: Bearer <visitor token>`; only while the session is active."""
    grant = await ctx.hub.sessions.grant(credentials.credentials) if credentials else None
    if grant is None or grant.role != "visitor" or grant.session_id != session_id:
        raise ApiError(401, "bad_token", "A visitor token of this session is required.")
    session = await ctx.hub.sessions.get(session_id)
    if session is None or session.state is not State.ACTIVE:
        raise ApiError(409, "not_active", "The visitor has not allowed the agent yet.")
    origin = origin_of(body.url)
    if origin is None or not ctx.site_origins.allows(origin):
        raise ApiError(422, "not_proxyable", "That page is not on a site allowed for co-browsing.")
    state = ctx.proxy
    parent = request.headers.get("origin")
    proxy_origin, ticket = await state.open_overlay(
        session_id, origin, parent=parent, now=ctx.clock()
    )
    rest = body.url[len(origin) :] or "/"
    if not rest.startswith("/"):
        rest = "/" + rest
    src = f"{proxy_origin}/__cobrowse/enter?" + urlencode({"ticket": ticket, "to": rest})
    handoff = None
    path = ctx.config.proxy.continuation_path
    if path and parent == origin:  # the widget's page is on the site: its cookies can come
        ticket = await state.continuation.handoff(session_id, origin, now=ctx.clock())
        handoff = HandoffOut(path=path, ticket=ticket)
    return OverlayOut(src=src, proxy_origin=proxy_origin, handoff=handoff)


class OfferOut(BaseModel):
    file_id: str
    name: str
    size: int
    type: str


@router.post(
    "/sessions/{session_id}/files", status_code=201, response_model=OfferOut, responses=ERRORS
)
async def offer_file(
    session_id: str, request: Request, agent: AgentDep, ctx: Ctx, file: UploadFile
) -> OfferOut:
    """The session's agent offers a file (multipart field `file`); the visitor is asked
    and downloads it only after accepting. Type and size are checked here."""
    if "origin" in request.headers:
        check_same_origin(request)
    session = await ctx.hub.sessions.get(session_id)
    if session is None or not admitted(session, request):
        raise ApiError(404, "not_found", "No such session of yours.")
    if session.state is not State.ACTIVE:
        raise ApiError(409, "not_active", "The session is not active.")
    limit = ctx.config.limits.offer_bytes
    data = await file.read(limit + 1)
    try:
        checked = check_offer(
            file.filename or "file", data, allowed=ctx.config.limits.offer_types, max_bytes=limit
        )
    except FileRefused as exc:
        status, code = (413, "too_large") if len(data) > limit else (415, "file_type_refused")
        raise ApiError(status, code, f"Refused: {exc}.") from None
    offered = await ctx.hub.offer(session, name=checked.name, type=checked.type, data=data)
    return OfferOut(file_id=offered.id, name=offered.name, size=len(data), type=offered.type)


@router.post("/join", response_model=JoinOut, responses=ERRORS)
async def join(
    request: Request,
    body: JoinIn,
    agent: Annotated[Agent, Depends(joining_agent)],
    ctx: Ctx,
) -> JoinOut:
    """An agent enters the visitor's PIN. Every wrong PIN gets the same answer;
    repeated failures per agent and per address are slowed down, then refused
    (`too_many_attempts`), and past a ceiling of wrong PINs per minute from everyone
    together every join waits (`joins_paused`). Both are 429 with Retry-After."""
    if "origin" in request.headers:
        try:
            check_same_origin(request)
        except ApiError:
            ctx.metrics.join("cross_origin")
            raise
    address = client_address(request)
    keys = [f"agent:{agent.id}", f"addr:{address}"]
    now = ctx.clock()

    def attempted(outcome: str, session_id: str | None = None) -> None:
        ctx.metrics.join(JOIN_METRIC[outcome])
        ctx.join_attempted(
            agent=agent.name,
            agent_id=agent.id,
            via=agent.via,
            address=address,
            outcome=outcome,
            session_id=session_id,
        )

    verdict = await ctx.join_limiter.attempt(keys, now=now)
    if verdict.refused:
        attempted("locked_out")
        raise _too_many(verdict.retry_after, "Too many wrong PINs. Wait before trying again.")
    paused = await ctx.join_global.attempt(now=now)
    if paused:
        await ctx.join_limiter.forgive(keys, now=now)  # not this agent's fault: do not count it
        attempted("paused")
        raise _too_many(
            paused,
            "Too many wrong PINs on this server just now; joining is paused.",
            code="joins_paused",
        )
    if verdict.delay:
        await asyncio.sleep(verdict.delay * ctx.sleep_scale)
    pin = normalize_pin(body.pin)
    known = await ctx.hub.sessions.by_pin(pin) if pin else None  # for the audit: expired or wrong
    key = agent_key(request.cookies.get(AGENT_COOKIE, ""))
    joined = (
        await ctx.hub.join(
            pin, agent_name=agent.name, agent_key=key, agent_id=agent.id, agent_team=agent.team
        )
        if pin
        else None
    )
    if joined is None and known is not None:
        attempted("expired", known.id)
        raise ApiError(404, "invalid_pin", "That PIN is not valid.")
    if joined is None:
        attempted("wrong_pin")
        raise ApiError(404, "invalid_pin", "That PIN is not valid.")
    await ctx.join_limiter.forgive(keys, now=ctx.clock())
    await ctx.join_global.forgive(now=ctx.clock())
    attempted("joined", joined.session.id)
    if ctx.recorder is not None:  # whose recording it is, for who may replay it
        ctx.recorder.joined(
            joined.session.id, name=agent.name, agent_id=agent.id, team=agent.team, now=ctx.clock()
        )
    return JoinOut(
        session_id=joined.session.id,
        agent_token=joined.agent_token,
        ws_url=ws_url(ctx),
        agent=AgentOut(name=agent.name, role=agent.role, team=agent.team),
    )


@router.get("/me", response_model=MeOut, responses=ERRORS)
async def me(agent: AgentDep) -> MeOut:
    """The signed-in agent."""
    return MeOut(agent=AgentOut(name=agent.name, role=agent.role, team=agent.team))


@router.post("/agent-links", status_code=201, response_model=LinkOut, responses=ERRORS)
async def agent_link(
    body: LinkIn,
    ctx: Ctx,
    credentials: ApiKeyCredentials,
) -> LinkOut:
    """For a CRM: a one-time agent sign-in URL. `Authorization: Bearer <api key>`."""
    key = api_key(ctx, credentials)
    problem = agent_name_problem(body.agent)
    if problem:
        raise ApiError(422, "invalid_request", problem)
    try:
        token, expires_at = sign_link(
            secret=ctx.link_secret,
            agent=body.agent,
            now=ctx.clock(),
            ttl=body.ttl_seconds or ctx.config.auth.link_ttl_seconds,
            role=body.role,
            team=body.team,
        )
    except LinkError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    ctx.audit.record(
        a.AuditEntry(
            at=ctx.clock(),
            kind=a.Kind.AGENT_LINK_ISSUED,
            actor=a.crm_actor(key_id_of(key)),
            target=a.agent_actor(body.agent),
            detail=f"sign-in link for {body.agent} ({body.role.value})",
            data={"agent": body.agent, "role": body.role.value},
        )
    )
    return LinkOut(url=f"{ctx.config.base_url}/agent/signin?token={token}", expires_at=expires_at)


def _too_many(retry_after: float, message: str, *, code: str = "too_many_attempts") -> ApiError:
    seconds = max(1, int(retry_after + 0.999))
    return ApiError(429, code, message, headers={"Retry-After": str(seconds)})


def check_same_origin(request: Request) -> None:
    if not origin_matches_host(request.headers["origin"], request.headers.get("host", "")):
        raise ApiError(403, "cross_origin", "This call is only allowed from the agent console.")


def set_agent_cookie(response: Response, ctx: Context, cookie: str) -> None:
    response.set_cookie(
        AGENT_COOKIE,
        cookie,
        max_age=int(ctx.config.auth.agent_cookie_ttl_seconds),
        httponly=True,
        samesite="strict",
        secure=ctx.config.auth.secure_cookies,
        path="/",
    )
