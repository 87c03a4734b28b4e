"""The continuation point in-process: the site's login into the session's jar at Allow,
and back as Set-Cookie at the end. The requests stand for the ones the site's reverse
proxy forwards from the visitor's page (same origin as the site, so its cookies come)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from tests.server.conftest import SITE, Server
from tests.server.test_ws import Story, frame

IN = "/__cobrowse/continue/in"
OUT = "/__cobrowse/continue/out"
SID = "s3cr3t-session-value"


@dataclass
class Overlay:
    server: Server
    story: Story
    answer: dict[str, Any]
    cookie: str = ""

    @property
    def ticket(self) -> str:
        return str(self.answer["handoff"]["ticket"])

    def enter(self) -> None:
        entered = self.server.client.get(self.answer["src"], follow_redirects=False)
        assert entered.status_code == 303, entered.text
        self.cookie = entered.headers["set-cookie"].split(";")[0].split("=", 1)[1]

    def get(self, path: str) -> Any:
        return self.server.client.get(
            self.answer["proxy_origin"] + path, headers={"Cookie": f"cobrowse_proxy={self.cookie}"}
        )


def overlay(server: Server, stack: ExitStack, upstream: str, *, page_origin: str) -> Overlay:
    story = Story(server, stack).allow()
    return ask(server, story, upstream, page_origin=page_origin)


def ask(server: Server, story: Story, upstream: str, *, page_origin: str) -> Overlay:
    r = server.client.post(
        f"/api/v1/sessions/{story.session_id}/overlay",
        json={"url": upstream + "/echo"},
        headers={"Authorization": f"Bearer {story.visitor_token}", "Origin": page_origin},
    )
    assert r.status_code == 201, r.text
    return Overlay(server=server, story=story, answer=r.json())


def hand_in(server: Server, ticket: str, cookie: str, visible: list[str] | None = None) -> Any:
    return server.client.post(
        IN, json={"ticket": ticket, "visible": visible or []}, headers={"Cookie": cookie}
    )


def test_the_handoff_is_offered_only_to_a_page_on_the_site(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    on_site = overlay(proxy_server, stack, upstream, page_origin=upstream)
    assert on_site.answer["handoff"]["path"] == "/__cobrowse/continue"
    # The /start page (or any page elsewhere) cannot hand the site's cookies over.
    elsewhere = ask(proxy_server, on_site.story, upstream, page_origin=SITE)
    assert elsewhere.answer["handoff"] is None


def test_no_handoff_when_the_site_has_no_continuation_point(
    make_proxy_server: Callable[..., Server], stack: ExitStack, upstream: str
) -> None:
    server = make_proxy_server(continuation_path="")
    assert overlay(server, stack, upstream, page_origin=upstream).answer["handoff"] is None


def test_the_site_s_cookies_carry_into_the_overlay(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    r = hand_in(
        proxy_server,
        ov.ticket,
        f"sid={SID}; pref=dark; cobrowse_agent=not-theirs",
        visible=["pref"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["cookies"] == 2 and r.json()["return_ticket"]
    assert SID not in r.text and r.headers["cache-control"] == "no-store"
    ov.enter()
    echoed = ov.get("/echo").json()
    assert echoed["cookies"] == {"sid": SID, "pref": "dark"}  # not the server's own cookie
    # Only what a script of the site could read shows in the page's document.cookie.
    page = ov.get("/").text
    config = json.loads(page.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["cookies"] == "pref=dark"


def test_a_handoff_ticket_is_single_use_short_lived_and_bound_to_its_session(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    assert hand_in(proxy_server, ov.ticket, "sid=1").status_code == 200
    ov.enter()
    again = hand_in(proxy_server, ov.ticket, "sid=2")
    assert again.status_code == 403 and again.json()["error"]["code"] == "bad_ticket"
    late = ask(proxy_server, ov.story, upstream, page_origin=upstream)
    proxy_server.clock.advance(61)
    assert hand_in(proxy_server, late.ticket, "sid=3").status_code == 403
    assert hand_in(proxy_server, "made-up", "sid=4").status_code == 403
    assert ov.get("/echo").json()["cookies"] == {"sid": "1"}


def test_a_second_handoff_does_not_undo_the_overlay_s_state(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    """After a reload of the top page the site's old cookies must not come in again."""
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    first = hand_in(proxy_server, ov.ticket, "sid=before").json()["return_ticket"]
    ov.enter()
    ov.get("/set-cookie")  # the overlay logs in: sid=secret-session
    reload = ask(proxy_server, ov.story, upstream, page_origin=upstream)
    second = hand_in(proxy_server, reload.ticket, "sid=before")
    assert second.json()["cookies"] == 0
    assert ov.get("/echo").json()["cookies"]["sid"] == "secret-session"
    # Only the newest return ticket works.
    assert proxy_server.client.post(OUT, json={"ticket": first}).status_code == 403
    out = proxy_server.client.post(OUT, json={"ticket": second.json()["return_ticket"]})
    assert out.status_code == 200


def test_changes_inside_the_overlay_are_written_back(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    ret = hand_in(proxy_server, ov.ticket, "sid=old; pref=light; keep=1", ["pref", "keep"])
    ret_ticket = ret.json()["return_ticket"]
    ov.enter()
    ov.get("/set-cookie")  # sid=secret-session (HttpOnly), pref=dark
    ov.get("/forget")  # pref deleted with an epoch expiry
    out = proxy_server.client.post(OUT, json={"ticket": ret_ticket})
    assert out.status_code == 200, out.text
    assert out.json() == {"carried": 2, "elsewhere": []}
    lines = out.headers.get_list("set-cookie")
    assert any(
        line.startswith("sid=secret-session;") and "HttpOnly" in line and "Path=/" in line
        for line in lines
    )
    assert any(line.startswith("pref=;") and "Max-Age=0" in line for line in lines)
    assert not any(line.startswith("keep=") for line in lines)  # unchanged: left alone
    assert "secret-session" not in out.text  # never in the body a script could read
    again = proxy_server.client.post(OUT, json={"ticket": ret_ticket})
    assert again.status_code == 403


def test_a_stolen_return_ticket_gives_nothing_without_the_visitor_s_browser(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    """The hand-in set an HttpOnly binding cookie on the continuation path of the site;
    a script that steals the return ticket cannot present it from elsewhere."""
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    r = hand_in(proxy_server, ov.ticket, "sid=old")
    binding = r.headers["set-cookie"]
    assert binding.startswith("cobrowse_continue=")
    for part in ("HttpOnly", "Path=/__cobrowse/continue", "SameSite=Strict"):
        assert part in binding
    ret_ticket = r.json()["return_ticket"]
    ov.enter()
    ov.get("/set-cookie")
    thief = proxy_server.browser()
    stolen = thief.post(OUT, json={"ticket": ret_ticket})
    assert stolen.status_code == 403 and "set-cookie" not in stolen.headers
    forged = thief.post(
        OUT, json={"ticket": ret_ticket}, headers={"Cookie": "cobrowse_continue=guess"}
    )
    assert forged.status_code == 403
    # The visitor's own browser still can, once; the binding cookie is then removed.
    out = proxy_server.client.post(OUT, json={"ticket": ret_ticket})
    assert out.status_code == 200
    lines = out.headers.get_list("set-cookie")
    assert any(line.startswith("sid=secret-session;") for line in lines)
    assert any(line.startswith("cobrowse_continue=;") and "Max-Age=0" in line for line in lines)


@pytest.mark.parametrize("ender", ["visitor", "agent"])
def test_the_write_back_survives_the_end_of_the_session(
    proxy_server: Server, stack: ExitStack, upstream: str, ender: str
) -> None:
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    ret_ticket = hand_in(proxy_server, ov.ticket, "sid=old").json()["return_ticket"]
    ov.enter()
    ov.get("/set-cookie")
    socket = ov.story.visitor if ender == "visitor" else ov.story.agent
    socket.send_text(frame("end"))
    other = ov.story.agent if ender == "visitor" else ov.story.visitor
    while other.receive_json()["t"] != "ended":
        pass
    # The jar is gone with the session; its write-back is kept for the return ticket.
    out = proxy_server.client.post(OUT, json={"ticket": ret_ticket})
    assert out.status_code == 200, out.text
    assert any(h.startswith("sid=secret-session;") for h in out.headers.get_list("set-cookie"))
    assert proxy_server.client.post(OUT, json={"ticket": ret_ticket}).status_code == 403


def test_a_handoff_after_the_end_is_refused(
    proxy_server: Server, stack: ExitStack, upstream: str
) -> None:
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    ov.story.visitor.send_text(frame("end"))
    while ov.story.agent.receive_json()["t"] != "ended":
        pass
    r = hand_in(proxy_server, ov.ticket, "sid=1")
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (IN, {}),
        (IN, {"ticket": ""}),
        (IN, {"ticket": "x" * 101}),
        (IN, {"ticket": "t", "visible": "sid"}),
        (IN, {"ticket": "t", "visible": ["a"] * 201}),
        (IN, {"ticket": "t", "extra": 1}),
        (OUT, {"ticket": 5}),
        (OUT, []),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    proxy_server: Server, stack: ExitStack, upstream: str, path: str, body: Any
) -> None:
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    r = proxy_server.client.post(path, json=body, headers={"Cookie": "sid=evil"})
    assert r.status_code == 422 and r.json()["error"]["code"]
    # The real ticket still works, and nothing came into the jar.
    assert hand_in(proxy_server, ov.ticket, "").json()["cookies"] == 0
    ov.enter()
    assert ov.get("/echo").json()["cookies"] == {}


def test_cookie_values_never_reach_the_log_or_the_agent(
    proxy_server: Server, stack: ExitStack, upstream: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ov = overlay(proxy_server, stack, upstream, page_origin=upstream)
    ret = hand_in(proxy_server, ov.ticket, f"sid={SID}").json()["return_ticket"]
    ov.enter()
    ov.get("/")
    proxy_server.client.post(OUT, json={"ticket": ret})
    assert SID not in caplog.text
    # (The frames the agent receives are searched in tests/e2e/test_continuation.py.)
