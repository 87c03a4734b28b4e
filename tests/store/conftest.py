"""Fixtures of the store suites (sessions, guards): one real redis-server per test module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.redis_server import RedisServer, redis_server
from tests.store.backends import Backend, open_backend
from tests.store.guard_backends import GuardBackend, open_guard_backend


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


@pytest.fixture(params=["memory", "redis"])
async def guards(request: pytest.FixtureRequest) -> AsyncIterator[GuardBackend]:
    """The guard stores (store/guards.py): memory, and nodes on a real Redis."""
    url = request.getfixturevalue("redis_srv").url if request.param == "redis" else ""
    async for b in open_guard_backend(request.param, url):
        yield b


@pytest.fixture
async def redis_guards(redis_srv: RedisServer) -> AsyncIterator[GuardBackend]:
    async for b in open_guard_backend("redis", redis_srv.url):
        yield b
