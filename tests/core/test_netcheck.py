"""Which upstream addresses the proxy may reach."""

from __future__ import annotations

import pytest

from cobrowse.core.netcheck import AddressPolicy, AddressRefused, is_localhost_name

DEFAULT = AddressPolicy()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # the usual cloud metadata address
        ("fe80::1", "link-local"),
        ("100.100.100.200", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6 is unwrapped
        ("::ffff:10.0.0.1", "private"),
        ("240.0.0.1", "private|reserved"),
        ("100.64.0.1", "non-global"),  # carrier-grade NAT
    ],
)
def test_non_public_addresses_are_refused(address: str, why: str) -> None:
    with pytest.raises(AddressRefused, match=why):
        DEFAULT.check(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address: str) -> None:
    assert str(DEFAULT.check(address)) == address


def test_listed_networks_are_allowed_and_nothing_more() -> None:
    policy = AddressPolicy.parse(["127.0.0.0/8", "10.20.0.0/16"])
    assert str(policy.check("127.0.0.1")) == "127.0.0.1"
    assert str(policy.check("10.20.3.4")) == "10.20.3.4"
    with pytest.raises(AddressRefused):
        policy.check("10.21.0.1")
    with pytest.raises(AddressRefused):
        policy.check("169.254.169.254")


def test_garbage_is_refused_and_bad_networks_are_a_clear_error() -> None:
    with pytest.raises(AddressRefused, match="not an IP address"):
        DEFAULT.check("example.com")
    with pytest.raises(ValueError, match="not an IP network"):
        AddressPolicy.parse(["10.0.0.0/33"])


@pytest.mark.parametrize(
    ("name", "local"),
    [
        ("localhost", True),
        ("a.localhost", True),
        ("A.B.LOCALHOST.", True),
        ("localhost.example", False),
        ("mylocalhost", False),
    ],
)
def test_localhost_names(name: str, local: bool) -> None:
    assert is_localhost_name(name) is local
