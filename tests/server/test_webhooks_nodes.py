"""Webhooks with several nodes on one Redis: real `cobrowse serve` processes, a real
redis-server, a real receiver. A session whose visitor is on node A and whose agent is
on node B sends each event to the endpoint once (by the node that recorded it), and
either node lists all the deliveries."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cobrowse.core import webhook_delivery as wd
from tests.nodes import Nodes, cobrowse_nodes
from tests.redis_server import RedisServer, redis_server
from tests.server.conftest import new_api_key, wait_for
from tests.server.test_cluster import SESSION, give_control, start_story
from tests.server.webhook_receiver import Receiver, running_receiver

SECRET = "whsec_nodes_0123456789abcdef"
WAIT = 60.0
TYPES = [
    "session.created",
    "session.joined",
    "session.consent",
    "control.granted",
    "control.revoked",
    "session.ended",
]


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def test_each_event_is_sent_once_by_the_node_that_recorded_it(
    redis_srv: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, key_hash = new_api_key()
    with running_receiver(Receiver()) as receiver:
        # The nodes' processes take the endpoint (and its secret) from the environment.
        endpoint = {"name": "crm", "url": receiver.url, "secret_env": "CRM_HOOK_SECRET"}
        monkeypatch.setenv("COBROWSE_WEBHOOKS_ENDPOINTS", json.dumps([endpoint]))
        monkeypatch.setenv("CRM_HOOK_SECRET", SECRET)
        with cobrowse_nodes(
            2,
            store_url=f"{redis_srv.url}?prefix=t{time.monotonic_ns()}:",
            tmp=tmp_path,
            sections={"session": SESSION, "auth": {"api_keys": [key_hash]}},
        ) as nodes:
            try:
                _story(nodes, receiver, key)
            except BaseException:
                print(nodes.logs())
                raise


def _story(nodes: Nodes, receiver: Receiver, key: str) -> None:
    a, b = nodes.nodes
    story = start_story(nodes, visitor_node=a, agent_node=b)
    give_control(story)
    story.visitor.send("control", action="revoke")
    story.agent.until("control", state="view")
    story.visitor.send("end")
    assert story.agent.until("ended")["reason"] == "visitor_stopped"
    wait_for(lambda: sorted(e["type"] for e in receiver.events()) == sorted(TYPES), WAIT)
    events = receiver.events()
    assert Counter(e["type"] for e in events) == Counter(TYPES)  # each once, none twice
    assert {e["session_id"] for e in events} == {story.session_id}
    for request in receiver.requests:
        header = request.headers[wd.SIGNATURE_HEADER]
        assert wd.verify(SECRET.encode(), header, request.body, now=time.time())

    def listed(url: str) -> list[dict[str, Any]]:
        r = httpx.get(
            f"{url}/api/v1/webhooks/deliveries",
            headers={"Authorization": f"Bearer {key}"},
            timeout=WAIT,
        )
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["deliveries"]
        return found

    # Either node lists every node's deliveries (kept on Redis): one per event.
    def delivered() -> bool:
        return all(d["status"] == "delivered" for d in listed(a.url))

    wait_for(delivered, WAIT)
    on_a, on_b = listed(a.url), listed(b.url)
    assert on_a == on_b
    assert sorted(d["event_id"] for d in on_a) == sorted(e["id"] for e in events)
    assert [d["event_type"] for d in on_a] == TYPES[::-1]  # newest first
