"""Recordings end to end in the app: a recorded site's session is captured, sealed on
disk, listed, replayed and exported by role, and every replay and export is audited."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from cobrowse.core.recording import Meta
from cobrowse.core.roles import Role
from cobrowse.server.auth import AGENT_COOKIE
from cobrowse.server.recordings import Recorder
from cobrowse.store.audit import AuditQuery
from tests.server.conftest import SITE, Server, wait_for
from tests.server.test_ws import Story, frame

SECRET = "4111-SECRET-CHAT-7788"
META = {"type": 4, "timestamp": 1, "data": {"href": SITE + "/itr", "width": 800, "height": 600}}
FULL = {"type": 2, "timestamp": 2, "data": {"node": {"type": 0, "childNodes": [], "id": 1}}}


def signed_in(server: Server, name: str, role: Role, team: str | None = None) -> TestClient:
    """A browser signed in (as a local account would be) with `role` and `team`."""
    browser = server.browser()
    cookie = server.call(
        lambda: server.ctx.guards.sign_in(
            name, now=server.clock(), via="account", subject=name.lower(), role=role, team=team
        )
    )
    browser.cookies.set(AGENT_COOKIE, cookie)
    return browser


@pytest.fixture
def recorded(make_server: Callable[..., Server]) -> Server:
    return make_server(recordings={"sites": [SITE]})


def recorder(server: Server) -> Recorder:
    assert server.ctx.recorder is not None
    return server.ctx.recorder


def ended_meta(server: Server, session_id: str) -> Meta:
    found: list[Meta] = []

    def done() -> bool:
        meta = recorder(server).meta(session_id)
        found[:] = [meta] if meta is not None else []
        return meta is not None and meta.ended_at is not None

    wait_for(done, timeout=30)
    return found[0]


def record_a_session(server: Server, stack: ExitStack, *, agent: TestClient | None = None) -> str:
    """A recorded session: a page, a chat, control; then the visitor stops."""
    story = Story(server, stack)
    if agent is not None:
        story.agent_browser = agent
    story.control()
    story.visitor.send_text(frame("events", events=[META, FULL]))
    assert story.agent.receive_json()["t"] == "events"
    story.visitor.send_text(frame("chat", id="c1", text=f"my card is {SECRET}"))
    assert story.agent.receive_json()["t"] == "chat"
    story.visitor.send_text(frame("end"))
    assert story.agent.receive_json()["t"] == "ended"
    ended_meta(server, story.session_id)
    return story.session_id


def test_a_recorded_site_says_so_and_another_does_not(
    recorded: Server, make_server: Callable[..., Server]
) -> None:
    assert recorded.create_session()["recording"] is True
    other = recorded.client.post("/api/v1/sessions", json={}, headers={"Origin": "http://x.test"})
    assert other.status_code == 403  # not an allowed site at all
    plain = make_server()
    assert plain.create_session()["recording"] is False


def test_a_session_is_recorded_sealed_on_disk(recorded: Server, stack: ExitStack) -> None:
    sid = record_a_session(recorded, stack)
    folder = Path(recorded.config.server.data_dir) / "recordings" / sid
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "c000000" and "meta" in names
    for path in folder.iterdir():
        data = path.read_bytes()
        assert data.startswith(b"CBR1")
        assert SECRET.encode() not in data and b"events" not in data
        assert path.stat().st_mode & 0o077 == 0
    meta = recorder(recorded).meta(sid)
    assert meta is not None and meta.agent_name == "Asha Rao" and meta.site == SITE
    assert meta.agent_id == "link:Asha Rao" and meta.lost == 0
    got = recorder(recorded).read(sid)
    assert got is not None
    kinds = [(to, frame_[:40]) for _, to, frame_ in got[1]]
    assert any(b'"t":"events"' in f for _, f in kinds)


def test_replay_and_export_by_role_and_audited(recorded: Server, stack: ExitStack) -> None:
    sid = record_a_session(recorded, stack)
    supervisor = signed_in(recorded, "Sunita", Role.SUPERVISOR)
    listed = supervisor.get("/api/v1/recordings")
    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["recordings"]] == [sid]
    replay = supervisor.get(f"/api/v1/recordings/{sid}")
    assert replay.status_code == 200, replay.text
    body: dict[str, Any] = replay.json()
    types = [r["frame"]["t"] for r in body["records"]]
    assert "events" in types and "chat" in types and "control" in types
    assert {"session.created", "consent.allowed", "session.ended"} <= {
        e["kind"] for e in body["audit"]
    }
    exported = supervisor.get(f"/api/v1/recordings/{sid}/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    page = exported.text
    assert page.startswith("<!doctype html>") and 'id="recording-data"' in page
    assert "Replayer" in page  # the player is inlined, nothing is fetched
    assert "</script" not in page.split('id="recording-data">', 1)[1].split("</script>", 1)[0]
    entries = recorded.call(
        recorded.ctx.audit.query,
        AuditQuery(session_id=sid, kinds=("recording.replayed", "recording.exported")),
    )
    assert [(e.kind, e.actor, e.data["role"]) for e in entries] == [
        ("recording.replayed", "Sunita", "supervisor"),
        ("recording.exported", "Sunita", "supervisor"),
    ]


@pytest.mark.parametrize(
    ("role", "team", "sees"),
    [
        (Role.AGENT, None, 403),
        (Role.AGENT, "north", 403),
        (Role.SUPERVISOR, "north", 200),
        (Role.SUPERVISOR, "south", 404),
        (Role.SUPERVISOR, None, 200),
        (Role.ADMIN, "south", 200),
        (Role.ADMIN, None, 200),
    ],
)
def test_who_may_replay_a_team_s_recording(
    recorded: Server, stack: ExitStack, role: Role, team: str | None, sees: int
) -> None:
    north_agent = signed_in(recorded, "Asha Rao", Role.AGENT, "north")
    sid = record_a_session(recorded, stack, agent=north_agent)
    caller = signed_in(recorded, "Caller", role, team)
    listed = caller.get("/api/v1/recordings")
    if sees == 403:
        assert listed.status_code == 403 and listed.json()["error"]["code"] == "forbidden"
    else:
        ids = [r["id"] for r in listed.json()["recordings"]]
        assert ids == ([sid] if sees == 200 else [])
    for path in (f"/api/v1/recordings/{sid}", f"/api/v1/recordings/{sid}/export"):
        assert caller.get(path).status_code == sees
    # The recording's own agent is an agent: never a replayer, not even of their own.
    assert north_agent.get(f"/api/v1/recordings/{sid}").status_code == 403
    audited = recorded.call(
        recorded.ctx.audit.query, AuditQuery(session_id=sid, kinds=("recording.replayed",))
    )
    assert len(audited) == (1 if sees == 200 else 0)


def test_nobody_signed_in_gets_nothing(recorded: Server, stack: ExitStack) -> None:
    sid = record_a_session(recorded, stack)
    fresh = recorded.browser()
    for path in ("", f"/{sid}", f"/{sid}/export"):
        assert fresh.get("/api/v1/recordings" + path).status_code == 401


def test_a_changed_chunk_is_refused_not_replayed(recorded: Server, stack: ExitStack) -> None:
    sid = record_a_session(recorded, stack)
    chunk = Path(recorded.config.server.data_dir) / "recordings" / sid / "c000000"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0x40
    chunk.write_bytes(bytes(data))
    admin = signed_in(recorded, "Root", Role.ADMIN)
    r = admin.get(f"/api/v1/recordings/{sid}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "recording_damaged"
    chunk.unlink()
    assert admin.get(f"/api/v1/recordings/{sid}").status_code == 409


def test_an_unknown_or_malformed_id_is_404_or_422(recorded: Server) -> None:
    admin = signed_in(recorded, "Root", Role.ADMIN)
    assert admin.get("/api/v1/recordings/nope").status_code == 404
    assert admin.get("/api/v1/recordings/a.b").status_code == 422


def test_lost_frames_are_a_metric(recorded: Server) -> None:
    from cobrowse.server.metrics import Metrics

    assert (
        b"cobrowse_recording_frames_lost_total 5.0"
        in Metrics(recording_frames_lost=lambda: 5).render()
    )
    r = recorder(recorded)
    r.queue_frames = 0  # every frame now finds the queue full
    r.capture("s_none", "agent", b"{}", recorded.clock())
    assert b"cobrowse_recording_frames_lost_total 1.0" in recorded.ctx.metrics.render()


def test_a_proxied_session_keeps_its_assets_for_the_replay(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    from cobrowse.server.proxy_state import Asset

    server = make_server(proxy={"mode": "proxy"}, recordings={"sites": [SITE]})
    story = Story(server, stack).control()
    r = server.client.post(
        f"/api/v1/sessions/{story.session_id}/overlay",
        json={"url": SITE + "/"},
        headers={"Authorization": f"Bearer {story.visitor_token}"},
    )
    assert r.status_code == 201, r.text
    proxy = server.ctx.proxy
    label = proxy.hosts.label_for(story.session_id, SITE)
    origin = proxy.hosts.origin(label)
    cache = proxy.cache(story.session_id)
    cache.put(label, "/site.css", Asset("text/css", b"body{background:url(/bg.png)}"))
    cache.put(label, "/bg.png", Asset("image/png", b"\x89PNG fake"))
    link = {"type": 2, "tagName": "link", "attributes": {"href": origin + "/site.css"}, "id": 2}
    page = {"type": 2, "timestamp": 3, "data": {"node": {"type": 0, "childNodes": [link], "id": 1}}}
    story.visitor.send_text(frame("events", events=[META, page]))
    assert story.agent.receive_json()["t"] == "events"
    story.visitor.send_text(frame("end"))
    assert story.agent.receive_json()["t"] == "ended"
    sid = story.session_id
    ended_meta(server, sid)

    admin = signed_in(server, "Root", Role.ADMIN)
    body = admin.get(f"/api/v1/recordings/{sid}").text
    assert origin not in body  # the session's proxy URLs are gone; the kept copies stay
    css_url = f"/api/v1/recordings/{sid}/assets/"
    assert css_url in body
    index = recorder(server).asset_index(sid)
    names = {url.removeprefix(origin): name for url, _, name in index}
    css = admin.get(css_url + names["/site.css"])
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert f"url({css_url}{names['/bg.png']})" in css.text
    png = admin.get(css_url + names["/bg.png"])
    assert png.content == b"\x89PNG fake"
    assert signed_in(server, "A", Role.AGENT).get(css_url + names["/bg.png"]).status_code == 403
    assert server.browser().get(css_url + names["/bg.png"]).status_code == 401
    exported = admin.get(f"/api/v1/recordings/{sid}/export").text
    assert origin not in exported and "data:text/css;base64," in exported
    folder = Path(server.config.server.data_dir) / "recordings" / sid
    assert b"PNG" not in (folder / names["/bg.png"]).read_bytes()  # sealed like the rest
