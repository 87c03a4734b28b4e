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


def test_other_origins_get_labels_up_to_the_limit() -> None:
    h = hosts()
    site = h.label_for("s1", "https://portal.example.gov.in")
    cdn = h.other_label_for("s1", "https://cdn.example", limit=2)
    fonts = h.other_label_for("s1", "https://fonts.example", limit=2)
    assert cdn is not None and fonts is not None and len({site, cdn, fonts}) == 3
    assert h.other_label_for("s1", "https://third.example", limit=2) is None
    assert h.other_label_for("s1", "https://cdn.example", limit=2) == cdn  # known: kept
    # Another session has its own count; allowed origins never count.
    assert h.other_label_for("s2", "https://third.example", limit=2) is not None
    assert h.label_for("s1", "https://portal2.example.gov.in")
    site_target, cdn_target = h.target(site), h.target(cdn)
    assert site_target is not None and not site_target.other
    assert cdn_target is not None and cdn_target.other
    assert h.others("s1") == ["https://cdn.example", "https://fonts.example"]
    assert h.label_of("s1", "https://third.example") is None
    assert h.label_of("s1", "https://cdn.example") == cdn
    h.forget("s1")
    assert h.other_label_for("s1", "https://third.example", limit=2) is not None


def test_upstream_of_needs_the_exact_proxy_origin_of_the_session() -> None:
    h = hosts()
    label = h.label_for("s1", "https://a.example")
    assert h.upstream_of("s1", f"http://{label}.cobrowse.localhost:8000") == "https://a.example"
    for wrong in (
        f"https://{label}.cobrowse.localhost:8000",
        f"http://{label}.cobrowse.localhost:8001",
        f"http://{label}.cobrowse.localhost",
        f"http://{label}.cobrowse.localhost:8000/",
        f"http://x.{label}.cobrowse.localhost:8000",
        "http://pnope.cobrowse.localhost:8000",
        "garbage",
    ):
        assert h.upstream_of("s1", wrong) is None, wrong
    assert h.is_proxy_origin(f"http://{label}.cobrowse.localhost:8000")
    assert h.is_proxy_origin("https://anything.cobrowse.localhost")
    assert not h.is_proxy_origin("https://cobrowse.localhost.evil.example")
