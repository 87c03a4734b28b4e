"""Several nodes in Chromium: two `cobrowse demo` processes on one real Redis.

- The visitor's page talks to one node, the agent's console to the other: the whole
  story (join, consent, the live page, typing seen by the agent, chat both ways) works
  across them.
- Behind a real nginx running deploy/nginx.conf (the file the README points to), in
  proxy mode: kill the node that runs the session mid-session; both sides go on, on the
  other node, and what the visitor types after the kill reaches the agent. The time from
  the kill until the console is live again is printed (a figure, not a test).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_sync
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Pair
from tests.e2e.demo_process import Demo, free_port, start_demo, stop_demo
from tests.e2e.test_story import (
    PAN,
    PASSWORD,
    agent_joins,
    ask_for_pin,
    mirror,
    mirror_frame,
    surface,
    wait_in_mirror,
)
from tests.nginx import nginx_http
from tests.redis_server import RedisServer, redis_server

pytestmark = pytest.mark.e2e

DEPLOY_NGINX = Path(__file__).parents[2] / "deploy" / "nginx.conf"
LIVE = re.compile("^Live")
IMAGES_SHOWN = (
    "() => document.images.length > 0 && "
    "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
)


@dataclass
class Cluster:
    demos: list[Demo]
    redis: RedisServer


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    """`make(mode, public_url)`: two demo nodes on a fresh Redis, one data directory."""
    stack: list[Cluster] = []

    with redis_server() as redis:

        def make(mode: str, *, public_url: str = "", ports: list[int] | None = None) -> Cluster:
            shared = tmp_path / "data"
            env = {
                "COBROWSE_STORE_URL": redis.url,
                "COBROWSE_PROXY_MODE": mode,
                "COBROWSE_SESSION_VISITOR_GRACE_SECONDS": "60",
                "COBROWSE_SERVER_PUBLIC_URL": public_url,
            }
            demos = []
            portals = [free_port(), free_port()]
            # Every node allows the first node's portal, the site the visitor is on.
            allow = ["--allow-origin", f"http://efiling.demo.localhost:{portals[0]}"]
            for i in range(2):
                tmp = tmp_path / f"node{i}"
                tmp.mkdir(exist_ok=True)
                demo = start_demo(
                    tmp,
                    env,
                    mode=mode,
                    port=ports[i] if ports else None,
                    portal_port=portals[i],
                    extra_args=allow,
                    data_dir=shared,
                    server=public_url or None,
                )
                demos.append(demo)
            made = Cluster(demos=demos, redis=redis)
            stack.append(made)
            return made

        try:
            yield make
        finally:
            for made in stack:
                for demo in made.demos:
                    stop_demo(demo)


def to_the_form(pair: Pair, demo: Demo) -> None:
    """The visitor logs in and opens the ITR form; the agent's mirror follows."""
    page = surface(pair.visitor, demo)
    page.get_by_label("PAN").fill(PAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.get_by_role("link", name="File ITR").first.click()
    expect(mirror(pair.agent).get_by_label("Full name")).to_be_visible(timeout=30_000)


def type_and_see(pair: Pair, demo: Demo, label: str, text: str) -> None:
    """What the visitor types reaches the agent's mirror."""
    surface(pair.visitor, demo).get_by_label(label).fill(text)
    expect(mirror(pair.agent).get_by_label(label)).to_have_value(text, timeout=30_000)


def chat_both_ways(pair: Pair, visitor_says: str, agent_says: str) -> None:
    pair.visitor.get_by_role("button", name="Chat").click()
    pair.agent.get_by_label("Message").fill(agent_says)
    pair.agent.get_by_role("button", name="Send").click()
    expect(pair.visitor.get_by_role("log")).to_contain_text(agent_says, timeout=30_000)
    pair.visitor.get_by_label("Message").fill(visitor_says)
    pair.visitor.get_by_role("button", name="Send").click()
    expect(pair.agent.get_by_role("log")).to_contain_text(visitor_says, timeout=30_000)


def socket_urls(page: Page) -> list[str]:
    """Where the page's WebSockets go, from now on."""
    urls: list[str] = []
    page.on("websocket", lambda ws: urls.append(ws.url))
    return urls


def test_visitor_and_agent_on_different_nodes(
    pair: Pair, cluster: Callable[..., Cluster], tmp_path: Path
) -> None:
    made = cluster("inline")
    on_a, on_b = made.demos
    visitor_sockets, agent_sockets = socket_urls(pair.visitor), socket_urls(pair.agent)
    pair.visitor.goto(on_a.portal + "/login")
    pin = ask_for_pin(pair.visitor)
    agent_joins(pair.agent, on_b, pin)  # the console is node B's
    expect(pair.visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
    pair.visitor.get_by_role("button", name="Allow").click()
    expect(pair.agent.locator("#session-status")).to_have_text(LIVE, timeout=30_000)
    expect(mirror(pair.agent).get_by_role("button", name="Login")).to_be_visible()
    to_the_form(pair, on_a)
    type_and_see(pair, on_a, "Full name", "Meera Iyer")
    chat_both_ways(pair, "Which form?", "ITR-1, please.")
    # Each side talked to its own node only.
    assert visitor_sockets and agent_sockets
    assert {u.split("/ws")[0] for u in visitor_sockets} == {on_a.server.replace("http", "ws")}
    assert {u.split("/ws")[0] for u in agent_sockets} == {on_b.server.replace("http", "ws")}


def test_a_node_killed_mid_session_behind_nginx(
    pair: Pair, cluster: Callable[..., Cluster], tmp_path: Path
) -> None:
    front = free_port()
    ports = [free_port(), free_port()]
    public = f"http://127.0.0.1:{front}"
    with nginx_http(_deploy_config(front, ports), port=front) as nginx:
        made = cluster("proxy", public_url=public, ports=ports)
        demo = made.demos[0]  # its portal; the widget and console go through nginx
        pair.visitor.goto(demo.portal + "/login")
        pin = ask_for_pin(pair.visitor)
        agent_joins(pair.agent, demo, pin)
        expect(pair.visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
        pair.visitor.get_by_role("button", name="Allow").click()
        status = pair.agent.locator("#session-status")
        expect(status).to_have_text(LIVE, timeout=30_000)
        to_the_form(pair, demo)
        type_and_see(pair, demo, "Full name", "Before the kill")
        wait_in_mirror(mirror_frame(pair.agent), IMAGES_SHOWN, timeout=30)

        owner = _owner(made.redis)
        killed = time.monotonic()
        made.demos[owner].process.kill()  # the node running the session
        made.demos[owner].process.wait(10)
        expect(status).to_have_text(LIVE, timeout=30_000)
        back = time.monotonic() - killed
        type_and_see(pair, demo, "Full name", "After the kill")
        # The page the new node sent shows its images (asset URLs mapped there too).
        wait_in_mirror(mirror_frame(pair.agent), IMAGES_SHOWN, timeout=30)
        print(f"\nnode killed -> console live again in {back:.2f} s (nginx, proxy mode)")
        log = nginx.log_text()
        assert re.search(r'"GET /ws HTTP/1\.1" 101', log), log  # sockets went through it


def _deploy_config(port: int, ports: list[int]) -> str:
    """deploy/nginx.conf on loopback: its listen line on `port`, no TLS, these nodes."""
    text = DEPLOY_NGINX.read_text()
    text = text.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    text = re.sub(r"^\s*(http2 on|ssl_certificate\S*) .*\n", "", text, flags=re.M)
    text = re.sub(r"^\s*http2 on;\n", "", text, flags=re.M)
    text = text.replace("127.0.0.1:8001", f"127.0.0.1:{ports[0]}")
    text = text.replace("127.0.0.1:8002", f"127.0.0.1:{ports[1]}")
    assert "ssl" not in re.sub(r"#.*", "", text), text
    return text


def _owner(redis: RedisServer) -> int:
    """Which of the two nodes (0 or 1) runs the one live session."""
    client = redis_sync.Redis.from_url(redis.url)
    try:
        keys = client.keys("cobrowse:own:*")
        assert len(keys) == 1, keys
        node = int(client.get(keys[0]) or 0)
    finally:
        client.close()
    return node - 1  # nodes are numbered 1, 2 in the order they started
