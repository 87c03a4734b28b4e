"""The webhook deliveries' book on a real redis-server (store/webhook_book.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cobrowse.core import webhook_delivery as wd
from cobrowse.store.webhook_book import RedisDeliveryBook
from tests.redis_server import RedisServer


def _record(n: int, status: wd.Status = wd.Status.PENDING) -> dict[str, Any]:
    d = wd.Delivery(
        id=f"dlv_{n:04d}",
        event_id=f"evt_{n}",
        event_type="session.created",
        session_id=f"s{n}",
        endpoint="crm",
        created_at=1_800_000_000.0 + n,
        status=status,
    )
    return wd.record_of(d)


@pytest.fixture
async def book(redis_srv: RedisServer) -> AsyncIterator[RedisDeliveryBook]:
    b = RedisDeliveryBook.from_url(f"{redis_srv.url}?prefix=b{time.monotonic_ns()}:", keep=3)
    yield b
    await b.close()


async def test_saved_deliveries_are_listed_newest_first_and_overwritten(
    book: RedisDeliveryBook,
) -> None:
    await book.save([_record(1), _record(2)])
    await book.save([_record(1, wd.Status.DELIVERED)])
    assert [(r["id"], r["status"]) for r in await book.recent()] == [
        ("dlv_0002", "pending"),
        ("dlv_0001", "delivered"),
    ]


async def test_only_the_newest_are_kept(book: RedisDeliveryBook) -> None:
    await book.save([_record(n) for n in range(1, 6)])
    assert [r["id"] for r in await book.recent()] == ["dlv_0005", "dlv_0004", "dlv_0003"]
    assert await book.redis.get(f"{book.prefix}hook:d:dlv_0001") is None  # gone, not hidden


async def test_two_prefixes_do_not_mix(book: RedisDeliveryBook, redis_srv: RedisServer) -> None:
    other = RedisDeliveryBook.from_url(f"{redis_srv.url}?prefix=o{time.monotonic_ns()}:", keep=3)
    try:
        await book.save([_record(1)])
        assert await other.recent() == []
    finally:
        await other.close()
