"""Static files for the portal, loadable from other origins (the agent's mirror).

Stylesheets, images and fonts carry `Access-Control-Allow-Origin: *` (fonts need it)
and cache headers; validators (ETag, Last-Modified) come from Starlette.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"

_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
}
FONT_MAX_AGE = 7 * 24 * 3600
ASSET_MAX_AGE = 600


class PortalStatic(StaticFiles):
    """StaticFiles with cross-origin and cache headers on every answer."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        suffix = Path(full_path).suffix.lower()
        if suffix in _TYPES and response.status_code == 200:
            response.headers["Content-Type"] = _TYPES[suffix]
        max_age = FONT_MAX_AGE if suffix in (".woff2", ".woff") else ASSET_MAX_AGE
        add_asset_headers(response.headers, max_age=max_age)
        return response


def add_asset_headers(headers: MutableHeaders, *, max_age: int) -> None:
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    headers["Cache-Control"] = f"public, max-age={max_age}"
    headers["X-Content-Type-Options"] = "nosniff"
