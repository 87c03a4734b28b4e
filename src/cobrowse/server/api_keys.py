"""API keys for server-to-server calls (a CRM asking for agent links).

A key is `cbk_<id>_<secret>`: the id (10 characters) names it in listings and
revocations and is not secret; the secret is 32 random bytes. We store only
`sha256:<hex>` of the whole key. A fast hash is right here, unlike for passwords:
slow hashes protect guessable secrets, and 256 random bits cannot be guessed or
looked up in any table, so a stolen file of hashes gives no key. Checks compare
the digest with every live entry in constant time (hmac.compare_digest, no early
exit), so timing says nothing about how close a wrong key came.

Keys live in `<data_dir>/api-keys.json` (0600), written by the CLI only
(`cobrowse api-key create|list|revoke`). A server re-reads the file when it
changes, so a revocation takes effect on the next request. Hashes listed in
`auth.api_keys` (the older way) are accepted too; to revoke one, remove it from
the configuration.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cobrowse.config import Config
from cobrowse.server.datafiles import DataFileError, Watched, write_private_json

API_KEYS_FILE = "api-keys.json"
_ID_ALPHABET = string.ascii_lowercase + string.digits


class ApiKeyError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    label: str
    hash: str
    created_at: float
    revoked_at: float | None = None


def hash_api_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def key_id_of(presented: str) -> str:
    """Who a (valid) key is, for the audit log: its id (`cbk_<id>_<secret>`), or for a
    key configured only by its hash, the first 12 hex digits of that hash."""
    parts = presented.split("_", 2)
    if len(parts) == 3 and parts[0] == "cbk" and len(parts[1]) == 10:
        return parts[1]
    return hash_api_key(presented)[7:19]


def api_keys_path(config: Config) -> Path:
    return Path(config.server.data_dir) / API_KEYS_FILE


def _parse(data: Any | None) -> dict[str, ApiKey]:
    if data is None:
        return {}
    try:
        return {
            key_id: ApiKey(
                id=key_id,
                label=str(entry["label"]),
                hash=str(entry["hash"]),
                created_at=float(entry["created_at"]),
                revoked_at=None if entry.get("revoked_at") is None else float(entry["revoked_at"]),
            )
            for key_id, entry in data["keys"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataFileError(f"the API key file is not in the expected shape: {exc!r}") from None


class ApiKeyStore:
    def __init__(self, path: Path, *, configured: tuple[str, ...] = ()) -> None:
        self.path = path
        self.configured = configured
        self._file = Watched(path, _parse)

    def records(self) -> list[ApiKey]:
        return sorted(self._file.get().values(), key=lambda k: k.created_at)

    def create(self, *, label: str = "") -> tuple[str, ApiKey]:
        """A new key (shown once, never stored) and its record."""
        if len(label) > 200 or any(ord(c) < 32 for c in label):
            raise ApiKeyError("a label is at most 200 printable characters")
        keys = dict(self._file.get())
        key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
        key = f"cbk_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(id=key_id, label=label, hash=hash_api_key(key), created_at=time.time())
        keys[key_id] = record
        self._write(keys)
        return key, record

    def revoke(self, key_id: str) -> ApiKey:
        keys = dict(self._file.get())
        old = keys.get(key_id)
        if old is None:
            raise ApiKeyError(f"no API key with id {key_id!r}")
        if old.revoked_at is None:
            keys[key_id] = ApiKey(old.id, old.label, old.hash, old.created_at, time.time())
            self._write(keys)
        return keys[key_id]

    def valid(self, presented: str) -> bool:
        """Whether `presented` is a live key: stored (not revoked) or configured."""
        if len(presented) > 256:
            return False
        digest = hash_api_key(presented)
        live = [k.hash for k in self._file.get().values() if k.revoked_at is None]
        ok = False
        for entry in (*live, *self.configured):
            ok |= hmac.compare_digest(digest, entry)
        return ok

    def _write(self, keys: dict[str, ApiKey]) -> None:
        write_private_json(
            self.path,
            {
                "keys": {
                    k.id: {
                        "label": k.label,
                        "hash": k.hash,
                        "created_at": k.created_at,
                        "revoked_at": k.revoked_at,
                    }
                    for k in keys.values()
                }
            },
        )
