"""Which HTML attributes hold URLs, and how each kind of value is rewritten.

The table is data: attribute name -> (kind, elements it applies to). It is checked when
the module is loaded, so a typo fails at import rather than silently never matching.
`href`, `src`, `xlink:href` and `background` apply to every element: besides the HTML
elements that define them (a, area, link, base; img, script, iframe, frame, embed,
source, track, audio, video, input; body, table, td...), SVG (use, image, feImage,
gradients, textPath...) and custom elements use them for URLs too, and rewriting an
attribute an element ignores is harmless.

Kinds:
  url     one URL
  srcset  candidates "url [descriptor], ..." (srcset, imagesrcset)
  urls    space-separated URLs (ping)
  css     declarations (style)
  html    a whole document (iframe srcdoc)
  drop    removed (integrity: the proxy may change the bytes it covers)
Tag-dependent attributes (meta content, base href) are handled by the HTML rewriter.

`NAVIGATIONS` lists the (element, attribute) pairs whose URL the browser navigates to
rather than loads (links, forms, frames, objects) or never fetches (cite, longdesc):
they are rewritten as navigations (`rewrite_url(..., navigation=True)`).

`mirrored_load` tells the loads the agent's mirror makes too (images, media, stylesheets,
icons, SVG references, backgrounds, srcsets): they go through `rewrite_load`, which may
give them an opaque asset URL (docs/masking.md, "URLs").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from cobrowse.rewrite.urls import UrlMap, rewrite_load, rewrite_url

__all__ = [
    "MIRRORED_LINK_RELS",
    "NAVIGATIONS",
    "URL_ATTRIBUTES",
    "AttributeRule",
    "Kind",
    "mirrored_load",
    "rewrite_srcset",
    "rewrite_urls",
]

Kind = Literal["url", "srcset", "urls", "css", "html", "drop"]
_KINDS: frozenset[str] = frozenset(("url", "srcset", "urls", "css", "html", "drop"))
_NAME = re.compile(r"[a-z][a-z0-9:\-]*")


@dataclass(frozen=True, slots=True)
class AttributeRule:
    kind: Kind
    elements: frozenset[str] | None  # lower-case element names; None means every element

    def applies_to(self, element: str) -> bool:
        return self.elements is None or element in self.elements


_ANY = None
_RULES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "href": ("url", _ANY),
    "src": ("url", _ANY),
    "xlink:href": ("url", _ANY),
    "background": ("url", _ANY),
    "action": ("url", ("form",)),
    "formaction": ("url", ("button", "input")),
    "poster": ("url", ("video",)),
    "data": ("url", ("object",)),
    "cite": ("url", ("blockquote", "q", "del", "ins")),
    "longdesc": ("url", ("img", "frame", "iframe")),
    "lowsrc": ("url", ("img",)),
    "manifest": ("url", ("html",)),
    "srcset": ("srcset", ("img", "source")),
    "imagesrcset": ("srcset", ("link",)),
    "ping": ("urls", ("a", "area")),
    "style": ("css", _ANY),
    "srcdoc": ("html", ("iframe",)),
    "integrity": ("drop", ("script", "link")),
}


def _load(rules: Mapping[str, tuple[str, tuple[str, ...] | None]]) -> Mapping[str, AttributeRule]:
    table: dict[str, AttributeRule] = {}
    for name, (kind, elements) in rules.items():
        if _NAME.fullmatch(name) is None:
            raise ValueError(f"attribute rule {name!r}: names are lower case")
        if kind not in _KINDS:
            raise ValueError(f"attribute rule {name!r}: unknown kind {kind!r}")
        if elements is not None and (
            not elements or any(_NAME.fullmatch(e) is None for e in elements)
        ):
            raise ValueError(f"attribute rule {name!r}: bad element list {elements!r}")
        table[name] = AttributeRule(
            kind=kind,  # type: ignore[arg-type]  # checked against _KINDS just above
            elements=None if elements is None else frozenset(elements),
        )
    return MappingProxyType(table)


URL_ATTRIBUTES: Mapping[str, AttributeRule] = _load(_RULES)

NAVIGATIONS: frozenset[tuple[str, str]] = frozenset(
    (
        ("a", "href"),
        ("area", "href"),
        ("form", "action"),
        ("button", "formaction"),
        ("input", "formaction"),
        ("iframe", "src"),
        ("frame", "src"),
        ("object", "data"),
        ("embed", "src"),
        ("blockquote", "cite"),
        ("q", "cite"),
        ("del", "cite"),
        ("ins", "cite"),
        ("img", "longdesc"),
        ("frame", "longdesc"),
        ("iframe", "longdesc"),
    )
)
for _element, _attribute in NAVIGATIONS:
    if _attribute not in URL_ATTRIBUTES or URL_ATTRIBUTES[_attribute].kind != "url":
        raise ValueError(f"navigation {_element}[{_attribute}] is not a url attribute")

# The link types whose URL the page (and so the mirror) loads as a subresource.
MIRRORED_LINK_RELS = frozenset(
    (
        "stylesheet",
        "icon",
        "apple-touch-icon",
        "apple-touch-icon-precomposed",
        "mask-icon",
        "preload",
        "prefetch",
        "image_src",
    )
)
# Never: scripts (the mirror runs none, and a script may find its other files by its own
# URL), the document's base and manifest.
_NOT_MIRRORED = frozenset(("script", "base", "html"))
_MIRRORED_ATTRIBUTES = frozenset(
    ("src", "href", "xlink:href", "background", "poster", "lowsrc", "srcset", "imagesrcset")
)


def mirrored_load(element: str, attribute: str, rel: str | None = None) -> bool:
    """Whether `element[attribute]` (lower case; `rel`: a link's) is a load that the
    agent's mirror makes too."""
    if element in _NOT_MIRRORED or (element, attribute) in NAVIGATIONS:
        return False
    if attribute not in _MIRRORED_ATTRIBUTES:
        return False
    if element == "link":
        return rel is not None and any(t in MIRRORED_LINK_RELS for t in rel.lower().split())
    return True


_TOKEN = re.compile(r"[^ \t\n\r\f]+")


def rewrite_urls(value: str, m: UrlMap) -> str:
    """Space-separated URLs (ping): each token rewritten, separators kept."""
    return _TOKEN.sub(lambda t: rewrite_url(t.group(0), m), value)


_CANDIDATE_URL = re.compile(r"[\t\n\f\r ,]*+([^\t\n\f\r ]++)")
_DESCRIPTORS = re.compile(r"(?:[^,(]++|\([^)]*+\)?)*+")


def rewrite_srcset(value: str, m: UrlMap) -> str:
    """Rewrite every candidate URL of a srcset, following HTML's srcset parsing (URLs may
    contain commas; a trailing comma ends a URL; descriptors may hold parentheses)."""
    out: list[str] = []
    last = 0
    pos = 0
    n = len(value)
    while pos < n:
        candidate = _CANDIDATE_URL.match(value, pos)
        if candidate is None:
            break
        start, end = candidate.span(1)
        pos = end
        url = candidate.group(1)
        if url.endswith(","):
            url = url.rstrip(",")
            end = start + len(url)
        else:
            descriptors = _DESCRIPTORS.match(value, pos)
            pos = pos if descriptors is None else descriptors.end()
        new = rewrite_load(url, m)
        if new != url:
            out.append(value[last:start])
            out.append(new)
            last = end
    if not out:
        return value
    out.append(value[last:])
    return "".join(out)
