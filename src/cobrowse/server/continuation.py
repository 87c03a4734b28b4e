"""The continuation point's two calls (core/continuation.py has the rules).

The site's reverse proxy routes `<site>/__cobrowse/continue/` here (README, "Continuation
point"), so these requests come from the visitor's page on the site's own origin and
carry the site's cookies. Cookie values go into the session's server-side jar (in) and
back to the visitor's browser as Set-Cookie (out); they are never logged, audited, put
in a response body, or sent to an agent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse
from yarl import URL

from cobrowse.core.continuation import MAX_NAMES, parse_cookie_header
from cobrowse.core.session import State
from cobrowse.server.context import Context, get_context
from cobrowse.server.errors import ApiError

PATH = "/__cobrowse/continue"
router = APIRouter(prefix=PATH, include_in_schema=False)
Ctx = Annotated[Context, Depends(get_context)]
# Our own cookies, when the site and this server share a host name (a development
# set-up on 127.0.0.1): never copied into a jar.
BINDING = "cobrowse_continue"  # on the site's host, the continuation point's path only
OWN_COOKIES = ("cobrowse_agent", "cobrowse_login", "cobrowse_oidc", "cobrowse_proxy", BINDING)
NO_STORE = {"cache-control": "no-store"}


class HandInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(min_length=1, max_length=100)
    visible: list[str] = Field(default_factory=list, max_length=MAX_NAMES)


class HandBackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(min_length=1, max_length=100)


@router.post("/in")
async def hand_in(body: HandInBody, request: Request, ctx: Ctx) -> JSONResponse:
    """At Allow: the site's cookies of this request go into the session's jar (once per
    session and site), and the widget gets the return ticket for the end."""
    book = ctx.proxy.continuation
    handoff = await book.redeem(body.ticket, now=ctx.clock())
    if handoff is None:
        raise ApiError(403, "bad_ticket", "This hand-off has expired or was already used.")
    session = await ctx.hub.sessions.get(handoff.session_id)
    if session is None or session.state is not State.ACTIVE:
        raise ApiError(409, "not_active", "The co-browsing session is not active.")
    copied = 0
    if await book.claim_import(handoff):
        pairs = [
            (name, value)
            for name, value in parse_cookie_header(request.headers.get("cookie", ""))
            if name not in OWN_COOKIES
        ]
        jar = await ctx.proxy.jar(handoff.session_id)
        copied = jar.import_cookies(
            pairs, url=URL(handoff.origin + "/"), script_visible=set(body.visible)
        )
        await ctx.proxy.save_jar(handoff.session_id, jar)
    ticket, binding = await book.return_ticket(handoff)
    response = JSONResponse({"return_ticket": ticket, "cookies": copied}, headers=NO_STORE)
    response.headers.append("set-cookie", _binding_cookie(ctx, handoff.origin, binding))
    return response


@router.post("/out")
async def hand_back(body: HandBackBody, request: Request, ctx: Ctx) -> JSONResponse:
    """At the end: Set-Cookie for what the site set, changed or deleted in the overlay.
    The body says how many, and which other hosts' changes stay behind. Needs the
    binding cookie the hand-in set: only the visitor's browser, through the site, has it."""
    book = ctx.proxy.continuation
    now = ctx.clock()
    binding = request.cookies.get(BINDING, "")
    result = await book.take_ended(body.ticket, binding, now=now)
    if result is None:
        handoff = await book.take_return(body.ticket, binding)
        if handoff is None:
            raise ApiError(403, "bad_ticket", "This return ticket has expired or was used.")
        result = await ctx.proxy.write_back(handoff, now=now)
    response = JSONResponse(
        {"carried": result.carried, "elsewhere": list(result.elsewhere)}, headers=NO_STORE
    )
    for header in result.headers:
        response.headers.append("set-cookie", header)
    response.headers.append("set-cookie", f"{BINDING}=; Path={_path(ctx)}; Max-Age=0; HttpOnly")
    return response


def _path(ctx: Context) -> str:
    return ctx.config.proxy.continuation_path or PATH


def _binding_cookie(ctx: Context, origin: str, binding: str) -> str:
    secure = "; Secure" if origin.startswith("https://") else ""
    return f"{BINDING}={binding}; Path={_path(ctx)}; HttpOnly; SameSite=Strict{secure}"
