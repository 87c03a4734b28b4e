"""The page's cookies at the proxy (server/proxy_cookies.py, core/page_cookies.py): the
mirror of the jar's script-visible cookies set on credentialed responses, and the
writes a request carries applied to the jar before it is forwarded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from cobrowse.core.page_cookies import decode_mirror, escape_write
from tests.server.conftest import Server
from tests.server.test_proxy import LOAD, NAV, Overlay, config_of, open_overlay

ATTRS = ("Path=/", "Secure", "SameSite=None", "Partitioned")


def set_cookies(r: Any) -> dict[str, str]:
    """name -> the whole Set-Cookie line, of a response."""
    return {v.split("=", 1)[0]: v for v in r.headers.get_list("set-cookie")}


def carried(r: Any) -> dict[str, str]:
    """The native cookies a browser keeps after `r` (name -> value; removed ones gone)."""
    out = {}
    for name, line in set_cookies(r).items():
        if "Max-Age=0" not in line:
            out[name] = line.split(";", 1)[0].split("=", 1)[1]
    return out


def mirror_of(r: Any) -> dict[str, str]:
    entries = decode_mirror(carried(r))
    assert entries is not None, r.headers.get_list("set-cookie")
    return {e.name: e.value for e in entries}


def write(seq: int, text: str, path: str = "/") -> str:
    """A write cookie as the runtime records it; TOKEN stands for the host's token."""
    return f"__cobrowse_w{seq}_ab12=TOKEN|{escape_write(path)}|{escape_write(text)}"


class Browser:
    """The overlay's requests with the native cookies a browser would hold."""

    def __init__(self, ov: Overlay) -> None:
        self.ov = ov
        self.native: dict[str, str] = {}
        self.token = config_of(ov.get("/", headers=NAV).text)["cookie_token"]

    def sub(self, cookie: str) -> str:
        return cookie.replace("TOKEN", self.token)

    def get(self, path: str, *extra: str, nav: bool = False) -> Any:
        mine = [f"{k}={v}" for k, v in self.native.items()]
        cookies = [f"cobrowse_proxy={self.ov.cookie}", *mine]
        extra = tuple(self.sub(c) for c in extra)
        headers = {"Cookie": "; ".join([*cookies, *extra]), **(NAV if nav else LOAD)}
        r = self.ov.server.client.get(self.ov.origin + path, headers=headers)
        for name, line in set_cookies(r).items():
            if "Max-Age=0" in line:
                self.native.pop(name, None)
            else:
                self.native[name] = line.split(";", 1)[0].split("=", 1)[1]
        return r


@pytest.fixture
def browser(proxy_server: Server, stack: ExitStack, upstream: str) -> Iterator[Browser]:
    yield Browser(open_overlay(proxy_server, stack, upstream))


def test_responses_mirror_the_script_visible_cookies(browser: Browser) -> None:
    r = browser.get("/set-cookie")
    lines = set_cookies(r)
    assert set(lines) == {"__cobrowse_js0"}  # never an upstream cookie natively
    for part in ATTRS:
        assert part in lines["__cobrowse_js0"]
    assert "HttpOnly" not in lines["__cobrowse_js0"]  # the runtime reads it
    assert mirror_of(r) == {"pref": "dark"}  # HttpOnly sid stays on the server
    # The browser has it now: no Set-Cookie again until the jar changes.
    assert "set-cookie" not in browser.get("/echo").headers
    r = browser.get("/forget")
    assert mirror_of(r) == {}
    # The page itself gets the mirror with its own response too.
    assert "__cobrowse_js0" in set_cookies(browser.ov.get("/", headers=NAV))


def test_a_write_reaches_the_request_it_came_with(browser: Browser) -> None:
    browser.get("/set-cookie")
    r = browser.get("/echo", write(1, "theme=blue; Path=/"), write(2, "late=1; Max-Age=60"))
    seen = r.json()["cookies"]
    assert seen == {"sid": "secret-session", "pref": "dark", "theme": "blue", "late": "1"}
    lines = set_cookies(r)
    assert "Max-Age=0" in lines["__cobrowse_w1_ab12"] and "Max-Age=0" in lines["__cobrowse_w2_ab12"]
    assert "Partitioned" in lines["__cobrowse_w1_ab12"]
    assert mirror_of(r) == {"pref": "dark", "theme": "blue", "late": "1"}
    # Writes apply in order; deleting works; the config snapshot agrees.
    r = browser.get("/echo", write(3, "theme=red; Path=/"), write(4, "late=; Max-Age=0; Path=/"))
    assert r.json()["cookies"] == {"sid": "secret-session", "pref": "dark", "theme": "red"}
    page = browser.ov.get("/", headers=NAV)
    assert config_of(page.text)["cookies"] == "pref=dark; theme=red"


def test_a_write_is_applied_once(browser: Browser) -> None:
    """Two requests in flight carry the same write; the later write wins whatever order
    the server sees them in."""
    first = write(1, "v=1; Path=/")
    browser.get("/echo", first, write(2, "v=2; Path=/"))
    r = browser.get("/echo", first)  # the replay of the older request
    assert r.json()["cookies"]["v"] == "2"
    assert "Max-Age=0" in set_cookies(r)["__cobrowse_w1_ab12"]


@pytest.mark.parametrize(
    ("cookie", "why"),
    [
        (write(1, "h=1; Path=/; HttpOnly"), "HttpOnly from script"),
        (write(1, "sid=stolen; Path=/"), "over an HttpOnly cookie"),
        (write(1, "sid=; Path=/; Max-Age=0"), "deleting an HttpOnly cookie"),
        (write(1, "d=1; Domain=example.com"), "a foreign Domain"),
        (write(1, "__Host-x=1; Path=/"), "__Host- without Secure"),
        (write(1, "bad name=1"), "not a cookie name"),
        (write(1, "__cobrowse_js0=forged"), "our own name"),
        (write(1, "x=" + "y" * 5000), "too long"),
        ("__cobrowse_w1_ab12=TOKEN|%2F|%FF%FE", "not UTF-8"),
        ("__cobrowse_w1_ab12=TOKEN|no-bar", "no path"),
        ("__cobrowse_w1_ab12=TOKEN|relative|a%3D1", "a relative path"),
        ("__cobrowse_wx_ab12=TOKEN|%2F|a%3D1", "a bad name"),
        ("__cobrowse_w1_AB=TOKEN|%2F|a%3D1", "a bad id"),
        ("__cobrowse_w1_ab12=%2F|a%3D1", "no token"),
        ("__cobrowse_w1_ab12=0123456789abcdef01234567|%2F|a%3D1", "another host's token"),
    ],
)
def test_forged_writes_change_nothing(browser: Browser, cookie: str, why: str) -> None:
    browser.get("/set-cookie")
    r = browser.get("/echo", cookie)
    assert r.status_code == 200, why
    assert r.json()["cookies"] == {"sid": "secret-session", "pref": "dark"}, why
    name = cookie.split("=", 1)[0]
    assert "Max-Age=0" in set_cookies(r)[name], why  # cleared: never read again
    assert browser.get("/echo").json()["cookies"] == {"sid": "secret-session", "pref": "dark"}


def test_many_writes_are_bounded(browser: Browser) -> None:
    writes = [write(i, f"c{i}=1; Path=/") for i in range(100)]
    r = browser.get("/echo", *writes)
    assert len(r.json()["cookies"]) == 64  # MAX_WRITES
    assert all("Max-Age=0" in set_cookies(r)[w.split("=", 1)[0]] for w in writes)


def test_without_the_credential_nothing_is_applied_or_mirrored(
    browser: Browser, proxy_server: Server
) -> None:
    browser.get("/set-cookie")
    r = proxy_server.client.get(
        browser.ov.origin + "/echo", headers={"Cookie": write(1, "x=1; Path=/"), **LOAD}
    )
    assert r.json()["cookies"] == {} and "set-cookie" not in r.headers  # TOKEN unread
    assert "x" not in browser.get("/echo").json()["cookies"]


def test_the_post_fallback(browser: Browser) -> None:
    ov = browser.ov
    first = {"cookie": "big=1; Path=/", "path": "/a/b", "name": "n1"}
    r = ov.post("/__cobrowse/cookie", json=first)
    assert r.status_code == 204 and mirror_of(r) == {"big": "1"}
    ov.post("/__cobrowse/cookie", json={"cookie": "big=2; Path=/", "path": "/"})
    # The same write again (a retry) is not applied twice.
    ov.post("/__cobrowse/cookie", json=first)
    assert ov.get("/echo").json()["cookies"]["big"] == "2"
    r = ov.post("/__cobrowse/cookie", json={"cookie": "h=1; HttpOnly", "path": "/"})
    assert r.status_code == 400 and "HttpOnly" in r.text
    assert ov.post("/__cobrowse/cookie", content=b"[1]").status_code == 400
    assert "h" not in ov.get("/echo").json()["cookies"]


def test_a_write_posted_at_pagehide_is_applied_once(browser: Browser) -> None:
    """The runtime posts a write still waiting when the page goes, under its cookie's
    name; a request that carried the same write as well does not apply it again."""
    pending = write(5, "last=1; Path=/")
    name = pending.split("=", 1)[0]
    cookie = f"cobrowse_proxy={browser.ov.cookie}; {browser.sub(pending)}"
    r = browser.ov.post(
        "/__cobrowse/cookie",
        json={"cookie": "last=1; Path=/", "path": "/", "name": name},
        headers={"Cookie": cookie},
    )
    assert r.status_code == 204 and "Max-Age=0" in set_cookies(r)[name]
    browser.get("/echo", write(6, "last=2; Path=/"))
    assert browser.get("/echo", pending).json()["cookies"]["last"] == "2"
