"""Proxy host mapping and access: opaque labels per (session, upstream origin),
one-time overlay tickets, and the visitor's proxy credential. Pure bookkeeping.

Two kinds of label: one for each allowed origin (the site: credentialed with the
session's jar), and "other" labels for origins that are not allowed (CDNs, fonts,
analytics), at most a given number per session. An other label is never credentialed
and never serves a navigation (docs/proxy.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
LABEL_LENGTH = 11  # "p" + 10 base32 characters: 50 random bits, not a credential
TICKET_TTL = 60.0
# On every proxy host: load (or, for a navigation, show) an absolute URL that the page
# has no proxy host for yet; the URL follows, percent-encoded.
GO_PATH = "/__cobrowse/go?url="


def new_label() -> str:
    return "p" + "".join(secrets.choice(_ALPHABET) for _ in range(LABEL_LENGTH - 1))


@dataclass(frozen=True, slots=True)
class Target:
    session_id: str
    upstream_origin: str
    label: str
    other: bool = False  # an origin that is not allowed: anonymous, never a navigation


@dataclass(slots=True)
class ProxyHosts:
    """`<label>.<domain>` hosts on the server's own scheme and port."""

    domain: str
    scheme: str
    port: int | None  # None: the scheme's default port
    _targets: dict[str, Target] = field(default_factory=dict)
    _by_session: dict[str, dict[str, str]] = field(default_factory=dict)
    _others: dict[str, int] = field(default_factory=dict)  # other labels per session

    @classmethod
    def for_base_url(cls, *, domain: str, base_url: str) -> ProxyHosts:
        parts = urlsplit(base_url)
        default = 443 if parts.scheme == "https" else 80
        port = parts.port if parts.port not in (None, default) else None
        return cls(domain=domain.lower(), scheme=parts.scheme or "http", port=port)

    def origin(self, label: str) -> str:
        suffix = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{label}.{self.domain}{suffix}"

    def label_for(self, session_id: str, upstream_origin: str) -> str:
        """The label of an allowed origin (made on first use)."""
        label = self.label_of(session_id, upstream_origin)
        return label if label is not None else self._new(session_id, upstream_origin, False)

    def other_label_for(self, session_id: str, upstream_origin: str, *, limit: int) -> str | None:
        """The label of an origin that is not allowed, made on first use while the
        session has fewer than `limit` of them; None past that."""
        label = self.label_of(session_id, upstream_origin)
        if label is not None:
            return label
        if self._others.get(session_id, 0) >= limit:
            return None
        self._others[session_id] = self._others.get(session_id, 0) + 1
        return self._new(session_id, upstream_origin, True)

    def label_of(self, session_id: str, upstream_origin: str) -> str | None:
        """The label the session has for an origin, if any (none is made)."""
        return self._by_session.get(session_id, {}).get(upstream_origin)

    def _new(self, session_id: str, upstream_origin: str, other: bool) -> str:
        label = new_label()
        while label in self._targets:
            label = new_label()
        self._by_session.setdefault(session_id, {})[upstream_origin] = label
        self._targets[label] = Target(session_id, upstream_origin, label, other)
        return label

    def label_of_host(self, host_header: str) -> str | None:
        """The label when `host_header` is one of our proxy hosts, else None."""
        host = host_header.lower()
        if host.startswith("["):
            return None
        name = host.partition(":")[0]  # the port is whatever the server listens on
        suffix = "." + self.domain
        if not name.endswith(suffix):
            return None
        label = name[: -len(suffix)]
        return label if label and "." not in label else None

    def is_proxy_host(self, host_header: str) -> bool:
        name = host_header.lower().partition(":")[0]
        return name.endswith("." + self.domain)

    def is_proxy_origin(self, origin: str) -> bool:
        """Whether `scheme://host[:port]` names a host under the proxy domain (any port)."""
        return self.is_proxy_host(origin.partition("://")[2])

    def target(self, label: str) -> Target | None:
        return self._targets.get(label)

    def origins(self, session_id: str) -> dict[str, str]:
        """Upstream origin -> proxy origin, for every label of a session."""
        return {o: self.origin(lb) for o, lb in self._by_session.get(session_id, {}).items()}

    def others(self, session_id: str) -> list[str]:
        """The upstream origins of the session's other labels (not allowed)."""
        labels = self._by_session.get(session_id, {})
        return [o for o, label in labels.items() if self._targets[label].other]

    def upstream_of(self, session_id: str, proxy_origin: str) -> str | None:
        """The upstream origin of one of the session's proxy origins, else None."""
        scheme, _, host = proxy_origin.partition("://")
        label = self.label_of_host(host)
        target = self._targets.get(label) if label and scheme == self.scheme else None
        if target is None or target.session_id != session_id:
            return None
        return target.upstream_origin if self.origin(label or "") == proxy_origin else None

    def forget(self, session_id: str) -> None:
        for label in self._by_session.pop(session_id, {}).values():
            self._targets.pop(label, None)
        self._others.pop(session_id, None)


@dataclass(slots=True)
class ProxyAccess:
    """Overlay tickets (one use, 60 s) and the proxy credentials they turn into."""

    _tickets: dict[str, tuple[str, float]] = field(default_factory=dict)
    _credentials: dict[str, str] = field(default_factory=dict)
    _credential_of: dict[str, str] = field(default_factory=dict)

    def ticket(self, session_id: str, *, now: float) -> str:
        self._tickets = {t: v for t, v in self._tickets.items() if v[1] > now}
        ticket = secrets.token_urlsafe(24)
        self._tickets[ticket] = (session_id, now + TICKET_TTL)
        return ticket

    def redeem(self, ticket: str, *, now: float) -> tuple[str, str] | None:
        """(session id, credential) for a live ticket, which is then used up."""
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] <= now:
            return None
        session_id = entry[0]
        credential = self._credential_of.get(session_id)
        if credential is None:
            credential = secrets.token_urlsafe(32)
            self._credential_of[session_id] = credential
            self._credentials[credential] = session_id
        return session_id, credential

    def session_of(self, credential: str | None) -> str | None:
        return self._credentials.get(credential) if credential else None

    def forget(self, session_id: str) -> None:
        credential = self._credential_of.pop(session_id, None)
        if credential is not None:
            self._credentials.pop(credential, None)
        self._tickets = {t: v for t, v in self._tickets.items() if v[0] != session_id}
