"""JSON logs: one object per line, session ids as a field, no personal data."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from cobrowse.server.app import logged_path
from cobrowse.server.logs import JsonFormatter, configure, formatter
from tests.server.conftest import SITE, Server
from tests.server.test_ws import META, SNAPSHOT, Story, event, frame

CHAT = "my account number is 998877665544"
TYPED = "Sunita Devi, 12 MG Road"


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("cobrowse.test", logging.INFO, __file__, 1, msg, args, None)
    rec.__dict__.update(extra)
    return rec


def test_a_record_is_one_json_line() -> None:
    line = JsonFormatter().format(record('said "%s"\nand more', "hi", session_id="s_abc"))
    assert "\n" not in line
    data = json.loads(line)
    assert data == {
        "time": data["time"],
        "level": "info",
        "logger": "cobrowse.test",
        "message": 'said "hi"\nand more',
        "session_id": "s_abc",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["time"])


def test_without_a_session_there_is_no_session_field() -> None:
    assert "session_id" not in json.loads(JsonFormatter().format(record("x")))
    assert "session_id" not in json.loads(JsonFormatter().format(record("x", session_id=None)))


def test_an_exception_is_a_field_of_the_same_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        rec = logging.LogRecord(
            "cobrowse", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "error" and data["message"] == "failed"
    assert "ValueError: broken" in data["exc"] and "Traceback" in data["exc"]


def test_formats_by_name() -> None:
    assert isinstance(formatter("json"), JsonFormatter)
    assert not isinstance(formatter("text"), JsonFormatter)
    with pytest.raises(ValueError, match="text, json"):
        formatter("xml")


def test_configure_installs_one_handler_in_the_format() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure(level="warning", log_format="json")
        configure(level="warning", log_format="json")  # again: still one handler
        ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
        assert len(root.handlers) == 1 and len(ours) == 1
        assert root.level == logging.WARNING
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """Every log record of the process at INFO (the default level), as the JSON
    formatter writes it; but the test client's own (httpx logs the URLs it calls)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(lambda r: not r.name.startswith("httpx"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _absent(secret: str, text: str) -> bool:
    """`secret` does not occur in `text` as a whole token (a 6-digit PIN could be a
    part of some longer random id by chance)."""
    return re.search(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", text) is None


def test_a_whole_session_logs_json_lines_without_personal_data(
    server: Server, stack: ExitStack
) -> None:
    with json_logs() as out:
        story = Story(server, stack)
        wrong = f"{(int(story.pin) + 1) % 1_000_000:06d}"
        assert story.agent_browser.post("/api/v1/join", json={"pin": wrong}).status_code == 404
        story.allow()
        story.visitor.send_text(
            frame(
                "events",
                events=[
                    event(4, 1, **META["data"]),
                    {**SNAPSHOT, "timestamp": 2},
                    event(3, 3, source=5, id=7, text=TYPED),
                ],
            )
        )
        story.visitor.send_text(frame("chat", id="c1", text=CHAT))
        while story.agent.receive_json()["t"] != "chat":
            pass
        overlay = server.client.post(
            f"/api/v1/sessions/{story.session_id}/overlay",
            json={"url": SITE + "/"},
            headers={"Authorization": f"Bearer {story.visitor_token}", "Origin": SITE},
        )
        assert overlay.status_code in (201, 422)
        story.visitor.send_text(frame("end"))
        while story.visitor.receive_json()["t"] != "ended":
            pass
        server.client.get("/files/ft_not-a-real-ticket-but-shaped-like-one")
    lines = out.getvalue().splitlines()
    assert len(lines) >= 5
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for r in records:
        assert {"time", "level", "logger", "message"} <= set(r)
    assert any(r.get("session_id") == story.session_id for r in records), records
    text = out.getvalue()
    cookie = story.agent_browser.cookies.get("cobrowse_agent") or ""
    secrets = {
        "PIN": story.pin,
        "wrong PIN": wrong,
        "visitor token": story.visitor_token,
        "agent token": story.agent_token,
        "agent cookie": cookie,
        "chat text": CHAT,
        "typed text": TYPED,
        "file ticket": "ft_not-a-real-ticket-but-shaped-like-one",
    }
    for what, secret in secrets.items():
        if secret:
            assert _absent(secret, text), f"the {what} is in the logs"
    assert "998877665544" not in text and "Sunita" not in text


def test_logged_paths_hide_credentials_but_keep_the_session(server: Server) -> None:
    with json_logs() as out:
        server.client.get("/files/ft_secret-ticket")
        server.client.get("/assets/at_secret-token/pa1/private/report.css")
        server.client.post("/api/v1/sessions/s_someone/overlay", json={"url": SITE})
        server.client.get("/agent/signin?token=secret-sign-in-token")
        server.client.get("/static/favicon.svg")
    access = [json.loads(line) for line in out.getvalue().splitlines()]
    access = [r for r in access if r["logger"] == "cobrowse.access"]
    messages = [r["message"] for r in access]
    assert messages[0].startswith("GET /files/{ticket} 404 ")
    assert messages[1].startswith("GET /assets/{token}/pa1/{path} ")
    assert messages[2].startswith("POST /api/v1/sessions/s_someone/overlay 401 ")
    assert access[2]["session_id"] == "s_someone"
    assert messages[3].startswith("GET /agent/signin ")
    assert messages[4].startswith("GET /static/favicon.svg 200 ")
    for secret in ("ft_secret-ticket", "at_secret-token", "report.css", "secret-sign-in-token"):
        assert secret not in out.getvalue()


def test_a_path_no_route_matched_is_logged_as_it_came() -> None:
    assert logged_path({"path": "/nowhere/x"}) == "/nowhere/x"
