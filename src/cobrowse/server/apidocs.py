"""/docs (Swagger UI) under a CSP: its inline scripts by hash, its code and style by
their exact URLs on this server, and no framing. Swagger UI comes from our own static
files (web/build.mjs copies it from the swagger-ui-dist package into
static/dist/swagger-ui/), never from a CDN: an air-gapped network reaches none, and a
CDN serves anyone's files. The page loads nothing from anywhere else (no validator
badge, no remote favicon or fonts). (FastAPI's own docs routes send no policy at all;
ReDoc is not served: its package brings a React tree we do not ship.)"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.responses import HTMLResponse

from cobrowse.server.context import get_context
from cobrowse.server.headers import script_hashes

router = APIRouter(include_in_schema=False)

OAUTH_REDIRECT = "/docs/oauth2-redirect"
SWAGGER_DIR = "/static/dist/swagger-ui"
SWAGGER_JS = f"{SWAGGER_DIR}/swagger-ui-bundle.js"
SWAGGER_CSS = f"{SWAGGER_DIR}/swagger-ui.css"
FAVICON = "/static/favicon.svg"
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_SCRIPT_SRC = re.compile(r'<script\s+src="(/[^/"\s;,\'][^"\s;,\']*)"', re.IGNORECASE)


def script_sources(html: str, origin: str) -> str:
    """The page's scripts as CSP sources: each of ours (a path on this server) by its
    exact URL at `origin` (none without one), each inline one by its hash; 'none' when
    it has none."""
    paths = dict.fromkeys(_SCRIPT_SRC.findall(html)) if origin else {}
    sources = [origin + path for path in paths]
    hashes = script_hashes(html)
    return " ".join([*sources, *([hashes] if hashes else [])]) or "'none'"


def docs_csp(html: str, origin: str) -> str:
    """The policy of a docs page whose markup is `html`, served at `origin`."""
    return (
        f"default-src 'none'; script-src {script_sources(html, origin)}; "
        f"style-src {f'{origin}{SWAGGER_CSS} ' if origin else ''}'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'none'; connect-src 'self'; worker-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def page_origin(public_url: str, scheme: str, netloc: str) -> str:
    """Where the browser reached us: the public URL's origin when one is configured,
    else the request's (`scheme`, `netloc` from its Host header). (A CSP source with
    http: also matches the https: URL, so a TLS front that does not say so still gets a
    policy that matches.) A Host header that is not a host and port cannot write into
    the policy: "" then, and the policy allows none of the files."""
    public = public_url.rstrip("/")
    if public:
        scheme, _, rest = public.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return f"{scheme}://{netloc}" if _HOST.fullmatch(netloc) else ""


def _with_csp(page: HTMLResponse, request: Request) -> HTMLResponse:
    html = bytes(page.body).decode()
    public_url = get_context(request).config.server.public_url
    csp = docs_csp(html, page_origin(public_url, request.url.scheme, request.url.netloc))
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


@router.get("/docs")
async def swagger(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - API",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=FAVICON,
        oauth2_redirect_url=OAUTH_REDIRECT,
        # The validator badge would send the document's URL to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _with_csp(page, request)


@router.get(OAUTH_REDIRECT)
async def swagger_redirect(request: Request) -> HTMLResponse:
    return _with_csp(get_swagger_ui_oauth2_redirect_html(), request)
