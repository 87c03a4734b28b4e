"""Webhooks end to end: a session's audit entries reach a real receiver on 127.0.0.1,
signed, retried with back-off on failures, visible in GET /api/v1/webhooks/deliveries
(server/webhooks.py). The server runs with sleep_scale 0: every back-off is chosen and
recorded as in production, and waited for 0 s."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from cobrowse.config import ConfigError, load_config
from cobrowse.core import audit as a
from cobrowse.core import webhook_delivery as wd
from cobrowse.core.audit import iso_time
from cobrowse.core.roles import Role
from cobrowse.server.app import create_app
from tests.server.conftest import Server, new_api_key, wait_for
from tests.server.test_ws import Story, frame
from tests.server.webhook_receiver import HANG, Receiver, running_receiver

SECRET = "whsec_test_0123456789abcdef"
WAIT = 30.0  # generous: a loaded machine


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(Receiver()) as r:
        yield r


@pytest.fixture
def hooked(
    receiver: Receiver, make_server: Callable[..., Server], tmp_path: Path
) -> Callable[..., Server]:
    """A server whose one webhook endpoint is the receiver; keywords change [webhooks].
    (The receiver first: it stops after the server, which sends while it shuts down.)"""
    secret_file = tmp_path / "hook-secret"
    secret_file.write_text(SECRET + "\n")
    key, key_hash = new_api_key()

    def make(endpoint: dict[str, Any] | None = None, **webhooks: Any) -> Server:
        table = {"name": "crm", "url": receiver.url, "secret_file": str(secret_file)}
        server = make_server(
            webhooks={"endpoints": [{**table, **(endpoint or {})}], **webhooks},
            auth={"api_keys": [key_hash]},
        )
        server.ctx.webhooks.jitter = lambda: 0.0  # the schedule, exactly
        server.client.headers["Authorization"] = f"Bearer {key}"
        return server

    return make


def deliveries(server: Server, **params: Any) -> list[dict[str, Any]]:
    r = server.client.get("/api/v1/webhooks/deliveries", params=params)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["deliveries"]
    return found


def settled(server: Server, count: int) -> list[dict[str, Any]]:
    """The deliveries, once `count` of them are over (delivered, failed or dropped)."""
    final = {s.value for s in wd.FINAL}
    wait_for(
        lambda: len([d for d in server.ctx.webhooks.recent() if d.status in final]) >= count,
        WAIT,
    )
    return deliveries(server)


def metric(server: Server, outcome: str) -> float:
    value = server.ctx.metrics.registry.get_sample_value(
        "cobrowse_webhook_deliveries_total", {"outcome": outcome}
    )
    return value or 0.0


def test_a_session_s_events_reach_the_receiver_signed_once_each(
    hooked: Callable[..., Server], receiver: Receiver, stack: ExitStack
) -> None:
    server = hooked()
    story = Story(server, stack).control()
    story.visitor.send_text(frame("control", action="revoke"))
    assert story.visitor.receive_json()["state"] == "view"
    story.visitor.send_text(frame("end"))
    settled(server, 6)
    events = receiver.events()
    assert [e["type"] for e in events] == [
        "session.created",
        "session.joined",
        "session.consent",
        "control.granted",
        "control.revoked",
        "session.ended",
    ]
    assert {e["session_id"] for e in events} == {story.session_id}
    assert len({e["id"] for e in events}) == 6
    assert events[2]["data"] == {"actor": "visitor", "allowed": True}
    assert events[4]["data"] == {"actor": "visitor", "reason": "button"}
    assert events[5]["data"] == {"actor": "visitor", "reason": "visitor_stopped"}
    for request in receiver.requests:
        header = request.headers[wd.SIGNATURE_HEADER]
        assert wd.verify(SECRET.encode(), header, request.body, now=server.clock()) == int(
            server.clock()
        )
        assert request.headers[wd.EVENT_ID_HEADER] == request.event["id"]
        assert request.headers[wd.EVENT_TYPE_HEADER] == request.event["type"]
        assert request.headers["Content-Type"] == "application/json"
        # Nothing personal: not the agent's name, not the visitor's address.
        assert b"Asha" not in request.body and b"testclient" not in request.body
    assert metric(server, "delivered") == 6
    listed = deliveries(server)
    assert listed[0]["event_type"] == "session.ended"  # newest first
    assert all(d["status"] == "delivered" and d["attempts"] == 1 for d in listed)


def test_failures_are_retried_with_backoff_until_delivered(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    receiver.script = [503, 500, (429, {"Retry-After": "7"})]
    server = hooked(backoff_seconds=2, max_backoff_seconds=100)
    session_id = server.create_session()["session_id"]
    (delivery,) = settled(server, 1)
    assert receiver.answered() == [503, 500, 429, 204]
    ids = {r.headers[wd.EVENT_ID_HEADER] for r in receiver.requests}
    assert len(ids) == 1  # the same event each time: a receiver dedupes on it
    assert all(
        wd.verify(SECRET.encode(), r.headers[wd.SIGNATURE_HEADER], r.body, now=server.clock())
        for r in receiver.requests
    )
    assert delivery["session_id"] == session_id
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    assert delivery["last_status"] == 204 and delivery["next_retry"] is None
    assert [(a["status"], a["error"], a["wait_seconds"]) for a in delivery["history"]] == [
        (503, "HTTP 503", 2.0),  # backoff_seconds
        (500, "HTTP 500", 4.0),  # doubled
        (429, "HTTP 429", 7.0),  # the receiver's Retry-After
        (204, None, None),
    ]
    assert metric(server, "retried") == 3 and metric(server, "delivered") == 1


def test_a_gone_endpoint_is_not_retried(hooked: Callable[..., Server], receiver: Receiver) -> None:
    receiver.script = [410]
    server = hooked()
    server.create_session()
    (delivery,) = settled(server, 1)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["last_status"] == 410 and delivery["last_error"] == "HTTP 410"
    assert receiver.count() == 1
    assert metric(server, "failed") == 1 and metric(server, "retried") == 0
    text = server.ctx.metrics.render().decode()  # what GET /metrics serves
    assert 'cobrowse_webhook_deliveries_total{outcome="failed"} 1.0' in text
    assert "cobrowse_webhook_queue 0.0" in text


def test_it_gives_up_after_max_attempts(hooked: Callable[..., Server], receiver: Receiver) -> None:
    receiver.then = 500
    server = hooked(max_attempts=4, backoff_seconds=1, max_backoff_seconds=3)
    server.create_session()
    (delivery,) = settled(server, 1)
    assert receiver.count() == 4
    assert [a["wait_seconds"] for a in delivery["history"]] == [1.0, 2.0, 3.0, None]
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == "HTTP 500 (gave up after 4 attempts)"
    assert metric(server, "retried") == 3 and metric(server, "failed") == 1


def test_a_timeout_is_retried(hooked: Callable[..., Server], receiver: Receiver) -> None:
    receiver.script = [HANG]
    server = hooked({"timeout_seconds": 0.5})
    server.create_session()
    (delivery,) = settled(server, 1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    assert delivery["history"][0]["status"] is None
    assert delivery["history"][0]["error"] == "timeout after 0.5 s"
    receiver.release()


def test_an_unreachable_endpoint_is_retried_then_given_up(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    (tmp_path / "s").write_text(SECRET)
    server = make_server(
        webhooks={
            "endpoints": [{"url": "http://127.0.0.1:9/hook", "secret_file": str(tmp_path / "s")}],
            "max_attempts": 2,
        }
    )
    server.create_session()
    wait_for(lambda: server.ctx.webhooks.recent()[0].status is wd.Status.FAILED, WAIT)
    (delivery,) = server.ctx.webhooks.recent()
    assert [a.status for a in delivery.attempts] == [None, None]
    assert delivery.attempts[0].error is not None
    assert delivery.attempts[0].error.startswith("connection failed")


def test_a_hanging_receiver_blocks_no_request_and_the_queue_drops_the_oldest(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    receiver.then = HANG
    server = hooked({"timeout_seconds": 60}, concurrency=1, queue_size=2)
    first = server.create_session()["session_id"]
    wait_for(lambda: receiver.hanging == 1, WAIT)
    # The receiver holds the first delivery; sessions are still made at once.
    later = [server.create_session()["session_id"] for _ in range(3)]
    assert receiver.hanging == 1 and receiver.count() == 1
    assert server.ctx.webhooks.waiting == 2  # the queue's bound
    assert metric(server, "dropped") == 1
    dropped = deliveries(server, status="dropped")
    assert [d["session_id"] for d in dropped] == [later[0]]  # the oldest waiting one
    receiver.release()
    settled(server, 4)
    delivered = {d["session_id"] for d in deliveries(server, status="delivered")}
    assert delivered == {first, later[1], later[2]}


def test_no_event_is_lost_within_the_attempts(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    receiver.script = [503, 204] * 10 + [502, 502, 204] * 5
    server = hooked(concurrency=4)
    made = {server.create_session()["session_id"] for _ in range(20)}
    found = settled(server, 20)
    assert {d["session_id"] for d in found} == made
    assert all(d["status"] == "delivered" for d in found)
    got = {r.event["session_id"] for r in receiver.requests if r.answer == 204}
    assert got == made


def test_only_the_events_an_endpoint_asked_for(
    hooked: Callable[..., Server], receiver: Receiver, stack: ExitStack
) -> None:
    server = hooked({"events": ["session.ended"], "agent_ids": True})
    story = Story(server, stack)
    story.visitor.send_text(frame("end"))
    (delivery,) = settled(server, 1)
    assert delivery["event_type"] == "session.ended"
    assert [e["type"] for e in receiver.events()] == ["session.ended"]


def test_the_deliveries_route_filters_and_checks(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    receiver.script = [410]
    server = hooked()
    server.create_session()
    server.create_session()
    settled(server, 2)
    assert len(deliveries(server)) == 2
    assert len(deliveries(server, status="failed")) == 1
    assert len(deliveries(server, status="delivered", limit=1)) == 1
    assert deliveries(server, event_type="session.ended") == []
    assert deliveries(server, endpoint="other") == []
    bad = server.client.get("/api/v1/webhooks/deliveries", params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_status"
    bad = server.client.get("/api/v1/webhooks/deliveries", params={"event_type": "x.y"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_event"
    anonymous = server.browser()
    r = anonymous.get("/api/v1/webhooks/deliveries")
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_api_key"


def test_the_route_is_documented(server: Server) -> None:
    doc = server.client.get("/openapi.json").json()
    route = doc["paths"]["/api/v1/webhooks/deliveries"]["get"]
    assert route["tags"] == ["webhooks"]
    assert route["security"] == [{"apiKey": []}]
    assert {p["name"] for p in route["parameters"]} >= {"status", "event_type", "limit"}


def test_without_endpoints_nothing_is_queued(server: Server) -> None:
    server.create_session()
    assert server.ctx.webhooks.recent() == [] and server.ctx.webhooks.waiting == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the secret's file"),
        ("tiny-s3cret", "at least 16 characters"),
    ],
)
def test_a_missing_or_short_secret_stops_the_start(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    config = load_config(
        {
            "server": {"data_dir": str(tmp_path / "data")},
            "webhooks": {"endpoints": [{"url": "https://crm.example/h", "secret_file": str(path)}]},
        },
        {},
    )
    with pytest.raises(ConfigError, match=message) as info:
        create_app(config)
    assert "s3cret" not in str(info.value)  # never the secret itself


def test_a_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"url": "https://crm.example/h", "secret_env": "CRM_HOOK_SECRET"}
    config = load_config(
        {"server": {"data_dir": str(tmp_path / "data")}, "webhooks": {"endpoints": [table]}}, {}
    )
    with pytest.raises(ConfigError, match="environment variable CRM_HOOK_SECRET"):
        create_app(config)
    monkeypatch.setenv("CRM_HOOK_SECRET", SECRET)
    app = create_app(config)
    (target,) = app.state.ctx.webhooks.targets
    assert target.secret == SECRET.encode() and SECRET not in repr(target)


def test_a_session_ended_by_the_shutdown_is_still_sent(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    server = hooked()
    server.create_session()
    wait_for(lambda: receiver.count() == 1, WAIT)
    server.client.__exit__(None, None, None)  # the app's shutdown ends the session
    assert [e["type"] for e in receiver.events()] == ["session.created", "session.ended"]
    assert receiver.events()[1]["data"] == {"actor": "system", "reason": "admin"}


def test_what_the_shutdown_cuts_off_is_logged(
    hooked: Callable[..., Server], receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.then = HANG
    server = hooked({"timeout_seconds": 60})
    server.ctx.webhooks.grace = 0.1  # the receiver holds every request until released
    server.create_session()
    wait_for(lambda: receiver.hanging == 1, WAIT)
    with caplog.at_level(logging.ERROR, "cobrowse.webhooks"):
        server.client.__exit__(None, None, None)
    receiver.release()
    cut = [r.getMessage() for r in caplog.records if "NOT DELIVERED at shutdown" in r.getMessage()]
    assert sorted(line.split()[7] for line in cut) == ["session.created", "session.ended"]


def test_an_entry_recorded_from_another_thread_is_sent(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    server = hooked()
    entry = a.consent_entry(at=server.clock(), session_id="s_elsewhere", allow=False)
    server.ctx.audit.record(entry)  # from the test's thread, not the app's loop
    (delivery,) = settled(server, 1)
    assert delivery["status"] == "delivered"
    assert receiver.events()[0]["data"] == {"actor": "visitor", "allowed": False}


def test_the_route_says_when_the_deliveries_cannot_be_read(
    hooked: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = hooked()

    async def unreachable() -> list[dict[str, Any]]:
        raise ConnectionError("the store does not answer")

    monkeypatch.setattr(server.ctx.webhooks, "listing", unreachable)
    r = server.client.get("/api/v1/webhooks/deliveries")
    assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"


def test_the_node_keeps_history_finished_deliveries(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    server = hooked(history=3)
    made = [server.create_session()["session_id"] for _ in range(5)]
    wait_for(lambda: receiver.count() == 5, WAIT)
    wait_for(lambda: server.ctx.webhooks.waiting == 0, WAIT)
    kept = [d["session_id"] for d in settled(server, 3)]
    assert kept == made[:1:-1]  # the newest three, newest first


def test_a_delivery_waiting_for_its_retry_says_when(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    receiver.script = [(503, {"Retry-After": "120"})]
    server = hooked()
    server.ctx.webhooks.sleep_scale = 1.0  # really wait: the retry stays due
    session_id = server.create_session()["session_id"]
    wait_for(lambda: receiver.count() == 1, WAIT)
    wait_for(lambda: server.ctx.webhooks.recent()[0].status is wd.Status.RETRYING, WAIT)
    (delivery,) = deliveries(server, session_id=session_id)
    assert delivery["status"] == "retrying" and delivery["attempts"] == 1
    assert delivery["last_status"] == 503 and delivery["last_error"] == "HTTP 503"
    assert delivery["next_retry"] == iso_time(server.clock() + 120)
    assert server.client.get("/api/v1/webhooks/deliveries").json()["waiting"] == 1
    assert receiver.count() == 1


def test_an_admin_signed_in_sees_the_deliveries_other_roles_do_not(
    hooked: Callable[..., Server], receiver: Receiver
) -> None:
    server = hooked()
    server.create_session()
    settled(server, 1)
    admin = server.agent_client("Ira Admin", role=Role.ADMIN)
    r = admin.get("/api/v1/webhooks/deliveries")
    assert r.status_code == 200 and len(r.json()["deliveries"]) == 1
    for role in (Role.AGENT, Role.SUPERVISOR):
        r = server.agent_client(f"A {role}", role=role).get("/api/v1/webhooks/deliveries")
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_allowed"
