"""`<script type="importmap">`: the URLs of an import map.

Values of `imports` and of every scope are URLs (addresses) and are rewritten. Scope keys
are URL prefixes matched against the importing module's URL, which is a proxy URL in the
proxied page, so they are rewritten too. Keys of `imports` are specifiers: a URL-like key
matches the resolved specifier, which stays the upstream URL when page code imports an
absolute upstream URL but is a proxy URL when it imports a relative one, so a rewritten
copy of each absolute mapped key is added next to the original. `integrity` is removed:
the proxy may change the bytes it covers. A map that is not valid JSON is left alone.
"""

from __future__ import annotations

import json
from typing import Any

from cobrowse.rewrite.urls import UrlMap, rewrite_url

__all__ = ["rewrite_importmap"]


def _addresses(table: Any, m: UrlMap, *, keys: bool) -> Any:
    if not isinstance(table, dict):
        return table
    out: dict[str, Any] = {}
    for key, value in table.items():
        new_value = rewrite_url(value, m) if isinstance(value, str) else value
        out[key] = new_value
        if keys:
            new_key = rewrite_url(key, m)
            if new_key != key and new_key not in table:
                out[new_key] = new_value
    return out


def rewrite_importmap(text: str, m: UrlMap) -> str:
    """Rewrite the JSON text of an import map; unchanged when nothing is mapped."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    new: dict[str, Any] = dict(data)
    if "imports" in data:
        new["imports"] = _addresses(data["imports"], m, keys=True)
    if isinstance(data.get("scopes"), dict):
        new["scopes"] = {
            rewrite_url(scope, m): _addresses(table, m, keys=True)
            for scope, table in data["scopes"].items()
        }
    new.pop("integrity", None)
    if new == data:
        return text
    # "<" escaped so that the JSON can never close the script element it lives in.
    return json.dumps(new, ensure_ascii=False, indent=1).replace("<", "\\u003c")
