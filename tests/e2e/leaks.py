"""How a leaked secret could look, for the searches of the masking tests: the forms a
trace of it could take, and a haystack read as the masker reads text."""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from urllib.parse import quote, quote_plus

from cobrowse.core.masking_fold import fold


def encodings(secret: str) -> set[str]:
    """The secret as a leak could carry it: as written, NFKC-normalised and folded as the
    masker folds text (ASCII digits, plain spaces and dashes, no invisible characters),
    each plain, without spaces, URL-encoded, JSON-escaped, base64 and in lower case."""
    bases = {secret, unicodedata.normalize("NFKC", secret), fold(secret).text}
    forms: set[str] = set()
    for base in bases:
        compact = re.sub(r"[\s-]", "", base)
        forms |= {base, compact, quote(base), quote_plus(base), json.dumps(base)[1:-1]}
        forms |= {json.dumps(base, ensure_ascii=False)[1:-1], base.lower(), compact.lower()}
        for form in (base, compact):
            forms.add(base64.b64encode(form.encode()).decode().rstrip("="))
    return {f for f in forms if len(f) >= 6}


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def normalised(data: bytes) -> bytes:
    """`data` read as the masker reads text: JSON `\\uXXXX` escapes decoded, then folded
    (core/masking_fold.py), so a value in Devanagari digits, with no-break spaces or with
    a soft hyphen inside is found by its plain form."""
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), data.decode("utf-8", "replace"))
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # pairs
    return fold(text).text.encode("utf-8", "replace")
