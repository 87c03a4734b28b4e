"""Every REST endpoint that takes input, fed bad input: a 4xx JSON error with a stable
code, and nothing changed (docs/threat-model.md T7). The table covers every POST route
of the access matrix; a new one fails `test_every_input_route_is_swept`."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from cobrowse.server.api_keys import hash_api_key
from tests.server.conftest import SITE, Server
from tests.server.test_access_matrix import REST
from tests.server.world import World, _party, _snapshot, world  # noqa: F401

HUGE = 200 * 1024  # past limits.api_body_bytes (64 KiB)

# The body shapes every JSON endpoint must refuse, with the code they get.
COMMON: list[tuple[str, bytes, str, int, str]] = [
    # (case, body, content type, status, code)
    ("not json", b"{pin: 1", "application/json", 422, "invalid_request"),
    ("empty", b"", "application/json", 422, "invalid_request"),
    ("array", b"[]", "application/json", 422, "invalid_request"),
    ("string", b'"x"', "application/json", 422, "invalid_request"),
    ("null", b"null", "application/json", 422, "invalid_request"),
    ("unknown field", b'{"zzz": 1}', "application/json", 422, "invalid_request"),
    ("deep", b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json", 400, "bad_request"),
    ("not utf-8", b'{"pin": "\xff\xfe"}', "application/json", 400, "bad_request"),
    ("form", b"pin=123456", "application/x-www-form-urlencoded", 422, "invalid_request"),
    ("oversize", b'{"pin": "' + b"1" * HUGE + b'"}', "application/json", 413, "too_large"),
]
# Per endpoint: well-formed JSON with wrong types or values.
WRONG: dict[str, list[tuple[str, Any]]] = {
    "/api/v1/sessions": [("a field", {"pin": "1"})],
    "/api/v1/sessions/{session_id}/overlay": [
        ("url not a string", {"url": 5}),
        ("url missing", {}),
        ("url too long", {"url": SITE + "/" + "a" * 9000}),
        ("url and more", {"url": SITE + "/", "x": 1}),
        ("url a list", {"url": [SITE]}),
    ],
    "/api/v1/join": [
        ("pin a number", {"pin": 123456}),
        ("pin too long", {"pin": "1" * 33}),
        ("pin missing", {}),
        ("pin and more", {"pin": "123456", "agent": "x"}),
        ("pin null", {"pin": None}),
    ],
    "/api/v1/agent-links": [
        ("agent missing", {}),
        ("agent empty", {"agent": ""}),
        ("agent too long", {"agent": "a" * 81}),
        ("ttl negative", {"agent": "Asha", "ttl_seconds": -1}),
        ("ttl too long", {"agent": "Asha", "ttl_seconds": 86400}),
        ("ttl a string", {"agent": "Asha", "ttl_seconds": "soon"}),
        ("agent and more", {"agent": "Asha", "admin": True}),
        ("role unknown", {"agent": "Asha", "role": "root"}),
        ("team a number", {"agent": "Asha", "team": 7}),
    ],
    "/api/v1/invites": [
        ("url missing", {"agent": "Asha"}),
        ("url a number", {"agent": "Asha", "url": 5}),
        ("agent missing", {"url": SITE + "/"}),
        ("role unknown", {"agent": "Asha", "url": SITE + "/", "role": "root"}),
        ("and more", {"agent": "Asha", "url": SITE + "/", "x": 1}),
    ],
    "/api/v1/invites/claim": [
        ("invite missing", {}),
        ("invite a number", {"invite": 5}),
        ("invite too long", {"invite": "s_" + "a" * 300}),
        ("and more", {"invite": "s_abc.def", "x": 1}),
    ],
    "/api/v1/sessions/{session_id}/transfer": [
        ("to missing", {}),
        ("to empty", {"to": ""}),
        ("to a number", {"to": 5}),
        ("to and more", {"to": "link:Ravi", "x": 1}),
    ],
}
# Who calls: the credential each endpoint needs, so that validation (not auth) answers.
CALLER = {
    "/api/v1/sessions": "none",
    "/api/v1/sessions/{session_id}/overlay": "visitor_here",
    "/api/v1/sessions/{session_id}/files": "agent_here",
    "/api/v1/join": "agent_not_admitted",
    "/api/v1/agent-links": "api_key",
    "/api/v1/invites": "api_key",
    "/api/v1/invites/claim": "none",
    "/api/v1/sessions/{session_id}/transfer": "agent_here",
}
# POST routes that take no body (an action on the session in their path): nothing to sweep.
NO_BODY = {
    "/api/v1/sessions/{session_id}/watch",
    "/api/v1/sessions/{session_id}/take-over",
    "/api/v1/sessions/{session_id}/transfer/accept",
    "/api/v1/sessions/{session_id}/transfer/decline",
    "/api/v1/sessions/{session_id}/join-invited",
}
API_KEY = "cbk_test-key-for-validation"


def test_every_input_route_is_swept() -> None:
    # JSON endpoints; the HTML sign-in forms have their own tests (tests/server/test_signin.py).
    posts = {path for method, path in REST if method == "POST" and path.startswith("/api/")}
    assert posts == set(CALLER) | NO_BODY


def _call(w: World, path: str, body: bytes, content_type: str) -> Any:
    who = CALLER[path]
    if who == "api_key":
        client, headers = w.server.browser(), {"Authorization": f"Bearer {API_KEY}"}
    else:
        _, client, bearer = w.credentials(who)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    headers = {**headers, "Content-Type": content_type, "Origin": SITE}
    if path.startswith("/api/v1/sessions/") or path == "/api/v1/join":
        headers.pop("Origin")  # the console's calls are same-origin; Origin is optional
    if who != "api_key" and path == "/api/v1/sessions":
        headers["Origin"] = SITE
    url = path.replace("{session_id}", w.here.session_id)
    return client.post(url, content=body, headers=headers)


JSON_ROUTES = sorted(p for p in CALLER if not p.endswith("/files"))


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("case", COMMON, ids=lambda c: c[0])
def test_bad_bodies_get_a_clear_4xx_and_change_nothing(
    world: World,  # noqa: F811
    path: str,
    case: tuple[str, bytes, str, int, str],
) -> None:
    name, body, content_type, status, code = case
    before = _snapshot(world)
    r = _call(world, path, body, content_type)
    assert r.status_code == status, (name, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == code
    assert _snapshot(world) == before


@pytest.mark.parametrize(
    ("path", "case"),
    [(path, case) for path, cases in WRONG.items() for case in cases],
    ids=lambda x: x if isinstance(x, str) else x[0],
)
def test_wrong_types_and_values_get_422_and_change_nothing(
    make_server: Callable[..., Server], path: str, case: tuple[str, Any]
) -> None:
    server = make_server(auth={"api_keys": [hash_api_key(API_KEY)]})
    with ExitStack() as stack:
        here = _party(server, stack, "Asha Rao", "allow")
        w = World(server, stack, here, here, here, here, here, server.agent_client("Meera"))
        w.here.sockets.update(here.sockets)
        before = _snapshot(w)
        r = _call(w, path, json.dumps(case[1]).encode(), "application/json")
        assert r.status_code == 422, (case, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "invalid_request"
        assert r.json()["error"]["message"]
        assert _snapshot(w) == before


@pytest.mark.parametrize(
    ("case", "files", "data", "status", "code"),
    [
        ("no file field", None, {"x": "1"}, 422, "invalid_request"),
        ("a text field named file", None, {"file": "not a file"}, 422, "invalid_request"),
        ("json instead", None, None, 422, "invalid_request"),
        (
            "too large",
            {"file": ("a.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))},
            None,
            413,
            "too_large",
        ),
        ("wrong type", {"file": ("a.exe", b"MZ\x90\x00")}, None, 415, "file_type_refused"),
        (
            "pdf name, html content",
            {"file": ("a.pdf", b"<html><script>")},
            None,
            415,
            "file_type_refused",
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_bad_file_offers_get_a_clear_4xx_and_change_nothing(
    world: World,  # noqa: F811
    case: str,
    files: Any,
    data: Any,
    status: int,
    code: str,
) -> None:
    before = _snapshot(world)
    client = world.here.agent
    assert client is not None
    url = f"/api/v1/sessions/{world.here.session_id}/files"
    if files is None and data is None:
        r = client.post(url, json={"file": "x"})
    else:
        r = client.post(url, files=files, data=data)
    assert r.status_code == status, (case, r.status_code, r.text[:200])
    assert r.json()["error"]["code"] == code
    assert _snapshot(world) == before
