"""Demo taxpayer accounts: PAN rules, the sign-in check and server-side sessions.

Pure apart from the token source and the clock, both of which are passed in.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEMO_PASSWORD = "demo1234"
SESSION_COOKIE = "efiling_session"
SESSION_TTL_SECONDS = 30 * 60
MAX_SESSIONS = 10_000

_PAN_RE = re.compile(r"[A-Z]{5}[0-9]{4}[A-Z]")

# The 4th character of a PAN says who holds it; the 5th is the initial of the surname
# (individuals) or of the name (others). Used only to make the demo greeting believable.
_HOLDER_TYPES = {
    "P": "Individual",
    "C": "Company",
    "H": "Hindu Undivided Family",
    "F": "Firm",
    "A": "Association of Persons",
    "T": "Trust",
    "B": "Body of Individuals",
    "L": "Local Authority",
    "J": "Artificial Juridical Person",
    "G": "Government",
}
_SURNAMES = {
    "A": "Agarwal", "B": "Banerjee", "C": "Chatterjee", "D": "Deshpande", "E": "Eapen",
    "F": "Fernandes", "G": "Gupta", "H": "Hegde", "I": "Iyer", "J": "Joshi", "K": "Kulkarni",
    "L": "Lal", "M": "Menon", "N": "Nair", "O": "Oberoi", "P": "Patel", "Q": "Qureshi",
    "R": "Rao", "S": "Sharma", "T": "Thakur", "U": "Upadhyay", "V": "Verma", "W": "Wadia",
    "X": "Xavier", "Y": "Yadav", "Z": "Zaveri",
}  # fmt: skip
_GIVEN_NAMES = ("Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Meera", "Arjun", "Kavya",
                "Sanjay", "Lakshmi")  # fmt: skip


def normalize_pan(raw: str) -> str:
    """The PAN as typed, trimmed and upper-cased (PANs are case-insensitive)."""
    return raw.strip().upper()


def is_valid_pan(pan: str) -> bool:
    """Five letters, four digits, one letter, e.g. ABCPE1234F (already normalised)."""
    return _PAN_RE.fullmatch(pan) is not None


def mask_pan(pan: str) -> str:
    """ABCPE1234F -> ABCPE****F: what the portal shows back to its user."""
    if not is_valid_pan(pan):
        return "*" * len(pan)
    return pan[:5] + "****" + pan[9]


def holder_type(pan: str) -> str:
    return _HOLDER_TYPES.get(pan[3:4], "Taxpayer") if is_valid_pan(pan) else "Taxpayer"


def demo_name(pan: str) -> str:
    """A stable, made-up name for a PAN, so the dashboard can greet someone."""
    if not is_valid_pan(pan):
        return "Taxpayer"
    given = _GIVEN_NAMES[int(pan[5:9]) % len(_GIVEN_NAMES)]
    return f"{given} {_SURNAMES[pan[4]]}"


def login_error(pan: str, password: str) -> str | None:
    """None when the demo accepts these credentials, else a message for the form."""
    if not pan:
        return "Enter your PAN."
    if not is_valid_pan(pan):
        return "Enter a valid PAN: 5 letters, 4 digits and a letter, for example ABCPE1234F."
    if not password:
        return "Enter your password."
    if not hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode()):
        return "The PAN or password is incorrect. (Demo password: demo1234)"
    return None


@dataclass(frozen=True, slots=True)
class UserSession:
    pan: str
    name: str
    created_at: float
    last_seen: float


class SessionStore:
    """Sign-in sessions by opaque random token, idle-expiring, bounded in number."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        ttl: float = SESSION_TTL_SECONDS,
        max_sessions: int = MAX_SESSIONS,
        token_factory: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = max_sessions
        self._new_token = token_factory
        self._sessions: OrderedDict[str, UserSession] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, pan: str) -> str:
        now = self._clock()
        token = self._new_token()
        self._sessions[token] = UserSession(pan, demo_name(pan), now, now)
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return token

    def get(self, token: str | None) -> UserSession | None:
        """The live session for a token (refreshing its idle timer), else None."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        now = self._clock()
        if now - session.last_seen > self._ttl:
            del self._sessions[token]
            return None
        refreshed = UserSession(session.pan, session.name, session.created_at, now)
        self._sessions[token] = refreshed
        self._sessions.move_to_end(token)
        return refreshed

    def end(self, token: str | None) -> None:
        if token:
            self._sessions.pop(token, None)
