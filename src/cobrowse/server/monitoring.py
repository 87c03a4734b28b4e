"""GET /metrics (Prometheus) and GET /readyz; /healthz (server/pages.py) is liveness.

Served by the main app only: requests to proxy hosts never reach these routes
(server/app.py, ProxyHosts). Metrics hold counts only, yet are not for the internet:
only clients whose address is in `server.metrics_allow` (loopback by default) may read
them, or anyone presenting `Authorization: Bearer <server.metrics_token>` when it is
set. A request that came through a reverse proxy while `server.forwarded_allow_ips` is
unset has no trustworthy address (every such request looks like the proxy's own), so
it needs the token.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Iterable

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from cobrowse.config import Config
from cobrowse.core.netcheck import parse_address, parse_networks
from cobrowse.server.context import get_context
from cobrowse.server.errors import ApiError
from cobrowse.server.metrics import CONTENT_TYPE

router = APIRouter()
log = logging.getLogger("cobrowse.monitoring")

READY_TIMEOUT = 2.0  # seconds the store has to answer /readyz
FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")


def address_allowed(address: str, networks: Iterable[str]) -> bool:
    """Whether `address` (an IP address, or anything else a client may be) is in one of
    `networks`; anything that is not an IP address never is."""
    ip = parse_address(address)
    return ip is not None and any(ip in net for net in parse_networks(tuple(networks)))


def may_read_metrics(request: Request, config: Config) -> bool:
    server = config.server
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if server.metrics_token and scheme.lower() == "bearer":
        return hmac.compare_digest(token.encode(), server.metrics_token.encode())
    if not server.forwarded_allow_ips and any(h in request.headers for h in FORWARDED):
        return False  # through a proxy we do not trust: the address is the proxy's
    address = request.client.host if request.client else ""
    return address_allowed(address, server.metrics_allow)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    ctx = get_context(request)
    if not may_read_metrics(request, ctx.config):
        raise ApiError(
            403,
            "forbidden",
            "Metrics are for monitoring: see server.metrics_allow and server.metrics_token.",
        )
    return Response(
        ctx.metrics.render(),
        media_type=CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """200 while this node can take sessions: the store answers (within READY_TIMEOUT)
    and the server is not shutting down; 503 otherwise, with the reason."""
    ctx = get_context(request)
    if ctx.draining:
        return _not_ready("shutting_down")
    try:
        answered = await asyncio.wait_for(ctx.hub.sessions.ping(), READY_TIMEOUT)
    except TimeoutError:
        answered, why = False, "store_timeout"
    except Exception as exc:  # any failure of the store is "not ready", never a 500
        log.warning("readiness: the session store failed: %s", type(exc).__name__)
        answered, why = False, "store_unavailable"
    else:
        why = "store_unavailable"
    if not answered:
        ctx.metrics.error("store_unavailable")
        return _not_ready(why)
    return JSONResponse({"status": "ready"}, headers={"Cache-Control": "no-store"})


def _not_ready(reason: str) -> JSONResponse:
    return JSONResponse(
        {"status": "not_ready", "reason": reason},
        status_code=503,
        headers={"Cache-Control": "no-store"},
    )
