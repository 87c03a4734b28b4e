"""The portal's continuation point: what a site's reverse proxy does for co-browsing.

A real site adds one `location /__cobrowse/continue/` to its nginx (README, "Continuation
point"); the demo portal, a Python app without nginx in front, forwards the same path to
the co-browse server itself, keeping the request's Host, Cookie and body and the
answer's status, body and Set-Cookie. That is the whole of it: nothing here reads or
keeps a cookie.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PATH = "/__cobrowse/continue"
MAX_BODY = 16 * 1024
_FORWARD = ("host", "cookie", "content-type", "origin", "user-agent")
_BACK = ("content-type", "cache-control", "set-cookie")


def continuation_forwarder(cobrowse_url: str) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint for `PATH/{step}` that forwards to `cobrowse_url`."""
    base = cobrowse_url.rstrip("/")

    async def forward(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": {"code": "too_large", "message": "Too large."}}, 413)
        headers = {k: v for k, v in request.headers.items() if k in _FORWARD}
        client = request.client.host if request.client else ""
        headers["x-forwarded-for"] = client
        headers["x-forwarded-proto"] = request.url.scheme
        url = f"{base}{PATH}/{request.path_params['step']}"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.post(url, data=body, headers=headers, allow_redirects=False) as answer,
            ):
                content = await answer.read()
                back = [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in answer.headers.items()
                    if k.lower() in _BACK
                ]
                response = Response(content, status_code=answer.status)
                response.raw_headers.extend(back)
                return response
        except (aiohttp.ClientError, TimeoutError):
            return JSONResponse(
                {"error": {"code": "bad_gateway", "message": "Co-browsing did not answer."}}, 502
            )

    return forward
