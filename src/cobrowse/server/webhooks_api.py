"""Webhook deliveries over REST, for an admin or the CRM: `Authorization: Bearer <api key>`.

GET /api/v1/webhooks/deliveries   the recent deliveries, newest first (every node's
                                  on a Redis store)

`delivery_page` is the query itself, for any other route that shows deliveries (a
signed-in admin's, later) to reuse with its own access check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from cobrowse.core import webhook_delivery as wd
from cobrowse.core.roles import Role
from cobrowse.core.webhooks import EVENT_TYPES
from cobrowse.server.api import ERRORS, ApiKeyCredentials, Ctx, api_key, signed_in_agent
from cobrowse.server.auth import AGENT_COOKIE
from cobrowse.server.errors import ApiError
from cobrowse.server.webhooks import Webhooks

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

log = logging.getLogger("cobrowse.webhooks")

MAX_LIMIT = 1000
STATUSES = tuple(s.value for s in wd.Status)
OPEN = frozenset(s.value for s in wd.Status if s not in wd.FINAL)


class AttemptOut(BaseModel):
    time: str
    status: int | None = Field(description="the receiver's HTTP status; null: no answer")
    error: str | None
    wait_seconds: float | None = Field(description="the back-off chosen after this attempt")


class DeliveryOut(BaseModel):
    id: str
    event_id: str = Field(description="the Cobrowse-Event-Id the receiver got (dedupe on it)")
    event_type: str
    session_id: str | None
    endpoint: str = Field(description="the endpoint's name (host and path unless named)")
    status: str = Field(description=" | ".join(STATUSES))
    attempts: int
    last_status: int | None
    last_error: str | None
    next_retry: str | None = Field(description="ISO 8601, UTC, while retrying")
    created: str
    finished: str | None
    history: list[AttemptOut]


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut]
    waiting: int = Field(
        description="deliveries not over yet (queued, in flight or waiting for a retry)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryQuery:
    limit: int = 100
    status: str | None = None
    event_type: str | None = None
    endpoint: str | None = None
    session_id: str | None = None


async def delivery_page(webhooks: Webhooks, q: DeliveryQuery) -> DeliveriesOut:
    """The deliveries matching every filter given, newest first, at most `q.limit`: every
    node's on a Redis store, this node's on memory. ApiError 503 when the store fails."""
    try:
        records = await webhooks.listing()
    except Exception as exc:
        log.error("webhook deliveries cannot be read from the store: %s", exc)
        raise ApiError(
            503, "store_unavailable", "The webhook deliveries cannot be read just now."
        ) from None
    found: list[DeliveryOut] = []
    for r in records:
        if len(found) >= q.limit:
            break
        if (
            (q.status is None or r["status"] == q.status)
            and (q.event_type is None or r["event_type"] == q.event_type)
            and (q.endpoint is None or r["endpoint"] == q.endpoint)
            and (q.session_id is None or r["session_id"] == q.session_id)
        ):
            found.append(DeliveryOut.model_validate(r))
    waiting = sum(r["status"] in OPEN for r in records)
    return DeliveriesOut(deliveries=found, waiting=waiting)


def query(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    status: Annotated[str | None, Query(max_length=16, description=" | ".join(STATUSES))] = None,
    event_type: Annotated[str | None, Query(max_length=40, description="session.ended...")] = None,
    endpoint: Annotated[str | None, Query(max_length=200)] = None,
    session_id: Annotated[str | None, Query(max_length=64)] = None,
) -> DeliveryQuery:
    if status is not None and status not in STATUSES:
        raise ApiError(422, "bad_status", f"status must be one of {', '.join(STATUSES)}.")
    if event_type is not None and event_type not in EVENT_TYPES:
        raise ApiError(422, "unknown_event", "unknown event type; see docs/webhooks.md.")
    return DeliveryQuery(
        limit=limit, status=status, event_type=event_type, endpoint=endpoint, session_id=session_id
    )


@router.get("/deliveries", response_model=DeliveriesOut, responses=ERRORS)
async def deliveries(
    request: Request,
    ctx: Ctx,
    credentials: ApiKeyCredentials,
    q: Annotated[DeliveryQuery, Depends(query)],
) -> DeliveriesOut:
    """The recent webhook deliveries, newest first: each event and endpoint, how many
    attempts, the last status and error, and when the next retry is due. With several
    nodes on Redis, every node's (docs/webhooks.md). For a CRM's API key, or an
    admin signed in to the console (403 for other roles)."""
    if credentials is None and AGENT_COOKIE in request.cookies:
        agent = await signed_in_agent(request, ctx)
        if agent.role is not Role.ADMIN:
            raise ApiError(403, "not_allowed", "Only an admin sees webhook deliveries.")
    else:
        api_key(ctx, credentials)
    return await delivery_page(ctx.webhooks, q)
