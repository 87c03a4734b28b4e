"""The continuation point: the visitor's own login carried into the overlay and back.

A path the site's reverse proxy mounts on the site's own origin (docs/proxy.md,
"Continuation point") routes to the co-browse server, so a same-origin request from the
visitor's page carries every cookie of the site, HttpOnly and host-only ones too:

- **in**, at Allow: the widget posts a one-time hand-off ticket (bound to one session and
  one site origin, 60 s) there; the server copies the request's cookies into the
  session's server-side jar and answers a return ticket;
- **out**, at the end: the widget posts the return ticket there; the server answers
  `Set-Cookie` for every cookie the site set, changed or deleted inside the overlay, so
  the visitor's browser reaches the state the overlay reached.

This module is the pure part: cookie records, the difference between the jar at the
hand-off and at the end, `Set-Cookie` lines, and the tickets. No I/O.
"""

from __future__ import annotations

import email.utils
import hmac
import math
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field

HANDOFF_TTL = 60.0  # the hand-off ticket: from the overlay answer to the widget's call
RETURN_TTL_AFTER_END = 300.0  # the return ticket, once the session ended
MAX_COOKIES_IN = 180  # more than browsers keep for one host
MAX_COOKIE_HEADER = 16 * 1024
MAX_NAMES = 200
_NAME_CHARS = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)


@dataclass(frozen=True, slots=True, kw_only=True)
class Cookie:
    """One cookie of a jar, with the attributes a browser keeps."""

    name: str
    value: str
    domain: str  # lower case; for a host-only cookie, the host that set it
    host_only: bool
    path: str = "/"
    expires: float | None = None  # absolute deadline (epoch seconds); None: a session cookie
    secure: bool = False
    httponly: bool = False
    samesite: str = ""  # "Strict", "Lax", "None", or "" when unset

    @property
    def key(self) -> tuple[str, str, str]:
        """A browser's identity of a cookie: (domain, path, name)."""
        return (self.domain, self.path, self.name)

    def applies_to(self, host: str) -> bool:
        """Whether a browser on `host` holds this cookie (RFC 6265 domain match)."""
        host = host.lower()
        if self.host_only or host == self.domain:
            return host == self.domain
        return host.endswith("." + self.domain) and not is_ip_host(host)


@dataclass(frozen=True, slots=True)
class WriteBack:
    """What the end of a session writes back for one site host."""

    headers: tuple[str, ...]  # Set-Cookie values, for the continuation point's answer
    carried: int  # cookies set, changed or deleted inside the overlay, written back
    elsewhere: tuple[str, ...]  # other hosts whose changes cannot be written from this one


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a request's Cookie header, as a server reads them:
    lenient about values, first of a name wins (the most specific path comes first),
    pairs with names a cookie cannot have are skipped."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in header[:MAX_COOKIE_HEADER].split(";"):
        name, eq, value = part.strip().partition("=")
        name = name.strip()
        if not eq or not name or name in seen or not set(name) <= _NAME_CHARS:
            continue
        value = value.strip()
        if any(ord(ch) < 0x21 or ch in '";\\' or ord(ch) > 0x7E for ch in value.strip('"')):
            continue
        seen.add(name)
        pairs.append((name, value))
        if len(pairs) >= MAX_COOKIES_IN:
            break
    return pairs


def set_cookie(cookie: Cookie, *, now: float) -> str:
    """The `Set-Cookie` value that gives a browser on the cookie's host this cookie."""
    parts = [f"{cookie.name}={cookie.value}", f"Path={cookie.path or '/'}"]
    if not cookie.host_only:
        parts.append(f"Domain={cookie.domain}")
    if cookie.expires is not None:
        seconds = max(0, math.ceil(cookie.expires - now))
        parts.append(f"Max-Age={seconds}")
        parts.append("Expires=" + email.utils.formatdate(now + seconds, usegmt=True))
    if cookie.secure or cookie.samesite.lower() == "none":
        parts.append("Secure")
    if cookie.httponly:
        parts.append("HttpOnly")
    if cookie.samesite:
        parts.append(f"SameSite={cookie.samesite}")
    return "; ".join(parts)


def deletion(cookie: Cookie) -> str:
    """The `Set-Cookie` value that deletes the cookie with the same identity."""
    parts = [f"{cookie.name}=", f"Path={cookie.path or '/'}"]
    if not cookie.host_only:
        parts.append(f"Domain={cookie.domain}")
    parts += ["Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    if cookie.secure:
        parts.append("Secure")
    return "; ".join(parts)


def _same(a: Cookie, b: Cookie) -> bool:
    return (a.value, a.expires, a.secure, a.httponly, a.samesite.lower()) == (
        b.value,
        b.expires,
        b.secure,
        b.httponly,
        b.samesite.lower(),
    )


def write_back(
    before: Iterable[Cookie],
    after: Iterable[Cookie],
    *,
    host: str,
    now: float,
    deleted: Iterable[Cookie] = (),
) -> WriteBack:
    """What to write back on `host`: `before` is the jar right after the hand-off,
    `after` the jar at the end, `deleted` the cookies the site deleted on the way
    (with the identity its deleting `Set-Cookie` named)."""
    old = {c.key: c for c in before if c.applies_to(host)}
    headers: list[str] = []
    changed: set[tuple[str, str, str]] = set()
    elsewhere: set[str] = set()
    now_keys: set[tuple[str, str, str]] = set()
    for cookie in after:
        if not cookie.applies_to(host):
            if cookie.key not in old:
                elsewhere.add(cookie.domain)
            continue
        now_keys.add(cookie.key)
        previous = old.get(cookie.key)
        if previous is None or not _same(previous, cookie):
            headers.append(set_cookie(cookie, now=now))
            changed.add(cookie.key)
    for key, cookie in old.items():
        if key not in now_keys:
            headers.append(deletion(cookie))
            changed.add(key)
    for cookie in deleted:
        if cookie.applies_to(host) and cookie.key not in now_keys and cookie.key not in changed:
            headers.append(deletion(cookie))
            changed.add(cookie.key)
        elif not cookie.applies_to(host):
            elsewhere.add(cookie.domain)
    return WriteBack(tuple(headers), len(changed), tuple(sorted(elsewhere)))


def is_ip_host(host: str) -> bool:
    """Whether `host` is an IP address, as a URL gives it (`[::1]`) or as its hostname
    (`::1`); a host of digits and dots counts too, as a browser reads it as IPv4. Cookies
    of an IP host never go to other hosts, nor take a Domain."""
    return host.startswith("[") or ":" in host or host.replace(".", "").isdigit()


# --- tickets ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Handoff:
    session_id: str
    origin: str  # the site origin whose continuation point this is


@dataclass(slots=True)
class ContinuationBook:
    """Hand-off tickets (one use, 60 s), return tickets (one use; the newest per session
    and origin; until a while after the end), and write-backs computed at the end.

    A return ticket only works with its binding: a secret the hand-in sets as an HttpOnly
    cookie on the continuation point's path of the site, so only the visitor's own
    browser, through the site, can use it (a script of the page that steals the ticket
    cannot present the binding, and the answer's cookies land in the browser anyway)."""

    _handoffs: dict[str, tuple[Handoff, float]] = field(default_factory=dict)
    _returns: dict[str, tuple[Handoff, str]] = field(default_factory=dict)
    _imported: set[tuple[str, str]] = field(default_factory=set)
    _ended: dict[str, tuple[WriteBack, float, str]] = field(default_factory=dict)

    def handoff(self, session_id: str, origin: str, *, now: float) -> str:
        self._sweep(now)
        ticket = secrets.token_urlsafe(32)
        self._handoffs[ticket] = (Handoff(session_id, origin), now + HANDOFF_TTL)
        return ticket

    def redeem(self, ticket: str, *, now: float) -> Handoff | None:
        """The hand-off of a live ticket, which is then used up."""
        entry = self._handoffs.pop(ticket, None)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def imported(self, handoff: Handoff) -> bool:
        """Whether the site's cookies were already copied in (once per session and origin:
        a later hand-off, after a reload of the top page, must not undo the overlay's)."""
        return (handoff.session_id, handoff.origin) in self._imported

    def mark_imported(self, handoff: Handoff) -> None:
        self._imported.add((handoff.session_id, handoff.origin))

    def return_ticket(self, handoff: Handoff) -> tuple[str, str]:
        """A new return ticket and its binding; earlier ones of that session and origin
        stop working."""
        self._returns = {t: v for t, v in self._returns.items() if v[0] != handoff}
        ticket, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._returns[ticket] = (handoff, binding)
        return ticket, binding

    def take_return(self, ticket: str, binding: str) -> Handoff | None:
        """The hand-off a live return ticket belongs to (the session is still on); used
        up only when the binding matches."""
        entry = self._returns.get(ticket)
        if entry is None or not _equal(entry[1], binding):
            return None
        del self._returns[ticket]
        return entry[0]

    def take_ended(self, ticket: str, binding: str, *, now: float) -> WriteBack | None:
        """The write-back kept for a return ticket of an ended session."""
        entry = self._ended.get(ticket)
        if entry is None or not _equal(entry[2], binding):
            return None
        del self._ended[ticket]
        return entry[0] if entry[1] > now else None

    def returns_of(self, session_id: str) -> list[tuple[str, Handoff]]:
        return [(t, v[0]) for t, v in self._returns.items() if v[0].session_id == session_id]

    def ended(self, session_id: str, results: dict[str, WriteBack], *, now: float) -> None:
        """The session is over: keep its write-backs for their return tickets a while."""
        self._sweep(now)
        for ticket, result in results.items():
            entry = self._returns.get(ticket)
            if entry is not None:
                self._ended[ticket] = (result, now + RETURN_TTL_AFTER_END, entry[1])
        self._returns = {t: v for t, v in self._returns.items() if v[0].session_id != session_id}
        self._handoffs = {t: v for t, v in self._handoffs.items() if v[0].session_id != session_id}
        self._imported = {k for k in self._imported if k[0] != session_id}

    def _sweep(self, now: float) -> None:
        self._handoffs = {t: v for t, v in self._handoffs.items() if v[1] > now}
        self._ended = {t: v for t, v in self._ended.items() if v[1] > now}


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
