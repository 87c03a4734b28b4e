"""Which encoding a page or stylesheet is decoded with: the WHATWG order and table."""

from __future__ import annotations

import pytest

from cobrowse.rewrite.encoding import (
    LABELS,
    css_encoding,
    decode,
    encode,
    encoded_document,
    get_encoding,
    html_encoding,
    prescan,
    query_encoded,
    served_encoding,
    utf8_charset_rule,
    utf8_declared,
)
from cobrowse.rewrite.html import rewrite_html
from tests.rewrite.urlmap import PROXY_ORIGINS, URL_MAP

PROXY = PROXY_ORIGINS["https://portal.example.gov.in"]


def test_bom_beats_header_beats_meta() -> None:
    meta = b"<meta charset=koi8-r>"
    assert html_encoding(b"\xef\xbb\xbf" + meta, "text/html; charset=latin1") == "utf-8"
    assert html_encoding(b"\xff\xfe" + meta, "text/html; charset=utf-8") == "utf-16le"
    assert html_encoding(b"\xfe\xff" + meta, "text/html") == "utf-16be"
    assert html_encoding(meta, "text/html; charset=latin1") == "windows-1252"
    assert html_encoding(meta, 'text/html; charset="Shift_JIS"') == "shift_jis"
    assert html_encoding(meta, "text/html") == "koi8-r"
    # A header label the table does not know is no label: the meta decides.
    assert html_encoding(meta, "text/html; charset=klingon") == "koi8-r"


@pytest.mark.parametrize("label", ["ascii", "latin1", "iso-8859-1", "us-ascii", " ASCII\t"])
def test_latin_labels_are_windows_1252(label: str) -> None:
    assert get_encoding(label) == "windows-1252"
    assert html_encoding(b"", f"text/html; charset={label.strip()}") == "windows-1252"
    assert prescan(f"<meta charset='{label.strip()}'>".encode()) == "windows-1252"


def test_the_table() -> None:
    assert get_encoding("unicode11utf8") == "utf-8"
    assert get_encoding("ucs-2") == "utf-16le"
    assert get_encoding("unicodefffe") == "utf-16be"
    assert get_encoding("iso-2022-kr") == "replacement"
    assert get_encoding("gb2312") == "gbk"
    assert get_encoding("utf-7") is None
    assert all(label == label.strip().lower() for label in LABELS)


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "unicode"])
def test_utf_16_in_a_meta_means_utf_8(label: str) -> None:
    assert prescan(f"<meta charset={label}>".encode()) == "utf-8"
    # In the header it is UTF-16 (whose bytes the page then has).
    assert html_encoding(b"x", f"text/html; charset={label}").startswith("utf-16")


def test_x_user_defined_in_a_meta_is_windows_1252() -> None:
    assert prescan(b"<meta charset=x-user-defined>") == "windows-1252"
    assert decode(b"a\x80\xff", "x-user-defined") == "a\uf780\uf7ff"


def test_replacement_encoding_shows_one_replacement_character() -> None:
    assert html_encoding(b"<p>x", "text/html; charset=iso-2022-kr") == "replacement"
    assert decode(b"<p>x", "replacement") == "\ufffd"
    assert decode(b"", "replacement") == ""


def test_unknown_meta_label_is_ignored() -> None:
    assert prescan(b"<meta charset=klingon><meta charset=koi8-r>") == "koi8-r"
    assert prescan(b"<meta charset=klingon>") is None


def test_meta_http_equiv_content() -> None:
    page = b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">'
    assert prescan(page) == "shift_jis"
    assert prescan(b"<meta content=\"text/html; charset='euc-kr'\" http-equiv=content-type>") == (
        "euc-kr"
    )
    # Without the pragma, content says nothing.
    assert prescan(b'<meta content="text/html; charset=Shift_JIS">') is None


def test_meta_in_a_comment_or_another_tag_is_ignored() -> None:
    assert prescan(b"<!-- <meta charset=koi8-r> --><meta charset=latin2>") == "iso-8859-2"
    assert prescan(b"<!--> <meta charset=koi8-r>") == "koi8-r"  # `<!-->` ends at once
    assert prescan(b'<p title="<meta charset=koi8-r>"><meta charset=latin2>') == "iso-8859-2"
    # `<?` runs to the first `>`: the one closing the meta.
    assert prescan(b"<!doctype html><?x <meta charset=koi8-r> ?>") is None
    assert prescan(b"<!doctype html><?x?><meta charset=koi8-r>") == "koi8-r"


def test_meta_after_1024_bytes_is_ignored() -> None:
    page = b"<!doctype html>" + b" " * (1024 - 15)
    assert prescan(page + b"<meta charset=koi8-r>") is None
    assert prescan(page[:-30] + b"<meta charset=koi8-r>") == "koi8-r"


def test_unlabeled_pages() -> None:
    assert html_encoding("<p>é".encode()) == "utf-8"
    assert html_encoding(b"<p>\xe9") == "windows-1252"


def test_css_order() -> None:
    assert css_encoding(b'\xef\xbb\xbf@charset "koi8-r";', "text/css; charset=latin1") == "utf-8"
    assert css_encoding(b'@charset "koi8-r";', "text/css; charset=latin1") == "windows-1252"
    assert css_encoding(b'@charset "koi8-r";', "text/css") == "koi8-r"
    assert css_encoding(b'@charset "utf-16";', "text/css") == "utf-8"
    assert css_encoding(b"@charset 'koi8-r';", "text/css", referrer="iso-8859-2") == "iso-8859-2"
    assert css_encoding(b"p{}", "text/css") == "utf-8"


def test_decode_drops_the_bom_and_maps_windows_1252_fully() -> None:
    assert decode(b"\xef\xbb\xbf\xc3\xa9", "windows-1252") == "é"
    assert decode(b"\xff\xfeh\x00i\x00", "utf-8") == "hi"
    assert decode(b"\x80\x81\xe9", "windows-1252") == "€\x81é"
    assert decode(b"\xff", "utf-8") == "\ufffd"


def test_the_served_declaration_says_utf_8() -> None:
    assert utf8_declared(b"<meta charset=latin1><p>") == b"<meta charset=utf-8><p>"
    page = b'<meta http-equiv=content-type content="text/html; charset=koi8-r">'
    assert utf8_declared(page) == page.replace(b"koi8-r", b"utf-8")
    assert prescan(utf8_declared(page)) == "utf-8"
    untouched = b"<!-- <meta charset=koi8-r> --><meta charset=klingon>"
    assert utf8_declared(untouched) == untouched


def test_the_served_charset_rule_says_utf_8() -> None:
    assert utf8_charset_rule(b'@charset "latin1"; p{}') == b'@charset "utf-8"; p{}'
    assert utf8_charset_rule(b'@charset "UTF-8"; p{}') == b'@charset "UTF-8"; p{}'
    ignored = b"@charset 'latin1'; p{}"  # not the form browsers read: ignored, kept
    assert utf8_charset_rule(ignored) == ignored
    assert utf8_charset_rule(b'p{} @charset "latin1";') == b'p{} @charset "latin1";'


# Encoding a rewritten page back into its own encoding.

ROUND_TRIPS = [
    ("windows-1252", "café € \x81\x8d\x8f\x90\x9d ÿ".encode("latin-1", "ignore")),
    ("windows-1252", bytes(range(256))),
    ("utf-8", "café ✓ 中 😀".encode()),
    ("utf-16le", "café ✓ 😀".encode("utf-16-le")),
    ("utf-16be", "café ✓ 😀".encode("utf-16-be")),
    ("x-user-defined", bytes(range(256))),
    ("shift_jis", "日本語 ｶﾅ".encode("cp932")),
    ("euc-jp", "日本語".encode("euc_jp")),
    ("iso-2022-jp", "<p>日本語</p> x".encode("iso2022_jp")),
    ("gbk", "中文 €".encode("gb18030")),
    ("big5", "中文".encode("big5")),
    ("euc-kr", "한국어".encode("cp949")),
    ("koi8-r", "привет".encode("koi8_r")),
    ("iso-8859-2", "zażółć".encode("iso8859_2")),
]


@pytest.mark.parametrize(("encoding", "data"), ROUND_TRIPS)
def test_decode_then_encode_gives_the_page_s_bytes_back(encoding: str, data: bytes) -> None:
    assert encode(decode(data, encoding), encoding) == data


def test_windows_1252_encodes_as_the_standard_has_it() -> None:
    # The euro sign is 0x80; the five bytes cp1252 leaves out are their C1 controls.
    assert encode("€ \x81 \x9d é", "windows-1252") == b"\x80 \x81 \x9d \xe9"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("windows-1252", b"caf\xe9 &#20013; &#128512;"),
        ("iso-8859-2", b"caf\xe9 &#20013; &#128512;"),
        ("x-user-defined", b"caf&#233; &#20013; &#128512;"),
        ("shift_jis", b"caf&#233; \x92\x86 &#128512;"),
        ("iso-2022-jp", b"caf&#233; \x1b$BCf\x1b(B &#128512;"),
        ("koi8-r", b"caf&#233; &#20013; &#128512;"),
    ],
)
def test_what_the_encoding_cannot_hold_becomes_a_character_reference(
    encoding: str, expected: bytes
) -> None:
    """What only URL rewriting can bring in (the page's own text was decoded from these
    bytes): in text and attribute values the parser reads the reference back as the
    character, so the page sees the same string."""
    assert encode("café 中 😀", encoding) == expected


def test_utf_16_references_are_utf_16_too() -> None:
    assert encode("a\ud800", "utf-16le") == "a&#55296;".encode("utf-16-le")
    assert encode("a\ud800", "utf-16be") == "a&#55296;".encode("utf-16-be")
    assert encode("a\ud800", "utf-8") == b"a&#55296;"


def test_the_replacement_encoding_is_served_as_utf_8() -> None:
    assert served_encoding("replacement") == "utf-8"
    assert served_encoding("shift_jis") == "shift_jis"
    assert encode("\ufffd", "replacement") == "\ufffd".encode()


def test_a_document_is_served_in_its_own_encoding_with_its_bom() -> None:
    page = "<meta charset=latin1><p>café"
    assert encoded_document(page, "windows-1252", page.encode("cp1252")) == (
        page.encode("cp1252"),
        "windows-1252",
    )
    original = b"\xff\xfe" + page.encode("utf-16-le")
    assert encoded_document(page, "utf-16le", original) == (original, "utf-16le")
    original = b"\xef\xbb\xbf" + page.encode()
    assert encoded_document(page, "utf-8", original) == (original, "utf-8")
    # Without a BOM, none is added; the page's declaration stays as it was.
    assert encoded_document(page, "utf-16be", b"") == (page.encode("utf-16-be"), "utf-16be")


def test_a_replacement_encoded_document_is_served_as_utf_8_that_says_so() -> None:
    assert encoded_document("<meta charset=iso-2022-kr>\ufffd", "replacement", b"") == (
        "<meta charset=utf-8>\ufffd".encode(),
        "utf-8",
    )


# What Chromium sends for a URL `/x?q=é中日本表 '"<>😀` a page in each encoding sets.
QUERY = "/x?q=\u00e9\u4e2d\u65e5\u672c\u8868 '\"<>\U0001f600#\u00e9"
SENT = {
    "windows-1252": "%E9%26%2320013%3B%26%2326085%3B%26%2326412%3B%26%2334920%3B",
    "shift_jis": "%26%23233%3B%92%86%93%FA%96{%95\\",
    "iso-2022-jp": "%26%23233%3B%1B$BCfF|K\\I=%1B(B",
    "gbk": "%A8%A6%D6%D0%C8%D5%B1%BE%B1%ED",
}


@pytest.mark.parametrize(("encoding", "sent"), SENT.items())
def test_a_query_is_encoded_as_chromium_sends_it(encoding: str, sent: str) -> None:
    # The ASCII stays as written (the browser encodes it the same in any encoding), and
    # so do the path and the fragment (UTF-8 in any encoding).
    assert query_encoded(QUERY, encoding) == f"/x?q={sent} '\"<>%26%23128512%3B#\u00e9"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16le", "utf-16be", "replacement"])
def test_a_query_in_utf_8_stays_as_written(encoding: str) -> None:
    assert query_encoded(QUERY, encoding) == QUERY


def test_only_the_query_is_encoded() -> None:
    assert query_encoded("https://a.example/é#?q=é", "windows-1252") == "https://a.example/é#?q=é"
    assert query_encoded("https://a.example/é?q=€\x81", "windows-1252") == (
        "https://a.example/é?q=%80%81"
    )
    assert query_encoded("/x?q=\uf780é", "x-user-defined") == "/x?q=%80%26%23233%3B"
    assert query_encoded("/x?q=a", "koi8-r") == "/x?q=a"


def test_a_rewritten_windows_1252_page_says_what_the_site_s_page_says() -> None:
    """A URL written with a reference to a character windows-1252 lacks is rewritten
    with the character itself; served, it is a reference again, which the parser reads
    back as the same character (the page's own bytes around it unchanged)."""
    page = b'<p>caf\xe9</p><a href="https://portal.example.gov.in/?q=&#20013;\xe9">\x80</a>'
    text = decode(page, html_encoding(page))
    out = rewrite_html(text, URL_MAP, inject="")
    assert "?q=中é" in out
    body, charset = encoded_document(out, "windows-1252", page)
    assert charset == "windows-1252"
    assert body == page.replace(b"https://portal.example.gov.in", PROXY.encode())
