"""The page's cookies at the proxy's edge (core/page_cookies.py is the pure part): the
writes a request carries applied to the session's jar before it is forwarded, and the
mirror of the jar's script-visible cookies brought up to date by the response.

See docs/proxy.md, "Cookies".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from starlette.types import Message, Send
from yarl import URL

from cobrowse.core.continuation import Cookie
from cobrowse.core.page_cookies import (
    encode_mirror,
    may_write,
    mirror_updates,
    native_cookies,
    parse_script_cookie,
    read_writes,
    visible_entries,
)
from cobrowse.server.upstream import SessionCookieJar

__all__ = [
    "AppliedWrites",
    "apply_writes",
    "derive_write_key",
    "mirror_headers",
    "request_native",
    "with_headers",
]

log = logging.getLogger("cobrowse.proxy")

APPLIED_KEPT = 4096  # write ids remembered on this node, all sessions together


def derive_write_key(link_secret: str) -> bytes:
    """The key of the hosts' write tokens: HMAC-SHA256 of a fixed label under the link
    secret (as server/auth.derive_form_key), the same on every node."""
    return hmac.new(link_secret.encode(), b"cobrowse page cookie writes", hashlib.sha256).digest()


class AppliedWrites:
    """The writes this node applied lately, by (session, write cookie name): a write
    the browser attached to two requests in flight at once is applied once, so a later
    write of the same cookie is never undone by the replay of an earlier one."""

    def __init__(self, kept: int = APPLIED_KEPT) -> None:
        self._kept = kept
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first(self, session_id: str, name: str) -> bool:
        """True the first time (and remembers it), False after."""
        key = (session_id, name)
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        while len(self._seen) > self._kept:
            self._seen.popitem(last=False)
        return True


def request_native(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Our native cookies in a request's headers."""
    return native_cookies(v for k, v in headers if k.lower() == "cookie")


def apply_text(jar: SessionCookieJar, text: str, *, page_url: str, now: float) -> str | None:
    """One script write into `jar`; why it was refused, or None when applied."""
    cookie = parse_script_cookie(text, page_url=page_url, now=now)
    if isinstance(cookie, str):
        return cookie
    url = URL(page_url)
    refused = may_write(cookie, jar.records(), host=url.host or "")
    if refused is not None:
        return refused
    jar.set_script_cookie(cookie, url=url)
    return None


def apply_writes(
    jar: SessionCookieJar,
    native: Mapping[str, str],
    *,
    session_id: str,
    origin: str,
    token: str,
    now: float,
    applied: AppliedWrites,
) -> list[str]:
    """Applies the pending writes among `native` (a request's cookies of ours) to `jar`,
    for pages of `origin`; returns the write cookies to clear (all of them, applied or
    refused: none is ever read twice). `token`: the host's write token."""
    writes, refused = read_writes(native, token=token)
    for bad in refused:
        log.info(
            "page cookie write refused: %s",
            bad.reason,
            extra={"session_id": session_id, "cookie": bad.cookie_name},
        )
    for write in writes:
        if not applied.first(session_id, write.cookie_name):
            continue
        reason = apply_text(jar, write.text, page_url=origin + write.path, now=now)
        if reason is not None:
            log.info(
                "page cookie write refused: %s",
                reason,
                extra={"session_id": session_id, "cookie": write.cookie_name},
            )
    return [w.cookie_name for w in writes] + [r.cookie_name for r in refused]


def mirror_headers(
    cookies: Iterable[Cookie],
    native: Mapping[str, str],
    *,
    origin: str,
    now: float,
    clear: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """Set-Cookie headers that bring the browser's mirror of the jar (`cookies`) for
    pages of `origin` up to date, and clear the writes in `clear`."""
    desired = encode_mirror(visible_entries(cookies, url=origin + "/", now=now))
    return [("set-cookie", v) for v in mirror_updates(native, desired, clear=clear)]


def with_headers(send: Send, extra: list[tuple[str, str]]) -> Send:
    """`send`, with `extra` added to the response's headers."""
    if not extra:
        return send
    encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *encoded]}
        await send(message)

    return sending
