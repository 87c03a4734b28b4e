"""Fixtures of the session store suites: one real redis-server per test module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.redis_server import RedisServer, redis_server
from tests.store.backends import Backend, open_backend


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    """Started on first use in a module, stopped (by PID) after its last test."""
    with redis_server() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("redis_srv").url if request.param == "redis" else ""
    async for b in open_backend(request.param, url):
        yield b


@pytest.fixture
async def redis_backend(redis_srv: RedisServer) -> AsyncIterator[Backend]:
    async for b in open_backend("redis", redis_srv.url):
        yield b


@pytest.fixture
async def memory_backend() -> AsyncIterator[Backend]:
    async for b in open_backend("memory"):
        yield b
