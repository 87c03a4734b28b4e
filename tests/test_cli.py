"""The `cobrowse` command: links, keys, serve from configuration, clear errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cobrowse.cli import main
from cobrowse.config import load_config
from cobrowse.core.links import verify_link
from cobrowse.core.roles import Role
from cobrowse.server.api_keys import ApiKeyStore
from cobrowse.server.auth import load_link_secret
from cobrowse.server.running import RUNNING_FILE, process_started
from tests.e2e.demo_process import free_port, start_demo, stop_demo


def test_agent_link_is_signed_with_the_data_dir_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "agent-link",
            "--agent",
            "Asha Rao",
            "--data-dir",
            str(tmp_path),
            "--base-url",
            "https://cb.example.gov.in",
            "--ttl",
            "120",
        ]
    )
    assert code == 0
    url = capsys.readouterr().out.strip()
    prefix = "https://cb.example.gov.in/agent/signin?token="
    assert url.startswith(prefix)
    secret = load_link_secret(load_config({"server": {"data_dir": str(tmp_path)}}))
    link = verify_link(url.removeprefix(prefix), secret=secret, now=time.time())
    assert link.agent == "Asha Rao"
    assert 110 < link.expires_at - time.time() <= 120
    assert (tmp_path / "link-secret").stat().st_mode & 0o777 == 0o600


def test_agent_link_with_a_role_and_team(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["agent-link", "--agent", "Meera Iyer", "--data-dir", str(tmp_path)]
    assert main([*base, "--role", "supervisor", "--team", "Refunds"]) == 0
    url = capsys.readouterr().out.strip()
    secret = load_link_secret(load_config({"server": {"data_dir": str(tmp_path)}}))
    link = verify_link(url.split("token=", 1)[1], secret=secret, now=time.time())
    assert (link.agent, link.role, link.team) == ("Meera Iyer", Role.SUPERVISOR, "Refunds")
    assert main(base) == 0  # the default role is agent, with no team
    url = capsys.readouterr().out.strip()
    link = verify_link(url.split("token=", 1)[1], secret=secret, now=time.time())
    assert (link.role, link.team) == (Role.AGENT, None)
    with pytest.raises(SystemExit):
        main([*base, "--role", "root"])
    assert "not a role" in capsys.readouterr().err


def _agent_link(capsys: pytest.CaptureFixture[str], data_dir: Path, *extra: str) -> str:
    assert main(["agent-link", "--agent", "Asha Rao", "--data-dir", str(data_dir), *extra]) == 0
    url = capsys.readouterr().out.strip()
    return url[: url.index("/agent/signin?token=")]


def test_agent_link_points_at_the_demo_running_on_its_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo on another port than 8000: its links without --base-url point at it, and
    the link works there; --base-url and a configured public URL still win; once the
    demo has stopped, its record is gone and the configuration's default is back."""
    monkeypatch.delenv("COBROWSE_SERVER_PUBLIC_URL", raising=False)
    demo = start_demo(tmp_path, {})
    try:
        assert not demo.server.endswith(":8000")
        record = json.loads((demo.data_dir / RUNNING_FILE).read_text())
        assert record == {
            "pid": demo.process.pid,
            "base_url": demo.server,
            "started": process_started(demo.process.pid),
        }
        assert (demo.data_dir / RUNNING_FILE).stat().st_mode & 0o777 == 0o600
        assert main(["agent-link", "--agent", "Asha Rao", "--data-dir", str(demo.data_dir)]) == 0
        link = capsys.readouterr().out.strip()
        assert link.startswith(f"{demo.server}/agent/signin?token=")
        with urllib.request.urlopen(link, timeout=10) as signed_in:  # follows to the console
            assert signed_in.status == 200 and signed_in.url == f"{demo.server}/console"
        assert _agent_link(capsys, demo.data_dir, "--base-url", "https://cb.example.gov.in") == (
            "https://cb.example.gov.in"
        )
        monkeypatch.setenv("COBROWSE_SERVER_PUBLIC_URL", "https://front.example.gov.in")
        assert _agent_link(capsys, demo.data_dir) == "https://front.example.gov.in"
        monkeypatch.delenv("COBROWSE_SERVER_PUBLIC_URL")
    finally:
        stop_demo(demo)
    assert demo.process.returncode == 0
    assert not (demo.data_dir / RUNNING_FILE).exists()
    assert _agent_link(capsys, demo.data_dir) == "http://127.0.0.1:8000"


def test_agent_link_ignores_the_record_of_a_server_that_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server killed before it could remove its record: its process is gone."""
    monkeypatch.delenv("COBROWSE_SERVER_PUBLIC_URL", raising=False)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    record = {"pid": gone.pid, "base_url": "http://127.0.0.1:8123"}
    (tmp_path / RUNNING_FILE).write_text(json.dumps(record))
    assert _agent_link(capsys, tmp_path) == "http://127.0.0.1:8000"
    (tmp_path / RUNNING_FILE).write_text(json.dumps({**record, "pid": os.getpid()}))
    assert _agent_link(capsys, tmp_path) == "http://127.0.0.1:8123"
    # This process's pid, but not this process: it started at another time.
    mine = {**record, "pid": os.getpid(), "started": "1"}
    (tmp_path / RUNNING_FILE).write_text(json.dumps(mine))
    assert _agent_link(capsys, tmp_path) == "http://127.0.0.1:8000"


def test_agent_link_refuses_a_bad_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent-link", "--agent", "  ", "--data-dir", str(tmp_path)]) == 2
    assert "agent name is empty" in capsys.readouterr().err


def test_api_key_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["api-key", "--label", "CRM prod", *data]) == 0  # create is the default
    out = capsys.readouterr().out
    key = out.splitlines()[1]
    key_id = out.split()[2]
    assert key.startswith(f"cbk_{key_id}_")
    store = ApiKeyStore(tmp_path / "api-keys.json")
    assert store.valid(key) and not store.valid(key + "x")
    stored = (tmp_path / "api-keys.json").read_text()
    assert key not in stored and key.split("_", 2)[2] not in stored  # only the hash is kept
    assert (tmp_path / "api-keys.json").stat().st_mode & 0o777 == 0o600

    assert main(["api-key", "list", *data]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "active" in listing and "CRM prod" in listing
    assert key not in listing

    assert main(["api-key", "revoke", key_id, *data]) == 0
    capsys.readouterr()
    assert not store.valid(key)  # the same store object sees the change at once
    assert main(["api-key", "list", *data]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["api-key", "revoke", "nosuchid", *data]) == 2
    assert "no API key" in capsys.readouterr().err


def test_user_add_list_reset_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    from cobrowse.server.accounts import AccountStore

    data = ["--data-dir", str(tmp_path)]

    def run(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", StringIO(stdin))
        return main([*args, *data])

    assert (
        run(
            "user",
            "add",
            "asha",
            "--name",
            "Asha Rao",
            "--password-stdin",
            stdin="correct horse battery\n",
        )
        == 0
    )
    store = AccountStore(tmp_path / "accounts.json")
    assert store.verify("asha", "correct horse battery") is not None
    assert (tmp_path / "accounts.json").stat().st_mode & 0o777 == 0o600
    assert "correct horse" not in (tmp_path / "accounts.json").read_text()
    assert "$argon2id$" in (tmp_path / "accounts.json").read_text()
    capsys.readouterr()
    assert run("user", "list") == 0
    assert "asha  agent  Asha Rao" in capsys.readouterr().out
    assert store.verify("asha", "correct horse battery").role is Role.AGENT  # type: ignore[union-attr]
    assert run("user", "set-role", "asha", "--role", "supervisor", "--team", "Refunds") == 0
    capsys.readouterr()
    assert run("user", "list") == 0
    assert "asha  supervisor  team Refunds  Asha Rao" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run("user", "set-role", "asha", "--role", "boss")
    assert "not a role" in capsys.readouterr().err
    assert run("user", "set-role", "nobody", "--role", "admin") == 2
    assert run("user", "list") == 0
    assert "supervisor  team Refunds" in capsys.readouterr().out  # refusals changed nothing
    assert run("user", "add", "asha", "--password-stdin", stdin="another long one\n") == 2
    assert "exists already" in capsys.readouterr().err
    assert run("user", "add", "Bad Name!", "--password-stdin", stdin="long enough pass\n") == 2
    assert "username" in capsys.readouterr().err
    assert run("user", "add", "ravi", "--password-stdin", stdin="short\n") == 2
    assert "shorter than 12" in capsys.readouterr().err
    assert run("user", "reset-password", "asha", "--password-stdin", stdin="a new password!\n") == 0
    assert store.verify("asha", "correct horse battery") is None
    assert store.verify("asha", "a new password!") is not None
    assert run("user", "remove", "asha") == 0
    assert store.verify("asha", "a new password!") is None
    assert run("user", "remove", "asha") == 2


def test_demo_on_a_busy_port_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            [
                "demo",
                "--port",
                str(free_port()),
                "--portal-port",
                str(port),
                "--data-dir",
                str(tmp_path),
            ]
        )
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_demo_rejects_a_bad_allowed_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--data-dir", str(tmp_path), "--allow-origin", "ftp://files.example"])
    assert code == 2
    assert "only http and https" in capsys.readouterr().err


def test_serve_rejects_an_unknown_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cobrowse.toml"
    config.write_text("[session]\npin_ttl = 60\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert "unknown setting session.pin_ttl" in capsys.readouterr().err


def test_serve_refuses_a_store_that_does_not_answer_before_listening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cobrowse.toml"
    port = free_port()  # nothing listens there
    config.write_text(
        f'[server]\ndata_dir = "{tmp_path}"\nport = {free_port()}\n'
        f'[store]\nurl = "redis://:s3cret@127.0.0.1:{port}/0"\n'
    )
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"the store at redis://***@127.0.0.1:{port}/0 does not answer" in err
    assert "s3cret" not in err


def test_serve_refuses_an_unreadable_crm_key_before_listening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cobrowse.toml"
    missing = tmp_path / "crm.pem"
    config.write_text(
        f'[server]\ndata_dir = "{tmp_path}"\nport = {free_port()}\n'
        f'[auth]\nlink_public_keys = ["crm={missing}"]\n'
    )
    assert main(["serve", "--config", str(config)]) == 2
    assert f"auth.link_public_keys: cannot read {missing}" in capsys.readouterr().err


def test_serve_runs_from_toml_and_environment(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "cobrowse.toml"
    config.write_text(
        f'[server]\nport = 1\ndata_dir = "{tmp_path / "data"}"\nlog_level = "warning"\n'
        '[proxy]\nallowed_origins = ["https://portal.example.gov.in"]\n'
    )
    env = {**os.environ, "COBROWSE_SERVER_PORT": str(port)}  # the environment wins
    proc = subprocess.Popen(
        [sys.executable, "-m", "cobrowse.cli", "serve", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "cobrowse serve did not start"
                time.sleep(0.1)
        assert body == b"ok"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/sessions",
            data=b"{}",
            method="POST",
            headers={"Content-Type": "application/json", "Origin": "https://portal.example.gov.in"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 201
        assert (tmp_path / "data" / "link-secret").exists()
        running = json.loads((tmp_path / "data" / RUNNING_FILE).read_text())
        assert running["pid"] == proc.pid and running["base_url"] == f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert not (tmp_path / "data" / RUNNING_FILE).exists()


def test_listening_sockets_are_tcp_so_asyncio_turns_nagle_off() -> None:
    """A socket made with protocol 0 keeps Nagle on in asyncio's accepted connections:
    a small frame right after another then waits for a delayed ack (about 40 ms)."""
    from cobrowse.cli import _listen

    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_serve_with_json_logs_writes_only_json_lines(tmp_path: Path) -> None:
    """Ours and uvicorn's: every line on standard error is one JSON object; the
    monitoring routes answer a local scraper."""
    port = free_port()
    env = {
        **os.environ,
        "COBROWSE_SERVER_PORT": str(port),
        "COBROWSE_SERVER_DATA_DIR": str(tmp_path / "data"),
        "COBROWSE_SERVER_LOG_FORMAT": "json",
        "COBROWSE_PROXY_ALLOWED_ORIGINS": "https://portal.example.gov.in",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cobrowse.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "cobrowse serve did not start"
                time.sleep(0.1)
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as ready:
            assert json.loads(ready.read()) == {"status": "ready"}
        request = urllib.request.Request(
            f"{base}/api/v1/sessions",
            data=b"{}",
            method="POST",
            headers={"Content-Type": "application/json", "Origin": "https://portal.example.gov.in"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            pin = json.loads(answer.read())["pin"]
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as metrics:
            assert metrics.headers["content-type"].startswith("text/plain")
            assert 'cobrowse_sessions{state="created"} 1.0' in metrics.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert b"cobrowse serving on" in out
    lines = err.decode().splitlines()
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    loggers = {r["logger"] for r in records}
    assert "cobrowse.access" in loggers and any(name.startswith("uvicorn") for name in loggers)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert pin not in err.decode()
