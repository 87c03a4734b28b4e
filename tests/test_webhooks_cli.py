"""`cobrowse webhooks test` and `cobrowse webhooks deliveries`, against a real receiver
and a real server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from cobrowse.cli import main
from cobrowse.config import load_config
from cobrowse.core import webhook_delivery as wd
from cobrowse.server.app import create_app
from tests.server.conftest import new_api_key, wait_for
from tests.server.webhook_receiver import Receiver, running_receiver

SECRET = "whsec_cli_0123456789abcdef"
WAIT = 30.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(Receiver()) as r:
        yield r


def _config_file(tmp_path: Path, url: str) -> Path:
    (tmp_path / "secret").write_text(SECRET)
    path = tmp_path / "cobrowse.toml"
    path.write_text(
        f'[server]\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[[webhooks.endpoints]]\nname = "crm"\nurl = "{url}"\n'
        f'secret_file = "{tmp_path / "secret"}"\n'
    )
    return path


def test_test_sends_a_signed_ping(
    receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config_file(tmp_path, receiver.url)
    assert main(["webhooks", "test", "--config", str(config)]) == 0
    (request,) = receiver.requests
    assert request.event["type"] == "webhook.ping" and request.event["session_id"] is None
    header = request.headers[wd.SIGNATURE_HEADER]
    assert wd.verify(SECRET.encode(), header, request.body, now=time.time())
    out = capsys.readouterr().out
    assert f"crm: ok (HTTP 204), event {request.event['id']}" in out
    assert SECRET not in out


def test_test_says_when_the_receiver_refuses(
    receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.then = 410
    config = _config_file(tmp_path, receiver.url)
    assert main(["webhooks", "test", "--config", str(config)]) == 1
    assert "crm: FAILED (HTTP 410)" in capsys.readouterr().out
    assert main(["webhooks", "test", "--config", str(config), "--endpoint", "other"]) == 2
    assert "no webhook endpoint named 'other'" in capsys.readouterr().err


@pytest.fixture
def live(receiver: Receiver, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real server with the receiver as its endpoint: (its URL, an API key)."""
    key, key_hash = new_api_key()
    (tmp_path / "secret").write_text(SECRET)
    config = load_config(
        {
            "server": {"data_dir": str(tmp_path / "data"), "port": 1},
            "auth": {"api_keys": [key_hash]},
            "webhooks": {
                "endpoints": [
                    {"name": "crm", "url": receiver.url, "secret_file": str(tmp_path / "secret")}
                ]
            },
        },
        {},
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, WAIT)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.should_exit = True
        thread.join(WAIT)


def test_deliveries_lists_the_running_server_s(
    live: tuple[str, str],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, key = live
    receiver.script = [503]
    r = httpx.post(f"{url}/api/v1/sessions", json={}, timeout=WAIT)
    assert r.status_code == 201, r.text
    wait_for(lambda: receiver.answered() == [503, 204], WAIT)
    monkeypatch.setenv("COBROWSE_API_KEY", key)

    def listed() -> list[str]:
        assert main(["webhooks", "deliveries", "--url", url]) == 0
        return capsys.readouterr().out.splitlines()

    wait_for(lambda: "delivered" in listed()[1], WAIT)
    lines = listed()
    assert lines[0].split() == [
        "created",
        "event",
        "endpoint",
        "status",
        "tries",
        "last",
        "next",
        "retry",
    ]
    assert lines[1].split()[1:] == ["session.created", "crm", "delivered", "2", "204", "-"]
    assert lines[-1] == "1 shown; 0 waiting"
    assert main(["webhooks", "deliveries", "--url", url, "--json", "--status", "failed"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deliveries": [], "waiting": 0}


def test_deliveries_needs_a_key(
    live: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = live
    monkeypatch.delenv("COBROWSE_API_KEY", raising=False)
    assert main(["webhooks", "deliveries", "--url", url]) == 2
    assert "set COBROWSE_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv("COBROWSE_API_KEY", "cbk_wrong")
    assert main(["webhooks", "deliveries", "--url", url]) == 1
    assert "answered 401: A valid API key is required" in capsys.readouterr().err
