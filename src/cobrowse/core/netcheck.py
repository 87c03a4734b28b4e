"""Which upstream addresses the proxy may connect to.

Only public unicast addresses, unless an operator lists networks explicitly
(the demo lists 127.0.0.0/8 for its own portal). Checked after resolution, on
the very address that is then connected to, so DNS rebinding gains nothing.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata endpoints that are not covered by the link-local rule.
METADATA = (
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IPv6
)


class AddressRefused(Exception):
    """The upstream resolved to an address the proxy must not connect to."""


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, networks: tuple[str, ...] | list[str]) -> AddressPolicy:
        return cls(parse_networks([text.strip() for text in networks]))

    def check(self, address: str) -> IPAddress:
        """The address if the proxy may connect to it; AddressRefused otherwise."""
        ip = parse_address(address)
        if ip is None:
            raise AddressRefused(f"{address!r} is not an IP address") from None
        if any(ip in net for net in self.allowed_networks):
            return ip
        why = _forbidden(ip)
        if why:
            raise AddressRefused(f"{ip} is a {why} address")
        return ip


def parse_networks(networks: tuple[str, ...] | list[str]) -> tuple[IPNetwork, ...]:
    """IP networks from their text (`10.0.0.0/8`, `::1/128`); ValueError names a bad one."""
    parsed: list[IPNetwork] = []
    for text in networks:
        try:
            parsed.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP network (e.g. 10.0.0.0/8)") from None
    return tuple(parsed)


def parse_address(address: str) -> IPAddress | None:
    """An IP address (a zone dropped, an IPv4-mapped IPv6 address as IPv4), or None."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _forbidden(ip: IPAddress) -> str | None:
    if any(ip in net for net in METADATA):
        return "cloud metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-global"
    return None


def is_localhost_name(host: str) -> bool:
    """`localhost` and `*.localhost` (RFC 6761): always loopback, never asked of DNS."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")
