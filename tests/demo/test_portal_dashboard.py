"""The dashboard tabs: JSON for the script, and the same content on a direct load."""

from __future__ import annotations

import httpx
import pytest

from .conftest import PAN
from .html_tools import Page

TAB_PATHS = {
    "overview": "/dashboard",
    "refund-status": "/dashboard/refund-status",
    "notices": "/dashboard/notices",
}


async def test_dashboard_greets_and_masks_the_pan(user: httpx.AsyncClient) -> None:
    response = await user.get("/dashboard")
    page = Page(response.text)
    assert "Namaste" in page.texts("h1")[0]
    masked = [e for e in page.elements if "ABCPE****F" in e.text and e.has("data-cobrowse-mask")]
    assert masked, "the masked PAN must sit in an element marked data-cobrowse-mask"
    assert PAN not in response.text
    assert any(e.attrs.get("href") == "/itr" and e.text.strip() == "File ITR"
               for e in page.find_all("a"))  # fmt: skip
    assert any(e.text.strip() == "Logout" for e in page.find_all("button"))
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("tab", "path"), TAB_PATHS.items())
async def test_tab_api_and_direct_load_agree(user: httpx.AsyncClient, tab: str, path: str) -> None:
    api = await user.get(f"/api/dashboard/{tab}")
    assert api.status_code == 200
    data = api.json()
    assert data["tab"] == tab
    assert data["url"] == path
    assert data["title"].endswith("| Income Tax e-Filing (demo)")

    direct = await user.get(path)
    assert direct.status_code == 200
    assert data["html"].strip() in direct.text  # server renders the same fragment
    page = Page(direct.text)
    selected = [e for e in page.find_all("a") if e.attrs.get("aria-selected") == "true"]
    assert [e.attrs["data-tab"] for e in selected] == [tab]
    assert f"<title>{data['title']}</title>" in direct.text


async def test_tabs_differ(user: httpx.AsyncClient) -> None:
    refunds = (await user.get("/api/dashboard/refund-status")).json()["html"]
    notices = (await user.get("/api/dashboard/notices")).json()["html"]
    assert "Refunds by assessment year" in refunds
    assert "Intimation under section 143(1)" in notices
    assert refunds != notices


async def test_tab_api_needs_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/dashboard/notices")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_signed_in"


async def test_unknown_tabs_are_404(user: httpx.AsyncClient) -> None:
    assert (await user.get("/api/dashboard/secrets")).status_code == 404
    assert (await user.get("/dashboard/secrets")).status_code == 404
    assert (await user.get("/dashboard/overview")).status_code == 404


async def test_tabs_are_links_that_work_without_script(user: httpx.AsyncClient) -> None:
    page = Page((await user.get("/dashboard")).text)
    tabs = [e for e in page.elements if e.attrs.get("role") == "tab"]
    assert {e.attrs["href"] for e in tabs} == set(TAB_PATHS.values())
    assert [" ".join(e.text.split()) for e in tabs] == ["Overview", "Refund status", "Notices"]
    assert page.find_all("script", src="/static/portal.js")


async def test_tax_estimate_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tax-estimate", params={"gross_salary": "15,00,000"})
    assert response.status_code == 200
    assert response.json()["total_tax"] == 97_500
    assert "₹97,500" in response.json()["text"]
    bad = await client.get("/api/tax-estimate", params={"gross_salary": "-3"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_amount"
