"""Webhook deliveries over REST, for an admin or the CRM: `Authorization: Bearer <api key>`.

GET /api/v1/webhooks/deliveries   the recent deliveries of this node, newest first

`delivery_page` is the query itself, for any other route that shows deliveries (a
signed-in admin's, later) to reuse with its own access check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from cobrowse.core import webhook_delivery as wd
from cobrowse.core.audit import iso_time
from cobrowse.core.webhooks import EVENT_TYPES
from cobrowse.server.api import ERRORS, ApiKeyCredentials, Ctx, api_key
from cobrowse.server.errors import ApiError
from cobrowse.server.webhooks import Webhooks

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

MAX_LIMIT = 1000
STATUSES = tuple(s.value for s in wd.Status)


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
    waiting: int = Field(description="deliveries queued or waiting for a retry on this node")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryQuery:
    limit: int = 100
    status: str | None = None
    event_type: str | None = None
    endpoint: str | None = None
    session_id: str | None = None


def delivery_page(webhooks: Webhooks, q: DeliveryQuery) -> DeliveriesOut:
    """The deliveries matching every filter given, newest first, at most `q.limit`."""
    found: list[DeliveryOut] = []
    for d in webhooks.recent():
        if len(found) >= q.limit:
            break
        if (
            (q.status is None or d.status.value == q.status)
            and (q.event_type is None or d.event_type == q.event_type)
            and (q.endpoint is None or d.endpoint == q.endpoint)
            and (q.session_id is None or d.session_id == q.session_id)
        ):
            found.append(delivery_out(d))
    return DeliveriesOut(deliveries=found, waiting=webhooks.waiting)


def delivery_out(d: wd.Delivery) -> DeliveryOut:
    last = d.last
    return DeliveryOut(
        id=d.id,
        event_id=d.event_id,
        event_type=d.event_type,
        session_id=d.session_id,
        endpoint=d.endpoint,
        status=d.status.value,
        attempts=len(d.attempts),
        last_status=last.status if last else None,
        last_error=last.error if last else None,
        next_retry=iso_time(d.next_at) if d.next_at is not None else None,
        created=iso_time(d.created_at),
        finished=iso_time(d.done_at) if d.done_at is not None else None,
        history=[
            AttemptOut(time=iso_time(a.at), status=a.status, error=a.error, wait_seconds=a.wait)
            for a in d.attempts
        ],
    )


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
    ctx: Ctx, credentials: ApiKeyCredentials, q: Annotated[DeliveryQuery, Depends(query)]
) -> DeliveriesOut:
    """The webhook deliveries this node made or is making, newest first: each event and
    endpoint, how many attempts, the last status and error, and when the next retry
    is due (docs/webhooks.md)."""
    api_key(ctx, credentials)
    return delivery_page(ctx.webhooks, q)
