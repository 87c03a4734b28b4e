"""The page shown for a navigation outside co-browsing."""

from __future__ import annotations

import html.parser

import pytest

from cobrowse.core.outside import OUTSIDE_TEXT, lang_of, outside_page


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))
        if tag == "html":
            self.lang = dict(attrs).get("lang")


def test_it_names_the_address_and_opens_it_outside_only_in_a_new_tab() -> None:
    url = 'https://evil.example/"><script>alert(1)</script>?a=1&b=2'
    page = outside_page(url, lang="en", inject="<script src=/r.js></script>")
    assert "<script>alert(1)" not in page
    assert "This page is outside co-browsing" in page
    parsed = _Links()
    parsed.feed(page)
    assert parsed.lang == "en"
    (link,) = parsed.links
    assert link["href"] == url  # exactly the address, decoded as a browser does
    assert link["target"] == "_blank"
    assert link["rel"] == "noopener noreferrer"
    assert "data-cobrowse-no-agent" in link  # only the visitor opens it
    # The runtime comes first in the head, after the charset.
    assert page.index('<meta charset="utf-8">') < page.index("<script src=/r.js>")
    assert page.index("<script src=/r.js>") < page.index("<title>")


def test_hindi_follows_the_browser_s_first_language() -> None:
    page = outside_page("https://x.example/", lang=lang_of("hi-IN,hi;q=0.9,en;q=0.5"))
    assert 'lang="hi"' in page and OUTSIDE_TEXT["hi"]["title"] in page
    assert OUTSIDE_TEXT["en"]["title"] not in page


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("hi", "hi"),
        ("HI_in", "hi"),
        (" hi-IN ;q=1", "hi"),
        ("en-IN,hi;q=0.9", "en"),
        ("ta-IN", "en"),
        ("", "en"),
        (None, "en"),
        ("hindi", "en"),
    ],
)
def test_lang_of(header: str | None, lang: str) -> None:
    assert lang_of(header) == lang


def test_both_languages_have_every_text() -> None:
    assert set(OUTSIDE_TEXT["en"]) == set(OUTSIDE_TEXT["hi"])
    assert all(OUTSIDE_TEXT["hi"].values())
