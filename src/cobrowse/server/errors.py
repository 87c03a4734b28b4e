"""API errors: always JSON `{"error": {"code", "message"}}` with a stable code."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cobrowse.server.hub import RoomUnavailable
from cobrowse.store.guards import GuardUnavailable

log = logging.getLogger("cobrowse.errors")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(problems) or "invalid request")

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))

    async def on_guards_down(request: Request, exc: Exception) -> JSONResponse:
        # Limits, sign-ins, SSO logins or sessions cannot be checked: refuse (fail
        # closed), 503.
        log.error("%s %s refused: %s", request.method, request.url.path, exc)
        ctx = getattr(request.app.state, "ctx", None)
        if ctx is not None:
            ctx.metrics.error("store_unavailable")
        return error_response(
            503, "store_unavailable", "The service cannot check this just now; try again."
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(GuardUnavailable, on_guards_down)
    app.add_exception_handler(RedisError, on_guards_down)  # the session store, likewise
    app.add_exception_handler(RoomUnavailable, on_guards_down)  # a node, about a session
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
