"""Webhook events: which audit entries a CRM hears about, and what it is told (docs/webhooks.md).

Pure: an audit entry (core/audit.py) of a kind that maps to an event becomes one
`Event`, built only from the entry's fields that hold no personal data and no page
value (never its address, target, detail, or a person's name unless an endpoint asks
for the agents' ids); the endpoints a configuration lists are parsed and checked here
too. Signing and the retry rules are in core/webhook_delivery.py; sending in
server/webhooks.py.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cobrowse.core.audit import REVOKE_REASONS, AuditEntry, Kind, Scalar, iso_time

PING = "webhook.ping"
SCHEMA_VERSION = 1


# The events, by the audit kinds they come from (a join counts only when it succeeded).
EVENT_OF_KIND: Mapping[Kind, str] = {
    Kind.SESSION_CREATED: "session.created",
    Kind.JOIN_ATTEMPTED: "session.joined",
    Kind.CONSENT_ALLOWED: "session.consent",
    Kind.CONSENT_DENIED: "session.consent",
    Kind.CONTROL_GRANTED: "control.granted",
    Kind.CONTROL_REVOKED: "control.revoked",
    Kind.CONTROL_RELEASED: "control.released",
    Kind.SESSION_ENDED: "session.ended",
    Kind.SESSION_HANDED_OVER: "session.handed_over",
}
EVENT_TYPES: tuple[str, ...] = (*dict.fromkeys(EVENT_OF_KIND.values()), PING)

# Who did it, as a kind of party: never who they are.
VISITOR, AGENT, SYSTEM, CRM = "visitor", "agent", "system", "crm"
# The words an event may carry as a reason: fixed vocabularies, never free text.
END_REASONS = frozenset(
    {
        "visitor_stopped",
        "agent_left",
        "denied",
        "pin_expired",
        "consent_timeout",
        "visitor_gone",
        "agent_gone",
        "max_duration",
        "admin",
    }
)
CONTROL_REASONS = REVOKE_REASONS | {"agent_left", "taken_over", "transferred"}
HAND_OVERS = frozenset({"taken_over", "transferred"})
JOIN_VIAS = frozenset({"link", "account", "sso"})
_EVENT_ID = re.compile(r"evt_[0-9a-f]{32}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One webhook event: `id` is unique (receivers dedupe on it), `at` is when the
    thing happened (seconds since the epoch)."""

    id: str
    type: str
    at: float
    session_id: str | None
    data: Mapping[str, Scalar] = field(default_factory=dict)


def new_event_id(random_hex: str) -> str:
    """An event id from 32 random hex digits (the caller's randomness: this is pure)."""
    event_id = f"evt_{random_hex}"
    if not _EVENT_ID.fullmatch(event_id):
        raise ValueError("an event id is evt_ and 32 hex digits")
    return event_id


def actor_type(actor: str) -> str:
    if actor == "visitor":
        return VISITOR
    if actor == "system":
        return SYSTEM
    if actor.startswith("crm:"):
        return CRM
    return AGENT


def event_of(entry: AuditEntry, *, event_id: str, agent_ids: bool = False) -> Event | None:
    """The event an audit entry becomes, or None when its kind
    is not one a CRM hears about. `agent_ids`: a join carries the agent's sign-in id
    (`account:asha`, `sso:<subject>`, `link:<name>`), for a CRM that maps agents."""
    kind = entry.kind
    event_type = EVENT_OF_KIND.get(kind)
    if event_type is None or entry.session_id is None:
        return None
    data: dict[str, Scalar] = {"actor": actor_type(entry.actor)}
    if kind is Kind.SESSION_CREATED:
        origin = entry.data.get("origin")
        data["origin"] = _origin(origin) if isinstance(origin, str) else None
    elif kind is Kind.JOIN_ATTEMPTED:
        if entry.outcome != "ok":
            return None
        via = entry.data.get("via")
        data["via"] = via if via in JOIN_VIAS else None
        if agent_ids:
            agent_id = entry.data.get("agent_id")
            data["agent_id"] = agent_id if isinstance(agent_id, str) else None
    elif kind in (Kind.CONSENT_ALLOWED, Kind.CONSENT_DENIED):
        data["allowed"] = kind is Kind.CONSENT_ALLOWED
    elif kind in (Kind.CONTROL_REVOKED, Kind.CONTROL_RELEASED):
        data["reason"] = entry.outcome if entry.outcome in CONTROL_REASONS else None
    elif kind is Kind.SESSION_ENDED:
        data["reason"] = entry.outcome if entry.outcome in END_REASONS else "other"
    elif kind is Kind.SESSION_HANDED_OVER:
        data["how"] = entry.outcome if entry.outcome in HAND_OVERS else None
    return Event(id=event_id, type=event_type, at=entry.at, session_id=entry.session_id, data=data)


def ping(*, event_id: str, at: float) -> Event:
    """The test event `cobrowse webhooks test` sends."""
    return Event(id=event_id, type=PING, at=at, session_id=None, data={})


def _origin(url: str) -> str | None:
    """Only scheme, host and port of the page the session started on (its path could
    name a person: /customers/asha-rao)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def payload(event: Event) -> dict[str, Any]:
    """The JSON object a receiver gets (docs/webhooks.md)."""
    return {
        "v": SCHEMA_VERSION,
        "id": event.id,
        "type": event.type,
        "time": iso_time(event.at),
        "session_id": event.session_id,
        "data": dict(event.data),
    }


def body(event: Event) -> bytes:
    """The request body: compact JSON, keys in a fixed order, UTF-8."""
    return json.dumps(payload(event), ensure_ascii=False, separators=(",", ":")).encode()


# --- endpoints, as a configuration lists them ----------------------------------------

ENDPOINT_KEYS = frozenset(
    {
        "name",
        "url",
        "secret_env",
        "secret_file",
        "events",
        "timeout_seconds",
        "allow_insecure",
        "agent_ids",
    }
)
MAX_TIMEOUT = 60.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class EndpointError(ValueError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One receiver. The secret itself is not here: `secret_env` or `secret_file` says
    where the server reads it (server/webhook_send.py), so the configuration never holds it."""

    name: str
    url: str
    events: frozenset[str]
    timeout: float = 10.0
    secret_env: str = ""
    secret_file: str = ""
    agent_ids: bool = False

    def wants(self, event_type: str) -> bool:
        return event_type == PING or event_type in self.events


def parse_endpoints(tables: Iterable[Mapping[str, Any]]) -> tuple[Endpoint, ...]:
    """The `[[webhooks.endpoints]]` tables as endpoints; EndpointError naming the first
    problem (`webhooks.endpoints[2].url: ...`)."""
    endpoints: list[Endpoint] = []
    for index, table in enumerate(tables):
        where = f"webhooks.endpoints[{index}]"
        try:
            endpoints.append(_endpoint(table, where))
        except EndpointError:
            raise
        except (TypeError, ValueError) as exc:
            raise EndpointError(f"{where}: {exc}") from None
    names = [e.name for e in endpoints]
    for name in names:
        if names.count(name) > 1:
            raise EndpointError(f"webhooks.endpoints: two endpoints are named {name!r}")
    return tuple(endpoints)


def _endpoint(table: Mapping[str, Any], where: str) -> Endpoint:
    unknown = sorted(set(table) - ENDPOINT_KEYS)
    if unknown:
        raise EndpointError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(ENDPOINT_KEYS))})"
        )
    url = table.get("url")
    if not isinstance(url, str) or not url:
        raise EndpointError(f"{where}.url is required")
    insecure = _flag(table.get("allow_insecure", False), f"{where}.allow_insecure")
    problem = url_problem(url, allow_insecure=insecure)
    if problem:
        raise EndpointError(f"{where}.url: {problem}")
    secret_env, secret_file = table.get("secret_env", ""), table.get("secret_file", "")
    if not isinstance(secret_env, str) or not isinstance(secret_file, str):
        raise EndpointError(f"{where}: secret_env and secret_file are strings")
    if bool(secret_env) == bool(secret_file):
        raise EndpointError(
            f"{where}: give the signing secret as exactly one of secret_env "
            "(an environment variable's name) or secret_file (a file's path)"
        )
    events = table.get("events", list(EVENT_TYPES))
    if isinstance(events, str):
        events = [e.strip() for e in events.split(",") if e.strip()]
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise EndpointError(f"{where}.events must be a non-empty list of event types")
    for event_type in events:
        if event_type not in EVENT_TYPES:
            raise EndpointError(
                f"{where}.events: unknown event {event_type[:40]!r} "
                f"(known: {', '.join(EVENT_TYPES)})"
            )
    timeout = table.get("timeout_seconds", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float | str):
        raise EndpointError(f"{where}.timeout_seconds must be a number")
    try:
        timeout = float(timeout)
    except ValueError:
        raise EndpointError(f"{where}.timeout_seconds must be a number") from None
    if not 0 < timeout <= MAX_TIMEOUT:
        raise EndpointError(f"{where}.timeout_seconds must be more than 0 and at most 60")
    name = table.get("name") or default_name(url)
    if not isinstance(name, str) or (table.get("name") and not _NAME.fullmatch(name)):
        raise EndpointError(
            f"{where}.name: letters, digits, . _ - (at most 40, starting with a letter or digit)"
        )
    return Endpoint(
        name=name,
        url=url,
        events=frozenset(events),
        timeout=timeout,
        secret_env=secret_env,
        secret_file=secret_file,
        agent_ids=_flag(table.get("agent_ids", False), f"{where}.agent_ids"),
    )


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise EndpointError(f"{name} must be true or false")


def default_name(url: str) -> str:
    """What an endpoint without a name is shown as: its host and path (never its query
    or user info, which may hold a token)."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def url_problem(url: str, *, allow_insecure: bool) -> str | None:
    """Why `url` cannot be a webhook endpoint, or None. https is required, except for a
    loopback host (a receiver on the same machine) or with `allow_insecure` (tests)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a URL ({exc})"
    del port
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"must be an https:// URL, not {url[:80]!r}"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password (the signature authenticates us)"
    if parts.fragment:
        return "must not have a #fragment"
    if parts.scheme == "http" and not allow_insecure and not is_loopback(parts.hostname):
        return (
            "must be https:// (http:// only for a loopback host such as 127.0.0.1, "
            "or with allow_insecure = true)"
        )
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
