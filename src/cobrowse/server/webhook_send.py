"""Sending one webhook: the endpoints' secrets, and one signed POST (docs/webhooks.md).

Used by the delivery queue (server/webhooks.py) and by `cobrowse webhooks test`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from cobrowse import __version__
from cobrowse.config import ConfigError, WebhooksConfig
from cobrowse.core import webhook_delivery as wd
from cobrowse.core import webhooks as wh

MIN_SECRET = 16  # characters of a signing secret


@dataclass(frozen=True, slots=True)
class Target:
    endpoint: wh.Endpoint
    secret: bytes

    def __repr__(self) -> str:  # never the secret, in a log or a traceback
        return f"Target({self.endpoint.name!r})"


def load_secret(endpoint: wh.Endpoint, env: Mapping[str, str]) -> bytes:
    """The endpoint's signing secret from its environment variable or file (stripped);
    ConfigError naming where it should be, never what it is."""
    where = f"webhook endpoint {endpoint.name!r}"
    if endpoint.secret_env:
        value = env.get(endpoint.secret_env, "")
        source = f"environment variable {endpoint.secret_env}"
    else:
        source = f"file {endpoint.secret_file}"
        try:
            value = Path(endpoint.secret_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"{where}: cannot read the secret's {source}: {reason}") from None
    value = value.strip()
    if len(value) < MIN_SECRET:
        raise ConfigError(
            f"{where}: the secret in the {source} must be at least {MIN_SECRET} characters"
            + (" (it is not set)" if not value else "")
        )
    return value.encode()


def load_targets(config: WebhooksConfig, env: Mapping[str, str]) -> tuple[Target, ...]:
    return tuple(Target(e, load_secret(e, env)) for e in config.parsed_endpoints())


def new_event_id() -> str:
    return wh.new_event_id(secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    error: str | None = None
    retry_after: str | None = None


async def send(
    session: aiohttp.ClientSession, target: Target, body: bytes, *, event: wh.Event, now: int
) -> Answer:
    """One signed POST of `body`; its status (None when no answer came, with why)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"cobrowse-webhooks/{__version__}",
        wd.SIGNATURE_HEADER: wd.signature_header(target.secret, now, body),
        wd.EVENT_ID_HEADER: event.id,
        wd.EVENT_TYPE_HEADER: event.type,
    }
    timeout = aiohttp.ClientTimeout(total=target.endpoint.timeout)
    try:
        async with session.post(
            target.endpoint.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as response:
            return Answer(response.status, retry_after=response.headers.get("Retry-After"))
    except TimeoutError:
        return Answer(None, f"timeout after {target.endpoint.timeout:g} s")
    except aiohttp.ClientConnectorError as exc:
        return Answer(None, f"connection failed: {exc.os_error.strerror or type(exc).__name__}")
    except aiohttp.ClientError as exc:
        return Answer(None, f"{type(exc).__name__}: {str(exc)[:120]}")
