"""Who an agent is: the link secret and CRM keys; the key of the sign-in form's tokens.

Signed-in agents themselves (cookie -> Agent) live in the guard store (store/guards.py),
so that every node knows them."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cobrowse.config import Config, ConfigError
from cobrowse.core.links import LinkError, LinkKey, public_key
from cobrowse.store.guards import Agent
from cobrowse.store.private_files import open_private, private_dir

__all__ = ["AGENT_COOKIE", "Agent", "derive_form_key", "load_link_keys", "load_link_secret"]

AGENT_COOKIE = "cobrowse_agent"
SECRET_FILE = "link-secret"
FORM_KEY_LABEL = b"cobrowse: sign-in form tokens, v1"


def load_link_secret(config: Config) -> str:
    """The configured secret, or the one kept in the data directory (made once, 0600).

    The file holds the secret and nothing else, no trailing newline: a CRM that signs
    links with the file's bytes as they are gets the key the server checks. A file that
    holds white space around it (an older one, or one written by hand) is read stripped
    and written back without it."""
    if config.auth.link_secret:
        return config.auth.link_secret
    path = Path(config.server.data_dir) / SECRET_FILE
    try:
        return _stored_secret(path)
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    secret = secrets.token_urlsafe(48)
    try:
        fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:  # another process made it first
        return _stored_secret(path)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    return secret


def _stored_secret(path: Path) -> str:
    raw = path.read_text()
    secret = raw.strip()
    if secret and secret != raw:
        # Atomically, so that a node reading it meanwhile sees one or the other.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            with os.fdopen(fd, "w") as fh:
                fh.write(secret)
            os.replace(tmp, path)
        except OSError:  # read-only data directory: the stripped secret still serves
            tmp.unlink(missing_ok=True)
    return secret


def derive_form_key(link_secret: str) -> bytes:
    """The key of the sign-in form's CSRF tokens (signin.py): HMAC-SHA256 of a fixed label
    under the link secret. Every node that shares the secret (auth.link_secret, or one
    data_dir/link-secret) derives the same key, so a form served by one node is accepted
    by another; the secret itself never signs a form token."""
    return hmac.new(link_secret.encode(), FORM_KEY_LABEL, hashlib.sha256).digest()


def load_link_keys(config: Config) -> list[LinkKey]:
    """The CRM public keys of `auth.link_public_keys` ("PATH" or "KID=PATH", PEM)."""
    keys = []
    for entry in config.auth.link_public_keys:
        kid, sep, path = entry.partition("=")
        if not sep:
            kid, path = "", entry
        try:
            pem = Path(path.strip()).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"auth.link_public_keys: cannot read {path}: {exc.strerror}"
            ) from None
        try:
            key = public_key(pem, kid=kid.strip() or None, issuer=config.auth.link_issuer or None)
        except LinkError as exc:
            raise ConfigError(f"auth.link_public_keys: {path}: {exc}") from None
        keys.append(key)
    return keys
