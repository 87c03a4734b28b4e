"""The File ITR form: validation, drafts, filing, and document uploads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx

from cobrowse.demo.state import PortalState

from .conftest import PAN, valid_return
from .html_tools import Page

PDF = b"%PDF-1.4\n% demo Form 16\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MB = 1024 * 1024


async def post_itr(
    client: httpx.AsyncClient,
    action: str,
    values: dict[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> httpx.Response:
    data = {**values, "action": action}
    # Always multipart, like the browser form (enctype="multipart/form-data").
    files = files or [("documents", ("", b"", "application/octet-stream"))]
    return await client.post("/itr", data=data, files=files)


async def test_form_is_prefilled_for_the_signed_in_taxpayer(user: httpx.AsyncClient) -> None:
    page = Page((await user.get("/itr")).text)
    assert page.control("PAN").attrs["value"] == PAN
    assert page.control("Full name").attrs["value"]
    assert page.control("Aadhaar").attrs["value"] == ""


async def test_submit_with_errors_shows_each_field_error(user: httpx.AsyncClient) -> None:
    values = valid_return(
        pan="ABC", aadhaar="123", bank_account="12", email="x@", gross_salary="-1"
    )
    response = await post_itr(user, "submit", values)
    assert response.status_code == 422
    page = Page(response.text)
    summary = [e for e in page.elements if e.attrs.get("role") == "alert"]
    assert len(summary) == 1 and "5 problems" in summary[0].text
    for label, message in [
        ("PAN", "5 letters, 4 digits"),
        ("Aadhaar", "exactly 12 digits"),
        ("Bank account number", "9 to 18 digits"),
        ("Email", "email address like"),
        ("Gross salary", "0 or more"),
    ]:
        control = page.control(label)
        assert control.attrs.get("aria-invalid") == "true", label
        error_id = f"{control.attrs['id']}-error"
        assert error_id in str(control.attrs.get("aria-describedby")), label
        assert message in page.by_id(error_id).text, label
    assert page.control("Full name").attrs.get("aria-invalid") is None
    # What was typed is kept, so it can be corrected.
    assert page.control("Email").attrs["value"] == "x@"


async def test_save_keeps_a_draft_that_is_shown_again(
    user: httpx.AsyncClient, state: PortalState
) -> None:
    values = valid_return(aadhaar="1234", email="draft@example.com")  # drafts may be incomplete
    response = await post_itr(user, "save", values)
    assert response.status_code == 303
    assert response.headers["location"] == "/itr?saved=1"
    assert state.drafts[PAN].values["email"] == "draft@example.com"

    saved = Page((await user.get("/itr?saved=1")).text)
    assert any("Draft saved" in e.text for e in saved.elements if e.attrs.get("role") == "status")
    for label, name in [
        ("Email", "email"),
        ("Aadhaar", "aadhaar"),
        ("Gross salary", "gross_salary"),
    ]:
        assert saved.control(label).attrs["value"] == values[name]

    later = Page((await user.get("/itr")).text)
    assert later.control("Email").attrs["value"] == "draft@example.com"
    overview = (await user.get("/api/dashboard/overview")).json()["html"]
    assert "Draft saved, not filed" in overview


async def test_submit_files_the_return_and_shows_an_acknowledgement(
    user: httpx.AsyncClient, state: PortalState
) -> None:
    await post_itr(user, "save", valid_return())
    response = await post_itr(
        user,
        "submit",
        valid_return(),
        files=[("documents", ("form16.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 303
    match = re.fullmatch(r"/itr/acknowledgement/(\d{15})", response.headers["location"])
    assert match, response.headers["location"]
    ack = match.group(1)

    page_response = await user.get(response.headers["location"])
    assert page_response.status_code == 200
    page = Page(page_response.text)
    assert "Return submitted successfully" in page.texts("h1")[0]
    assert ack in page_response.text
    assert "₹97,500" in page_response.text  # 15,00,000 gross under the new regime
    assert "form16.pdf" in page_response.text
    assert PAN not in page_response.text and "123456789012" not in page_response.text
    masked = [e for e in page.find_all("dd") if e.has("data-cobrowse-mask")]
    assert [" ".join(e.text.split()) for e in masked] == ["ABCPE****F", "XXXXXXXX9012"]

    assert PAN not in state.drafts  # filing clears the draft
    assert state.submissions[PAN][0].tax.total_tax == 97_500
    overview = (await user.get("/api/dashboard/overview")).json()["html"]
    assert ack in overview


async def test_acknowledgements_belong_to_their_taxpayer(
    user: httpx.AsyncClient, app: object
) -> None:
    response = await post_itr(user, "submit", valid_return())
    location = response.headers["location"]
    assert (await user.get(location)).status_code == 200
    await user.post("/logout")
    await user.post("/login", data={"pan": "ZZZPZ9999Z", "password": "demo1234"})
    assert (await user.get(location)).status_code == 404
    assert (await user.get("/itr/acknowledgement/123")).status_code == 404


async def test_uploads_are_listed_by_name(user: httpx.AsyncClient, state: PortalState) -> None:
    files = [
        ("documents", ("Form16 <2026>.pdf", PDF, "application/pdf")),
        ("documents", ("salary-slip.png", PNG, "image/png")),
    ]
    response = await post_itr(user, "save", valid_return(), files=files)
    assert response.status_code == 303
    page_text = (await user.get("/itr")).text
    assert "Form16 &lt;2026&gt;.pdf" in page_text  # escaped
    assert "Form16 <2026>.pdf" not in page_text
    assert "salary-slip.png" in page_text
    assert [d.kind for d in state.documents[PAN]] == ["PDF", "PNG"]


async def test_upload_type_is_checked(user: httpx.AsyncClient, state: PortalState) -> None:
    files = [("documents", ("form16.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))]
    response = await post_itr(user, "save", valid_return(), files=files)
    assert response.status_code == 422
    page = Page(response.text)
    control = page.control("Upload Form 16 (PDF)")
    assert control.attrs.get("aria-invalid") == "true"
    assert "not a PDF, JPEG or PNG" in page.by_id("documents-error").text
    assert PAN not in state.documents
    assert state.drafts[PAN].values["email"] == "priya@example.com"  # the draft still saved


async def test_upload_size_is_limited(user: httpx.AsyncClient, state: PortalState) -> None:
    big = PDF + b"0" * (5 * MB + 1 - len(PDF))
    files = [("documents", ("big.pdf", big, "application/pdf"))]
    response = await post_itr(user, "save", valid_return(), files=files)
    assert response.status_code == 422
    assert "larger than 5 MB" in Page(response.text).by_id("documents-error").text
    assert PAN not in state.documents

    exactly = PDF + b"0" * (5 * MB - len(PDF))
    files = [("documents", ("ok.pdf", exactly, "application/pdf"))]
    ok = await post_itr(user, "save", valid_return(), files=files)
    assert ok.status_code == 303
    assert [d.name for d in state.documents[PAN]] == ["ok.pdf"]


async def test_a_huge_request_is_refused_before_it_is_read(
    user: httpx.AsyncClient, state: PortalState
) -> None:
    huge = PDF + b"0" * (16 * MB)
    files = [("documents", ("huge.pdf", huge, "application/pdf"))]
    response = await post_itr(user, "save", valid_return(), files=files)
    assert response.status_code == 413
    assert "too large" in Page(response.text).by_id("documents-error").text
    assert PAN not in state.documents


async def test_submit_with_a_bad_upload_does_not_file(
    user: httpx.AsyncClient, state: PortalState
) -> None:
    files = [("documents", ("notes.txt", b"hello", "text/plain"))]
    response = await post_itr(user, "submit", valid_return(), files=files)
    assert response.status_code == 422
    assert PAN not in state.submissions


async def test_posting_the_form_needs_login(client: httpx.AsyncClient) -> None:
    response = await post_itr(client, "submit", valid_return())
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_unknown_action_is_rejected(user: httpx.AsyncClient, state: PortalState) -> None:
    response = await post_itr(user, "delete", valid_return())
    assert response.status_code == 400
    assert PAN not in state.submissions and PAN not in state.drafts


async def test_a_streamed_request_without_length_is_cut_off(
    user: httpx.AsyncClient, state: PortalState
) -> None:
    boundary = "demo-boundary"

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nsave\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="documents"; '
            f'filename="huge.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        for _ in range(20):
            yield b"%PDF-" + b"0" * MB
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await user.post(
        "/itr",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert PAN not in state.documents
