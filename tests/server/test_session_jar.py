"""The session's cookie jar as the continuation point uses it: cookies copied in from a
Cookie header, the baseline, deletions, and copies that turn out to be guesses."""

from __future__ import annotations

import pytest
from yarl import URL

from cobrowse.server.upstream import SessionCookieJar

SITE = URL("https://efiling.example.gov.in/")


@pytest.fixture
async def jar() -> SessionCookieJar:
    return SessionCookieJar(unsafe=True)


def names(jar: SessionCookieJar) -> dict[str, tuple[str, bool, bool]]:
    return {c.name: (c.domain, c.host_only, c.httponly) for c in jar.records()}


async def test_copied_in_cookies_are_host_only_and_httponly_unless_visible(
    jar: SessionCookieJar,
) -> None:
    count = jar.import_cookies([("sid", "s1"), ("pref", "dark")], url=SITE, script_visible={"pref"})
    assert count == 2
    assert names(jar) == {
        "sid": ("efiling.example.gov.in", True, True),
        "pref": ("efiling.example.gov.in", True, False),
    }
    assert [c.name for c in jar.baselines["efiling.example.gov.in"]] == ["sid", "pref"]
    sent = jar.filter_cookies(URL("https://efiling.example.gov.in/itr"))
    assert {k: v.value for k, v in sent.items()} == {"sid": "s1", "pref": "dark"}
    assert not jar.filter_cookies(URL("https://other.example.gov.in/"))


async def test_values_come_through_byte_for_byte(jar: SessionCookieJar) -> None:
    jar.import_cookies([("j", '"quoted"'), ("e", "a=b==")], url=SITE, script_visible=set())
    sent = jar.filter_cookies(SITE)
    assert {k: v.coded_value for k, v in sent.items()} == {"j": '"quoted"', "e": "a=b=="}


async def test_a_domain_cookie_of_the_same_name_replaces_the_guess(jar: SessionCookieJar) -> None:
    jar.import_cookies([("sid", "old")], url=SITE, script_visible=set())
    jar.update_cookies_from_headers(
        ["sid=new; Domain=example.gov.in; Path=/; HttpOnly"], SITE.join(URL("/login"))
    )
    assert names(jar) == {"sid": ("example.gov.in", False, True)}
    sent = jar.filter_cookies(SITE)
    assert sent["sid"].value == "new"


async def test_deletions_keep_the_identity_the_site_named(jar: SessionCookieJar) -> None:
    jar.import_cookies([("sid", "old"), ("pref", "x")], url=SITE, script_visible={"pref"})
    jar.update_cookies_from_headers(
        [
            "sid=; Domain=example.gov.in; Path=/; Max-Age=0",
            "pref=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ],
        SITE,
    )
    assert names(jar) == {}  # the guessed copy of sid went with the Domain deletion
    gone = {(c.name, c.domain, c.host_only, c.path) for c in jar.deleted}
    assert gone == {
        ("sid", "example.gov.in", False, "/"),
        ("pref", "efiling.example.gov.in", True, "/"),
    }


async def test_a_script_s_deletion_is_recorded_too(jar: SessionCookieJar) -> None:
    from http.cookies import SimpleCookie

    jar.import_cookies([("pref", "x")], url=SITE, script_visible={"pref"})
    cookie: SimpleCookie = SimpleCookie()
    cookie.load("pref=; Max-Age=0; Path=/")
    jar.update_cookies(cookie, SITE.join(URL("/settings/page")))
    assert names(jar) == {}
    assert [(c.name, c.path) for c in jar.deleted] == [("pref", "/")]
