"""Which files an agent may offer: by name and by content."""

from __future__ import annotations

import pytest

from cobrowse.core.files import DEFAULT_TYPES, FileRefused, check_offer, clean_name

PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n...."


@pytest.mark.parametrize(
    ("name", "data", "type_"),
    [
        ("Form-16 guide.pdf", PDF, "application/pdf"),
        ("photo.PNG", PNG, "image/png"),
        ("scan.jpeg", b"\xff\xd8\xff\xe0..", "image/jpeg"),
        ("steps.txt", "नमस्ते\nstep 1".encode(), "text/plain"),
        ("rates.csv", b"slab,rate\n0,0\n", "text/csv"),
    ],
)
def test_accepted_files(name: str, data: bytes, type_: str) -> None:
    checked = check_offer(name, data, allowed=DEFAULT_TYPES, max_bytes=1024)
    assert checked.type == type_ and checked.name == name


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("guide.pdf", b"MZ\x90\x00 not a pdf", "does not contain what its name says"),
        ("evil.exe", b"MZ", "only these files"),
        ("page.html", b"<script>", "only these files"),
        ("notes.txt", b"a\x00b", "not a text file"),
        ("notes.txt", b"\xff\xfe", "not UTF-8"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", PDF + b"x" * 2048, "larger than"),
    ],
)
def test_refused_files(name: str, data: bytes, why: str) -> None:
    with pytest.raises(FileRefused, match=why):
        check_offer(name, data, allowed=DEFAULT_TYPES, max_bytes=1024)


def test_only_configured_types() -> None:
    with pytest.raises(FileRefused, match=r"only these files can be offered: \.pdf"):
        check_offer("a.png", PNG, allowed=("application/pdf",), max_bytes=1024)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\me\\Form 16.pdf", "Form 16.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ('a"b<c>|d.pdf', "a_b_c_d.pdf"),
        ("\x00\x1f.pdf", "_.pdf"),
        ("...", "file"),
        ("x" * 300 + ".pdf", "x" * 120),
    ],
)
def test_clean_names(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean
