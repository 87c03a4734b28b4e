"""GET /metrics and GET /readyz: what is counted, who may read it, when a node is ready."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi import Request
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from cobrowse.config import load_config
from cobrowse.server import monitoring
from cobrowse.server.app import create_app
from cobrowse.server.metrics import ERROR_KINDS, JOIN_OUTCOMES, WEBHOOK_OUTCOMES, Metrics
from cobrowse.store.async_memory import AsyncMemorySessionStore
from tests.server.conftest import SITE, Server
from tests.server.test_proxy import open_overlay
from tests.server.test_ws import META, SNAPSHOT, Story, event, frame

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "m" * 32


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition (the parser fails on bad text)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def monitor(server: Server, address: str = "127.0.0.1") -> TestClient:
    """A client at `address` on the same app and event loop (TestClient's own client
    address is "testclient", which is no IP address and so never allowed)."""
    client = TestClient(server.client.app, base_url="http://testserver", client=(address, 9100))
    client.portal = server.client.portal
    return client


def scrape(server: Server) -> Samples:
    r = monitor(server).get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == CONTENT_TYPE_LATEST
    return parse(r.text)


# --- the Metrics object ---------------------------------------------------------------


def test_each_metrics_object_counts_in_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.relayed("to_agent", frames=3, nbytes=300)
    one.relayed("to_visitor", nbytes=20)
    one.relay_latency(0.004)
    one.join("ok")
    one.error("internal")
    a, b = parse(one.render().decode()), parse(two.render().decode())
    assert value(a, "cobrowse_frames_relayed_total", direction="to_agent") == 3
    assert value(a, "cobrowse_relayed_bytes_total", direction="to_agent") == 300
    assert value(a, "cobrowse_frames_relayed_total", direction="to_visitor") == 1
    assert value(a, "cobrowse_relayed_bytes_total", direction="to_visitor") == 20
    assert value(a, "cobrowse_relay_latency_seconds_count") == 1
    assert value(a, "cobrowse_relay_latency_seconds_bucket", le="0.005") == 1
    assert value(a, "cobrowse_relay_latency_seconds_bucket", le="0.0025") == 0
    assert value(a, "cobrowse_joins_total", outcome="ok") == 1
    assert value(a, "cobrowse_errors_total", kind="internal") == 1
    assert value(b, "cobrowse_frames_relayed_total", direction="to_agent") == 0
    assert value(b, "cobrowse_joins_total", outcome="ok") == 0


def test_every_label_value_is_known_from_the_start() -> None:
    samples = parse(Metrics().render().decode())
    for outcome in JOIN_OUTCOMES:
        assert ("cobrowse_joins_total", frozenset({("outcome", outcome)})) in samples
    for kind in ERROR_KINDS:
        assert ("cobrowse_errors_total", frozenset({("kind", kind)})) in samples
    for state in ("created", "pending", "active", "ended"):
        assert ("cobrowse_sessions", frozenset({("state", state)})) in samples
    for outcome in WEBHOOK_OUTCOMES:
        assert ("cobrowse_webhook_deliveries_total", frozenset({("outcome", outcome)})) in samples
    assert ("cobrowse_webhook_queue", frozenset()) in samples


def test_label_values_stay_bounded_whatever_is_passed() -> None:
    m = Metrics()
    m.error("protocol_bad_message")
    m.error("https://evil.example/?pin=123456")
    m.error("Kind With Spaces")
    m.error("x" * 200)
    m.proxy_request(200)
    m.proxy_request(0)
    m.proxy_request(1234)
    samples = parse(m.render().decode())
    kinds = {dict(labels)["kind"] for name, labels in samples if name == "cobrowse_errors_total"}
    assert kinds == {*ERROR_KINDS, "protocol_bad_message", "other"}
    assert value(samples, "cobrowse_errors_total", kind="other") == 3
    requests = [labels for name, labels in samples if name == "cobrowse_proxy_requests_total"]
    codes = {dict(labels)["code"] for labels in requests}
    assert codes == {"200", "none"}


def test_computed_gauges_are_read_at_scrape_time_only() -> None:
    calls: list[str] = []
    counts = {"active": 2, "created": 1}

    def sessions() -> dict[str, int]:
        calls.append("sessions")
        return counts

    def replay() -> int:
        calls.append("replay")
        return 4096

    m = Metrics(sessions_by_state=sessions, replay_buffer_bytes=replay)
    assert calls == []  # registering does not call them (the hub may not exist yet)
    samples = parse(m.render().decode())
    assert value(samples, "cobrowse_sessions", state="active") == 2
    assert value(samples, "cobrowse_sessions", state="created") == 1
    assert value(samples, "cobrowse_sessions", state="pending") == 0
    assert value(samples, "cobrowse_replay_buffer_bytes") == 4096
    counts["active"] = 0
    assert value(parse(m.render().decode()), "cobrowse_sessions", state="active") == 0


# --- who may read /metrics --------------------------------------------------------------


def test_metrics_are_refused_to_addresses_not_allowed(server: Server) -> None:
    for client in (server.client, monitor(server, "203.0.113.9"), monitor(server, "10.1.2.3")):
        r = client.get("/metrics")
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "forbidden"
        assert "cobrowse_" not in r.text
    for address in ("127.0.0.1", "::1"):
        assert monitor(server, address).get("/metrics").status_code == 200


def test_the_allow_list_is_configurable(make_server: Callable[..., Server]) -> None:
    server = make_server(server={"metrics_allow": ["10.0.0.0/8"]})
    assert monitor(server, "10.1.2.3").get("/metrics").status_code == 200
    assert monitor(server, "127.0.0.1").get("/metrics").status_code == 403
    nobody = make_server(server={"metrics_allow": []})
    assert monitor(nobody, "127.0.0.1").get("/metrics").status_code == 403


def test_a_request_through_an_untrusted_reverse_proxy_needs_the_token(
    make_server: Callable[..., Server],
) -> None:
    """Behind nginx without forwarded_allow_ips every request comes from loopback."""
    server = make_server()
    for forwarded in (
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
    ):
        assert monitor(server).get("/metrics", headers=forwarded).status_code == 403
    # With forwarded_allow_ips set, uvicorn has put the real client in the address.
    trusted = make_server(server={"forwarded_allow_ips": "127.0.0.1"})
    r = monitor(trusted).get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert r.status_code == 200


def test_the_metrics_token_opens_them_from_anywhere(make_server: Callable[..., Server]) -> None:
    server = make_server(server={"metrics_token": TOKEN})
    outside = monitor(server, "203.0.113.9")
    assert outside.get("/metrics").status_code == 403
    ok = outside.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "cobrowse_sessions" in ok.text
    wrong = {"Authorization": "Bearer " + "n" * 32}
    assert outside.get("/metrics", headers=wrong).status_code == 403
    assert monitor(server).get("/metrics", headers=wrong).status_code == 403
    behind_nginx = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "203.0.113.9"}
    assert server.client.get("/metrics", headers=behind_nginx).status_code == 200


def test_no_session_credential_opens_the_metrics(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).join()
    for token in (story.visitor_token, story.agent_token):
        headers = {"Authorization": f"Bearer {token}"}
        assert story.agent_browser.get("/metrics", headers=headers).status_code == 403


def test_proxy_hosts_do_not_serve_the_metrics(proxy_server: Server) -> None:
    r = monitor(proxy_server).get("http://pa0.cobrowse.localhost/metrics")
    assert "cobrowse_" not in r.text and r.status_code != 200


# --- what is counted --------------------------------------------------------------------


def test_sessions_by_state_follow_the_sessions(server: Server, stack: ExitStack) -> None:
    assert value(scrape(server), "cobrowse_sessions", state="created") == 0
    story = Story(server, stack)
    assert value(scrape(server), "cobrowse_sessions", state="created") == 1
    story.join()
    samples = scrape(server)
    assert value(samples, "cobrowse_sessions", state="created") == 0
    assert value(samples, "cobrowse_sessions", state="pending") == 1
    story.visitor.send_text(frame("consent", allow=True))
    assert story.visitor.receive_json()["state"] == "active"
    assert value(scrape(server), "cobrowse_sessions", state="active") == 1


def test_the_replay_buffer_is_measured(server: Server, stack: ExitStack) -> None:
    story = Story(server, stack).allow()
    before = value(scrape(server), "cobrowse_replay_buffer_bytes")
    text = "a page of some size " * 50
    story.visitor.send_text(
        frame("events", events=[event(4, 1, **META["data"]), {**SNAPSHOT, "timestamp": 2}])
    )
    story.visitor.send_text(frame("events", events=[event(3, 3, source=0, text=text)]))
    story.visitor.send_text(frame("chat", id="sync", text="sync"))
    while story.agent.receive_json()["t"] != "chat":
        pass
    assert value(scrape(server), "cobrowse_replay_buffer_bytes") - before > len(text)


def test_joins_are_counted_by_outcome(make_server: Callable[..., Server]) -> None:
    server = make_server(limits={"join_free_failures": 1, "join_lockout_failures": 3})
    pin = server.create_session()["pin"]
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    assert server.browser().post("/api/v1/join", json={"pin": pin}).status_code == 401
    agent = server.agent_client()
    r = agent.post("/api/v1/join", json={"pin": pin}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert agent.post("/api/v1/join", json={"pin": wrong}).status_code == 404
    server.join(agent, pin)
    later = server.create_session()["pin"]
    server.clock.advance(server.config.session.pin_ttl_seconds)
    again = server.agent_client("Ravi Kumar")
    assert again.post("/api/v1/join", json={"pin": later}).status_code == 404  # expired
    statuses = [again.post("/api/v1/join", json={"pin": wrong}).status_code for _ in range(3)]
    assert statuses[-1] == 429
    samples = scrape(server)
    counts = {o: value(samples, "cobrowse_joins_total", outcome=o) for o in JOIN_OUTCOMES}
    assert counts == {
        "ok": 1,
        "wrong_pin": 1 + statuses.count(404),
        "expired": 1,
        "throttled": statuses.count(429),
        "paused": 0,
        "not_signed_in": 1,
        "cross_origin": 1,
    }


def test_paused_joins_are_counted(make_server: Callable[..., Server]) -> None:
    server = make_server(limits={"join_global_failures_per_minute": 1})
    agent = server.agent_client()
    for pin in ("000001", "000002", "000003"):
        agent.post("/api/v1/join", json={"pin": pin})
    assert value(scrape(server), "cobrowse_joins_total", outcome="paused") >= 1


def test_a_500_is_counted_as_an_internal_error(server: Server) -> None:
    async def boom(request: Request) -> None:
        raise RuntimeError("kaputt")

    server.client.app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    assert server.client.get("/boom").status_code == 500
    assert value(scrape(server), "cobrowse_errors_total", kind="internal") == 1


def test_proxy_requests_and_upstream_time_are_counted(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = open_overlay(proxy_server, stack, upstream)
    assert ov.get("/").status_code == 200
    assert ov.get("/img.png").status_code == 200
    assert ov.get("/__cobrowse/nothing-here", headers={"Cookie": ""}).status_code == 403
    samples = scrape(proxy_server)
    assert value(samples, "cobrowse_proxy_requests_total", code="303") == 1  # the entry
    assert value(samples, "cobrowse_proxy_requests_total", code="200") >= 2
    assert value(samples, "cobrowse_proxy_requests_total", code="403") >= 2  # ticket used
    assert value(samples, "cobrowse_proxy_upstream_seconds_count") >= 2


def test_upstream_failures_are_counted_by_kind(
    make_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_server(proxy={"mode": "proxy", "allowed_origins": [SITE, upstream]})
    ov = open_overlay(server, stack, upstream)
    assert ov.get("/").status_code == 502  # loopback is not allowed here
    samples = scrape(server)
    assert value(samples, "cobrowse_errors_total", kind="proxy_address_refused") == 1
    assert value(samples, "cobrowse_proxy_requests_total", code="502") == 1
    assert value(samples, "cobrowse_proxy_upstream_seconds_count") == 0


# --- /readyz ------------------------------------------------------------------------------


def test_ready_when_the_store_answers(server: Server) -> None:
    r = server.client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
    assert server.client.get("/healthz").text == "ok"


def test_not_ready_when_the_store_fails(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: AsyncMemorySessionStore) -> bool:
        raise ConnectionError("store down")

    monkeypatch.setattr(AsyncMemorySessionStore, "ping", broken)
    r = server.client.get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"status": "not_ready", "reason": "store_unavailable"}
    assert server.client.get("/healthz").status_code == 200  # alive all the same
    assert value(scrape(server), "cobrowse_errors_total", kind="store_unavailable") == 1


def test_not_ready_when_the_store_says_no(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no(self: AsyncMemorySessionStore) -> bool:
        return False

    monkeypatch.setattr(AsyncMemorySessionStore, "ping", no)
    assert server.client.get("/readyz").json()["status"] == "not_ready"


def test_not_ready_when_the_store_hangs(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    async def hangs(self: AsyncMemorySessionStore) -> bool:
        await asyncio.sleep(60)
        return True

    monkeypatch.setattr(AsyncMemorySessionStore, "ping", hangs)
    monkeypatch.setattr(monitoring, "READY_TIMEOUT", 0.05)
    r = server.client.get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"status": "not_ready", "reason": "store_timeout"}


def test_not_ready_while_shutting_down(server: Server) -> None:
    server.ctx.draining = True
    r = server.client.get("/readyz")
    assert r.status_code == 503 and r.json() == {"status": "not_ready", "reason": "shutting_down"}


def test_the_shutdown_takes_the_node_out_of_rotation(tmp_path: Path) -> None:
    app = create_app(load_config({"server": {"data_dir": str(tmp_path)}}, {}))
    ctx = app.state.ctx
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        assert not ctx.draining
    assert ctx.draining
