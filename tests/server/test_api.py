"""REST API: sessions, sign-in links, joining by PIN, errors, limits."""

from __future__ import annotations

from collections.abc import Callable

import jwt

from cobrowse.core.links import AUDIENCE, sign_link
from tests.server.conftest import SITE, Server, new_api_key


def test_create_session_gives_pin_token_and_masking(server: Server) -> None:
    body = server.create_session()
    assert body["pin"].isdigit() and len(body["pin"]) == 6
    assert body["pin_display"] == f"{body['pin'][:3]} {body['pin'][3:]}"
    assert body["expires_at"] == server.clock() + 600
    assert body["visitor_token"].startswith("vt_") and len(body["visitor_token"]) > 40
    assert body["ws_url"] == "ws://testserver/ws"
    assert "[data-cobrowse-mask]" in body["masking"]["selectors"]
    assert "input[type=password]" in body["masking"]["selectors"]


def test_pins_and_tokens_differ_between_sessions(server: Server) -> None:
    bodies = [server.create_session() for _ in range(20)]
    assert len({b["pin"] for b in bodies}) == 20
    assert len({b["visitor_token"] for b in bodies}) == 20


def test_cors_preflight_for_an_allowed_site(server: Server) -> None:
    r = server.client.options(
        "/api/v1/sessions",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == SITE
    r = server.client.post("/api/v1/sessions", json={}, headers={"Origin": SITE})
    assert r.headers["access-control-allow-origin"] == SITE


def test_other_sites_may_not_create_sessions(server: Server) -> None:
    r = server.client.post("/api/v1/sessions", json={}, headers={"Origin": "https://evil.test"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in r.headers
    assert server.call(server.ctx.hub.sessions.count) == 0


def test_session_creation_rejects_unknown_fields(server: Server) -> None:
    r = server.client.post("/api/v1/sessions", json={"url": "https://x"}, headers={"Origin": SITE})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_session_creation_is_limited_per_address(server: Server) -> None:
    codes = [
        server.client.post("/api/v1/sessions", json={}, headers={"Origin": SITE}).status_code
        for _ in range(61)
    ]
    assert codes[:60] == [201] * 60
    assert codes[60] == 429


def test_signin_link_works_once(server: Server) -> None:
    token, _ = sign_link(secret=server.ctx.link_secret, agent="Asha", now=server.clock(), ttl=60)
    browser = server.browser()
    r = browser.get(f"/agent/signin?token={token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert browser.get("/api/v1/me").json() == {
        "agent": {"name": "Asha", "role": "agent", "team": None}
    }
    again = server.browser().get(f"/agent/signin?token={token}")
    assert again.status_code == 401
    assert "already used" in again.text


def test_signin_refuses_forged_and_expired_links(server: Server) -> None:
    forged, _ = sign_link(
        secret="not-the-secret-but-long-enough-for-hs256", agent="Eve", now=server.clock(), ttl=60
    )
    browser = server.browser()
    assert browser.get(f"/agent/signin?token={forged}").status_code == 401
    old, _ = sign_link(secret=server.ctx.link_secret, agent="Asha", now=server.clock(), ttl=60)
    server.clock.advance(120)
    assert browser.get(f"/agent/signin?token={old}").status_code == 401
    assert browser.get("/api/v1/me").status_code == 401


def test_crm_recipe_link_signed_by_hand_works(server: Server) -> None:
    """The README's recipe: a CRM signs the JWT itself with the shared secret."""
    now = int(server.clock())
    claims = {"aud": AUDIENCE, "sub": "Ravi", "iat": now, "exp": now + 120, "jti": "x" * 22}
    token = jwt.encode(claims, server.ctx.link_secret, algorithm="HS256")
    browser = server.browser()
    assert browser.get(f"/agent/signin?token={token}", follow_redirects=False).status_code == 303
    assert browser.get("/api/v1/me").json()["agent"]["name"] == "Ravi"


def test_agent_links_api_needs_a_valid_key(make_server: Callable[..., Server]) -> None:
    key, entry = new_api_key()
    server = make_server(auth={"api_keys": [entry]})
    r = server.client.post("/api/v1/agent-links", json={"agent": "Asha"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_api_key"
    r = server.client.post(
        "/api/v1/agent-links", json={"agent": "Asha"}, headers={"Authorization": "Bearer nope"}
    )
    assert r.status_code == 401
    r = server.client.post(
        "/api/v1/agent-links",
        json={"agent": "Asha", "ttl_seconds": 90},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 201
    assert r.json()["expires_at"] == int(server.clock()) + 90
    url = r.json()["url"]
    assert url.startswith("http://testserver/agent/signin?token=")
    browser = server.browser()
    assert (
        browser.get(url.removeprefix("http://testserver"), follow_redirects=False).status_code
        == 303
    )


def test_agent_links_api_issues_supervisor_links(make_server: Callable[..., Server]) -> None:
    key, entry = new_api_key()
    server = make_server(auth={"api_keys": [entry]})
    r = server.client.post(
        "/api/v1/agent-links",
        json={"agent": "Meera", "role": "supervisor", "team": "Refunds"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 201
    browser = server.browser()
    browser.get(r.json()["url"].removeprefix("http://testserver"), follow_redirects=False)
    me = browser.get("/api/v1/me").json()["agent"]
    assert me == {"name": "Meera", "role": "supervisor", "team": "Refunds"}


def test_agent_links_api_validates_input(make_server: Callable[..., Server]) -> None:
    key, entry = new_api_key()
    server = make_server(auth={"api_keys": [entry]})
    auth = {"Authorization": f"Bearer {key}"}
    for body in (
        {"agent": ""},
        {"agent": "A\x00B"},
        {"agent": "A", "ttl_seconds": 7200},
        {},
        {"agent": "A", "role": "root"},
        {"agent": "A", "team": "a\nb"},
    ):
        r = server.client.post("/api/v1/agent-links", json=body, headers=auth)
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "invalid_request"


def test_join_needs_a_signed_in_agent(server: Server) -> None:
    pin = server.create_session()["pin"]
    r = server.browser().post("/api/v1/join", json={"pin": pin})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_signed_in"


def test_join_with_the_pin_then_the_pin_is_dead(server: Server) -> None:
    pin = server.create_session()["pin"]
    agent = server.agent_client()
    body = server.join(agent, f"{pin[:3]} {pin[3:]}")
    assert body["agent"] == {"name": "Asha Rao", "role": "agent", "team": None} and body[
        "agent_token"
    ].startswith("at_")
    r = server.agent_client("Other").post("/api/v1/join", json={"pin": pin})
    assert r.status_code == 404 and r.json()["error"]["code"] == "invalid_pin"


def test_wrong_expired_and_malformed_pins_get_one_generic_answer(server: Server) -> None:
    pin = server.create_session()["pin"]
    agent = server.agent_client()
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    answers = [agent.post("/api/v1/join", json={"pin": p}) for p in (wrong, "12345", "abcdef")]
    server.clock.advance(601)
    answers.append(agent.post("/api/v1/join", json={"pin": pin}))
    assert {(r.status_code, r.json()["error"]["message"]) for r in answers} == {
        (404, "That PIN is not valid.")
    }


def test_repeated_wrong_pins_are_refused_with_retry_after(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(session={"pin_ttl_seconds": 3600})
    pin = server.create_session()["pin"]
    agent = server.agent_client()
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    codes = [agent.post("/api/v1/join", json={"pin": wrong}).status_code for _ in range(10)]
    assert codes == [404] * 10
    r = agent.post("/api/v1/join", json={"pin": pin})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(r.headers["retry-after"]) <= 900
    # Another agent from the same address is refused too: the address is a key.
    assert server.agent_client("Other").post("/api/v1/join", json={"pin": pin}).status_code == 429
    server.clock.advance(901)
    assert agent.post("/api/v1/join", json={"pin": pin}).status_code == 200


def test_join_from_another_origin_is_refused(server: Server) -> None:
    pin = server.create_session()["pin"]
    agent = server.agent_client()
    r = agent.post("/api/v1/join", json={"pin": pin}, headers={"Origin": "https://evil.test"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin"
    assert server.join(agent, pin)["session_id"]


def test_unknown_api_paths_answer_json(server: Server) -> None:
    r = server.client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_healthz_openapi_and_security_headers(server: Server) -> None:
    r = server.client.get("/healthz")
    assert r.status_code == 200 and r.text == "ok"
    assert r.headers["x-content-type-options"] == "nosniff"
    paths = server.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/sessions", "/api/v1/join", "/api/v1/me", "/api/v1/agent-links"} <= set(paths)


def test_openapi_declares_the_bearer_credentials_where_they_are_checked(
    server: Server,
) -> None:
    """Swagger UI's "Authorize" sends the API key to exactly the CRM's operations (and
    the visitor token to the overlay's); every other operation declares nothing."""
    doc = server.client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiKey"]["type"] == "http" and schemes["apiKey"]["scheme"] == "bearer"
    assert schemes["visitorToken"]["type"] == "http"
    assert schemes["visitorToken"]["scheme"] == "bearer"
    declared = {
        (method.upper(), path): op.get("security")
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    }
    crm = {
        ("POST", "/api/v1/agent-links"),
        ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/audit/export"),
        ("GET", "/api/v1/webhooks/deliveries"),
        ("POST", "/api/v1/invites"),
    }
    visitor = {("POST", "/api/v1/sessions/{session_id}/overlay")}
    for op, security in declared.items():
        if op in crm:
            assert security == [{"apiKey": []}], op
        elif op in visitor:
            assert security == [{"visitorToken": []}], op
        else:
            assert security is None, op
    assert crm | visitor <= set(declared)
    # The header is the scheme's, not a parameter typed in by hand.
    for op in crm | visitor:
        params = doc["paths"][op[1]][op[0].lower()].get("parameters", [])
        assert all(p["name"].lower() != "authorization" for p in params), op


def test_console_page_has_a_strict_csp(server: Server) -> None:
    r = server.client.get("/console")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_rest_expiry_times_are_whole_seconds(make_server: Callable[..., Server]) -> None:
    key, entry = new_api_key()
    server = make_server(auth={"api_keys": [entry]})
    server.clock.advance(0.75)  # a clock between seconds
    expires = server.create_session()["expires_at"]
    assert isinstance(expires, int) and expires == int(server.clock()) + 600
    r = server.client.post(
        "/api/v1/agent-links",
        json={"agent": "Asha", "ttl_seconds": 90},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 201, r.text
    assert isinstance(r.json()["expires_at"], int)
    assert r.json()["expires_at"] == int(server.clock()) + 90
