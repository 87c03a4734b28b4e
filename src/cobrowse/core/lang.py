"""Which language a page of ours is shown in: English or Hindi. Pure.

A `lang` query parameter (the page's language switch) wins; else the browser's
Accept-Language, by its q-values; anything else is English.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "hi"]
LANGS: tuple[Lang, ...] = ("en", "hi")


def lang_of(value: str | None) -> Lang | None:
    """ "hi", "hi-IN", "HI_in" → "hi"; "en-GB" → "en"; anything else → None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    if primary == "hi":
        return "hi"
    if primary == "en":
        return "en"
    return None


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def accepted(header: str | None) -> Lang | None:
    """The most wanted of our languages in an Accept-Language header (ties: first listed)."""
    best: tuple[float, Lang] | None = None
    for item in (header or "").split(",")[:32]:
        tag, *params = item.split(";")
        lang = lang_of(tag)
        q = _quality(params)
        if lang is None or q <= 0.0:
            continue
        if best is None or q > best[0]:
            best = (q, lang)
    return best[1] if best else None


def choose_lang(*, query: str | None, accept_language: str | None) -> Lang:
    """The page's language: the `lang` parameter, else Accept-Language, else English."""
    return lang_of(query) or accepted(accept_language) or "en"
