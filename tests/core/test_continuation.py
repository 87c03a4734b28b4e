"""The continuation point's pure rules: Cookie headers in, Set-Cookie out, tickets."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from cobrowse.core.continuation import (
    HANDOFF_TTL,
    MAX_COOKIES_IN,
    RETURN_TTL_AFTER_END,
    ContinuationBook,
    Cookie,
    Handoff,
    WriteBack,
    deletion,
    is_ip_host,
    parse_cookie_header,
    set_cookie,
    write_back,
)

HOST = "efiling.example.gov.in"
NOW = 1_800_000_000.0


def c(name: str, value: str, **kw: object) -> Cookie:
    fields: dict[str, object] = {"domain": HOST, "host_only": True, **kw}
    return Cookie(name=name, value=value, **fields)  # type: ignore[arg-type]


# --- Cookie headers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "pairs"),
    [
        ("a=1; b=2", [("a", "1"), ("b", "2")]),
        ("a=1;b=2;", [("a", "1"), ("b", "2")]),
        ('sid="quoted value"', []),  # a space inside: not a value a browser sends unquoted
        ('sid="abc"', [("sid", '"abc"')]),
        ("a=1; a=2", [("a", "1")]),  # the most specific path comes first
        ("x", []),
        ("=1; b=2", [("b", "2")]),
        ("bad name=1; ok=2", [("ok", "2")]),
        ("json={}; ok=2", [("json", "{}"), ("ok", "2")]),
        ("", []),
        ("k=v\x00; ok=2", [("ok", "2")]),
        ("k=caf\u00e9; ok=2", [("ok", "2")]),
        ("e=", [("e", "")]),
    ],
)
def test_cookie_headers_are_read_leniently(header: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_cookie_header(header) == pairs


def test_a_cookie_header_is_bounded() -> None:
    header = "; ".join(f"c{i}=v" for i in range(1000))
    assert len(parse_cookie_header(header)) == MAX_COOKIES_IN


# --- Set-Cookie lines --------------------------------------------------------------------


def test_set_cookie_keeps_every_attribute_a_browser_needs() -> None:
    line = set_cookie(
        c("sid", "abc", httponly=True, secure=True, samesite="Lax", expires=NOW + 3600),
        now=NOW,
    )
    parsed = SimpleCookie()
    parsed.load(line)
    morsel = parsed["sid"]
    assert morsel.value == "abc"
    assert morsel["path"] == "/"
    assert morsel["max-age"] == "3600"
    assert morsel["httponly"] and morsel["secure"]
    assert morsel["samesite"] == "Lax"
    assert "Domain=" not in line  # host-only stays host-only


def test_a_domain_cookie_keeps_its_domain_and_samesite_none_is_secure() -> None:
    line = set_cookie(
        c("pref", "x", domain="example.gov.in", host_only=False, samesite="None"), now=NOW
    )
    assert "Domain=example.gov.in" in line and "Secure" in line
    assert "Max-Age" not in line  # a session cookie stays one


def test_an_expired_deadline_writes_max_age_zero() -> None:
    assert "Max-Age=0" in set_cookie(c("a", "1", expires=NOW - 5), now=NOW)


def test_deletion_names_the_same_identity() -> None:
    line = deletion(c("sid", "whatever", path="/app", domain="example.gov.in", host_only=False))
    assert line.startswith("sid=;")
    assert "Path=/app" in line and "Domain=example.gov.in" in line and "Max-Age=0" in line
    assert "whatever" not in line


# --- what is written back ----------------------------------------------------------------


def test_nothing_changed_nothing_written() -> None:
    jar = [c("sid", "1", httponly=True), c("pref", "dark")]
    assert write_back(jar, list(jar), host=HOST, now=NOW) == WriteBack((), 0, ())


def test_set_changed_and_deleted_cookies_are_written_back() -> None:
    before = [c("sid", "old", httponly=True), c("pref", "dark"), c("keep", "1")]
    after = [c("sid", "new", httponly=True), c("keep", "1"), c("cart", "3")]
    result = write_back(before, after, host=HOST, now=NOW)
    assert result.carried == 3
    names = sorted(line.split("=", 1)[0] for line in result.headers)
    assert names == ["cart", "pref", "sid"]
    assert any(h.startswith("sid=new;") and "HttpOnly" in h for h in result.headers)
    assert any(h.startswith("pref=;") and "Max-Age=0" in h for h in result.headers)


def test_a_new_expiry_or_flag_counts_as_a_change() -> None:
    before = [c("sid", "1")]
    assert write_back(before, [c("sid", "1", expires=NOW + 60)], host=HOST, now=NOW).carried == 1
    assert write_back(before, [c("sid", "1", httponly=True)], host=HOST, now=NOW).carried == 1


def test_cookies_of_other_hosts_are_reported_not_written() -> None:
    other = c("sso", "t", domain="login.other.example")
    parent = c("lang", "hi", domain="example.gov.in", host_only=False)
    result = write_back([], [other, parent], host=HOST, now=NOW)
    assert result.elsewhere == ("login.other.example",)
    assert len(result.headers) == 1 and result.headers[0].startswith("lang=hi;")


def test_a_deletion_the_site_named_is_written_with_its_identity() -> None:
    # The real cookie was a Domain cookie; the copy taken in was host-only (a guess).
    before = [c("sid", "1", httponly=True)]
    gone = c("sid", "", domain="example.gov.in", host_only=False)
    result = write_back(before, [], host=HOST, now=NOW, deleted=[gone])
    assert result.carried == 2
    assert any("Domain=example.gov.in" in h for h in result.headers)
    assert any("Domain=" not in h for h in result.headers)


def test_a_deletion_then_a_new_cookie_writes_the_new_one_only() -> None:
    before = [c("sid", "1")]
    after = [c("sid", "2")]
    result = write_back(before, after, host=HOST, now=NOW, deleted=[c("sid", "")])
    assert result.headers == (set_cookie(c("sid", "2"), now=NOW),)


@pytest.mark.parametrize(
    ("cookie", "host", "applies"),
    [
        (c("a", "1"), HOST, True),
        (c("a", "1"), "www." + HOST, False),
        (c("a", "1", domain="example.gov.in", host_only=False), HOST, True),
        (c("a", "1", domain="example.gov.in", host_only=False), "badexample.gov.in", False),
        (c("a", "1", domain="0.1", host_only=False), "127.0.0.1", False),
    ],
)
def test_domain_matching(cookie: Cookie, host: str, applies: bool) -> None:
    assert cookie.applies_to(host) is applies


# --- tickets ------------------------------------------------------------------------------


def test_a_handoff_ticket_works_once_and_not_after_a_minute() -> None:
    book = ContinuationBook()
    t = book.handoff("s1", "https://site", now=NOW)
    assert book.redeem(t, now=NOW) == Handoff("s1", "https://site")
    assert book.redeem(t, now=NOW) is None
    late = book.handoff("s1", "https://site", now=NOW)
    assert book.redeem(late, now=NOW + HANDOFF_TTL) is None
    assert book.redeem("guess", now=NOW) is None


def test_tickets_are_unguessable() -> None:
    book = ContinuationBook()
    tickets = {book.handoff("s", "o", now=NOW) for _ in range(100)}
    assert len(tickets) == 100 and all(len(t) >= 40 for t in tickets)


def test_the_newest_return_ticket_replaces_the_older() -> None:
    book = ContinuationBook()
    h = Handoff("s1", "https://site")
    old, old_binding = book.return_ticket(h)
    new, binding = book.return_ticket(h)
    assert book.take_return(old, old_binding) is None
    assert book.take_return(new, binding) == h
    assert book.take_return(new, binding) is None


def test_a_return_ticket_needs_its_binding() -> None:
    """A stolen ticket alone (no binding cookie) gets nothing and does not use it up."""
    book = ContinuationBook()
    h = Handoff("s1", "https://site")
    ticket, binding = book.return_ticket(h)
    assert book.take_return(ticket, "") is None
    assert book.take_return(ticket, binding[:-1] + "x") is None
    assert book.take_return(ticket, binding) == h


def test_the_import_happens_once_per_session_and_site() -> None:
    book = ContinuationBook()
    h = Handoff("s1", "https://site")
    assert not book.imported(h)
    book.mark_imported(h)
    assert book.imported(h) and not book.imported(Handoff("s2", "https://site"))


def test_after_the_end_a_write_back_waits_for_its_ticket_a_while() -> None:
    book = ContinuationBook()
    h = Handoff("s1", "https://site")
    ticket, binding = book.return_ticket(h)
    pending = book.handoff("s1", "https://site", now=NOW)
    result = WriteBack(("a=1; Path=/",), 1, ())
    book.ended("s1", {ticket: result}, now=NOW)
    assert book.take_return(ticket, binding) is None  # the session's live tickets are gone
    assert book.redeem(pending, now=NOW) is None
    assert not book.imported(h)
    assert book.take_ended(ticket, "", now=NOW + 1) is None  # the binding is still needed
    assert book.take_ended(ticket, binding, now=NOW + 1) == result
    assert book.take_ended(ticket, binding, now=NOW + 1) is None  # once
    other, other_binding = book.return_ticket(Handoff("s2", "https://site"))
    book.ended("s2", {other: result}, now=NOW)
    assert book.take_ended(other, other_binding, now=NOW + RETURN_TTL_AFTER_END) is None


def test_an_ip_host_is_known_in_either_form() -> None:
    for host in ("127.0.0.1", "10.1", "[::1]", "::1", "[fe80::1%25eth0]", "2001:db8::2"):
        assert is_ip_host(host), host
    for host in ("a.example", "localhost", "1.example", "example.123a", "xn--80ak6aa92e.com"):
        assert not is_ip_host(host), host
    # A cookie of a parent domain never reaches an IP host that happens to end like it.
    assert not Cookie(name="sid", value="1", domain="0.1", host_only=False).applies_to("127.0.0.1")
    assert Cookie(name="sid", value="1", domain="a.example", host_only=False).applies_to(
        "www.a.example"
    )
