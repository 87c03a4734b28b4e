"""/docs and /redoc under a CSP: their inline scripts by hash, their code from the CDN
FastAPI uses, and no framing. (FastAPI's own docs routes send no policy at all.)"""

from __future__ import annotations

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


def _with_csp(page: HTMLResponse, *, styles: str, fonts: str, workers: str) -> HTMLResponse:
    html = bytes(page.body).decode()
    csp = (
        f"default-src 'none'; script-src {CDN} {script_hashes(html)}; "
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
