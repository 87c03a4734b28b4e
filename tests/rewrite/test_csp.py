"""Content-Security-Policy: the site's policy kept with proxy hosts, and ours.

The site's policies are named golden files (`tests/fixtures/rewrite/csp/<case>.in.txt`,
one header value each; "(nothing left)" when the whole policy goes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrowse.rewrite.csp import ProxyPolicy, own_policy, rewrite_policy
from tests.rewrite import golden
from tests.rewrite.urlmap import BASE, session_map

POLICY = ProxyPolicy(
    origin="http://pa.cobrowse.localhost:8000",
    hosts="http://*.cobrowse.localhost:8000",
    socket_hosts="ws://*.cobrowse.localhost:8000",
    nonce="n0nce",
    frame_ancestors="'self' https://portal.example.gov.in",
)
CASES = golden.cases("csp", "txt")


def rewritten(text: str) -> str:
    # At most 3 other origins get a host here, so the host limit shows.
    return rewrite_policy(text, session_map(BASE, limit=3), POLICY) or "(nothing left)"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 10
    assert golden.orphans("csp", "txt") == []


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    golden.check("csp", "txt", case, rewritten)


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


def test_our_policy_allows_proxy_hosts_only() -> None:
    ours = _directives(own_policy(POLICY))
    assert ours["default-src"] == [
        "'self'",
        "http://*.cobrowse.localhost:8000",
        "ws://*.cobrowse.localhost:8000",
        "data:",
        "blob:",
        "'unsafe-inline'",
        "'unsafe-eval'",
        "'wasm-unsafe-eval'",
    ]
    # form-action and base-uri do not fall back to default-src.
    assert ours["form-action"] == ours["base-uri"] == ["'self'", "http://*.cobrowse.localhost:8000"]
    assert ours["frame-ancestors"] == ["'self'", "https://portal.example.gov.in"]
    assert not any(
        "example" in source
        for name, values in ours.items()
        if name != "frame-ancestors"
        for source in values
    )


def test_an_https_proxy_keeps_upgrade_insecure_requests() -> None:
    https = ProxyPolicy(
        origin="https://pa.cb.example.gov.in",
        hosts="https://*.cb.example.gov.in",
        socket_hosts="wss://*.cb.example.gov.in",
        nonce="n",
        frame_ancestors="'self'",
    )
    out = rewrite_policy(
        "upgrade-insecure-requests; connect-src wss://portal.example.gov.in",
        session_map(BASE),
        https,
    )
    assert out == (
        "upgrade-insecure-requests; "
        "connect-src ws://pa.cobrowse.localhost:8000 https://pa.cb.example.gov.in/__cobrowse/"
    )


_NAMES = ["default-src", "script-src", "img-src", "connect-src", "form-action", "Base-URI"]
_SOURCES = [
    "https://cdn.example.gov.in",
    "cdn.example.gov.in/x/",
    "wss://portal.example.gov.in",
    "https://portal.example.gov.in:443",
    "'self'",
    "'none'",
    "*",
    "https:",
    "data:",
    "'nonce-x'",
    "*.example.gov.in",
    "x@y",
]
policies = st.lists(
    st.tuples(st.sampled_from(_NAMES), st.lists(st.sampled_from(_SOURCES), max_size=5)),
    max_size=6,
).map(lambda ds: "; ".join(" ".join([n, *v]) for n, v in ds))


@given(st.one_of(policies, st.text(max_size=200)))
def test_no_upstream_host_is_left_where_the_browser_reads_it(text: str) -> None:
    out = rewrite_policy(text, session_map(BASE, limit=1000), POLICY)
    if out is None:
        return
    seen: set[str] = set()
    for directive in out.split(";"):
        words = directive.split()
        if not words or words[0] in seen:
            continue  # a repeated directive is ignored by browsers
        seen.add(words[0])
        for source in words[1:]:
            assert "example.gov.in" not in source or source.startswith("'"), (text, out)
