from __future__ import annotations

import pytest

from cobrowse.demo.uploads import document_kind, format_size, safe_name, upload_error

PDF = b"%PDF-1.7\n"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JF"


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("form16.pdf", PDF, "PDF"),
        ("FORM16.PDF", PDF, "PDF"),
        ("scan.png", PNG, "PNG"),
        ("scan.jpg", JPEG, "JPEG"),
        ("scan.jpeg", JPEG, "JPEG"),
        ("form16.pdf", PNG, None),  # the name lies about the content
        ("scan.png", PDF, None),
        ("notes.txt", b"hello", None),
        ("evil.html", b"<html>", None),
    ],
)
def test_document_kind(name: str, head: bytes, kind: str | None) -> None:
    assert document_kind(name, head) == kind


def test_upload_errors() -> None:
    assert upload_error("form16.pdf", PDF, 1000) is None
    assert upload_error("form16.pdf", PDF, 5 * 1024 * 1024) is None
    too_big = upload_error("form16.pdf", PDF, 5 * 1024 * 1024 + 1)
    assert too_big is not None and "larger than 5 MB" in too_big
    wrong = upload_error("notes.txt", b"hello", 5)
    assert wrong is not None and "PDF, JPEG or PNG" in wrong
    empty = upload_error("form16.pdf", b"", 0)
    assert empty is not None and "empty" in empty


def test_safe_name() -> None:
    assert safe_name("C:\\Users\\me\\form16.pdf") == "form16.pdf"
    assert safe_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_name("a\x00b\nc.pdf") == "abc.pdf"
    assert safe_name("") == "document"
    long = safe_name("x" * 300 + ".pdf")
    assert len(long) <= 100 and long.endswith(".pdf")


def test_format_size() -> None:
    assert format_size(15) == "15 bytes"
    assert format_size(2048) == "2 KB"
    assert format_size(3 * 1024 * 1024) == "3.0 MB"
