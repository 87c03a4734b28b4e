"""Click to start: a CRM invites a visitor into a session its agent's link joins.

The CRM gets two links for one new session: the agent's sign-in link, which carries the
session (its `sid` claim) and joins it without a PIN, and the visitor's, which carries
`<session id>.<code>`: a one-time code the visitor's browser exchanges for the visitor
token. Only the code's digest is kept (Session.invite), and it is used up by the first
exchange. Pure: parsing and digests; the server keeps the session.
"""

from __future__ import annotations

import hashlib
import hmac
import re

CODE_BYTES = 18  # secrets.token_urlsafe(18): 24 characters, 144 bits
_INVITE = re.compile(r"(s_[A-Za-z0-9_-]{8,40})\.([A-Za-z0-9_-]{20,64})")


def digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def parse(text: str) -> tuple[str, str] | None:
    """(session id, code) from an invitation, or None when it has not that shape."""
    found = _INVITE.fullmatch(text.strip())
    return None if found is None else (found.group(1), found.group(2))


def matches(code: str, kept: str | None) -> bool:
    """Whether `code` is the invitation whose digest is `kept` (None: used or none)."""
    return kept is not None and hmac.compare_digest(digest(code), kept)
