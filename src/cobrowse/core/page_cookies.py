"""The proxied page's cookies, carried by the proxy host's own cookies (pure).

The upstream site's cookies live in the session's server-side jar; the visitor's browser
holds only the proxy's. So that a page sees its cookies synchronously and coherently
(docs/proxy.md, "Cookies"), two kinds of native cookies of the proxy host carry them:

- **the mirror**, `__cobrowse_js0`, `__cobrowse_js1`, ...: the jar's script-visible
  (non-HttpOnly) cookies for the upstream host, set by the server on every credentialed
  response whose request did not already carry that state. One payload, base64url of a
  JSON list of `[name, value, path, expires_ms, domain, secure, samesite]`, cut into
  chunks of at most `CHUNK` characters; each chunk's value is `<gen>.<count>.<part>`
  (`gen` names the payload, so the runtime never joins parts of two). The runtime
  decodes it, filters by the document's path and by expiry, and hides every
  `__cobrowse_` cookie from the page.
- **writes**, `__cobrowse_w<seq>_<id>`: a `document.cookie` (or `cookieStore`) write,
  recorded by the runtime at once as `<token>|<path>|<text>` (the host's write token
  from the runtime's config, the page's upstream path and the assignment, each
  percent-escaped), which the browser attaches to the very next request; the server
  applies it to the jar before forwarding (`read_writes`, `parse_script_cookie`,
  `may_write`) and clears it. The token (`write_token`: a MAC of the session and the
  label) is only in that host's pages, so a page of another proxy host, which could set
  a cookie for the whole proxy domain, cannot write into this host's jar.

Everything a page writes is its word: a write is applied only if a script on that page
could have made it (no HttpOnly, a Domain that matches, Secure only on a secure page,
the `__Host-`/`__Secure-` prefixes' rules, never over an HttpOnly cookie of the jar,
bounded sizes); anything else is refused with a reason and cleared, nothing applied.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import orjson

from cobrowse.core.continuation import Cookie, is_ip_host

NATIVE_PREFIX = "__cobrowse_"
MIRROR_PREFIX = "__cobrowse_js"
WRITE_PREFIX = "__cobrowse_w"
CHUNK = 3800  # characters of payload per mirror cookie (browsers keep 4096 per cookie)
MAX_CHUNKS = 16  # 60 KB of cookies for one host: more than browsers keep
MAX_WRITES = 64  # pending writes read from one request
MAX_WRITE_VALUE = 8192  # characters of one write cookie's value, escaped
MAX_COOKIE = 4096  # name + value of one cookie, as browsers count it
# The attributes of every native cookie the proxy sets: as the credential (docs/proxy.md).
NATIVE_ATTRIBUTES = "Path=/; Secure; SameSite=None; Partitioned"

_WRITE_NAME = re.compile(r"__cobrowse_w(\d{1,9})_([a-z0-9]{1,16})")
_MIRROR_NAME = re.compile(r"__cobrowse_js(\d{1,2})")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A name a Cookie header can carry back to the site (RFC 9110 token).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


@dataclass(frozen=True, slots=True)
class MirrorEntry:
    """One cookie as the page may see it."""

    name: str
    value: str
    path: str
    expires: int | None  # ms since the epoch; None: a session cookie
    domain: str | None  # None: host-only
    secure: bool
    samesite: str  # "strict", "lax", "none" or ""

    def as_list(self) -> list[object]:
        return [
            self.name,
            self.value,
            self.path,
            self.expires,
            self.domain,
            self.secure,
            self.samesite,
        ]


@dataclass(frozen=True, slots=True)
class ScriptCookie:
    """A write a script on the page may make, checked (`parse_script_cookie`)."""

    name: str
    value: str
    domain: str | None  # None: host-only
    path: str
    max_age: int | None  # seconds, from Max-Age or Expires; <= 0 deletes; None: session
    secure: bool
    samesite: str  # "Strict", "Lax", "None" or ""


@dataclass(frozen=True, slots=True)
class PageWrite:
    """A pending write read from a request: its native cookie's name, the page's path
    and the assignment's text."""

    cookie_name: str
    seq: int
    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Refused:
    """A native cookie of ours that carried something unusable: cleared, never applied."""

    cookie_name: str
    reason: str


# --- the mirror ----------------------------------------------------------------------


def is_secure_url(url: str) -> bool:
    """Whether a browser treats `url` as a secure context for cookies: https, or a
    loopback / `localhost` host (potentially trustworthy)."""
    parts = urlsplit(url)
    if parts.scheme in ("https", "wss"):
        return True
    host = (parts.hostname or "").lower()
    return (
        host == "localhost"
        or host.endswith(".localhost")
        or host == "::1"
        or (host.startswith("127.") and host.replace(".", "").isdigit())
    )


def visible_entries(cookies: Iterable[Cookie], *, url: str, now: float) -> list[MirrorEntry]:
    """The cookies a script on any page of `url`'s host may read (`document.cookie`,
    `cookieStore`): not HttpOnly, not expired, for the host, Secure ones only on a
    secure URL. Longest paths first, as browsers order them (the path filter is the
    runtime's, per document)."""
    host = (urlsplit(url).hostname or "").lower()
    secure = is_secure_url(url)
    out: list[MirrorEntry] = []
    for c in cookies:
        if c.httponly or not c.applies_to(host) or (c.secure and not secure):
            continue
        if c.expires is not None and c.expires <= now:
            continue
        out.append(
            MirrorEntry(
                name=c.name,
                value=c.value,
                path=c.path or "/",
                expires=None if c.expires is None else int(c.expires * 1000),
                domain=None if c.host_only else c.domain,
                secure=c.secure,
                samesite=c.samesite.lower() if c.samesite.lower() in _SAMESITE else "",
            )
        )
    out.sort(key=lambda e: -len(e.path))
    return out


def encode_mirror(entries: Iterable[MirrorEntry]) -> dict[str, str]:
    """The mirror cookies (name -> value) that carry `entries`; entries past
    MAX_CHUNKS worth of payload are left out (the last ones: shortest paths)."""
    items = [e.as_list() for e in entries]
    while True:
        payload = base64.urlsafe_b64encode(orjson.dumps(items)).decode().rstrip("=")
        if len(payload) <= CHUNK * MAX_CHUNKS or not items:
            break
        items = items[: len(items) * 3 // 4]
    gen = hashlib.sha256(payload.encode()).hexdigest()[:8]
    parts = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)] or [""]
    return {f"{MIRROR_PREFIX}{i}": f"{gen}.{len(parts)}.{part}" for i, part in enumerate(parts)}


def decode_mirror(native: Mapping[str, str]) -> list[MirrorEntry] | None:
    """The entries the mirror cookies in `native` carry; None when they are missing,
    from two payloads, or unreadable (the runtime's rule, in Python for tests)."""
    chunks = {int(m.group(1)): v for n, v in native.items() if (m := _MIRROR_NAME.fullmatch(n))}
    first = chunks.get(0, "").split(".", 2)
    if len(first) != 3 or not first[1].isdigit():
        return None
    gen, count = first[0], int(first[1])
    parts: list[str] = []
    for i in range(count):
        piece = chunks.get(i, "").split(".", 2)
        if len(piece) != 3 or piece[0] != gen or piece[1] != first[1]:
            return None
        parts.append(piece[2])
    payload = "".join(parts)
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if not isinstance(raw, list):
            return None
        return [
            MirrorEntry(
                name=str(n),
                value=str(v),
                path=str(p),
                expires=None if e is None else int(e),
                domain=None if d is None else str(d),
                secure=bool(s),
                samesite=str(ss),
            )
            for n, v, p, e, d, s, ss in raw
        ]
    except (ValueError, TypeError, orjson.JSONDecodeError):
        return None


def native_cookies(header_values: Iterable[str]) -> dict[str, str]:
    """Our native cookies (`__cobrowse_...`, the credential aside) in a request's Cookie
    headers, read leniently: a cookie of the page that breaks the syntax breaks no
    other. The first of a name wins (the longest path, as browsers order them)."""
    out: dict[str, str] = {}
    for header in header_values:
        for part in header.split(";"):
            name, eq, value = part.partition("=")
            name = name.strip()
            if eq and name.startswith(NATIVE_PREFIX) and name not in out:
                out[name] = value.strip()
    return out


def mirror_updates(
    native: Mapping[str, str], desired: Mapping[str, str], *, clear: Iterable[str] = ()
) -> list[str]:
    """Set-Cookie values that bring the browser from `native` (what the request carried)
    to `desired` (encode_mirror's), and clear the write cookies named in `clear`. The
    mirror comes first, so that a page never sees a write cleared before the mirror
    that holds it."""
    out = [
        f"{name}={value}; {NATIVE_ATTRIBUTES}"
        for name, value in desired.items()
        if native.get(name) != value
    ]
    stale = [n for n in native if _MIRROR_NAME.fullmatch(n) and n not in desired]
    for name in [*stale, *clear]:
        out.append(f"{name}=; Max-Age=0; {NATIVE_ATTRIBUTES}")
    return out


# --- writes --------------------------------------------------------------------------


def escape_write(text: str) -> str:
    """The runtime's escaping of a write's parts (for tests and goldens): every
    character outside the cookie-safe set as UTF-8 percent escapes."""
    return quote(text, safe="!#$&'()*+,-./:<=>?@[]^_`{}~")


def write_token(key: bytes, *, session_id: str, label: str) -> str:
    """The token a proxy host's write cookies carry (in its pages' runtime config)."""
    message = f"page-cookie-writes\x00{session_id}\x00{label}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


def read_writes(native: Mapping[str, str], *, token: str) -> tuple[list[PageWrite], list[Refused]]:
    """The pending writes among a request's native cookies, oldest first, and those
    that cannot be read or do not carry this host's `token`."""
    writes: list[PageWrite] = []
    refused: list[Refused] = []
    names = [n for n in native if n.startswith(WRITE_PREFIX)]
    for name in names[MAX_WRITES:]:
        refused.append(Refused(name, "too many pending writes"))
    for name in names[:MAX_WRITES]:
        m = _WRITE_NAME.fullmatch(name)
        value = native[name]
        if m is None:
            refused.append(Refused(name, "not a write cookie's name"))
            continue
        if len(value) > MAX_WRITE_VALUE:
            refused.append(Refused(name, "too long"))
            continue
        parts = value.split("|", 2)
        if len(parts) != 3 or not hmac.compare_digest(parts[0].encode(), token.encode()):
            refused.append(Refused(name, "not this host's write token"))
            continue
        _, path, text = parts
        try:
            path = unquote(path, errors="strict")
            text = unquote(text, errors="strict")
        except UnicodeDecodeError:
            refused.append(Refused(name, "not UTF-8"))
            continue
        if not path.startswith("/"):
            refused.append(Refused(name, "expected <token>|<path>|<cookie>"))
            continue
        writes.append(PageWrite(name, int(m.group(1)), path, text))
    writes.sort(key=lambda w: (w.seq, w.cookie_name))
    return writes, refused


def parse_script_cookie(text: str, *, page_url: str, now: float) -> ScriptCookie | str:
    """`document.cookie = text` on a page at `page_url`, as a browser checks it (RFC
    6265bis, non-HTTP API): the cookie, or why no browser would store it."""
    if _CONTROL.search(text):
        return "control characters"
    pair, *attributes = text.split(";")
    name, eq, value = pair.partition("=")
    name, value = (name.strip(), value.strip()) if eq else ("", name.strip())
    if not name:
        return "no name"  # browsers keep nameless cookies; a Cookie header cannot name them
    if len(name) + len(value) > MAX_COOKIE:
        return "longer than 4096"
    if not _TOKEN.fullmatch(name) or name.startswith(NATIVE_PREFIX):
        return "not a cookie name"
    parts = urlsplit(page_url)
    host = (parts.hostname or "").lower()
    domain: str | None = None
    path: str | None = None
    max_age: int | None = None
    expires: float | None = None
    secure = False
    samesite = ""
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        key, val = key.strip().lower(), val.strip()
        if key == "httponly":
            return "HttpOnly"
        if key == "secure":
            secure = True
        elif key == "domain":
            domain = val.lstrip(".").lower() or None
        elif key == "path":
            path = val if val.startswith("/") else None
        elif key == "max-age" and re.fullmatch(r"-?\d+", val):
            max_age = max(-1, min(int(val), 400 * 86400))
        elif key == "expires":
            expires = _http_date(val)
        elif key == "samesite":
            samesite = _SAMESITE.get(val.lower(), "")
    if max_age is None and expires is not None:
        max_age = -1 if expires <= now else min(math.ceil(expires - now), 400 * 86400)
    if domain is not None:
        if domain == host:
            domain = host if not is_ip_host(host) else None
        elif is_ip_host(host) or not host.endswith("." + domain) or "." not in domain:
            return "Domain does not match the page"
    if secure and not is_secure_url(page_url):
        return "Secure on an insecure page"
    path = path or _default_path(parts.path)
    if name.startswith("__Secure-") and not secure:
        return "__Secure- without Secure"
    if name.startswith("__Host-") and (not secure or domain is not None or path != "/"):
        return "__Host- needs Secure, Path=/ and no Domain"
    return ScriptCookie(
        name=name,
        value=value,
        domain=domain,
        path=path,
        max_age=max_age,
        secure=secure,
        samesite=samesite,
    )


def may_write(cookie: ScriptCookie, jar: Iterable[Cookie], *, host: str) -> str | None:
    """Why `cookie` may not go into the jar (None: it may): a script never replaces or
    deletes an HttpOnly cookie, nor a Secure one from an insecure page."""
    host = host.lower()
    domain = cookie.domain or host
    for c in jar:
        if c.name != cookie.name or not c.httponly:
            continue
        if (c.path or "/").rstrip("/") != cookie.path.rstrip("/"):
            continue
        if c.domain == domain or domain.endswith("." + c.domain) or c.domain.endswith("." + domain):
            return "an HttpOnly cookie of that name"
    return None


def _default_path(path: str) -> str:
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def _http_date(text: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()
