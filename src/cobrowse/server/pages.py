"""Our own pages and files: the embed script, the agent console, agent sign-in."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.responses import Response

from cobrowse.core import invites
from cobrowse.core.lang import Lang, choose_lang
from cobrowse.core.links import LinkError, verify_link
from cobrowse.rewrite.assets import for_agent
from cobrowse.rewrite.urls import origin_of
from cobrowse.server import start_page
from cobrowse.server.api import admitted, set_agent_cookie, watching
from cobrowse.server.auth import AGENT_COOKIE
from cobrowse.server.context import STATIC_DIR, get_context
from cobrowse.server.errors import ApiError
from cobrowse.server.headers import console_csp, socket_origin

router = APIRouter()

DIST = STATIC_DIR / "dist"

PAGE_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _built(name: str) -> Path:
    path = DIST / name
    if not path.is_file():
        raise ApiError(
            503, "not_built", f"{name} is not built; run `make install` (npm run build in web/)"
        )
    return path


@router.get("/healthz", include_in_schema=False)
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/cobrowse.js", include_in_schema=False)
async def embed_script() -> FileResponse:
    """The one script a site embeds: the Co-browse button and the visitor runtime."""
    return FileResponse(
        _built("cobrowse.js"),
        media_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/console", include_in_schema=False)
async def console(request: Request) -> FileResponse:
    csp = console_csp(get_context(request).config)
    return FileResponse(
        STATIC_DIR / "console.html",
        media_type="text/html",
        headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
    )


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/console", status_code=303)


@router.get("/agent/signin", include_in_schema=False)
async def agent_signin(request: Request, token: str = "") -> Response:
    """Where a CRM-signed link lands: check it, use it up, sign the agent in."""
    ctx = get_context(request)
    now = ctx.clock()
    try:
        link = verify_link(token, secret=ctx.link_secret, keys=ctx.link_keys, now=now)
    except LinkError as exc:
        return _message_page(401, "This sign-in link does not work", str(exc))
    if not await ctx.guards.use_link(link, now=now):
        return _message_page(
            401,
            "This sign-in link was already used",
            "Each link works once. Open the co-browse console from your CRM again.",
        )
    # A click-to-start link (server/invites.py) goes on to join its session.
    target = "/console" + (f"#invite={quote(link.session)}" if link.session else "")
    response = RedirectResponse(target, status_code=303)
    cookie = await ctx.guards.sign_in(
        link.agent, now=now, via="link", role=link.role, team=link.team
    )
    set_agent_cookie(response, ctx, cookie)
    return response


@router.get("/assets/{token}/{label}/{path:path}", include_in_schema=False)
async def asset(request: Request, token: str, label: str, path: str) -> Response:
    """The agent's mirror loads the visitor's stylesheets, fonts and images from here:
    only what the visitor's proxy already fetched in this session, never HTML or API
    responses, and only for the agent admitted to that session."""
    ctx = get_context(request)
    agent = await ctx.guards.agent(request.cookies.get(AGENT_COOKIE), now=ctx.clock())
    session_id = await ctx.proxy.session_of_asset_token(token)
    session = await ctx.hub.sessions.get(session_id) if session_id else None
    if agent is None or session is None:
        raise ApiError(404, "not_found", "No such asset.")
    if not admitted(session, request) and not watching(session, request):
        raise ApiError(404, "not_found", "No such asset.")
    query = request.url.query
    key = "/" + path + (f"?{query}" if query else "")
    # The value patterns: what the visitor's browser masked in a URL a script made is
    # found again by them; a stylesheet or SVG is text the agent reads, masked as it
    # shows and says it (docs/masking.md); a stylesheet's URLs then point here too.
    patterns = ctx.config.masking_rules.patterns_for(await ctx.proxy.origins(session.id))
    item = await ctx.proxy.wait_for_asset(
        session.id, label, key, timeout=ctx.config.proxy.asset_wait_seconds, patterns=patterns
    )
    if item is None:
        raise ApiError(404, "not_found", "No such asset.")
    urls = await ctx.proxy.mirror_map(session.id, token, label, key)
    served = await asyncio.to_thread(for_agent, item.body, item.content_type, patterns, urls)
    return Response(
        served.body,
        media_type=served.content_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
            ),
        },
    )


@router.get("/files/{ticket}", include_in_schema=False)
async def download(request: Request, ticket: str) -> Response:
    """A file the visitor accepted: single use, five minutes, always a download."""
    ctx = get_context(request)
    offered = await ctx.hub.download(ticket)
    if offered is None:
        return _message_page(
            404, "This download link does not work", "It was used, expired, or the session ended."
        )
    disposition = f"attachment; filename*=UTF-8''{quote(offered.name)}"
    return Response(
        offered.data,
        media_type=offered.type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
        },
    )


@router.get("/start", include_in_schema=False)
async def start(request: Request, url: str = "", lang: str = "", invite: str = "") -> HTMLResponse:
    """A page the helpdesk can send: the Co-browse flow for an allowed URL on a site
    that has no button; after Allow the overlay shows that URL through the proxy. In
    English or Hindi: the `lang` parameter, else the browser's Accept-Language."""
    ctx = get_context(request)
    chosen = choose_lang(query=lang, accept_language=request.headers.get("accept-language"))
    origin = origin_of(url)
    if origin is None or not ctx.site_origins.allows(origin):
        title, detail = start_page.bad_address(url, chosen)
        return _message_page(400, title, detail, lang=chosen)
    # Click to start (server/invites.py): only an invitation of the right shape is passed on.
    body = start_page.render(url, chosen, invite=invite if invites.parse(invite) else None)
    hosts = ctx.proxy.hosts
    proxies = f"{hosts.scheme}://*.{hosts.domain}" + (f":{hosts.port}" if hosts.port else "")
    # The widget talks to this server only (its API and WebSocket).
    csp = (
        "default-src 'none'; script-src 'self'; object-src 'none'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"connect-src 'self' {socket_origin(ctx.config)}; frame-src {proxies}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(
        body,
        headers={
            "Content-Security-Policy": csp,
            "Content-Language": chosen,
            "Vary": "Accept-Language",
        },
    )


def _message_page(status: int, title: str, detail: str, *, lang: Lang = "en") -> HTMLResponse:
    body = (
        f"<!doctype html><html lang={lang}><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:36rem}</style>"
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></main></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": PAGE_CSP})
