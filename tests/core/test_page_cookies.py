"""core/page_cookies.py: the mirror and the writes, as plain data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cobrowse.core.continuation import Cookie
from cobrowse.core.page_cookies import (
    CHUNK,
    MAX_CHUNKS,
    MirrorEntry,
    ScriptCookie,
    decode_mirror,
    encode_mirror,
    escape_write,
    is_secure_url,
    may_write,
    mirror_updates,
    native_cookies,
    parse_script_cookie,
    read_writes,
    visible_entries,
    write_token,
)

GOLDEN = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "cookies" / "golden.json").read_text()
)
NOW = 1_800_000_000.0
PAGE = "https://www.site.example/forms/apply/step1"


def entry(values: list[Any]) -> MirrorEntry:
    return MirrorEntry(*values)


@pytest.mark.parametrize("case", GOLDEN["mirror"], ids=lambda c: str(len(c["entries"])))
def test_the_mirror_golden(case: dict[str, Any]) -> None:
    entries = [entry(e) for e in case["entries"]]
    assert encode_mirror(entries) == case["cookies"]
    assert decode_mirror(case["cookies"]) == entries


@pytest.mark.parametrize("case", GOLDEN["writes"], ids=lambda c: c["text"][:12])
def test_the_writes_golden(case: dict[str, Any]) -> None:
    value = f"{case['token']}|{escape_write(case['path'])}|{escape_write(case['text'])}"
    assert value == case["value"]
    writes, refused = read_writes({"__cobrowse_w1_a": case["value"]}, token=case["token"])
    assert refused == [] and [(w.path, w.text) for w in writes] == [(case["path"], case["text"])]


def test_the_mirror_is_chunked_and_bounded() -> None:
    big = [MirrorEntry(f"c{i}", "v" * 3000, "/", None, None, False, "") for i in range(30)]
    cookies = encode_mirror(big)
    assert 1 < len(cookies) <= MAX_CHUNKS
    assert all(len(k) + len(v) < 4096 for k, v in cookies.items())
    kept = decode_mirror(cookies)
    assert kept is not None and 0 < len(kept) < 30 and kept == big[: len(kept)]
    one = encode_mirror([MirrorEntry("c", "v" * 2000, "/", None, None, False, "")])
    assert len(one) == 1 and len(one["__cobrowse_js0"]) > CHUNK // 2


def test_a_mirror_of_two_payloads_or_garbage_is_not_read() -> None:
    a = encode_mirror(
        [MirrorEntry(f"a{i}", "x" * 3000, "/", None, None, False, "") for i in range(3)]
    )
    b = encode_mirror(
        [MirrorEntry(f"b{i}", "y" * 3000, "/", None, None, False, "") for i in range(3)]
    )
    assert decode_mirror({**a, "__cobrowse_js1": b["__cobrowse_js1"]}) is None
    assert decode_mirror({k: v for k, v in a.items() if k != "__cobrowse_js2"}) is None
    assert decode_mirror({}) is None
    assert decode_mirror({"__cobrowse_js0": "x.1.!!!"}) is None
    assert decode_mirror({"__cobrowse_js0": "x.1.e30"}) is None  # {} is not a list


def cookie(name: str, **kw: Any) -> Cookie:
    base: dict[str, Any] = {"value": "v", "domain": "www.site.example", "host_only": True}
    return Cookie(name=name, **{**base, **kw})


def test_visible_entries_are_what_a_script_may_read() -> None:
    jar = [
        cookie("plain"),
        cookie("deep", path="/forms/apply"),
        cookie("h", httponly=True),
        cookie("s", secure=True, samesite="Strict"),
        cookie("gone", expires=NOW - 1),
        cookie("later", expires=NOW + 60.5),
        cookie("parent", domain="site.example", host_only=False),
        cookie("sibling", domain="api.site.example"),
    ]
    got = visible_entries(jar, url="https://www.site.example/", now=NOW)
    assert [e.name for e in got] == ["deep", "plain", "s", "later", "parent"]
    assert got[2] == MirrorEntry("s", "v", "/", None, None, True, "strict")
    assert got[3].expires == int((NOW + 60.5) * 1000)
    assert got[4].domain == "site.example"
    insecure = visible_entries(jar, url="http://www.site.example/", now=NOW)
    assert "s" not in [e.name for e in insecure]


def test_secure_contexts() -> None:
    assert is_secure_url("https://a.example/")
    assert is_secure_url("http://localhost:8000/") and is_secure_url("http://x.localhost/")
    assert is_secure_url("http://127.0.0.1:5000/") and is_secure_url("http://[::1]:80/")
    assert not is_secure_url("http://a.example/") and not is_secure_url("http://127.example/")


def test_mirror_updates_send_only_what_changed() -> None:
    desired = {"__cobrowse_js0": "g.1.W10"}
    assert mirror_updates(desired, desired) == []
    lines = mirror_updates({}, desired, clear=["__cobrowse_w1_a"])
    assert lines == [
        "__cobrowse_js0=g.1.W10; Path=/; Secure; SameSite=None; Partitioned",
        "__cobrowse_w1_a=; Max-Age=0; Path=/; Secure; SameSite=None; Partitioned",
    ]
    stale = {"__cobrowse_js0": "h.2.x", "__cobrowse_js1": "h.2.y"}
    assert mirror_updates(stale, desired)[1].startswith("__cobrowse_js1=; Max-Age=0")


def test_native_cookies_are_read_leniently() -> None:
    got = native_cookies(
        ['cobrowse_proxy=abc; a="b;c; __cobrowse_js0=g.1.W10; __cobrowse_js0=older; x', "y=1"]
    )
    assert got == {"__cobrowse_js0": "g.1.W10"}


def test_read_writes_orders_and_refuses() -> None:
    native = {
        "__cobrowse_w10_b": "t1|%2F|b%3D1",
        "__cobrowse_w2_a": "t1|%2F|a%3D1",
        "__cobrowse_w3_c": "no-bar",
        "__cobrowse_w4_d": "t2|%2F|d%3D1",
        "__cobrowse_js0": "g.1.W10",
        "__cobrowse_wnope": "t1|%2F|x",
    }
    writes, refused = read_writes(native, token="t1")
    assert [(w.seq, w.text) for w in writes] == [(2, "a=1"), (10, "b=1")]
    assert {r.cookie_name: r.reason for r in refused} == {
        "__cobrowse_w3_c": "not this host's write token",
        "__cobrowse_w4_d": "not this host's write token",
        "__cobrowse_wnope": "not a write cookie's name",
    }


def test_write_tokens_are_per_host() -> None:
    a = write_token(b"k", session_id="s1", label="pa")
    assert a == write_token(b"k", session_id="s1", label="pa") and len(a) == 24
    assert a != write_token(b"k", session_id="s1", label="pb")
    assert a != write_token(b"k", session_id="s2", label="pa")
    assert a != write_token(b"other", session_id="s1", label="pa")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1", ScriptCookie("a", "1", None, "/forms/apply", None, False, "")),
        (
            " a = x y ; Path=/; SameSite=lax",
            ScriptCookie("a", "x y", None, "/", None, False, "Lax"),
        ),
        ("a=1; Max-Age=60", ScriptCookie("a", "1", None, "/forms/apply", 60, False, "")),
        ("a=1; Max-Age=-5", ScriptCookie("a", "1", None, "/forms/apply", -1, False, "")),
        (
            "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ScriptCookie("a", "1", None, "/forms/apply", -1, False, ""),
        ),
        (
            "a=1; Expires=Fri, 15 Jan 2027 08:00:00 GMT; Max-Age=5",
            ScriptCookie("a", "1", None, "/forms/apply", 5, False, ""),
        ),
        (
            "a=1; Domain=.Site.Example; Secure",
            ScriptCookie("a", "1", "site.example", "/forms/apply", None, True, ""),
        ),
        (
            "a=1; Domain=www.site.example",
            ScriptCookie("a", "1", "www.site.example", "/forms/apply", None, False, ""),
        ),
        ("a=1; Path=relative", ScriptCookie("a", "1", None, "/forms/apply", None, False, "")),
        ("__Host-a=1; Secure; Path=/", ScriptCookie("__Host-a", "1", None, "/", None, True, "")),
        ("a=1; HttpOnly", "HttpOnly"),
        ("a=1; Domain=example.com", "Domain does not match the page"),
        ("a=1; Domain=evilsite.example", "Domain does not match the page"),
        ("a=1; Domain=example", "Domain does not match the page"),
        ("__Secure-a=1", "__Secure- without Secure"),
        ("__Host-a=1; Secure; Path=/x", "__Host- needs Secure, Path=/ and no Domain"),
        (
            "__Host-a=1; Secure; Path=/; Domain=site.example",
            "__Host- needs Secure, Path=/ and no Domain",
        ),
        ("flag", "no name"),
        ("=v", "no name"),
        ("a b=1", "not a cookie name"),
        ("__cobrowse_js0=1", "not a cookie name"),
        ("a=1\nb=2", "control characters"),
        ("a=" + "x" * 4096, "longer than 4096"),
    ],
)
def test_parse_script_cookie(text: str, expected: ScriptCookie | str) -> None:
    assert parse_script_cookie(text, page_url=PAGE, now=NOW) == expected


def test_secure_and_ip_pages() -> None:
    assert parse_script_cookie("a=1; Secure", page_url="http://a.example/", now=NOW) == (
        "Secure on an insecure page"
    )
    ok = parse_script_cookie("a=1; Secure", page_url="http://127.0.0.1:8/", now=NOW)
    assert isinstance(ok, ScriptCookie) and ok.secure
    ip = parse_script_cookie("a=1; Domain=127.0.0.1", page_url="http://127.0.0.1:8/", now=NOW)
    assert isinstance(ip, ScriptCookie) and ip.domain is None
    assert parse_script_cookie("a=1; Domain=0.0.1", page_url="http://127.0.0.1/", now=NOW) == (
        "Domain does not match the page"
    )


def test_a_script_never_touches_an_httponly_cookie() -> None:
    jar = [cookie("sid", httponly=True, path="/"), cookie("open")]
    write = parse_script_cookie("sid=x; Path=/", page_url=PAGE, now=NOW)
    assert isinstance(write, ScriptCookie)
    assert may_write(write, jar, host="www.site.example") == "an HttpOnly cookie of that name"
    parent = parse_script_cookie("sid=x; Path=/; Domain=site.example", page_url=PAGE, now=NOW)
    assert isinstance(parent, ScriptCookie)
    assert may_write(parent, jar, host="www.site.example") is not None
    other_path = parse_script_cookie("sid=x; Path=/forms", page_url=PAGE, now=NOW)
    assert isinstance(other_path, ScriptCookie)
    assert may_write(other_path, jar, host="www.site.example") is None
    plain = parse_script_cookie("open=2; Path=/", page_url=PAGE, now=NOW)
    assert (
        isinstance(plain, ScriptCookie) and may_write(plain, jar, host="www.site.example") is None
    )
