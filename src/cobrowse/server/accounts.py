"""Local agent accounts for small deployments: username, display name, argon2id hash.

Kept in one JSON file (`auth.accounts_file`, default `<data_dir>/accounts.json`,
mode 0600) that only the CLI writes (`cobrowse user add|remove|reset-password|set-role|list`)
and servers re-read when it changes. Passwords are hashed with argon2id using
argon2-cffi's defaults (RFC 9106's second recommended profile: t=3, 64 MiB, p=4).
Checking a password for an unknown username costs the same as for a known one: a
fixed dummy hash is verified instead, so timing does not tell which names exist.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cobrowse.config import Config
from cobrowse.core.links import agent_name_problem
from cobrowse.core.roles import Role, RoleError, parse_role, parse_team
from cobrowse.server.datafiles import DataFileError, Watched, write_private_json

ACCOUNTS_FILE = "accounts.json"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work per request
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class AccountError(Exception):
    """A bad username, display name or password, or an unknown account."""


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    name: str  # the display name the visitor sees
    password_hash: str
    created_at: float
    role: Role = Role.AGENT  # what they may do in the console (core/roles.py)
    team: str | None = None


def accounts_path(config: Config) -> Path:
    return Path(config.auth.accounts_file or Path(config.server.data_dir) / ACCOUNTS_FILE)


def normalize_username(text: str) -> str:
    username = text.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "a username is 1-64 characters: lower-case letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return username


def _team(team: str | None) -> str | None:
    try:
        return parse_team(team)
    except RoleError as exc:
        raise AccountError(str(exc)) from None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"the password is shorter than {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password is longer than {MAX_PASSWORD} characters"
    return None


def _parse(data: Any | None) -> dict[str, Account]:
    if data is None:
        return {}
    try:
        return {
            username: Account(
                username=username,
                name=str(entry["name"]),
                password_hash=str(entry["password_hash"]),
                created_at=float(entry["created_at"]),
                role=parse_role(entry.get("role", Role.AGENT.value)),
                team=parse_team(entry.get("team")),
            )
            for username, entry in data["accounts"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError, RoleError) as exc:
        raise DataFileError(f"the accounts file is not in the expected shape: {exc!r}") from None


class AccountStore:
    def __init__(self, path: Path, *, hasher: PasswordHasher | None = None) -> None:
        self.path = path
        self.hasher = hasher or PasswordHasher()  # argon2id
        self._file = Watched(path, _parse)
        self._dummy: str | None = None

    def accounts(self) -> dict[str, Account]:
        return self._file.get()

    def __bool__(self) -> bool:
        return bool(self.accounts())

    # --- the CLI's side (the only writer) ---------------------------------------

    def add(
        self,
        username: str,
        *,
        name: str,
        password: str,
        role: Role = Role.AGENT,
        team: str | None = None,
    ) -> Account:
        username = normalize_username(username)
        problem = agent_name_problem(name) or password_problem(password)
        if problem:
            raise AccountError(problem)
        team = _team(team)
        accounts = dict(self.accounts())
        if username in accounts:
            raise AccountError(f"the user {username!r} exists already")
        hashed = self.hasher.hash(password)
        account = Account(username, name.strip(), hashed, time.time(), role=role, team=team)
        accounts[username] = account
        self._write(accounts)
        return account

    def remove(self, username: str) -> None:
        accounts = dict(self.accounts())
        if accounts.pop(normalize_username(username), None) is None:
            raise AccountError(f"no user {username!r}")
        self._write(accounts)

    def set_password(self, username: str, password: str) -> None:
        username = normalize_username(username)
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        accounts = dict(self.accounts())
        old = accounts.get(username)
        if old is None:
            raise AccountError(f"no user {username!r}")
        accounts[username] = replace(old, password_hash=self.hasher.hash(password))
        self._write(accounts)

    def set_role(self, username: str, *, role: Role, team: str | None) -> Account:
        """Change what an account may do, and its team (None: no team)."""
        username = normalize_username(username)
        accounts = dict(self.accounts())
        old = accounts.get(username)
        if old is None:
            raise AccountError(f"no user {username!r}")
        accounts[username] = replace(old, role=role, team=_team(team))
        self._write(accounts)
        return accounts[username]

    def _write(self, accounts: dict[str, Account]) -> None:
        write_private_json(
            self.path,
            {
                "accounts": {
                    a.username: {
                        "name": a.name,
                        "password_hash": a.password_hash,
                        "created_at": a.created_at,
                        "role": a.role.value,
                        "team": a.team,
                    }
                    for a in accounts.values()
                }
            },
        )

    # --- the server's side --------------------------------------------------------

    def verify(self, username: str, password: str) -> Account | None:
        """The account if the password is right; the same work whether or not it exists.

        CPU-bound (about 0.1 s on one core): call it from a worker thread.
        """
        dummy = self._dummy_hash()  # made on the first call of any kind, then cached
        try:
            account = self.accounts().get(normalize_username(username))
        except AccountError:
            account = None
        if len(password) > MAX_PASSWORD:
            password = password[:MAX_PASSWORD]
            account = None
        target = account.password_hash if account else dummy
        try:
            self.hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return None
        return account

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash("not a password: for unknown users only")
        return self._dummy
