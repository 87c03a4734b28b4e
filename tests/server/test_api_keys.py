"""API keys: stored hashed, valid until revoked, revocation takes effect at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cobrowse.server.api_keys import ApiKeyError, ApiKeyStore, hash_api_key
from cobrowse.server.datafiles import DataFileError
from tests.server.conftest import Server


def link(server: Server, key: str) -> int:
    r = server.client.post(
        "/api/v1/agent-links", json={"agent": "Asha"}, headers={"Authorization": f"Bearer {key}"}
    )
    return r.status_code


def test_a_created_key_works_until_revoked(server: Server, tmp_path: Path) -> None:
    cli = ApiKeyStore(tmp_path / "data" / "api-keys.json")  # the CLI's view of the file
    key, record = cli.create(label="CRM")
    other, _ = cli.create(label="CRM test")
    assert link(server, key) == 201 and link(server, other) == 201
    cli.revoke(record.id)
    assert link(server, key) == 401  # the very next request
    assert link(server, other) == 201
    assert [k.revoked_at is not None for k in cli.records()] == [True, False]


def test_links_are_audited_by_key_id_and_a_revoked_key_reads_no_audit_log(
    server: Server, tmp_path: Path
) -> None:
    cli = ApiKeyStore(tmp_path / "data" / "api-keys.json")
    key, record = cli.create(label="CRM")
    assert link(server, key) == 201
    auth = {"Authorization": f"Bearer {key}"}
    r = server.client.get("/api/v1/audit", params={"kind": "agent_link.issued"}, headers=auth)
    assert r.status_code == 200, r.text
    [entry] = r.json()["entries"]
    assert entry["actor"] == f"crm:{record.id}" and key not in r.text  # the id, never the key
    cli.revoke(record.id)
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        r = server.client.get(path, headers=auth)
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_api_key"


def test_the_file_holds_hashes_only(tmp_path: Path) -> None:
    store = ApiKeyStore(tmp_path / "api-keys.json")
    key, record = store.create()
    text = (tmp_path / "api-keys.json").read_text()
    assert key not in text and record.hash == hash_api_key(key) and record.hash in text
    assert json.loads(text)["keys"][record.id]["revoked_at"] is None


def test_configured_hashes_are_accepted_too(tmp_path: Path) -> None:
    store = ApiKeyStore(tmp_path / "api-keys.json", configured=(hash_api_key("cbk_x_legacy"),))
    assert store.valid("cbk_x_legacy")
    assert not store.valid("cbk_x_legacyy") and not store.valid("") and not store.valid("x" * 300)


def test_revoking_twice_or_an_unknown_id(tmp_path: Path) -> None:
    store = ApiKeyStore(tmp_path / "api-keys.json")
    _, record = store.create()
    first = store.revoke(record.id).revoked_at
    assert store.revoke(record.id).revoked_at == first
    with pytest.raises(ApiKeyError):
        store.revoke("nope")


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "api-keys.json").write_text('{"keys": {"a": {"label": 1}}}')
    with pytest.raises(DataFileError, match="expected shape"):
        ApiKeyStore(tmp_path / "api-keys.json").valid("cbk_x")
    (tmp_path / "api-keys.json").write_text("{")
    with pytest.raises(DataFileError, match="not valid JSON"):
        ApiKeyStore(tmp_path / "api-keys.json").valid("cbk_x")
