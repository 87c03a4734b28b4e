"""Fixtures shared by every test directory."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import asyncpg
import pytest

from tests.postgres import postgres_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API leaves an event loop running in the main
    thread for the rest of the session, where asyncio.run (the CLI, async tests) fails."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One real PostgreSQL server for the whole run, started on first use."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_database(postgres_url: str) -> str:
    """A fresh, empty database on that server: its URL."""
    name = "t_" + secrets.token_hex(6)

    async def create() -> None:
        conn = await asyncpg.connect(postgres_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return postgres_url.rsplit("/", 1)[0] + "/" + name
