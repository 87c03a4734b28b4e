"""The /start page's text in English and Hindi, and the page itself.

The language comes from a `lang` query parameter (the page's own switch) or the
browser's Accept-Language (core/lang.py). The page's `<html lang>` is that language, and
the widget it loads follows it (web/src/i18n.ts reads the page's lang). Hindi wording:
docs/hindi.md.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from cobrowse.core.lang import Lang


@dataclass(frozen=True)
class StartText:
    title: str
    intro: str
    step_pin: str
    step_allow: str
    step_stop: str
    switch_label: str
    bad_title: str
    bad_detail: str
    no_url: str
    # The widget's button names in this language (what the steps tell the visitor to press).
    launch: str
    allow: str
    stop: str


TEXT: dict[Lang, StartText] = {
    "en": StartText(
        title="Co-browse with the helpdesk",
        intro="The helpdesk agent on the phone can guide you through this page:",
        step_pin="Press <strong>{launch}</strong> and read the 6-digit PIN to the agent.",
        step_allow=(
            "When the agent joins, choose <strong>{allow}</strong>. The page opens here and the"
            " agent sees it with you. Passwords and fields marked private stay hidden."
        ),
        step_stop="Press <strong>{stop}</strong> at any moment to end it.",
        switch_label="Language",
        bad_title="Cannot co-browse this address",
        bad_detail="{url} is not an allowed site.",
        no_url="No URL",
        launch="Co-browse",
        allow="Allow",
        stop="Stop",
    ),
    "hi": StartText(
        title="हेल्पडेस्क के साथ ब्राउज़ करें",
        intro="फ़ोन पर बात कर रहे हेल्पडेस्क एजेंट इस पृष्ठ पर आपका मार्गदर्शन कर सकते हैं:",
        step_pin="<strong>{launch}</strong> बटन दबाएँ और 6 अंकों का पिन एजेंट को बताएँ।",
        step_allow=(
            "एजेंट के जुड़ने पर <strong>{allow}</strong> चुनें। पृष्ठ यहीं खुलेगा और एजेंट उसे"
            " आपके साथ देखेंगे। पासवर्ड और निजी फ़ील्ड छिपे रहेंगे।"
        ),
        step_stop="इसे समाप्त करने के लिए किसी भी समय <strong>{stop}</strong> दबाएँ।",
        switch_label="भाषा",
        bad_title="इस पते पर साथ में ब्राउज़िंग नहीं हो सकती",
        bad_detail="{url} अनुमत साइट नहीं है।",
        no_url="कोई URL नहीं",
        launch="साथ में ब्राउज़िंग",
        allow="अनुमति दें",
        stop="रोकें",
    ),
}

# Each language named in itself, for the switch.
NAMES: dict[Lang, str] = {"en": "English", "hi": "हिन्दी"}


def bad_address(url: str, lang: Lang) -> tuple[str, str]:
    """The title and text of the page for a URL that may not be co-browsed."""
    text = TEXT[lang]
    return text.bad_title, text.bad_detail.format(url=url or text.no_url)


def render(url: str, lang: Lang) -> str:
    """The page for an allowed `url` (escaped here), in `lang`."""
    text = TEXT[lang]
    safe = html.escape(url)
    words = {
        "launch": html.escape(text.launch),
        "allow": html.escape(text.allow),
        "stop": html.escape(text.stop),
    }
    switch = " · ".join(
        f'<a href="/start?{html.escape(urlencode({"url": url, "lang": other}))}" '
        f'lang="{other}" hreflang="{other}">{NAMES[other]}</a>'
        for other in NAMES
        if other != lang
    )
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(text.title)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/start.css">
<script src="/cobrowse.js" async data-cobrowse-start-url="{safe}"></script>
</head>
<body>
<nav class="lang-switch" aria-label="{html.escape(text.switch_label)}">{switch}</nav>
<main>
<h1>{html.escape(text.title)}</h1>
<p>{html.escape(text.intro)}</p>
<p class="url"><a href="{safe}">{safe}</a></p>
<ol>
<li>{text.step_pin.format(**words)}</li>
<li>{text.step_allow.format(**words)}</li>
<li>{text.step_stop.format(**words)}</li>
</ol>
</main>
</body>
</html>"""
