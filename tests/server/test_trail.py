"""The hub's audit trail (server/trail.py): a whole session through the real app leaves
exactly this trail, read back through the API; and nothing typed or said is in it, or
in the database file."""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from cobrowse.core.masking_checks import verhoeff_digit
from cobrowse.server import app as app_module
from tests.server.conftest import SITE, Server, new_api_key
from tests.server.test_ws import PDF, Story, agent_gone_for_good, frame, hello, offer

TYPED = "Meera Iyer"
SAID = "Namaste, my PAN is ABCDE1234F"


def trail(server: Server, key: str, **params: str) -> list[dict[str, Any]]:
    r = server.client.get(
        "/api/v1/audit",
        params={"limit": "1000", **params},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200, r.text
    entries: list[dict[str, Any]] = r.json()["entries"]
    return entries


def short(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["kind"], e["actor"], e["outcome"], e["target"], e["detail"]) for e in entries]


def act_and_answer(story: Story, ref: str, kind: str, node: int, value: str, **answer: Any) -> None:
    story.agent.send_text(
        frame("act", ref=ref, kind=kind, target={"id": node, "x": 0.5, "y": 0.5}, value=value)
    )
    assert story.visitor.receive_json()["ref"] == ref
    story.visitor.send_text(frame("act_result", ref=ref, **answer))
    assert story.agent.receive_json()["ref"] == ref


_MAKERS: dict[int, tuple[Callable[..., Server], dict[str, Any]]] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def audited(
    request: pytest.FixtureRequest, make_server: Callable[..., Server]
) -> tuple[Server, str]:
    audit = {} if request.param == "sqlite" else {"url": request.getfixturevalue("pg_database")}
    server, key = _make(make_server, audit)
    _MAKERS[id(server)] = (make_server, audit)
    return server, key


def _make(make_server: Callable[..., Server], audit: dict[str, Any]) -> tuple[Server, str]:
    key, entry = new_api_key()
    return make_server(auth={"api_keys": [entry]}, audit=audit), key


def audited_server(like: Server) -> tuple[Server, str]:
    """Another server on the same audit database as `like`."""
    make_server, audit = _MAKERS[id(like)]
    return _make(make_server, audit)


def test_a_guided_session_leaves_this_exact_trail(
    audited: tuple[Server, str], stack: ExitStack, tmp_path: Path
) -> None:
    server, key = audited
    story = Story(server, stack)
    assert story.visitor.receive_json()["t"] == "welcome"
    wrong = "000000" if story.pin != "000000" else "111111"
    r = story.agent_browser.post("/api/v1/join", json={"pin": wrong})
    assert r.status_code == 404
    story.agent_token = server.join(story.agent_browser, story.pin)["agent_token"]
    assert story.visitor.receive_json()["state"] == "pending"
    story.agent = hello(story.agent_browser, story.agent_token, stack)
    assert story.agent.receive_json()["t"] == "welcome"
    story.visitor.send_text(frame("consent", allow=True))
    assert story.visitor.receive_json()["state"] == "active"
    assert story.agent.receive_json()["state"] == "active"

    story.agent.send_text(frame("chat", id="c1", text=SAID))
    assert story.visitor.receive_json()["t"] == "chat"
    assert story.agent.receive_json()["t"] == "chat"
    for x in (0.1, 0.2, 0.3):  # the pointer moving: one entry
        story.agent.send_text(frame("guide", kind="pointer", target={"id": 4, "x": x, "y": 0.5}))
        assert story.visitor.receive_json()["kind"] == "pointer"
    story.agent.send_text(frame("guide", kind="highlight", target={"id": 9, "x": 0.5, "y": 0.5}))
    assert story.visitor.receive_json()["kind"] == "highlight"

    story.agent.send_text(frame("control", action="request"))
    assert story.visitor.receive_json()["state"] == "requested"
    assert story.agent.receive_json()["state"] == "requested"
    story.visitor.send_text(frame("control", action="grant"))
    assert story.visitor.receive_json()["state"] == "control"
    assert story.agent.receive_json()["state"] == "control"

    field = "text field “Full name”"
    act_and_answer(story, "a1", "input", 91, TYPED[:5], ok=True, reason=None, description=field)
    act_and_answer(story, "a2", "input", 91, TYPED, ok=True, reason=None, description=field)
    act_and_answer(
        story, "a3", "click", 77, "", ok=False, reason="masked", description="text field “PAN”"
    )
    act_and_answer(story, "a4", "click", 80, "", ok=True, reason=None, description="button “Save”")

    file_id = offer(story, "Form-16 guide.pdf", PDF).json()["file_id"]
    assert story.visitor.receive_json()["t"] == "offer"
    story.visitor.send_text(frame("offer_answer", file_id=file_id, accept=True))
    assert story.agent.receive_json()["t"] == "offer_answer"
    url = story.visitor.receive_json()["url"]
    assert server.browser().get(url.removeprefix("http://testserver")).content == PDF

    story.visitor.send_text(frame("control", action="revoke", reason="escape"))
    assert story.visitor.receive_json()["state"] == "view"
    assert story.agent.receive_json()["state"] == "view"
    story.agent.send_text(frame("act", ref="a5", kind="click", target=None))  # too late
    assert story.agent.receive_json()["reason"] == "no control"
    story.visitor.send_text(frame("end"))
    assert story.visitor.receive_json()["t"] == "ended"

    entries = trail(server, key, session_id=story.session_id)
    joined = [e for e in entries if e["kind"] == "join.attempted"]
    assert joined[0]["data"] == {"agent_id": "link:Asha Rao", "via": "link"}  # who, not a name
    assert short(entries) == [
        ("session.created", "visitor", None, None, f"created from {SITE}"),
        ("join.attempted", "Asha Rao", "ok", None, "join attempt: ok"),
        ("consent.allowed", "visitor", None, None, "allowed the agent to see the page"),
        ("chat.sent", "Asha Rao", None, None, f"sent a message of {len(SAID)} characters"),
        ("agent.guide", "Asha Rao", "ok", None, "pointer on node 4"),
        ("agent.guide", "Asha Rao", "ok", None, "highlight on node 9"),
        ("control.requested", "Asha Rao", None, None, "request"),
        ("control.granted", "visitor", None, None, "grant"),
        ("agent.act", "Asha Rao", "ok", field, f"typed 10 characters into “{field}”"),
        (
            "agent.act",
            "Asha Rao",
            "masked",
            "masked field",
            "clicked “masked field” (refused: masked)",
        ),
        ("agent.act", "Asha Rao", "ok", "button “Save”", "clicked “button “Save””"),
        (
            "file.offered",
            "Asha Rao",
            None,
            "Form-16 guide.pdf",
            f"offered “Form-16 guide.pdf” ({len(PDF)} bytes, application/pdf)",
        ),
        (
            "file.accepted",
            "visitor",
            None,
            "Form-16 guide.pdf",
            f"accepted “Form-16 guide.pdf” ({len(PDF)} bytes, application/pdf)",
        ),
        (
            "file.downloaded",
            "visitor",
            None,
            "Form-16 guide.pdf",
            f"downloaded “Form-16 guide.pdf” ({len(PDF)} bytes, application/pdf)",
        ),
        ("control.revoked", "visitor", "escape", None, "revoke (escape)"),
        ("agent.act", "Asha Rao", "no_control", None, "clicked the page (refused: no_control)"),
        ("session.ended", "visitor", "visitor_stopped", None, "ended: visitor_stopped"),
    ]
    assert entries[0]["address"] == "testclient"
    assert entries[4]["data"] == {"guide": "pointer", "node": 4, "count": 3}
    assert entries[8]["data"] == {"act": "input", "node": 91, "chars": 10, "count": 2}
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids)
    # The wrong PIN is in the log too, with no session (it matched none).
    joins = trail(server, key, kind="join.attempted")
    assert [(j["outcome"], j["session_id"]) for j in joins] == [
        ("wrong_pin", None),
        ("ok", story.session_id),
    ]
    everything = str(trail(server, key))
    for secret in (TYPED, "Meera", SAID, "ABCDE1234F", "text field “PAN”", story.pin):
        assert secret not in everything
    if server.config.audit.url == "":
        raw = b"".join(
            p.read_bytes() for p in Path(server.config.server.data_dir).glob("audit.db*")
        )
        assert b"Full name" in raw  # the file is where we think it is
        for secret in (TYPED, "Meera", SAID, "ABCDE1234F", story.pin):
            assert secret.encode() not in raw


def test_an_agent_leaving_in_control_and_timeouts_are_recorded(
    audited: tuple[Server, str], stack: ExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, key = audited
    story = Story(server, stack).control()
    agent_gone_for_good(server, story)
    assert story.visitor.receive_json() == {"v": 1, "t": "control", "state": "view"}
    left = trail(server, key, session_id=story.session_id, kind="control.revoked")
    assert short(left) == [("control.revoked", "system", "agent_left", None, "revoke (agent_left)")]

    # Only this test's own sweep ends sessions: an expired PIN is tried before it runs.
    monkeypatch.setattr(app_module, "SWEEP_INTERVAL", 3600.0)
    quiet, key2 = audited_server(server)
    other = Story(quiet, stack)
    quiet.clock.advance(quiet.config.session.pin_ttl_seconds + 1)
    agent = quiet.agent_client()
    r = agent.post("/api/v1/join", json={"pin": other.pin})
    assert r.status_code == 404 and r.json()["error"]["code"] == "invalid_pin"  # as a wrong one
    quiet.client.portal.call(quiet.ctx.hub.sweep)  # type: ignore[union-attr]
    got = trail(quiet, key2, session_id=other.session_id)
    assert short(got)[1:] == [
        ("join.attempted", "Asha Rao", "expired", None, "join attempt: expired"),
        ("session.ended", "system", "pin_expired", None, "ended: pin_expired"),
    ]


def test_values_a_browser_or_agent_sent_are_masked_before_the_log(
    make_server: Callable[..., Server], stack: ExitStack
) -> None:
    """Descriptions, file names and URLs are cleaned with every pattern the server knows:
    the built-in ones (the opt-in ones too) and a custom pattern switched on for another
    site only. Values are generated per run; the database file, the API and both export
    formats are searched in plain, lower-case and spaced-out forms."""
    rng = random.Random(secrets.randbits(64))
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pan = "".join(rng.choices(upper, k=5) + rng.choices("0123456789", k=4) + [rng.choice(upper)])
    ref = "".join(rng.choices(upper, k=3)) + "-" + "".join(rng.choices(upper, k=4))
    body = rng.choice("23456789") + "".join(rng.choices("0123456789", k=10))
    aadhaar = body + verhoeff_digit(body)
    user = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=8))
    email = f"{user}@mail.example.in"
    key, entry = new_api_key()
    server = make_server(
        auth={"api_keys": [entry]},
        masking={
            "custom_patterns": [{"name": "case_ref", "regex": r"[A-Z]{3}-[A-Z]{4}"}],
            "sites": [{"origin": "https://elsewhere.example.in", "patterns": ["case_ref"]}],
        },
    )
    story = Story(server, stack).control()
    spaced = " ".join(pan.lower())
    sent = [
        f"button “Pay {pan}”",
        f"link “{spaced}”",
        f"button “Case {ref}”",
        f"button “Aadhaar {aadhaar[:4]} {aadhaar[4:8]} {aadhaar[8:]}”",
        f"button “Mail {email}”",
    ]
    for i, description in enumerate(sent):
        act_and_answer(
            story, f"d{i}", "click", 10 + i, "", ok=True, reason=None, description=description
        )
    act_and_answer(story, "r1", "click", 30, "", ok=False, reason=pan.lower(), description="x")
    story.agent.send_text(frame("act", ref="n1", kind="navigate", value=f"{SITE}/p/{pan}?x=1"))
    assert story.visitor.receive_json()["ref"] == "n1"
    story.visitor.send_text(frame("act_result", ref="n1", ok=True, reason=None))
    assert story.agent.receive_json()["ref"] == "n1"
    assert offer(story, f"ITR-V {pan}.pdf", PDF).status_code == 201
    assert story.visitor.receive_json()["t"] == "offer"
    story.visitor.send_text(frame("end"))
    assert story.visitor.receive_json()["t"] == "ended"

    entries = trail(server, key, session_id=story.session_id)
    acts = [e for e in entries if e["kind"] == "agent.act"]
    assert [e["target"] for e in acts[:5]] == [
        "button “Pay **********”",
        f"link “{re.sub(r'[a-z0-9]', '*', spaced)}”",
        "button “Case ***-****”",
        "button “Aadhaar **** **** ****”",
        "button “Mail …",
    ]
    assert acts[5]["outcome"] == "other"  # a code-shaped value is not a code
    assert acts[6]["data"]["url"] == f"{SITE}/p/**********"
    offered = next(e for e in entries if e["kind"] == "file.offered")
    assert offered["target"] == "ITR-V **********.pdf" == offered["data"]["name"]
    auth = {"Authorization": f"Bearer {key}"}
    exports = [
        server.client.get(
            "/api/v1/audit/export",
            params={"format": f, "session_id": story.session_id},
            headers=auth,
        ).text
        for f in ("csv", "jsonl")
    ]
    raw = b"".join(p.read_bytes() for p in Path(server.config.server.data_dir).glob("audit.db*"))
    assert b"Pay **********" in raw  # the entries are in these files
    where = {
        "api": str(entries),
        "csv": exports[0],
        "jsonl": exports[1],
        "db": raw.decode("latin-1"),
    }
    for value in (pan, ref, aadhaar, email, user):
        forms = {value, value.lower(), " ".join(value), " ".join(value.lower())}
        forms.add(" ".join(value[i : i + 4] for i in range(0, len(value), 4)))
        for name, text in where.items():
            for form in forms:
                assert form not in text, (form, name)
