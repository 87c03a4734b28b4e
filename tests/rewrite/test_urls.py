"""URL mapping between upstream and proxy origins."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrowse.rewrite.urls import (
    _RELATIVE,
    _clean,
    _plain,
    _rewrite_parsed,
    _split,
    origin_of,
    rewrite_refresh,
    rewrite_url,
    unrewrite_url,
)
from tests.rewrite.urlmap import PROXY_ORIGINS, URL_MAP, session_map, url_map

PA = "http://pa.cobrowse.localhost:8000"
PB = "http://pb.cobrowse.localhost:8000"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://portal.example.gov.in/itr/form?x=1#top", f"{PA}/itr/form?x=1#top"),
        ("https://cdn.example.gov.in/a.png", f"{PB}/a.png"),
        ("https://portal.example.gov.in", PA),
        ("https://portal.example.gov.in?q", f"{PA}?q"),
        ("https://portal.example.gov.in#f", f"{PA}#f"),
        ("HTTPS://Portal.Example.GOV.IN/Keep/Case", f"{PA}/Keep/Case"),
        ("https://portal.example.gov.in:443/x", f"{PA}/x"),
        ("https://portal.example.gov.in:0443/x", f"{PA}/x"),
        ("https://portal.example.gov.in./x", f"{PA}/x"),
        ("//cdn.example.gov.in/x", f"{PB}/x"),
        ("\\\\cdn.example.gov.in\\x", f"{PB}\\x"),
        ("https:///portal.example.gov.in/x", f"{PA}/x"),
        ("  https://portal.example.gov.in/x \n", f"{PA}/x"),
        ("\x01https://portal.example.gov.in/x", f"{PA}/x"),
        ("ht\ttps://portal.exa\nmple.gov.in/x", f"{PA}/x"),
        ("https://u:p@portal.example.gov.in/x", "http://u:p@pa.cobrowse.localhost:8000/x"),
        # path, query and fragment byte for byte, odd characters included
        ("https://portal.example.gov.in/a%20b/ü?q=1&r=%zz#x y", f"{PA}/a%20b/ü?q=1&r=%zz#x y"),
    ],
)
def test_mapped_urls_are_rewritten(url: str, expected: str) -> None:
    assert rewrite_url(url, URL_MAP) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/root",
        "relative/path",
        "../up",
        "#frag",
        "?q=1",
        "",
        "   ",
        "data:text/plain,hi",
        "blob:https://portal.example.gov.in/1",
        "javascript:location='https://portal.example.gov.in/'",
        "mailto:a@portal.example.gov.in",
        "tel:+91",
        "about:blank",
        "ftp://portal.example.gov.in/f",
        "wss://portal.example.gov.in/socket",
        "http://portal.example.gov.in/other-scheme",
        "https://portal.example.gov.in:8443/other-port",
        "https://portal.example.gov.in.evil.example/suffix",
        "https://evil.example/https://portal.example.gov.in/",
        "https://evil.example@portal.example.gov.in.evil.example/",
        "https://[::1]/v6",
        "https://portal.example.gov.in:99999/bad-port",
        "https://por tal.example.gov.in/space-in-host",
        "//",
        "https://",
        "http://[::1/unclosed",
    ],
)
def test_other_urls_are_unchanged(url: str) -> None:
    assert rewrite_url(url, URL_MAP) == url


def test_userinfo_does_not_decide_the_origin() -> None:
    url = "https://cdn.example.gov.in@portal.example.gov.in/x"
    assert rewrite_url(url, URL_MAP) == "http://cdn.example.gov.in@pa.cobrowse.localhost:8000/x"


def test_protocol_relative_takes_the_base_scheme() -> None:
    http_base = url_map("http://portal.example.gov.in/")
    assert rewrite_url("//cdn.example.gov.in/x", http_base) == "//cdn.example.gov.in/x"
    assert rewrite_url("https:cdn.example.gov.in/x", http_base) == f"{PB}/x"


def test_non_ascii_hosts_are_compared_in_punycode() -> None:
    m = url_map()
    mapped = {"https://xn--m1b4azef.example": "http://pc.cobrowse.localhost:8000"}
    m = type(m)(base=m.base, proxy_origin_of=mapped.get, upstream_origin_of=lambda _: None)
    assert rewrite_url("https://आयकर.example/x", m) == "http://pc.cobrowse.localhost:8000/x"


def test_unrewrite() -> None:
    assert unrewrite_url(f"{PA}/itr?x=1#f", URL_MAP) == "https://portal.example.gov.in/itr?x=1#f"
    assert unrewrite_url(f"{PB}", URL_MAP) == "https://cdn.example.gov.in"
    assert (
        unrewrite_url("http://other.localhost:8000/x", URL_MAP) == "http://other.localhost:8000/x"
    )
    assert unrewrite_url("/relative", URL_MAP) == "/relative"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Portal.Example.gov.in:443/x?y#z", "https://portal.example.gov.in"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://localhost:80/", "http://localhost"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("//no-scheme.example/", None),
        ("/relative", None),
        ("ftp://x.example/", None),
        ("https://", None),
        ("not a url", None),
    ],
)
def test_origin_of(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("5; url=https://portal.example.gov.in/next", f"5; url={PA}/next"),
        ("0;URL='https://cdn.example.gov.in/x' ", f"0;URL='{PB}/x' "),
        ('3, url = "https://portal.example.gov.in/q" tail', f'3, url = "{PA}/q" tail'),
        ("0; https://portal.example.gov.in/bare", f"0; {PA}/bare"),
        ("10", "10"),
        ("1; url=/relative", "1; url=/relative"),
        ("1; url=https://www.example.org/", "1; url=https://www.example.org/"),
    ],
)
def test_rewrite_refresh(content: str, expected: str) -> None:
    assert rewrite_refresh(content, URL_MAP) == expected


_mapped_origins = st.sampled_from(sorted(PROXY_ORIGINS))
_tails = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"),
    max_size=40,
).filter(lambda t: not t or t[0] in "/?#")


@given(origin=_mapped_origins, tail=_tails)
def test_unrewrite_undoes_rewrite(origin: str, tail: str) -> None:
    url = origin + tail
    if url != url.strip("".join(chr(i) for i in range(0x21))):
        return  # surrounding controls are trimmed on the way, by design
    proxied = rewrite_url(url, URL_MAP)
    assert proxied != url
    assert unrewrite_url(proxied, URL_MAP) == url


@given(st.text(max_size=200))
@settings(max_examples=300)
def test_never_raises_and_unmapped_is_identity(text: str) -> None:
    assert isinstance(rewrite_url(text, URL_MAP), str)
    assert isinstance(unrewrite_url(text, URL_MAP), str)
    origin_of(text)
    unmapped = url_map()
    unmapped = type(unmapped)(
        base=unmapped.base, proxy_origin_of=lambda _: None, upstream_origin_of=lambda _: None
    )
    assert rewrite_url(text, unmapped) == text
    assert unrewrite_url(text, unmapped) == text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https:relative-for-an-https-base", "relative-for-an-https-base"),
        (" HTTPS:x?q#f", "x?q#f"),
        ("https:", ""),
        ("http:x", "http:x"),  # another scheme than the page's: absolute, not ours
    ],
)
def test_a_redundant_scheme_is_dropped_from_a_relative_url(url: str, expected: str) -> None:
    """`https:x` on an https page is the relative URL `x`; a proxied page may be http, where
    a browser reads `https:x` as `https://x`, past the proxy. Found by fuzzing."""
    assert rewrite_url(url, URL_MAP) == expected


# --- loads and navigations, as a session maps them (tests/rewrite/urlmap.py) --------

GO = "/__cobrowse/go?url="


def test_a_load_gives_another_origin_a_host_and_a_navigation_only_looks() -> None:
    m = session_map(limit=2)
    # A navigation to an origin without a host goes through the go path: no host made.
    assert rewrite_url("https://evil.example/a?b#c", m, navigation=True) == (
        GO + "https%3A%2F%2Fevil.example%2Fa%3Fb%23c"
    )
    assert m.upstream_origin_of("http://pc.cobrowse.localhost:8000") is None
    # A load makes one; a navigation then uses it.
    assert rewrite_url("https://evil.example/x.png", m) == "http://pc.cobrowse.localhost:8000/x.png"
    assert rewrite_url("https://evil.example/", m, navigation=True) == (
        "http://pc.cobrowse.localhost:8000/"
    )
    # Allowed origins are mapped either way.
    assert rewrite_url("https://portal.example.gov.in/n", m, navigation=True) == f"{PA}/n"
    # Past the limit a load goes through the go path too.
    assert rewrite_url("//two.example/y", m) == "http://pd.cobrowse.localhost:8000/y"
    assert rewrite_url("https://three.example/z", m) == GO + "https%3A%2F%2Fthree.example%2Fz"


def test_a_go_url_keeps_the_query_bytes_the_page_s_encoding_gives() -> None:
    """The go path redirects to the URL it holds: from a windows-1252 page, the site
    then receives `?q=%E9`, as it does from the page itself."""
    m = dataclasses.replace(session_map(), encoding="windows-1252")
    assert rewrite_url("https://evil.example/é?q=é", m, navigation=True) == (
        GO + "https%3A%2F%2Fevil.example%2F%C3%A9%3Fq%3D%25E9"
    )
    assert rewrite_url("https://evil.example/é?q=é", session_map(), navigation=True) == (
        GO + "https%3A%2F%2Fevil.example%2F%C3%A9%3Fq%3D%C3%A9"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/relative",
        "x.png",
        "data:image/png;base64,AA==",
        "javascript:void(0)",
        "mailto:a@b.example",
        "wss://chat.example/",
        "http://pzz.cobrowse.localhost:8000/already-a-proxy-host",
        "https://[bad",
    ],
)
def test_what_is_not_an_absolute_url_of_another_site_stays(url: str) -> None:
    m = session_map()
    assert rewrite_url(url, m) == url
    assert rewrite_url(url, m, navigation=True) == url


def test_a_refresh_is_a_navigation() -> None:
    m = session_map()
    assert rewrite_refresh("0;url=https://evil.example/", m) == (
        "0;url=" + GO + "https%3A%2F%2Fevil.example%2F"
    )


_PLAIN_PARTS = st.tuples(
    st.sampled_from(["http", "https", "HTTP", "ftp", "http:", ""]),
    st.sampled_from(["://", ":/", ":///", "://u@", ":\\\\", "//"]),
    st.from_regex(r"[a-zA-Z0-9.\-_@\[\]:]{0,20}", fullmatch=True),
    st.sampled_from(["", ":", ":80", ":443", ":0080", ":8101", ":65535", ":65536", ":123456"]),
    st.text(alphabet="/?#\\@ a\t\n\r\x00é%:", max_size=12),
)


@given(_PLAIN_PARTS)
@settings(max_examples=500, deadline=None)
def test_the_fast_path_of_plain_urls_splits_them_as_the_full_parser_does(
    parts: tuple[str, str, str, str, str],
) -> None:
    url = "".join(parts)
    plain = _plain(url)
    if plain is not None:  # taken: the same pieces as the parser's
        assert plain == _split(_clean(url), "https")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8101/x",
        "https://cdn.example.gov.in",
        "https://cdn.example.gov.in:443/a?b#c",
        "http://cdn.example.gov.in:0080?q",
        "https://cdn.example.gov.in/a b",
    ],
)
def test_plain_urls_take_the_fast_path(url: str) -> None:
    assert _plain(url) == _split(_clean(url), "https")


_URL_STARTS = st.tuples(
    st.sampled_from(["", " ", "\x01", "\t"]),
    st.text(alphabet="/\\.#?:aZ09+-\t\n\r %&", max_size=6),
    st.sampled_from(
        ["", "x", "https:", "http://", "//cdn.example.gov.in/", "/cdn.example.gov.in/", ":"]
    ),
    st.text(max_size=8),
)


@given(_URL_STARTS, st.sampled_from(["https://portal.example.gov.in/p/", "http://x.test/"]))
@settings(max_examples=500, deadline=None)
def test_a_url_the_fast_path_calls_relative_is_kept_by_the_full_parser(
    parts: tuple[str, str, str, str], base: str
) -> None:
    url = "".join(parts)
    if _RELATIVE.match(url) is None:
        return
    m = type(URL_MAP)(
        base=base,
        proxy_origin_of=URL_MAP.proxy_origin_of,
        upstream_origin_of=URL_MAP.upstream_origin_of,
        fallback=lambda u: "http://go.test/?" + u,
    )
    assert _rewrite_parsed(url, m, m.proxy_origin_of) == url


@pytest.mark.parametrize(
    ("url", "relative"),
    [
        ("/img/a.png", True),
        ("../img/a.png", True),
        ("img/a.png", True),
        ("#top", True),
        ("?q=1", True),
        ("/", True),
        ("", False),
        ("//cdn.example.gov.in/x", False),
        ("/\\cdn.example.gov.in/x", False),
        ("/\t/cdn.example.gov.in/x", False),
        ("\\\\cdn.example.gov.in\\x", False),
        (" //cdn.example.gov.in/x", False),
        ("https:x", False),
        ("ht\ttps:x", False),
        ("data:x", False),
    ],
)
def test_which_urls_the_fast_path_calls_relative(url: str, relative: bool) -> None:
    assert (_RELATIVE.match(url) is not None) == relative
