"""The continuation point on two nodes (two apps on one Redis `store.url`): the site's
reverse proxy may send the hand-in to one node and the hand-back to another, and the
session may end on a third; the tickets, the imported mark and the write-back are the
store's, not a node's."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.redis_server import RedisServer, redis_server
from tests.server.conftest import SITE, Server
from tests.server.test_continuation import OUT, ask, hand_in
from tests.server.test_ws import Story, frame

BINDING = "cobrowse_continue"


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def nodes(
    make_server: Callable[..., Server], redis_srv: RedisServer, upstream: str
) -> tuple[Server, Server]:
    """Node A and node B in proxy mode on one Redis prefix (one data directory)."""
    url = f"{redis_srv.url}?prefix=c{secrets.token_hex(4)}:"
    proxy = {
        "mode": "proxy",
        "allowed_origins": [SITE, upstream],
        "allowed_networks": ["127.0.0.0/8"],
        "asset_wait_seconds": 0.2,
    }
    a, b = (make_server(proxy=proxy, store={"url": url}) for _ in range(2))
    b.clock.now = a.clock.now
    return a, b


def binding_of(answer: Any) -> str:
    """The binding cookie's value the hand-in set (the visitor's browser keeps it)."""
    header: str = answer.headers["set-cookie"]
    assert header.startswith(BINDING + "=")
    return header.split(";")[0].split("=", 1)[1]


def hand_back(server: Server, ticket: str, binding: str) -> Any:
    return server.browser().post(
        OUT, json={"ticket": ticket}, headers={"Cookie": f"{BINDING}={binding}"}
    )


def proxied(server: Server, overlay: Any, credential: str, path: str) -> Any:
    return server.client.get(
        overlay.answer["proxy_origin"] + path, headers={"Cookie": f"cobrowse_proxy={credential}"}
    )


def test_the_hand_in_at_a_and_the_hand_back_at_b(
    nodes: tuple[Server, Server], stack: ExitStack, upstream: str
) -> None:
    a, b = nodes
    story = Story(a, stack).allow()
    ov = ask(a, story, upstream, page_origin=upstream)
    first = hand_in(a, ov.ticket, "sid=old; pref=light")
    assert first.status_code == 200, first.text
    assert first.json()["cookies"] == 2
    ov.enter()
    assert proxied(b, ov, ov.cookie, "/echo").json()["cookies"] == {"sid": "old", "pref": "light"}
    proxied(b, ov, ov.cookie, "/set-cookie")  # the overlay logs in through B
    # A reload of the top page asks B for the overlay, and hands in at A again: the
    # site's old cookies do not come in a second time.
    reload = ask(b, story, upstream, page_origin=upstream)
    second = hand_in(a, reload.ticket, "sid=old; pref=light")
    assert second.status_code == 200 and second.json()["cookies"] == 0
    assert proxied(a, ov, ov.cookie, "/echo").json()["cookies"]["sid"] == "secret-session"
    # The first return ticket is void on every node; the newest works at B, with its
    # binding only, once.
    old_ticket, old_binding = first.json()["return_ticket"], binding_of(first)
    assert hand_back(b, old_ticket, old_binding).status_code == 403
    ticket, binding = second.json()["return_ticket"], binding_of(second)
    assert hand_back(b, ticket, old_binding).status_code == 403
    out = hand_back(b, ticket, binding)
    assert out.status_code == 200, out.text
    assert out.json() == {"carried": 2, "elsewhere": []}
    lines = out.headers.get_list("set-cookie")
    assert any(line.startswith("sid=secret-session;") for line in lines)
    assert any(line.startswith("pref=dark;") for line in lines)
    assert hand_back(a, ticket, binding).status_code == 403


def test_a_hand_off_from_a_redeems_once_at_b_and_the_end_at_a_is_written_back_at_b(
    nodes: tuple[Server, Server], stack: ExitStack, upstream: str
) -> None:
    a, b = nodes
    story = Story(a, stack).allow()
    ov = ask(a, story, upstream, page_origin=upstream)
    r = hand_in(b, ov.ticket, "sid=old")
    assert r.status_code == 200, r.text
    assert hand_in(a, ov.ticket, "sid=again").status_code == 403  # used up on B
    ticket, binding = r.json()["return_ticket"], binding_of(r)
    ov.enter()
    proxied(a, ov, ov.cookie, "/set-cookie")
    story.visitor.send_text(frame("end"))  # the session ends on A, its room's node
    while story.agent.receive_json()["t"] != "ended":
        pass
    out = hand_back(b, ticket, "")
    assert out.status_code == 403  # the kept write-back still needs the binding
    out = hand_back(b, ticket, binding)
    assert out.status_code == 200, out.text
    assert any(h.startswith("sid=secret-session;") for h in out.headers.get_list("set-cookie"))
    assert hand_back(a, ticket, binding).status_code == 403
