"""Opaque asset URLs: a subresource URL that holds a value pattern, given another URL.

The visitor's browser masks every value pattern in what it records, URLs included. A
font, image or stylesheet whose URL happens to match one (a cache-busting hash that
passes the IBAN check, a PAN in an image's query string) would reach the agent's mirror
as a masked URL the asset route cannot find: the font falls back, the image is gone. So
the proxy's rewriters give such a URL an opaque one on the same proxy host,
`/__cobrowse/asset/<id>`, which the proxy resolves to the real URL and fetches like any
other load (docs/masking.md, "URLs"). The page, the recorder and the agent only ever see
the id; the real URL stays in the proxy store, for its session, until the session ends.

An id is an HMAC of the URL under a key of the session's (kept in the store, never sent
anywhere): the same URL gets the same id on every node and every page of the session (so
caches and `<link rel=preload>` keep matching), an id says nothing of its URL, and no
one can make the id of a URL without the key. Ids are 28 lower-case letters (131 bits);
one that a value pattern would itself match is drawn again.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from cobrowse.core.masking import Pattern, mask_text
from cobrowse.core.masking_urls import holds_value

__all__ = [
    "ASSET_PATH",
    "MAX_ASSET_IDS",
    "AssetIds",
    "HoldsValuesMemo",
    "asset_id",
    "is_asset_id",
    "may_hold_values",
]

ASSET_PATH = "/__cobrowse/asset/"
ID_LENGTH = 28  # 26**28 > 2**131
MAX_ASSET_IDS = 20_000  # per session; past it URLs are masked in the mirror as before
DRAWS = 8  # ids tried per URL before giving up on one no pattern matches
_ID = re.compile(rf"[a-z]{{{ID_LENGTH}}}")
_CSS_HEX_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?")
# Where a document can hold a URL the mirror loads: the values of the attributes that
# can (src, href, srcset, style...; srcdoc with all it holds), and what follows url(,
# image-set( and @import up to the end of the declaration. A superset of those places;
# the text between tags and rules, where most numbers are, is left out.
_URL_PLACES = re.compile(
    r"""(?i:(?<![\w-])(?:src|href|xlink:href|srcset|imagesrcset|poster|background|lowsrc"""
    r"""|data|style|srcdoc))[\t\n\f\r ]*+=[\t\n\f\r ]*+"""
    r"""(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >"']++)"""
    r"|(?i:url|image-set|@import)[\t\n\f\r ]*+\(?[^;{}<>]*+"
)
_URL_PIECE = re.compile(r"""[^?&#=/;,\s"'()<>]++""")


def _css_unescaped(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def may_hold_values(document: str, url: str, patterns: Sequence[Pattern]) -> bool:
    """Whether any URL in `document` (HTML or CSS, at `url`) could hold a value the
    browser would mask: the document's URL does, or a place in it that can hold a URL
    does, once character references, CSS escapes and URL escapes are decoded. When not,
    no URL in it needs an id (and the rewriters can take their fast paths). A superset,
    cheaper than masking the whole document: a yes only costs the careful path."""
    if holds_value(url, patterns):
        return True
    text = "\n".join(m.group(0) for m in _URL_PLACES.finditer(document))
    if "&" in text:
        text = html.unescape(text)
    if "\\" in text:
        text = _CSS_HEX_ESCAPE.sub(_css_unescaped, text).replace("\\", "")
    if mask_text(text, patterns) != text:
        return True
    if "%" not in text and "+" not in text:
        return False
    encoded = (p for p in _URL_PIECE.findall(text) if "%" in p or "+" in p)
    pieces = "\n".join(unquote_plus(p) for p in encoded)
    return mask_text(pieces, patterns) != pieces


class HoldsValuesMemo:
    """`may_hold_values`, remembered by the document's digest: a page or style sheet
    served again (the same bytes, at the same URL, under the same patterns) costs a hash
    instead of a scan. Bounded, least recently used first out."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[bytes, str, tuple[str, ...]], bool] = OrderedDict()

    def __call__(self, document: str, url: str, patterns: Sequence[Pattern]) -> bool:
        digest = hashlib.blake2b(document.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        key = (digest, url, tuple(p.name for p in patterns))
        known = self._seen.get(key)
        if known is not None:
            self._seen.move_to_end(key)
            return known
        answer = may_hold_values(document, url, patterns)
        self._seen[key] = answer
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return answer


def asset_id(key: bytes, url: str, draw: int = 0) -> str:
    """The `draw`th id of `url` under `key`."""
    digest = hmac.new(key, f"{draw}\0{url}".encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:17], "big")
    letters = []
    for _ in range(ID_LENGTH):
        n, r = divmod(n, 26)
        letters.append(chr(ord("a") + r))
    return "".join(letters)


def is_asset_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


@dataclass(slots=True)
class AssetIds:
    """The ids one rewrite hands out: `minted` (id -> URL) must be stored before the
    rewritten document is sent."""

    key: bytes
    patterns: Sequence[Pattern]
    room: int  # how many more ids the session may have
    minted: dict[str, str] = field(default_factory=dict)

    def url_for(self, url: str, proxy_url: str, proxy_origin: str) -> str | None:
        """The opaque URL for upstream `url` (absolute, no fragment), whose proxy URL is
        `proxy_url` on `proxy_origin`; None when it needs none or can have none."""
        if not holds_value(proxy_url, self.patterns):  # what the browser's masker sees
            return None
        for draw in range(DRAWS):
            ident = asset_id(self.key, url, draw)
            opaque = proxy_origin + ASSET_PATH + ident
            if holds_value(opaque, self.patterns):
                continue
            if ident not in self.minted:
                if len(self.minted) >= self.room:
                    return None
                self.minted[ident] = url
            return opaque
        return None
