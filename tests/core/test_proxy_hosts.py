"""Proxy host labels, overlay tickets and proxy credentials."""

from __future__ import annotations

from cobrowse.core.proxy_hosts import TICKET_TTL, ProxyAccess, ProxyHosts


def hosts() -> ProxyHosts:
    return ProxyHosts.for_base_url(domain="cobrowse.localhost", base_url="http://127.0.0.1:8000")


def test_one_label_per_session_and_origin() -> None:
    h = hosts()
    a = h.label_for("s1", "https://portal.example.gov.in")
    assert h.label_for("s1", "https://portal.example.gov.in") == a
    b = h.label_for("s1", "https://cdn.example.gov.in")
    c = h.label_for("s2", "https://portal.example.gov.in")
    assert len({a, b, c}) == 3
    assert a.startswith("p") and len(a) == 11 and a.isalnum() and a.islower()
    assert h.origin(a) == f"http://{a}.cobrowse.localhost:8000"
    target = h.target(a)
    assert target is not None
    assert (target.session_id, target.upstream_origin) == ("s1", "https://portal.example.gov.in")
    assert h.origins("s1") == {
        "https://portal.example.gov.in": h.origin(a),
        "https://cdn.example.gov.in": h.origin(b),
    }
    assert h.upstream_of("s1", h.origin(b)) == "https://cdn.example.gov.in"
    assert h.upstream_of("s2", h.origin(b)) is None  # another session's host


def test_hosts_are_recognised_from_the_host_header() -> None:
    h = hosts()
    label = h.label_for("s1", "https://a.example")
    assert h.label_of_host(f"{label}.cobrowse.localhost:8000") == label
    assert h.label_of_host(f"{label.upper()}.COBROWSE.LOCALHOST") == label
    assert h.label_of_host("cobrowse.localhost:8000") is None
    assert h.label_of_host(f"x.{label}.cobrowse.localhost") is None
    assert h.label_of_host(f"{label}.cobrowse.localhost.evil.test") is None
    assert h.is_proxy_host(f"{label}.cobrowse.localhost:8000")
    assert not h.is_proxy_host("127.0.0.1:8000")


def test_default_ports_are_left_out() -> None:
    h = ProxyHosts.for_base_url(domain="cb.example.gov.in", base_url="https://cb.example.gov.in")
    assert h.origin("pabc") == "https://pabc.cb.example.gov.in"


def test_forget_drops_every_label_of_a_session() -> None:
    h = hosts()
    a = h.label_for("s1", "https://a.example")
    b = h.label_for("s2", "https://a.example")
    h.forget("s1")
    assert h.target(a) is None and h.origins("s1") == {}
    assert h.target(b) is not None


def test_tickets_are_single_use_and_short_lived() -> None:
    access = ProxyAccess()
    t = access.ticket("s1", now=100)
    redeemed = access.redeem(t, now=101)
    assert redeemed is not None and redeemed[0] == "s1"
    assert access.redeem(t, now=101) is None
    assert access.session_of(redeemed[1]) == "s1"
    late = access.ticket("s1", now=200)
    assert access.redeem(late, now=200 + TICKET_TTL) is None


def test_one_credential_per_session_until_forgotten() -> None:
    access = ProxyAccess()
    first = access.redeem(access.ticket("s1", now=0), now=1)
    second = access.redeem(access.ticket("s1", now=0), now=1)
    assert first is not None and second is not None and first[1] == second[1]
    other = access.redeem(access.ticket("s2", now=0), now=1)
    assert other is not None and other[1] != first[1]
    access.forget("s1")
    assert access.session_of(first[1]) is None
    assert access.session_of(other[1]) == "s2"
    assert access.session_of(None) is None and access.session_of("nope") is None
