"""Joining by PIN: the PIN dies on expiry, use, deny and end; limits per agent, per
address and globally; one audit hook call per attempt, never with the PIN."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack

import pytest

from tests.server.conftest import SITE, Server, wait_for
from tests.server.test_ws import expect_close, frame, hello

# No per-key slow-down or lockout in the way of the global ceiling.
LOOSE = {"join_free_failures": 1000, "join_lockout_failures": 1000}


def wrong(pin: str, by: int = 1) -> str:
    return f"{(int(pin) + by) % 1_000_000:06d}"


def refused(r: object) -> bool:
    return getattr(r, "status_code", None) == 404


def test_pin_is_dead_once_expired_even_before_the_sweep(server: Server) -> None:
    created = server.create_session()
    agent = server.agent_client()
    server.clock.advance(server.config.session.pin_ttl_seconds)
    assert (
        server.call(server.ctx.hub.sessions.by_pin, created["pin"]) is not None
    )  # still indexed...
    r = agent.post("/api/v1/join", json={"pin": created["pin"]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "invalid_pin"  # ...but dead


def test_pin_is_dead_once_used(server: Server) -> None:
    pin = server.create_session()["pin"]
    server.join(server.agent_client(), pin)
    r = server.agent_client("Ravi").post("/api/v1/join", json={"pin": pin})
    assert r.status_code == 404


def test_pin_is_dead_after_the_visitor_denies(server: Server) -> None:
    with ExitStack() as stack:
        created = server.create_session()
        visitor = hello(server.client, created["visitor_token"], stack, SITE)
        visitor.receive_json()
        server.join(server.agent_client(), created["pin"])
        visitor.receive_json()  # state: pending
        visitor.send_text(frame("consent", allow=False))
        expect_close(visitor, 1000)
    r = server.agent_client("Ravi").post("/api/v1/join", json={"pin": created["pin"]})
    assert r.status_code == 404


def test_pin_is_dead_after_the_visitor_stops_before_anyone_joined(server: Server) -> None:
    with ExitStack() as stack:
        created = server.create_session()
        visitor = hello(server.client, created["visitor_token"], stack, SITE)
        visitor.receive_json()
        visitor.send_text(frame("end"))
        expect_close(visitor, 1000)
    wait_for(lambda: server.session(created["session_id"]) is None)
    r = server.agent_client().post("/api/v1/join", json={"pin": created["pin"]})
    assert r.status_code == 404


def test_pin_is_dead_after_an_admin_or_timeout_end(server: Server) -> None:
    created = server.create_session()
    session = server.session(created["session_id"])
    assert session is not None
    server.client.portal.call(server.ctx.hub.shutdown)  # type: ignore[union-attr]
    r = server.agent_client().post("/api/v1/join", json={"pin": created["pin"]})
    assert r.status_code == 404


def test_global_ceiling_pauses_every_join_with_its_own_code(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(limits={**LOOSE, "join_global_failures_per_minute": 5})
    pin = server.create_session()["pin"]
    # Five agents, one wrong PIN each: no single agent is throttled.
    for i in range(5):
        assert refused(
            server.agent_client(f"Agent {i}").post("/api/v1/join", json={"pin": wrong(pin)})
        )
    honest = server.agent_client("Honest Agent")
    r = honest.post("/api/v1/join", json={"pin": pin})  # even the right PIN waits
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "joins_paused"
    assert 0 < int(r.headers["retry-after"]) <= 60
    server.clock.advance(30)
    assert honest.post("/api/v1/join", json={"pin": pin}).status_code == 429
    server.clock.advance(30)
    assert server.join(honest, pin)["session_id"]


def test_successful_joins_do_not_count_toward_the_ceiling(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(limits={**LOOSE, "join_global_failures_per_minute": 2})
    for _ in range(5):
        server.join(server.agent_client(), server.create_session()["pin"])
    count = server.client.portal.call(  # type: ignore[union-attr]
        lambda: server.ctx.join_global.count(now=server.clock())
    )
    assert count == 0


def test_a_paused_join_does_not_count_against_the_agent(make_server: Callable[..., Server]) -> None:
    server = make_server(limits={"join_global_failures_per_minute": 1, "join_lockout_failures": 3})
    pin = server.create_session()["pin"]
    attacker, honest = server.agent_client("Mallory"), server.agent_client("Honest")
    assert refused(attacker.post("/api/v1/join", json={"pin": wrong(pin)}))
    for _ in range(5):
        assert honest.post("/api/v1/join", json={"pin": pin}).status_code == 429
    failures = server.client.portal.call(  # type: ignore[union-attr]
        lambda: server.ctx.join_limiter.failures("agent:link:Honest", now=server.clock())
    )
    assert failures == 0


def test_per_agent_lockout_has_its_code_and_retry_after(make_server: Callable[..., Server]) -> None:
    server = make_server(limits={"join_lockout_failures": 3, "join_free_failures": 3})
    pin = server.create_session()["pin"]
    agent = server.agent_client()
    for i in range(3):
        assert refused(agent.post("/api/v1/join", json={"pin": wrong(pin, i + 1)}))
    r = agent.post("/api/v1/join", json={"pin": pin})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    assert r.headers["retry-after"] == "900"


def test_every_attempt_reaches_the_audit_hook_without_the_pin(
    make_server: Callable[..., Server], caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(
        limits={"join_free_failures": 2, "join_lockout_failures": 2, "join_window_seconds": 60}
    )
    pin = server.create_session()["pin"]
    agent = server.agent_client()
    bad = [wrong(pin, 1), wrong(pin, 2)]
    with caplog.at_level(logging.INFO, logger="cobrowse.audit"):
        for p in bad:
            agent.post("/api/v1/join", json={"pin": p})
        agent.post("/api/v1/join", json={"pin": pin})  # locked out
        server.clock.advance(61)
        session_id = server.join(agent, pin)["session_id"]
    lines = [r.getMessage() for r in caplog.records if r.name == "cobrowse.audit"]
    assert [line.split()[1] for line in lines] == [
        "wrong_pin",
        "wrong_pin",
        "locked_out",
        "joined",
    ]
    assert all(
        "agent='Asha Rao' id='link:Asha Rao' via=link address=testclient" in line for line in lines
    ), lines
    assert f"session={session_id}" in lines[-1]
    for text in (pin, *bad):
        assert all(text not in line for line in lines)
