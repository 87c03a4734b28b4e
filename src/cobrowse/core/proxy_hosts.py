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
        if label is not None:
            return label
        claimed = self.claim(Target(session_id, upstream_origin, new_label()), limit=0)
        assert claimed is not None  # an allowed origin is never refused
        return claimed.label

    def other_label_for(self, session_id: str, upstream_origin: str, *, limit: int) -> str | None:
        """The label of an origin that is not allowed, made on first use while the
        session has fewer than `limit` of them; None past that."""
        label = self.label_of(session_id, upstream_origin)
        if label is not None:
            return label
        claimed = self.claim(Target(session_id, upstream_origin, new_label(), True), limit=limit)
        return None if claimed is None else claimed.label

    def label_of(self, session_id: str, upstream_origin: str) -> str | None:
        """The label the session has for an origin, if any (none is made)."""
        return self._by_session.get(session_id, {}).get(upstream_origin)

    def claim(self, proposed: Target, *, limit: int) -> Target | None:
        """The rule every store applies (store/proxy_redis.py in one Lua script): the
        target the session already has for the origin; else `proposed` (its label
        redrawn while another target holds it), unless it is an other origin and the
        session has `limit` of them already (None)."""
        label = self.label_of(proposed.session_id, proposed.upstream_origin)
        if label is not None:
            return self._targets[label]
        session_id = proposed.session_id
        if proposed.other:
            if self._others.get(session_id, 0) >= limit:
                return None
            self._others[session_id] = self._others.get(session_id, 0) + 1
        label = proposed.label
        while label in self._targets:
            label = new_label()
        target = Target(session_id, proposed.upstream_origin, label, proposed.other)
        self._by_session.setdefault(session_id, {})[target.upstream_origin] = label
        self._targets[label] = target
        return target

    def targets(self, session_id: str) -> dict[str, Target]:
        """Upstream origin -> target, for every label of a session."""
        return {o: self._targets[lb] for o, lb in self._by_session.get(session_id, {}).items()}

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
        label = self.label_of_origin(proxy_origin)
        target = self._targets.get(label) if label else None
        if target is None or target.session_id != session_id:
            return None
        return target.upstream_origin

    def label_of_origin(self, proxy_origin: str) -> str | None:
        """The label when `proxy_origin` is exactly one of our proxy origins (our scheme
        and port too), else None."""
        scheme, _, host = proxy_origin.partition("://")
        label = self.label_of_host(host) if scheme == self.scheme else None
        return label if label and self.origin(label) == proxy_origin else None

    def forget(self, session_id: str) -> None:
        for label in self._by_session.pop(session_id, {}).values():
            self._targets.pop(label, None)
        self._others.pop(session_id, None)


@dataclass(slots=True)
class SessionHosts:
    """One session's labels as one request sees them: what the store had when the
    request began, plus labels the rewriters proposed on the way. The rewriters are
    synchronous, the store is not: the proposals are claimed in the store afterwards
    (`ProxyHosts.claim`'s rule), and `settle` takes its answer; when a proposal did not
    stand (another node claimed that origin first, or the other-origin limit was
    reached there), the caller rewrites again with what the store said."""

    names: ProxyHosts  # the naming half: origin(label), label_of_origin
    session_id: str
    limit: int  # other labels per session (proxy.max_other_origins)
    known: dict[str, Target] = field(default_factory=dict)  # upstream origin -> target
    proposed: dict[str, Target] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)  # other origins past the limit

    def label_of(self, upstream_origin: str) -> str | None:
        target = self.known.get(upstream_origin) or self.proposed.get(upstream_origin)
        return None if target is None else target.label

    def label_for(self, upstream_origin: str) -> str:
        """As ProxyHosts.label_for: an allowed origin's label, proposed on first use."""
        label = self.label_of(upstream_origin)
        if label is None:
            label = new_label()
            self.proposed[upstream_origin] = Target(self.session_id, upstream_origin, label)
        return label

    def other_label_for(self, upstream_origin: str) -> str | None:
        """As ProxyHosts.other_label_for, with the limit the store enforces again."""
        label = self.label_of(upstream_origin)
        if label is not None or upstream_origin in self.refused:
            return label
        if len(self.others()) >= self.limit:
            return None
        label = new_label()
        self.proposed[upstream_origin] = Target(self.session_id, upstream_origin, label, True)
        return label

    def settle(self, claimed: dict[str, Target]) -> bool:
        """The store's answer to the proposals (origin -> the target it holds; an origin
        missing was refused). True when every proposal stood as proposed."""
        stood = True
        for origin, proposal in self.proposed.items():
            target = claimed.get(origin)
            if target is None:
                self.refused.add(origin)
                stood = False
            else:
                self.known[origin] = target
                stood = stood and target == proposal
        self.proposed = {}
        return stood

    def targets(self) -> dict[str, Target]:
        return {**self.known, **self.proposed}

    def origins(self) -> dict[str, str]:
        """Upstream origin -> proxy origin, for every label (proposed ones too)."""
        return {o: self.names.origin(t.label) for o, t in self.targets().items()}

    def others(self) -> list[str]:
        return [o for o, t in self.targets().items() if t.other]

    def upstream_of(self, proxy_origin: str) -> str | None:
        """The upstream origin of one of the session's proxy origins, else None."""
        label = self.names.label_of_origin(proxy_origin)
        for origin, target in self.targets().items():
            if target.label == label:
                return origin
        return None


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
