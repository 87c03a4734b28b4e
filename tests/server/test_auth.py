"""CRM public keys from the configuration, and links signed with them at /agent/signin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cobrowse.config import ConfigError, load_config
from cobrowse.core.links import AUDIENCE, verify_link
from cobrowse.server.auth import load_link_keys, load_link_secret
from tests.server.conftest import Server

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def write_public(path: Path, private: Any) -> str:
    path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


def claims(now: float, **over: Any) -> dict[str, Any]:
    base = {
        "aud": AUDIENCE,
        "sub": "Asha Rao",
        "iat": int(now),
        "exp": int(now) + 120,
        "jti": secrets.token_urlsafe(18),
    }
    return {**base, **over}


@pytest.fixture
def crm_server(make_server: Callable[..., Server], tmp_path: Path) -> Server:
    rsa_path = write_public(tmp_path / "crm-rsa.pem", RSA_KEY)
    ec_path = write_public(tmp_path / "crm-ec.pem", EC_KEY)
    return make_server(
        auth={
            "link_public_keys": [f"crm-rsa={rsa_path}", f"crm-ec={ec_path}"],
            "link_issuer": "https://crm.example.gov.in",
        }
    )


def signin(server: Server, token: str) -> int:
    r = server.browser().get(f"/agent/signin?token={token}", follow_redirects=False)
    return r.status_code


def test_rs256_and_es256_links_sign_in_once(crm_server: Server) -> None:
    now = crm_server.clock()
    iss = "https://crm.example.gov.in"
    rs = jwt.encode(claims(now, iss=iss), RSA_KEY, "RS256", headers={"kid": "crm-rsa"})
    es = jwt.encode(claims(now, iss=iss), EC_KEY, "ES256", headers={"kid": "crm-ec"})
    assert signin(crm_server, rs) == 303
    assert signin(crm_server, es) == 303
    assert signin(crm_server, rs) == 401  # single use


def test_public_key_links_need_the_issuer(crm_server: Server) -> None:
    now = crm_server.clock()
    no_iss = jwt.encode(claims(now), RSA_KEY, "RS256", headers={"kid": "crm-rsa"})
    other = jwt.encode(claims(now, iss="https://x"), RSA_KEY, "RS256", headers={"kid": "crm-rsa"})
    assert signin(crm_server, no_iss) == 401
    assert signin(crm_server, other) == 401


def test_alg_confusion_through_the_sign_in_route(crm_server: Server, tmp_path: Path) -> None:
    """HS256 over the CRM's public key (which anyone may have) must not sign anyone in."""
    now = crm_server.clock()
    public_pem = (tmp_path / "crm-rsa.pem").read_bytes()
    payload = claims(now, iss="https://crm.example.gov.in")
    for header in (
        {"alg": "HS256", "typ": "JWT", "kid": "crm-rsa"},
        {"alg": "HS256", "typ": "JWT"},
    ):

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
        sig = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        r = crm_server.browser().get(
            f"/agent/signin?token={signing_input}.{b64(sig)}", follow_redirects=False
        )
        assert r.status_code == 401 and "does not work" in r.text


def test_unknown_kid_and_wrong_key_are_refused(crm_server: Server) -> None:
    now = crm_server.clock()
    iss = "https://crm.example.gov.in"
    unknown = jwt.encode(claims(now, iss=iss), RSA_KEY, "RS256", headers={"kid": "crm-9"})
    swapped = jwt.encode(claims(now, iss=iss), EC_KEY, "ES256", headers={"kid": "crm-rsa"})
    assert signin(crm_server, unknown) == 401
    assert signin(crm_server, swapped) == 401


def test_the_shared_secret_still_works_beside_public_keys(crm_server: Server) -> None:
    token = jwt.encode(claims(crm_server.clock()), crm_server.ctx.link_secret, "HS256")
    assert signin(crm_server, token) == 303


def test_configuration_errors_name_the_key(tmp_path: Path) -> None:
    def keys(*entries: str) -> None:
        config = load_config(
            {"server": {"data_dir": str(tmp_path)}, "auth": {"link_public_keys": list(entries)}}
        )
        load_link_keys(config)

    with pytest.raises(ConfigError, match="cannot read"):
        keys(str(tmp_path / "missing.pem"))
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(ConfigError, match=r"junk\.pem: not a PEM public key"):
        keys(f"a={tmp_path / 'junk.pem'}")
    good = write_public(tmp_path / "good.pem", RSA_KEY)
    with pytest.raises(ConfigError, match="own id"):
        keys(good, good)
    with pytest.raises(ConfigError, match="KID=PATH"):
        keys(f"={good}")
    keys(good)  # one key needs no id


def test_agents_sharing_a_display_name_are_still_different_agents(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    """Admission is by who signed in (account, SSO subject), not by the name shown."""
    from contextlib import ExitStack

    from cobrowse.server.accounts import AccountStore
    from tests.server.test_signin import sign_in
    from tests.server.test_ws import PDF, Story

    server = make_server()
    accounts = AccountStore(tmp_path / "data" / "accounts.json")
    accounts.add("asha.rao", name="Asha Rao", password="first password!")
    accounts.add("asha.r", name="Asha Rao", password="second password!")
    with ExitStack() as stack:
        story = Story(server, stack)
        story.agent_browser = server.browser()
        assert sign_in(story.agent_browser, "asha.rao", "first password!").status_code == 303
        story.allow()
        namesake = server.browser()
        assert sign_in(namesake, "asha.r", "second password!").status_code == 303
        assert namesake.get("/api/v1/me").json() == {
            "agent": {"name": "Asha Rao", "role": "agent", "team": None}
        }
        url = f"/api/v1/sessions/{story.session_id}/files"
        assert namesake.post(url, files={"file": ("a.pdf", PDF)}).status_code == 404
        assert story.agent_browser.post(url, files={"file": ("a.pdf", PDF)}).status_code == 201


def test_the_form_key_derives_from_the_link_secret() -> None:
    from cobrowse.server.auth import derive_form_key

    key = derive_form_key("s" * 64)
    assert key == derive_form_key("s" * 64) and len(key) == 32  # every node: the same key
    assert key != derive_form_key("t" * 64)
    assert b"s" * 16 not in key  # the secret itself does not sign forms


def test_a_crm_signing_with_the_secret_file_as_stored_is_accepted(tmp_path: Path) -> None:
    config = load_config({"server": {"data_dir": str(tmp_path)}})
    secret = load_link_secret(config)
    path = tmp_path / "link-secret"
    assert path.read_bytes() == secret.encode()  # nothing but the secret
    now = time.time()
    as_stored = jwt.encode(
        {
            "aud": AUDIENCE,
            "sub": "Asha",
            "iat": int(now),
            "exp": int(now) + 60,
            "jti": secrets.token_urlsafe(18),
        },
        path.read_bytes(),
        "HS256",
    )
    assert verify_link(as_stored, secret=load_link_secret(config), now=now).agent == "Asha"


def test_an_older_secret_file_with_a_newline_is_read_and_written_back_bare(
    tmp_path: Path,
) -> None:
    path = tmp_path / "link-secret"
    path.write_text("  s3cret-from-before\n")
    path.chmod(0o600)
    config = load_config({"server": {"data_dir": str(tmp_path)}})
    assert load_link_secret(config) == "s3cret-from-before"
    assert path.read_bytes() == b"s3cret-from-before"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["link-secret"]
    assert load_link_secret(config) == "s3cret-from-before"  # and stays
