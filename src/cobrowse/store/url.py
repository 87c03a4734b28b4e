"""`store.url`: which session store, read without connecting anywhere (pure).

`memory://` (the default: one process) or `redis://HOST[:PORT][/DB]` (`rediss://` for
TLS; a password as `redis://:PASSWORD@HOST...`). `?prefix=NAME:` sets the key prefix,
so two deployments can share one Redis (default `cobrowse:`). Messages never repeat
the URL itself: it may hold a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

STORE_SCHEMES = ("memory", "redis", "rediss")
DEFAULT_PREFIX = "cobrowse:"
MAX_PREFIX = 64


class StoreUrlError(ValueError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreUrl:
    kind: str  # "memory" or "redis"
    redis_url: str = ""  # for redis-py, without our own query parameters
    prefix: str = DEFAULT_PREFIX


def parse_store_url(url: str) -> StoreUrl:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in STORE_SCHEMES:
        raise StoreUrlError(
            "store.url must be memory:// or redis://HOST:PORT/DB (rediss:// for TLS), "
            f"not {(scheme + '://') if sep else 'this'}"
        )
    if scheme == "memory":
        if rest.strip("/"):
            raise StoreUrlError("store.url memory:// takes nothing after the scheme")
        return StoreUrl(kind="memory")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        raise StoreUrlError(f"store.url {scheme}://: the port must be a number") from None
    if not parts.hostname:
        raise StoreUrlError(f"store.url {scheme}:// needs a host: {scheme}://HOST:PORT/DB")
    if port == 0:
        raise StoreUrlError(f"store.url {scheme}://: the port must be 1-65535")
    db = parts.path.strip("/")
    if db and not (db.isascii() and db.isdigit()):
        raise StoreUrlError(f"store.url {scheme}://HOST:PORT/DB: DB must be a number")
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for key, value in query if key == "prefix"]
    prefix = prefixes[-1] if prefixes else DEFAULT_PREFIX
    if not prefix or len(prefix) > MAX_PREFIX or not prefix.isprintable() or " " in prefix:
        raise StoreUrlError(
            f"store.url ?prefix= must be 1-{MAX_PREFIX} printable characters without spaces"
        )
    others = urlencode([(key, value) for key, value in query if key != "prefix"])
    return StoreUrl(
        kind="redis",
        redis_url=urlunsplit((parts.scheme, parts.netloc, parts.path, others, "")),
        prefix=prefix,
    )
