"""Proxy host mapping and access: opaque labels per (session, upstream origin),
one-time overlay tickets, and the visitor's proxy credential. Pure bookkeeping."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
LABEL_LENGTH = 11  # "p" + 10 base32 characters: 50 random bits, not a credential
TICKET_TTL = 60.0


def new_label() -> str:
    return "p" + "".join(secrets.choice(_ALPHABET) for _ in range(LABEL_LENGTH - 1))


@dataclass(frozen=True, slots=True)
class Target:
    session_id: str
    upstream_origin: str
    label: str


@dataclass(slots=True)
class ProxyHosts:
    """`<label>.<domain>` hosts on the server's own scheme and port."""

    domain: str
    scheme: str
    port: int | None  # None: the scheme's default port
    _targets: dict[str, Target] = field(default_factory=dict)
    _by_session: dict[str, dict[str, str]] = field(default_factory=dict)

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
        labels = self._by_session.setdefault(session_id, {})
        label = labels.get(upstream_origin)
        if label is None:
            label = new_label()
            while label in self._targets:
                label = new_label()
            labels[upstream_origin] = label
            self._targets[label] = Target(session_id, upstream_origin, label)
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

    def target(self, label: str) -> Target | None:
        return self._targets.get(label)

    def origins(self, session_id: str) -> dict[str, str]:
        """Upstream origin -> proxy origin, for every label of a session."""
        return {o: self.origin(lb) for o, lb in self._by_session.get(session_id, {}).items()}

    def upstream_of(self, session_id: str, proxy_origin: str) -> str | None:
        for upstream, label in self._by_session.get(session_id, {}).items():
            if self.origin(label) == proxy_origin:
                return upstream
        return None

    def forget(self, session_id: str) -> None:
        for label in self._by_session.pop(session_id, {}).values():
            self._targets.pop(label, None)


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
