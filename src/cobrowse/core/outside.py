"""The page the proxy shows instead of a site that is not part of co-browsing.

A navigation inside the overlay to an origin that is not allowed (a link, a redirect, a
form, `location = ...`, `window.open`, an iframe) is never fetched: the proxy answers
it with this page, which names the address and offers to open it in a new tab, outside
co-browsing. Visitor-facing, so in English and Hindi like the widget (web/src/i18n.ts);
the browser's preferred language decides (the proxy sees no more than that). Pure.
"""

from __future__ import annotations

import html
from typing import Literal

__all__ = ["OUTSIDE_TEXT", "lang_of", "outside_page"]

Lang = Literal["en", "hi"]

OUTSIDE_TEXT: dict[Lang, dict[str, str]] = {
    "en": {
        "title": "This page is outside co-browsing",
        "explain": (
            "The site opened an address that is not part of co-browsing, so it was not "
            "loaded here. The helpdesk agent cannot see it."
        ),
        "address": "Address",
        "open": "Open it in a new tab, outside co-browsing",
    },
    "hi": {
        "title": "यह पृष्ठ साझा की जा रही स्क्रीन से बाहर है",
        "explain": (
            "साइट ने एक ऐसा पता खोला जो साझा किए जा रहे पृष्ठों में नहीं है, इसलिए उसे यहाँ "
            "लोड नहीं किया गया। हेल्पडेस्क एजेंट उसे नहीं देख सकते।"
        ),
        "address": "पता",
        "open": "इसे नए टैब में खोलें (वहाँ यह साझा नहीं होगा)",
    },
}


def lang_of(accept_language: str | None) -> Lang:
    """The browser's first preference, as the widget reads languages: Hindi ("hi",
    "hi-IN") or else English."""
    first = (accept_language or "").split(",", 1)[0].split(";", 1)[0].strip().lower()
    return "hi" if first.replace("_", "-").split("-", 1)[0] == "hi" else "en"


def outside_page(url: str, *, lang: Lang, inject: str = "") -> str:
    """The page for `url` (an absolute http(s) URL); `inject` goes first in the head,
    right after the charset (the runtime and its config, so that the overlay stays
    bridged and mirrored)."""
    text = OUTSIDE_TEXT[lang]
    title = html.escape(text["title"])
    address = html.escape(url)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{inject}'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;margin:4rem auto;max-width:36rem;"
        "padding:0 1rem;color:#1b2a3a}code{overflow-wrap:anywhere}"
        "a{color:#0b57d0}</style></head><body>"
        f"<main><h1>{title}</h1><p>{html.escape(text['explain'])}</p>"
        f'<p>{html.escape(text["address"])}: <code id="cobrowse-outside-url">{address}</code>'
        f'</p><p><a id="cobrowse-outside-open" href="{address}" target="_blank" '
        f'rel="noopener noreferrer" data-cobrowse-no-agent>{html.escape(text["open"])}</a>'
        "</p></main></body></html>"
    )
