"""/docs and /redoc under a CSP: their inline scripts by hash, their code by its exact
URL on the CDN FastAPI uses (never the whole CDN: it serves any package's files), and
no framing. (FastAPI's own docs routes send no policy at all.)"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse

from cobrowse.server.headers import script_hashes

router = APIRouter(include_in_schema=False)

CDN = "https://cdn.jsdelivr.net"
OAUTH_REDIRECT = "/docs/oauth2-redirect"
_SCRIPT_SRC = re.compile(r'<script\s+src="(https://[^"\s;,\']+)"', re.IGNORECASE)


def script_sources(html: str) -> str:
    """The page's scripts as CSP sources: each external one by its exact URL, each
    inline one by its hash; 'none' when it has none."""
    sources = [*dict.fromkeys(_SCRIPT_SRC.findall(html))]
    hashes = script_hashes(html)
    return " ".join([*sources, *([hashes] if hashes else [])]) or "'none'"


def _with_csp(page: HTMLResponse, *, styles: str, fonts: str, workers: str) -> HTMLResponse:
    html = bytes(page.body).decode()
    csp = (
        f"default-src 'none'; script-src {script_sources(html)}; "
        f"style-src {CDN} {styles} 'unsafe-inline'; img-src 'self' data: {CDN} "
        f"https://fastapi.tiangolo.com; font-src {fonts}; connect-src 'self'; "
        f"worker-src {workers}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


@router.get("/docs")
async def swagger(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - API",
        oauth2_redirect_url=OAUTH_REDIRECT,
    )
    return _with_csp(page, styles="", fonts="'none'", workers="'none'")


@router.get(OAUTH_REDIRECT)
async def swagger_redirect() -> HTMLResponse:
    page = get_swagger_ui_oauth2_redirect_html()
    return _with_csp(page, styles="", fonts="'none'", workers="'none'")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(openapi_url=request.app.openapi_url, title=f"{request.app.title} - API")
    return _with_csp(
        page,
        styles="https://fonts.googleapis.com",
        fonts="https://fonts.gstatic.com",
        workers="blob:",
    )
