from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from cobrowse.demo.portal import create_portal_app
from cobrowse.demo.state import PortalState

COBROWSE_URL = "http://cobrowse.test:8000"
PAN = "ABCPE1234F"
VALID_AADHAAR = "499118665246"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Starlette:
    return create_portal_app(cobrowse_url=COBROWSE_URL, clock=clock)


@pytest.fixture
def state(app: Starlette) -> PortalState:
    portal = app.state.portal
    assert isinstance(portal, PortalState)
    return portal


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
        yield c


@pytest.fixture
async def user(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client, signed in as PAN."""
    response = await client.post("/login", data={"pan": PAN, "password": "demo1234"})
    assert response.status_code == 303
    return client


def valid_return(**changes: str) -> dict[str, str]:
    values = {
        "full_name": "Priya Sharma",
        "pan": PAN,
        "aadhaar": VALID_AADHAAR,
        "bank_account": "123456789012",
        "email": "priya@example.com",
        "gross_salary": "15,00,000",
    }
    values.update(changes)
    return values
