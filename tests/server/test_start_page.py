"""The /start page in English and Hindi: the `lang` parameter, else Accept-Language."""

from __future__ import annotations

import httpx
import pytest

from tests.server.conftest import SITE, Server


def get(
    server: Server, *, lang: str | None = None, accept: str | None = None, url: str = SITE + "/"
) -> httpx.Response:
    params = {"url": url} | ({"lang": lang} if lang is not None else {})
    headers = {"Accept-Language": accept} if accept is not None else {}
    return server.client.get("/start", params=params, headers=headers)


def test_english_by_default(server: Server) -> None:
    r = get(server)
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
    assert "<h1>Co-browse with the helpdesk</h1>" in r.text
    assert "Press <strong>Co-browse</strong>" in r.text
    assert r.headers["content-language"] == "en"
    # The switch offers Hindi, named in Hindi, keeping the URL.
    assert 'lang="hi" hreflang="hi">हिन्दी</a>' in r.text
    assert "lang=hi" in r.text and "url=http%3A%2F%2Fportal.test%3A8001%2F" in r.text


@pytest.mark.parametrize("accept", ["hi-IN,hi;q=0.9,en;q=0.8", "fr, hi;q=0.5"])
def test_hindi_from_the_browser(server: Server, accept: str) -> None:
    r = get(server, accept=accept)
    assert '<html lang="hi">' in r.text
    assert "<h1>हेल्पडेस्क के साथ ब्राउज़ करें</h1>" in r.text
    assert "पृष्ठ" in r.text and "पेज" not in r.text and "सह-ब्राउज़िंग" not in r.text
    assert 'lang="en" hreflang="en">English</a>' in r.text
    assert r.headers["content-language"] == "hi"
    assert "Accept-Language" in r.headers["vary"]


def test_the_parameter_wins(server: Server) -> None:
    assert '<html lang="en">' in get(server, lang="en", accept="hi-IN").text
    assert '<html lang="hi">' in get(server, lang="hi", accept="en-US").text
    assert '<html lang="en">' in get(server, lang="xx").text  # unknown: as if not given


def test_a_refused_address_in_hindi(server: Server) -> None:
    r = get(server, lang="hi", url="https://evil.test/")
    assert r.status_code == 400
    assert "<html lang=hi>" in r.text
    assert "इस पते पर साथ में ब्राउज़िंग नहीं हो सकती" in r.text
    assert "https://evil.test/ अनुमत साइट नहीं है।" in r.text


def test_the_url_is_escaped_in_both_languages(server: Server) -> None:
    url = SITE + '/?q="><script>alert(1)</script>'
    for lang in ("en", "hi"):
        r = get(server, lang=lang, url=url)
        assert r.status_code == 200
        assert "<script>alert(1)" not in r.text
