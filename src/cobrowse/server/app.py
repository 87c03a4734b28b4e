"""The app factory: one FastAPI app per Config, all state on app.state.ctx."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from cobrowse import __version__
from cobrowse.config import Config
from cobrowse.server import (
    api,
    apidocs,
    audit_api,
    console_api,
    continuation,
    headers,
    invites,
    monitoring,
    pages,
    recordings_api,
    signin,
    webhooks_api,
)
from cobrowse.server.bodylimit import BodyLimit
from cobrowse.server.context import STATIC_DIR, Context
from cobrowse.server.errors import install_error_handlers
from cobrowse.server.proxy import Proxy
from cobrowse.server.ws import websocket_endpoint

log = logging.getLogger("cobrowse.access")

SWEEP_INTERVAL = 0.5


def _cors_path(path: str) -> bool:
    """The calls a site's page makes: create a session, ask for the proxy overlay."""
    return path == "/api/v1/sessions" or (
        path.startswith("/api/v1/sessions/") and path.endswith("/overlay")
    )


def create_app(
    config: Config, *, clock: Callable[[], float] = time.time, sleep_scale: float = 1.0
) -> FastAPI:
    ctx = Context(config=config, clock=clock, sleep_scale=sleep_scale)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ctx.audit.start()
        await ctx.webhooks.start()
        if ctx.recorder is not None:
            ctx.recorder.begin()
        if ctx.hub.cluster is not None:
            await ctx.hub.cluster.start(ctx.hub)
        sweeper = asyncio.create_task(_sweep_forever(ctx))
        _freeze_start_up()
        try:
            yield
        finally:
            ctx.draining = True  # /readyz: take this node out of rotation
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await ctx.hub.shutdown()
            if ctx.hub.cluster is not None:
                await ctx.hub.cluster.stop()
            await ctx.hub.sessions.close()
            await ctx.proxy.close()
            if ctx.oidc is not None:
                await ctx.oidc.close()
            await ctx.webhooks.stop()  # after the last session's end was recorded
            if ctx.recorder is not None:  # after every session ended: its last chunks
                await asyncio.to_thread(ctx.recorder.stop)
            await ctx.audit.stop()
            await ctx.guards.close()

    app = FastAPI(
        title="cobrowse",
        version=__version__,
        summary="Self-hosted co-browsing: PIN, consent, live mirror, masking.",
        lifespan=lifespan,
        docs_url=None,  # served by server/apidocs.py, under a CSP
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(audit_api.router)
    app.include_router(console_api.router)
    app.include_router(invites.router)
    app.include_router(webhooks_api.router)
    app.include_router(recordings_api.router)
    app.include_router(pages.router)
    app.include_router(signin.router)
    app.include_router(apidocs.router)
    app.include_router(continuation.router)
    app.include_router(monitoring.router)
    app.add_api_websocket_route("/ws", websocket_endpoint)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")

    # Inside the headers middleware below, so that its 413 gets the security headers.
    app.add_middleware(
        BodyLimit,
        default=config.limits.api_body_bytes,
        uploads=config.limits.offer_bytes + 64 * 1024,  # multipart overhead
    )

    @app.middleware("http")
    async def headers_and_cors(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        origin = request.headers.get("origin")
        cors = _cors_path(request.url.path) and ctx.site_origins.allows(origin)
        if cors and request.method == "OPTIONS":
            response: Response = Response(status_code=204)
            response.headers["Access-Control-Allow-Methods"] = "POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
            response.headers["Access-Control-Max-Age"] = "600"
        else:
            try:
                response = await call_next(request)
            except Exception:  # answered here, so that even a 500 gets the security headers
                ctx.metrics.error("internal")
                log.exception(
                    "%s %s failed", request.method, logged_path(request.scope), extra=_ids(request)
                )
                failed = {"code": "internal", "message": "Something went wrong on the server."}
                response = JSONResponse({"error": failed}, status_code=500)
        if cors and origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        headers.apply(response, path=request.url.path, config=ctx.config)
        # The path only (query strings may hold one-time tokens), without the path's
        # own credentials (logged_path).
        log.info(
            "%s %s %d %.1fms",
            request.method,
            logged_path(request.scope),
            response.status_code,
            (time.perf_counter() - start) * 1000,
            extra=_ids(request),
        )
        return response

    app.add_middleware(ProxyHosts, ctx=ctx)
    return app


# Path parameters that are credentials (download tickets, asset tokens) or the site's
# own paths: logged as their name, never their value.
SECRET_PARAMS = frozenset({"token", "ticket", "path"})


def logged_path(scope: Scope) -> str:
    """The request's path as logs show it: the matched route's path with its
    parameters filled in, except SECRET_PARAMS (`/files/{ticket}`); a path that
    matched no route as it came."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    params = scope.get("path_params") or {}
    if not isinstance(template, str) or not params or isinstance(route, Mount):
        return str(scope.get("path", ""))
    for name, value in params.items():
        if name not in SECRET_PARAMS:
            template = template.replace("{" + name + "}", str(value))
    return template


def _ids(request: Request) -> dict[str, str] | None:
    """The session a request is about, for the log record's `session_id`."""
    session_id = (request.scope.get("path_params") or {}).get("session_id")
    return {"session_id": session_id} if isinstance(session_id, str) else None


class ProxyHosts:
    """Requests for `<label>.<proxy domain>` go to the proxy, everything else to the app."""

    def __init__(self, app: ASGIApp, *, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx
        self.proxy = Proxy(ctx)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for key, value in scope["headers"]:
                if key == b"host":
                    if self.ctx.proxy.hosts.is_proxy_host(value.decode("latin-1")):
                        await self.proxy(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)


_frozen = False


def _freeze_start_up() -> None:
    """What start-up made (modules, classes, the app) lives as long as the process: out
    of the garbage collector's way, so its full collections walk only what sessions hold
    (they paused the relay about twice as long otherwise). Once per process."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


async def _sweep_forever(ctx: Context) -> None:
    while True:
        await asyncio.sleep(SWEEP_INTERVAL)
        try:
            await ctx.hub.sweep()
        except Exception:  # one bad session must not stop the sweeper
            logging.getLogger("cobrowse").exception("sweep failed")
