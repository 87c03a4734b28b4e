"""The audit log's records: who did what and when, as plain data (see docs/audit.md).

Pure: entries are built here from what the server saw, with the rules that keep
page values out of them: typed text is counted, never kept; chat is measured,
never quoted; a target element is named only by the short description the
visitor's browser computed from its role and label ("masked field" for a masked
one), cleaned again here with every value pattern the server knows; URLs lose their
query and fragment. Storage lives in `store/audit.py`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from cobrowse.core.masking import BUILTIN_PATTERNS, MASK_CHAR, MaskingRules, Pattern, mask_text
from cobrowse.core.masking_fold import hidden
from cobrowse.core.masking_text import spans

Scalar = str | int | float | bool | None


class Kind(StrEnum):
    SESSION_CREATED = "session.created"
    JOIN_ATTEMPTED = "join.attempted"
    CONSENT_ALLOWED = "consent.allowed"
    CONSENT_DENIED = "consent.denied"
    CONTROL_REQUESTED = "control.requested"
    CONTROL_GRANTED = "control.granted"
    CONTROL_DENIED = "control.denied"
    CONTROL_REVOKED = "control.revoked"
    CONTROL_RELEASED = "control.released"
    AGENT_ACT = "agent.act"
    AGENT_GUIDE = "agent.guide"
    CHAT_SENT = "chat.sent"
    FILE_OFFERED = "file.offered"
    FILE_ACCEPTED = "file.accepted"
    FILE_DECLINED = "file.declined"
    FILE_DOWNLOADED = "file.downloaded"
    SESSION_ENDED = "session.ended"
    AGENT_LINK_ISSUED = "agent_link.issued"
    WATCH_ASKED = "watch.asked"
    WATCH_ALLOWED = "watch.allowed"
    WATCH_DENIED = "watch.denied"
    WATCH_ENDED = "watch.ended"
    NOTE_SENT = "note.sent"
    SESSION_HANDED_OVER = "session.handed_over"
    TRANSFER_OFFERED = "transfer.offered"
    TRANSFER_DECLINED = "transfer.declined"
    TRANSFER_LAPSED = "transfer.lapsed"
    RECORDING_REPLAYED = "recording.replayed"
    RECORDING_EXPORTED = "recording.exported"


KINDS: frozenset[str] = frozenset(k.value for k in Kind)

VISITOR = "visitor"
SYSTEM = "system"
MASKED = "masked field"
MAX_TARGET = 80  # characters of an element description
MAX_ACTOR = 200
MAX_URL = 200
# Why the visitor took control back (the `reason` of a `control` revoke).
REVOKE_REASONS = frozenset({"button", "escape", "hidden"})
_KEY_NAME = re.compile(r"[A-Z][A-Za-z0-9]{1,19}")
# Why an act failed, as the audit names it: the visitor's browser's refusals and the
# server's own; anything else a visitor's browser sends is "other" (a free-form code
# could carry a value: `abcde1234f` has the shape of a code).
ACT_OUTCOMES = frozenset(
    {
        "masked",
        "refused",
        "not_found",
        "not_editable",
        "bad_url",
        "other_site",
        "file_input",
        "failed",
        "no_control",
        "visitor_away",
        "unanswered",
    }
)
# Blanked even in a label: what looks like personal data (as the browser does too).
_DATA_LIKE = re.compile(r"\S*@\S*|\d[\d\s./-]{2,}\d")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One thing that happened. `id` is given by the store (ascending, never reused)."""

    at: float
    kind: Kind
    actor: str  # an agent's name, "visitor", "system" or "crm:<key id>"
    session_id: str | None = None
    address: str | None = None  # the client address the request or socket came from
    target: str | None = None  # the element acted on, as the visitor's browser described it
    outcome: str | None = None  # "ok", a refusal code, an end reason, a revoke reason...
    detail: str = ""  # one readable line, e.g. "typed 10 characters into text field “Name”"
    data: Mapping[str, Scalar] = field(default_factory=dict)
    id: int | None = None


def agent_actor(name: str | None) -> str:
    return (name or "agent")[:MAX_ACTOR]


def crm_actor(key_id: str) -> str:
    return f"crm:{key_id}"


def audit_patterns(rules: MaskingRules | None = None) -> tuple[Pattern, ...]:
    """The value patterns the audit log masks in text a browser or a person chose:
    every built-in pattern (the opt-in ones too) and every custom pattern of `rules`,
    whichever sites they are switched on for. A superset of what the browser masks on
    any page of any site, so the log never keeps what a page's rules would hide."""
    custom = tuple(rules.custom.values()) if rules is not None else ()
    return (*BUILTIN_PATTERNS.values(), *custom)


# What a room uses when nobody says otherwise: the built-in patterns.
BUILTIN_AUDIT_PATTERNS: tuple[Pattern, ...] = audit_patterns()


def one_line(text: str) -> str:
    """`text` with control characters and line breaks as spaces, and without format
    characters (bidirectional overrides, zero-width characters: a log line must read as
    it is stored)."""
    text = _CONTROL_CHARS.sub(" ", text)
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def mask_values(text: str, patterns: Iterable[Pattern]) -> str:
    """`text` with every value pattern masked as the browser masks it (on the normalised
    view: any script's digits, Unicode spaces and dashes, compatibility forms, invisible
    characters inside a value), also when the value is spread out with spaces
    (`A B C D E 1 2 3 4 F`)."""
    patterns = tuple(patterns)
    if not patterns or not text:
        return text
    text = mask_text(text, patterns)
    kept = [i for i, ch in enumerate(text) if not ch.isspace()]
    if len(kept) == len(text):
        return text
    found = spans("".join(text[i] for i in kept), patterns)
    if not found:
        return text
    chars = list(text)
    for start, end in found:
        for k in range(start, end):
            if hidden(chars[kept[k]]):
                chars[kept[k]] = MASK_CHAR
    return "".join(chars)


def clean_description(
    raw: object, *, blank: bool = True, patterns: Iterable[Pattern] = BUILTIN_AUDIT_PATTERNS
) -> str | None:
    """A visitor-sent element description made safe to keep: one line, every value
    pattern masked (before anything else changes the value's shape), then digit runs and
    e-mail addresses blanked (unless not `blank`: file names), at most MAX_TARGET
    characters; None when empty."""
    if not isinstance(raw, str):
        return None
    text = mask_values(one_line(raw), patterns)
    if blank:
        text = _DATA_LIKE.sub("…", text)
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= MAX_TARGET else text[: MAX_TARGET - 1] + "…"


def mask_url(url: str, patterns: Iterable[Pattern] = BUILTIN_AUDIT_PATTERNS) -> str:
    """A kept URL (no query) with the value patterns masked, also in its decoded form
    (`/pan/ABCDE%31234F`): then the decoded, masked form is kept."""
    patterns = tuple(patterns)
    masked = mask_values(url, patterns)
    decoded = one_line(unquote(url))
    decoded_masked = mask_values(decoded, patterns)
    return decoded_masked if decoded_masked != decoded else masked


def safe_url(url: str) -> str:
    """A URL without its query and fragment (they may carry personal data), bounded."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "an invalid address"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "an invalid address"
    text = f"{parts.scheme}://{parts.netloc}{parts.path}"
    text = _CONTROL_CHARS.sub("", text)
    return text if len(text) <= MAX_URL else text[: MAX_URL - 1] + "…"


def key_name(value: str) -> str:
    """A named key ("Enter", "Tab", "ArrowDown") as is; a character key never."""
    return value if _KEY_NAME.fullmatch(value) else "a character key"


@dataclass(frozen=True, slots=True)
class PendingAct:
    """What the server keeps of an `act` until the visitor answers it: never the value
    of an input, only its length."""

    kind: str
    node: int | None
    chars: int
    key: str
    url: str
    dx: float
    dy: float


def pending_act(
    *,
    kind: str,
    node: int | None,
    value: str,
    dx: float,
    dy: float,
    patterns: Iterable[Pattern] = BUILTIN_AUDIT_PATTERNS,
) -> PendingAct:
    if kind == "navigate" and value in ("back", "forward", "reload"):
        url = value
    elif kind == "navigate":
        url = mask_url(safe_url(value), patterns)
    else:
        url = ""
    return PendingAct(
        kind=kind,
        node=node,
        chars=len(value) if kind == "input" else 0,
        key=key_name(value) if kind == "key" else "",
        url=url,
        dx=dx,
        dy=dy,
    )


def act_entry(
    *,
    at: float,
    session_id: str,
    agent: str | None,
    act: PendingAct,
    ok: bool,
    reason: str | None,
    description: str | None,
    patterns: Iterable[Pattern] = BUILTIN_AUDIT_PATTERNS,
) -> AuditEntry:
    """An agent's action, once the visitor's browser said what became of it; the
    description is cleaned with `patterns` (the server's, audit_patterns)."""
    if ok:
        outcome = "ok"
    elif reason is None:
        outcome = "failed"
    else:
        outcome = reason if reason in ACT_OUTCOMES else "other"
    if reason == "masked":
        target: str | None = MASKED
    elif act.node is None:
        target = None
    else:
        target = clean_description(description, patterns=patterns) or "an element"
    on = f"“{target}”" if target else "the page"
    data: dict[str, Scalar] = {"act": act.kind, "node": act.node}
    if act.kind == "click":
        detail = f"clicked {on}"
    elif act.kind == "input":
        detail = f"typed {act.chars} characters into {on}"
        data["chars"] = act.chars
    elif act.kind == "key":
        detail = f"pressed {act.key}" + (f" on {on}" if target else "")
        data["key"] = act.key
    elif act.kind == "scroll":
        detail = f"scrolled {on}"
        data["dx"], data["dy"] = act.dx, act.dy
    else:
        detail = {"back": "went back", "forward": "went forward", "reload": "reloaded"}.get(
            act.url, f"opened {act.url}"
        )
        data["url"] = act.url
    if not ok:
        detail += f" (refused: {outcome})"
    return AuditEntry(
        at=at,
        kind=Kind.AGENT_ACT,
        actor=agent_actor(agent),
        session_id=session_id,
        target=target,
        outcome=outcome,
        detail=detail,
        data=data,
    )


def guide_entry(
    *, at: float, session_id: str, agent: str | None, kind: str, node: int | None
) -> AuditEntry:
    """A pointer, highlight, laser or drawing; the node is the rrweb id it is placed on."""
    detail = (
        "cleared the marks"
        if kind == "clear"
        else f"{kind}" + (f" on node {node}" if node is not None else "")
    )
    return AuditEntry(
        at=at,
        kind=Kind.AGENT_GUIDE,
        actor=agent_actor(agent),
        session_id=session_id,
        outcome="ok",
        detail=detail,
        data={"guide": kind, "node": node},
    )


_CONTROL_KINDS = {
    "request": Kind.CONTROL_REQUESTED,
    "release": Kind.CONTROL_RELEASED,
    "grant": Kind.CONTROL_GRANTED,
    "deny": Kind.CONTROL_DENIED,
    "revoke": Kind.CONTROL_REVOKED,
}


def control_entry(
    *, at: float, session_id: str, actor: str, action: str, reason: str | None = None
) -> AuditEntry:
    """A change of control; `reason` says why it was revoked (button, escape, hidden,
    agent_left)."""
    return AuditEntry(
        at=at,
        kind=_CONTROL_KINDS[action],
        actor=actor,
        session_id=session_id,
        outcome=reason,
        detail=action + (f" ({reason})" if reason else ""),
    )


def consent_entry(*, at: float, session_id: str, allow: bool) -> AuditEntry:
    return AuditEntry(
        at=at,
        kind=Kind.CONSENT_ALLOWED if allow else Kind.CONSENT_DENIED,
        actor=VISITOR,
        session_id=session_id,
        detail="allowed the agent to see the page" if allow else "denied the agent",
    )


def chat_entry(*, at: float, session_id: str, actor: str, text: str) -> AuditEntry:
    """A chat message: who and how long, never what it said."""
    return AuditEntry(
        at=at,
        kind=Kind.CHAT_SENT,
        actor=actor,
        session_id=session_id,
        detail=f"sent a message of {len(text)} characters",
        data={"chars": len(text)},
    )


def file_entry(
    *,
    at: float,
    kind: Kind,
    session_id: str,
    actor: str,
    file_id: str,
    name: str,
    size: int,
    type: str,
    patterns: Iterable[Pattern] = BUILTIN_AUDIT_PATTERNS,
) -> AuditEntry:
    """A file offered by the agent, accepted, declined or downloaded by the visitor. Its
    name is a person's choice: value patterns in it are masked (`ABCDE1234F.pdf`)."""
    verb = kind.value.split(".", 1)[1]
    shown = clean_description(name, blank=False, patterns=patterns) or "file"
    kept = mask_values(one_line(name), patterns)
    return AuditEntry(
        at=at,
        kind=kind,
        actor=actor,
        session_id=session_id,
        target=shown,
        detail=f"{verb} “{shown}” ({size} bytes, {type})",
        data={"file_id": file_id, "name": kept, "size": size, "type": type},
    )


def ended_entry(*, at: float, session_id: str, reason: str, agent: str | None) -> AuditEntry:
    return AuditEntry(
        at=at,
        kind=Kind.SESSION_ENDED,
        actor=end_actor(reason, agent),
        session_id=session_id,
        outcome=str(reason),
        detail=f"ended: {reason}",
    )


def people_entry(
    *,
    at: float,
    kind: Kind,
    session_id: str,
    actor: str,
    target: str | None = None,
    outcome: str | None = None,
    detail: str,
    data: Mapping[str, Scalar] | None = None,
) -> AuditEntry:
    """Who joined, left or took over a session: watchers, hand-overs, transfers, notes
    (a note's length only, never its text)."""
    return AuditEntry(
        at=at,
        kind=kind,
        actor=actor[:MAX_ACTOR],
        session_id=session_id,
        target=None if target is None else target[:MAX_ACTOR],
        outcome=outcome,
        detail=one_line(detail)[:MAX_ACTOR],
        data=dict(data or {}),
    )


# --- runs of the same action become one entry ---------------------------------------

# Typing sends the whole field on every key, the pointer moves many times a second:
# such runs are kept as one entry with a count (the last one's figures, the first's time).
_RUN_ACTS = frozenset({"input", "scroll"})
_RUN_GUIDES = frozenset({"pointer", "laser", "draw"})


def holder(entry: AuditEntry) -> str | None:
    """Whose runs an entry continues or ends: its session's, or for join attempts the
    agent's at that address (a burst of wrong PINs is one entry with a count)."""
    if entry.kind is Kind.JOIN_ATTEMPTED:
        return f"join\x00{entry.actor}\x00{entry.address}"
    return entry.session_id


def run_key(entry: AuditEntry) -> tuple[str, ...] | None:
    """Entries with the same key, one right after the other, are one run."""
    if entry.kind is Kind.JOIN_ATTEMPTED and entry.session_id is None:
        return ("join", entry.outcome or "")  # wrong or throttled: no session to order by
    if entry.session_id is None:
        return None
    if entry.kind is Kind.AGENT_ACT and entry.data.get("act") in _RUN_ACTS:
        return (
            entry.session_id,
            "act",
            str(entry.data["act"]),
            str(entry.data.get("node")),
            entry.outcome or "",
        )
    if entry.kind is Kind.AGENT_GUIDE and entry.data.get("guide") in _RUN_GUIDES:
        return (entry.session_id, "guide", str(entry.data["guide"]))
    return None


def merge(first: AuditEntry, later: AuditEntry) -> AuditEntry:
    count = first.data.get("count", 1)
    times = (count if isinstance(count, int) else 1) + 1
    data = dict(later.data)
    if later.kind is Kind.AGENT_ACT and later.data.get("act") == "scroll":
        data["dx"] = _num(first.data.get("dx")) + _num(later.data.get("dx"))
        data["dy"] = _num(first.data.get("dy")) + _num(later.data.get("dy"))
    data["count"] = times
    return replace(later, at=first.at, data=data)


def _num(value: Scalar) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass(slots=True)
class Coalescer:
    """Holds the latest entry of a run per holder (a session; an agent's join attempts)
    until the run ends: the holder's next entry, `due` after `idle` seconds, or `drain`."""

    idle: float = 2.0
    _held: dict[str, tuple[tuple[str, ...], AuditEntry, float]] = field(default_factory=dict)

    def add(self, entry: AuditEntry, *, now: float) -> list[AuditEntry]:
        """The entries ready to be written, in order, after `entry` happened."""
        out: list[AuditEntry] = []
        key = run_key(entry)
        sid = holder(entry)
        held = self._held.pop(sid, None) if sid is not None else None
        if held is not None:
            if key is not None and sid is not None and held[0] == key:
                self._held[sid] = (key, merge(held[1], entry), now)
                return out
            out.append(held[1])
        if key is not None and sid is not None:
            self._held[sid] = (key, entry, now)
        else:
            out.append(entry)
        return out

    def due(self, *, now: float) -> list[AuditEntry]:
        ready = [sid for sid, (_, _, last) in self._held.items() if now - last >= self.idle]
        return [self._held.pop(sid)[1] for sid in ready]

    def drain(self) -> list[AuditEntry]:
        out = [entry for _, entry, _ in self._held.values()]
        self._held.clear()
        return out

    def __len__(self) -> int:
        return len(self._held)


# --- reading filters -------------------------------------------------------------


def parse_time(text: str) -> float:
    """Epoch seconds, or ISO 8601 (a time without a zone is UTC); ValueError otherwise."""
    text = text.strip()
    if text.replace(".", "", 1).isdigit():
        return float(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """Comma-separated kinds; ValueError naming the first unknown one."""
    kinds = tuple(k.strip() for k in (text or "").split(",") if k.strip())
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"unknown kind {k[:40]!r}")
    return kinds


# --- what ended a session, and who -----------------------------------------------

_END_ACTORS = {"visitor_stopped": VISITOR, "denied": VISITOR}


def end_actor(reason: str, agent: str | None) -> str:
    if reason == "agent_left":
        return agent_actor(agent)
    return _END_ACTORS.get(reason, SYSTEM)
