"""Allowed-origin patterns: `https://portal.example.gov.in`, `https://*.example.gov.in`,
`http://localhost:*`. A pattern is validated when it is loaded, not when it is used."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class OriginPattern:
    scheme: str
    host: str  # lower case; a leading "*." means any subdomain (not the bare domain)
    port: int | None  # None means any port

    @classmethod
    def parse(cls, text: str) -> OriginPattern:
        raw = text.strip()
        if "://" not in raw:
            raise OriginError(f"{text!r} is not an origin (expected scheme://host[:port])")
        scheme, rest = raw.split("://", 1)
        scheme = scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise OriginError(f"{text!r}: only http and https origins are allowed")
        rest = rest.rstrip("/")
        if not rest or any(ch in rest for ch in "/?#@ "):
            raise OriginError(f"{text!r} is not an origin (no path, query or user allowed)")
        host, port_text = _split_port(rest, text)
        if port_text == "*":
            port: int | None = None
        elif port_text is None:
            port = _DEFAULT_PORTS[scheme]
        elif port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        else:
            raise OriginError(f"{text!r}: bad port {port_text!r}")
        host = host.lower()
        label_part = host[2:] if host.startswith("*.") else host
        if not label_part:
            raise OriginError(f"{text!r}: the host is empty")
        if "*" in label_part:
            raise OriginError(f"{text!r}: a wildcard may only be a leading '*.'")
        if not _valid_host(label_part):
            raise OriginError(f"{text!r}: {label_part!r} is not a host name or address")
        return cls(scheme=scheme, host=host, port=port)

    def matches(self, origin: str) -> bool:
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        scheme, host, port = parsed
        if scheme != self.scheme or (self.port is not None and port != self.port):
            return False
        if self.host.startswith("*."):
            return host.endswith(self.host[1:]) and len(host) > len(self.host) - 1
        return host == self.host

    def __str__(self) -> str:
        port = "*" if self.port is None else str(self.port)
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{port}"


def _valid_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    labels = host.split(".")
    return all(
        0 < len(label) <= 63
        and label.isascii()
        and all(ch.isalnum() or ch == "-" for ch in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )


def _split_port(rest: str, text: str) -> tuple[str, str | None]:
    if rest.startswith("["):  # IPv6 literal
        end = rest.find("]")
        if end < 0:
            raise OriginError(f"{text!r}: unclosed IPv6 literal")
        host, tail = rest[: end + 1], rest[end + 1 :]
        if not tail:
            return host, None
        if not tail.startswith(":"):
            raise OriginError(f"{text!r} is not an origin")
        return host, tail[1:]
    if ":" in rest:
        host, port = rest.rsplit(":", 1)
        return host, port
    return rest, None


def parse_origin(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a concrete origin such as a browser's Origin header."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


@dataclass(frozen=True, slots=True)
class OriginList:
    patterns: tuple[OriginPattern, ...]

    @classmethod
    def parse(cls, items: list[str] | tuple[str, ...]) -> OriginList:
        return cls(tuple(OriginPattern.parse(item) for item in items if item.strip()))

    def allows(self, origin: str | None) -> bool:
        return origin is not None and any(p.matches(origin) for p in self.patterns)

    def plus(self, other: OriginList) -> OriginList:
        return OriginList(self.patterns + other.patterns)


def origin_matches_host(origin: str, host_header: str) -> bool:
    """Whether a browser's Origin is the origin of the request's own Host (same-origin)."""
    parsed = parse_origin(origin)
    if parsed is None or not host_header:
        return False
    scheme, host, port = parsed
    expected = {f"{host}:{port}"}
    if port == _DEFAULT_PORTS[scheme]:
        expected.add(host)
    return host_header.lower() in expected
