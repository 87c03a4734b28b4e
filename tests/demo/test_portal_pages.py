"""What every page must carry: the co-browse embed, masks, exact labels, static headers."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from cobrowse.demo.portal import create_portal_app

from .conftest import COBROWSE_URL, valid_return
from .html_tools import Page
from .test_portal_itr import post_itr

EMBED = f'<script src="{COBROWSE_URL}/cobrowse.js" async></script>'


async def every_page(client: httpx.AsyncClient) -> dict[str, httpx.Response]:
    """One response of each kind of HTML page the portal serves."""
    pages = {
        "home": await client.get("/"),
        "login": await client.get("/login"),
        "login error": await client.post("/login", data={"pan": "x", "password": "y"}),
        "not found": await client.get("/no-such-page"),
    }
    await client.post("/login", data={"pan": "ABCPE1234F", "password": "demo1234"})
    for path in ("/dashboard", "/dashboard/refund-status", "/dashboard/notices", "/itr"):
        pages[path] = await client.get(path)
    pages["itr errors"] = await post_itr(client, "submit", valid_return(aadhaar="1"))
    filed = await post_itr(client, "submit", valid_return())
    pages["acknowledgement"] = await client.get(filed.headers["location"])
    return pages


async def test_every_page_embeds_cobrowse_first_in_head(client: httpx.AsyncClient) -> None:
    for name, response in (await every_page(client)).items():
        assert response.headers["content-type"].startswith("text/html"), name
        head = Page(response.text).head()
        assert head[0].tag == "meta" and head[0].attrs == {"charset": "utf-8"}, name
        first = head[1]
        assert first.tag == "script", name
        assert first.attrs == {"src": f"{COBROWSE_URL}/cobrowse.js", "async": None}, name
        assert response.text.count("/cobrowse.js") == 1, name
        assert EMBED in response.text, name


async def test_pages_have_no_inline_script_and_a_strict_csp(client: httpx.AsyncClient) -> None:
    for name, response in (await every_page(client)).items():
        for script in Page(response.text).find_all("script"):
            assert script.attrs.get("src"), f"inline script on {name}"
            assert not script.text.strip(), name
        csp = response.headers["content-security-policy"]
        assert f"script-src 'self' {COBROWSE_URL};" in csp, name
        assert response.headers["cache-control"] == "no-store", name


async def test_embed_uses_the_given_server_without_trailing_slash() -> None:
    app = create_portal_app(cobrowse_url="https://help.example.gov.in/")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as c:
        text = (await c.get("/")).text
    assert '<script src="https://help.example.gov.in/cobrowse.js" async></script>' in text


def test_a_bad_server_url_is_refused() -> None:
    with pytest.raises(ValueError):
        create_portal_app(cobrowse_url="javascript:alert(1)")


def test_apps_do_not_share_state() -> None:
    a = create_portal_app(cobrowse_url=COBROWSE_URL)
    b = create_portal_app(cobrowse_url=COBROWSE_URL)
    assert a.state.portal is not b.state.portal
    token = a.state.portal.sessions.create("ABCPE1234F")
    assert b.state.portal.sessions.get(token) is None


async def test_home_page_contract(client: httpx.AsyncClient) -> None:
    page = Page((await client.get("/")).text)
    assert any("e-Filing" in h for h in page.texts("h1"))
    header_images = [e for e in page.find_all("img") if "header" in e.parents]
    assert header_images and header_images[0].attrs["src"] == "/static/emblem.svg"
    nav_links = [e for e in page.find_all("a") if "nav" in e.parents]
    login = [e for e in nav_links if e.text.strip() == "Login"]
    assert len(login) == 1 and login[0].attrs["href"] == "/login"
    # No other link or button on the page is named like the contract's "Login".
    assert [
        e for e in page.elements if "login" in e.text.lower() and e.tag in ("a", "button")
    ] == login


async def test_login_form_contract(client: httpx.AsyncClient) -> None:
    page = Page((await client.get("/login")).text)
    pan = page.control("PAN")
    password = page.control("Password")
    assert pan.tag == "input" and pan.has("data-cobrowse-mask")
    assert password.attrs["type"] == "password" and password.has("data-cobrowse-mask")
    assert [" ".join(b.text.split()) for b in page.find_all("button")] == ["Login"]


async def test_itr_form_contract(user: httpx.AsyncClient) -> None:
    page = Page((await user.get("/itr")).text)
    masked = {"PAN", "Aadhaar", "Bank account number"}
    for label in ("Full name", "PAN", "Aadhaar", "Bank account number", "Email", "Gross salary"):
        control = page.control(label)
        assert control.tag == "input", label
        assert control.has("data-cobrowse-mask") == (label in masked), label
    upload = page.control("Upload Form 16 (PDF)")
    assert upload.attrs["type"] == "file"
    forms = page.find_all("form", action="/itr")
    assert forms[0].attrs["enctype"] == "multipart/form-data"
    buttons = [" ".join(b.text.split()) for b in page.find_all("button")]
    assert buttons.count("Save") == 1 and buttons.count("Submit") == 1
    # Filing is the taxpayer's own act: the agent may press Save, never Submit.
    by_text = {" ".join(b.text.split()): b for b in page.find_all("button")}
    assert by_text["Submit"].has("data-cobrowse-no-agent")
    assert not by_text["Save"].has("data-cobrowse-no-agent")
    # The dashboard's "File ITR" link is the only one so named (nav uses "e-File").
    dashboard = Page((await user.get("/dashboard")).text)
    assert [e.text.strip() for e in dashboard.find_all("a")].count("File ITR") == 1


async def test_user_input_is_escaped(user: httpx.AsyncClient) -> None:
    evil = '"><script>alert(1)</script>'
    response = await post_itr(user, "submit", valid_return(full_name=evil, email=evil))
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/portal.css", "text/css"),
        ("/static/portal.js", "text/javascript"),
        ("/static/emblem.svg", "image/svg+xml"),
        ("/static/hero.svg", "image/svg+xml"),
    ],
)
async def test_static_files_are_cross_origin_and_cacheable(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.get(path, headers={"Origin": "http://agent.example"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"].startswith("public, max-age=")
    etag = response.headers["etag"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["access-control-allow-origin"] == "*"


async def test_fonts_are_served_with_cors(app: Starlette, client: httpx.AsyncClient) -> None:
    from cobrowse.demo.static_files import STATIC_DIR

    css = (await client.get("/static/portal.css")).text
    for weight in (400, 700):
        assert f'url("/static/dist/fonts/mukta-latin-{weight}-normal.woff2")' in css
    font = STATIC_DIR / "dist" / "fonts" / "mukta-latin-400-normal.woff2"
    if not font.exists():
        pytest.skip("fonts are copied by the web build")
    response = await client.get("/static/dist/fonts/mukta-latin-400-normal.woff2")
    assert response.status_code == 200
    assert response.headers["content-type"] == "font/woff2"
    assert response.headers["access-control-allow-origin"] == "*"


async def test_missing_static_file_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/static/nope.css")).status_code == 404
