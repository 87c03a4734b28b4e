"""Configuration: a TOML file, then `COBROWSE_<SECTION>_<KEY>` environment variables.

Pure: `load_config` takes the parsed TOML and an environment mapping and
returns a validated, frozen `Config`, or raises `ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cobrowse.core.files import DEFAULT_TYPES as DEFAULT_OFFER_TYPES
from cobrowse.core.files import KNOWN_TYPES
from cobrowse.core.masking import (
    DEFAULT_PATTERNS,
    DEFAULT_SELECTORS,
    MaskingError,
    MaskingRules,
)
from cobrowse.core.masking import compile_rules as compile_masking
from cobrowse.core.netcheck import AddressPolicy, parse_networks
from cobrowse.core.origins import OriginError, OriginList
from cobrowse.core.webhooks import Endpoint, EndpointError, parse_endpoints
from cobrowse.store.url import StoreUrlError, parse_store_url

DEFAULT_MASK_SELECTORS = DEFAULT_SELECTORS
# Settings that are lists of tables (TOML `[[masking.sites]]`; JSON in the environment).
TABLE_LISTS = {("masking", "sites"), ("masking", "custom_patterns"), ("webhooks", "endpoints")}

MIN_METRICS_TOKEN = 16

_CONTINUATION_PATH = re.compile(r"(?:/[A-Za-z0-9._-]+)+")


AUDIT_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # default: http://host:port
    data_dir: str = "./cobrowse-data"
    log_level: str = "info"
    log_format: str = "text"  # or "json": one JSON object per line (production)
    forwarded_allow_ips: str = ""  # e.g. "127.0.0.1" behind nginx: trust its X-Forwarded-For
    # permessage-deflate on the WebSockets: 5.5x fewer bytes on the wire, but 1.5x the
    # CPU per relayed frame and ~0.5 MB per socket (docs/scale.md). Off by default.
    ws_compression: bool = False
    # What serves the relay's sockets (/ws on the main host): "direct" (the default:
    # server/ws_relay.py, by measurement about half the CPU per relayed frame;
    # docs/scale.md) or "asgi" (the app's own route on uvicorn with websockets).
    # Compression needs "asgi": the direct engine has no deflate.
    ws_engine: str = "direct"
    hsts_seconds: int = 365 * 24 * 3600  # HSTS max-age when public_url is https; 0: off
    # Who may read GET /metrics: client addresses in these networks, or anyone presenting
    # `Authorization: Bearer <metrics_token>` when it is set (README, "Monitoring").
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    metrics_token: str = ""


@dataclass(frozen=True, kw_only=True)
class SessionConfig:
    pin_ttl_seconds: float = 600.0
    consent_timeout_seconds: float = 120.0
    visitor_grace_seconds: float = 30.0
    agent_grace_seconds: float = 120.0
    max_duration_seconds: float = 4 * 3600.0
    # Control granted to the agent survives a drop of its connection this long (0: none).
    control_hold_seconds: float = 10.0
    # Sites (origins) where a supervisor watches without asking the visitor again (they
    # are still announced in the visitor's bar); everywhere else the visitor is asked.
    watch_without_asking: tuple[str, ...] = ()
    transfer_seconds: float = 60.0  # an offered transfer lapses after this


@dataclass(frozen=True, kw_only=True)
class AuthConfig:
    link_secret: str = ""  # default: generated once into data_dir/link-secret
    link_ttl_seconds: float = 300.0
    agent_cookie_ttl_seconds: float = 8 * 3600.0
    api_keys: tuple[str, ...] = ()  # "sha256:<hex>" of each key (`cobrowse api-key`)
    secure_cookies: bool = False  # set true behind HTTPS
    # CRM public keys for RS256/ES256 links: "PATH" or "KID=PATH" (PEM files).
    link_public_keys: tuple[str, ...] = ()
    link_issuer: str = ""  # when set, public-key links must carry this `iss`
    accounts_file: str = ""  # local agent accounts; default data_dir/accounts.json
    # OpenID Connect sign-in (SSO); on when oidc_issuer is set.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_redirect_url: str = ""  # default: <public_url>/agent/oidc/callback
    oidc_scopes: str = "openid profile email"
    oidc_name_claim: str = "name"  # the claim that becomes the agent's display name
    oidc_groups_claim: str = "groups"
    oidc_allowed_groups: tuple[str, ...] = ()  # empty: every user of the issuer may sign in
    oidc_supervisor_groups: tuple[str, ...] = ()  # members sign in as supervisors
    oidc_admin_groups: tuple[str, ...] = ()  # members sign in as admins (above supervisor)
    oidc_team_claim: str = ""  # the claim naming the agent's team; empty: no teams
    oidc_button_label: str = "Sign in with SSO"


@dataclass(frozen=True, kw_only=True)
class ProxyConfig:
    allowed_origins: tuple[str, ...] = ()
    mode: str = "inline"  # "proxy": after Allow the widget overlays the page through the proxy
    domain: str = "cobrowse.localhost"  # proxy hosts are <label>.<domain>
    allowed_networks: tuple[str, ...] = ()  # private/loopback networks the proxy may reach
    max_body_bytes: int = 20 * 1024 * 1024  # HTML/CSS the proxy rewrites, and request bodies
    upstream_timeout_seconds: float = 30.0
    asset_cache_bytes: int = 32 * 1024 * 1024  # per session, for the agent's mirror
    asset_wait_seconds: float = 5.0  # an agent's asset request waits for the visitor's fetch
    # Subresources of origins that are not allowed (CDNs, fonts, analytics): "fetch" them
    # through the proxy without the visitor's cookies, or "refuse" them (docs/proxy.md).
    other_origins: str = "fetch"
    max_other_origins: int = 100  # such origins per session; past it they are refused
    # A script larger than this is served as it came, never parsed (docs/js-rewriting.md).
    max_script_rewrite_bytes: int = 8 * 1024 * 1024
    js_cache_bytes: int = 64 * 1024 * 1024  # edit lists of parsed scripts, per process
    # Where the site's reverse proxy mounts our /__cobrowse/continue/ on the site's own
    # origin, so the visitor's login carries into the overlay and back ("" = none).
    continuation_path: str = "/__cobrowse/continue"


@dataclass(frozen=True, kw_only=True)
class MaskingConfig:
    """docs/masking.md. Site rules only ever add masking to these global ones."""

    selectors: tuple[str, ...] = DEFAULT_MASK_SELECTORS
    patterns: tuple[str, ...] = DEFAULT_PATTERNS  # built-in value patterns in use
    private_by_default: bool = False  # mask all text and values except under `allow`
    allow: tuple[str, ...] = ()
    custom_patterns: tuple[Mapping[str, Any], ...] = ()  # [[masking.custom_patterns]]
    sites: tuple[Mapping[str, Any], ...] = ()  # [[masking.sites]]: per origin and URL

    def rules(self) -> MaskingRules:
        return _masking_rules(self)


@dataclass(frozen=True, kw_only=True)
class LimitsConfig:
    visitor_message_bytes: int = 8 * 1024 * 1024
    agent_message_bytes: int = 64 * 1024
    replay_buffer_bytes: int = 24 * 1024 * 1024
    join_free_failures: int = 3
    join_lockout_failures: int = 10
    join_base_delay_seconds: float = 0.25
    join_max_delay_seconds: float = 2.0
    join_window_seconds: float = 900.0
    # Wrong PINs per minute from everyone together; past it every join waits (docs/security.md).
    join_global_failures_per_minute: int = 60
    login_free_failures: int = 3  # local account sign-in, per username and per address
    login_lockout_failures: int = 10
    login_window_seconds: float = 900.0
    max_sessions: int = 10_000
    offer_bytes: int = 10 * 1024 * 1024  # a file an agent offers to a visitor
    offer_types: tuple[str, ...] = DEFAULT_OFFER_TYPES
    # Frames per second per socket (token bucket): `burst` at once, then `per_second`.
    visitor_messages_per_second: float = 200.0
    visitor_message_burst: int = 2000
    agent_messages_per_second: float = 100.0
    agent_message_burst: int = 500
    # Open WebSockets from one client address on this node, counted from the moment
    # one is accepted (before its `hello`); one past it is closed with 4429.
    connections_per_address: int = 256
    hello_timeout_seconds: float = 5.0  # a socket's first frame must be its hello (else 4408)
    connections_per_session: int = 6  # authenticated WebSockets of one session
    api_body_bytes: int = 64 * 1024  # a REST request body (file offers: offer_bytes)


@dataclass(frozen=True, kw_only=True)
class AuditConfig:
    url: str = ""  # default: sqlite:///<server.data_dir>/audit.db; or postgresql://...
    retention_days: float = 365.0  # entries older than this are purged; 0 keeps them all


@dataclass(frozen=True, kw_only=True)
class RecordingsConfig:
    """Masked session recordings (README, "Recordings")."""

    # Sites whose sessions are recorded: origins, with wildcards as proxy.allowed_origins.
    sites: tuple[str, ...] = ()
    # Where: "" = <server.data_dir>/recordings; or "s3://BUCKET/PREFIX" (S3-compatible).
    storage: str = ""
    s3_endpoint_url: str = ""  # e.g. https://minio.internal:9000; "" = AWS
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""  # "" = boto3's usual sources (environment, profile, role)
    s3_secret_access_key: str = ""
    # Keys (AES-256-GCM): entries ID=BASE64 in `keys` (e.g. COBROWSE_RECORDINGS_KEYS) or
    # in key_file (default: <data_dir>/recording-keys, made once when missing).
    keys: str = ""
    key_file: str = ""
    current_key: str = ""  # the key new chunks are sealed with; default: the last one
    retention_days: float = 90.0  # recordings older than this are purged; 0 keeps them all
    queue_frames: int = 20_000  # frames waiting to be written; past it they are lost (counted)
    chunk_bytes: int = 256 * 1024

    @property
    def origins(self) -> OriginList:
        return OriginList.parse(self.sites)

    def records(self, origin: str | None) -> bool:
        """Whether a session started from `origin` is recorded."""
        return bool(self.sites) and origin is not None and self.origins.allows(origin)


@dataclass(frozen=True, kw_only=True)
class StoreConfig:
    # The session registry: "memory://" (one process) or "redis://HOST:PORT/DB" shared by
    # several nodes (`?prefix=NAME:` for two deployments on one Redis); store/url.py.
    url: str = "memory://"
    # On Redis: a node that has not been heard of for this long is taken for gone, and
    # the sessions it ran are taken over by other nodes (docs/scale.md).
    node_timeout_seconds: float = 1.0


@dataclass(frozen=True, kw_only=True)
class WebhooksConfig:
    """docs/webhooks.md: events to the CRM, signed, retried with back-off."""

    # [[webhooks.endpoints]]: url, secret_env or secret_file, events, timeout_seconds,
    # name, allow_insecure, agent_ids (core/webhooks.py parse_endpoints).
    endpoints: tuple[Mapping[str, Any], ...] = ()
    max_attempts: int = 8  # per event and endpoint, the first included
    backoff_seconds: float = 1.0  # the first back-off; each next one doubles (with jitter)
    max_backoff_seconds: float = 600.0
    queue_size: int = 10_000  # deliveries waiting; past it the oldest is dropped (counted)
    history: int = 1000  # finished deliveries kept for GET /api/v1/webhooks/deliveries
    concurrency: int = 8  # requests in flight at once, per node

    def parsed_endpoints(self) -> tuple[Endpoint, ...]:
        return parse_endpoints(self.endpoints)


@dataclass(frozen=True, kw_only=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    recordings: RecordingsConfig = field(default_factory=RecordingsConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)

    @property
    def base_url(self) -> str:
        return (self.server.public_url or f"http://{self.server.host}:{self.server.port}").rstrip(
            "/"
        )

    @property
    def masking_rules(self) -> MaskingRules:
        return self.masking.rules()

    @property
    def audit_url(self) -> str:
        return self.audit.url or f"sqlite:///{self.server.data_dir.rstrip('/')}/audit.db"

    @property
    def allowed_origins(self) -> OriginList:
        return OriginList.parse(self.proxy.allowed_origins)

    def with_changes(self, **sections: Mapping[str, Any]) -> Config:
        """A copy with some keys of some sections replaced (validated)."""
        result = _apply(self, {name: dict(values) for name, values in sections.items()}, "")
        _validate_relations(result)
        return result


def load_config(
    toml_data: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Config:
    config = _apply(Config(), dict(toml_data or {}), "config file: ")
    config = _apply(config, _env_sections(env or {}), "environment: ")
    _validate_relations(config)
    return config


def read_toml(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _env_sections(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = {}
    names = {f.name for f in dataclasses.fields(Config)}
    for key, value in env.items():
        if not key.startswith("COBROWSE_") or key == "COBROWSE_CONFIG":
            continue
        rest = key[len("COBROWSE_") :].lower()
        section, _, name = rest.partition("_")
        if section not in names or not name:
            raise ConfigError(f"environment: unknown setting {key}")
        sections.setdefault(section, {})[name] = value
    return sections


def _apply(config: Config, data: dict[str, Any], where: str) -> Config:
    changes: dict[str, Any] = {}
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for section_name, values in data.items():
        if section_name not in sections:
            raise ConfigError(f"{where}unknown section [{section_name}]")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}[{section_name}] must be a table")
        current = getattr(config, section_name)
        changes[section_name] = _apply_section(current, section_name, values, where)
    result = dataclasses.replace(config, **changes)
    _validate_fields(result, where)
    return result


def _apply_section(current: Any, section: str, values: dict[str, Any], where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(current)}
    updates: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in fields:
            raise ConfigError(f"{where}unknown setting {section}.{key}")
        default = getattr(type(current)(), key)
        if (section, key) in TABLE_LISTS:
            updates[key] = _tables(raw, f"{where}{section}.{key}")
        else:
            updates[key] = _coerce(raw, default, f"{where}{section}.{key}")
    return dataclasses.replace(current, **updates)


def _tables(raw: Any, name: str) -> tuple[Mapping[str, Any], ...]:
    """A list of tables; from the environment, as a JSON array of objects."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a JSON array of objects") from None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(f"{name} must be a list of tables ([[{name.split(': ')[-1]}]])")
    return tuple(raw)


@functools.lru_cache(maxsize=16)
def _masking_rules_cached(key: str) -> MaskingRules:
    data = json.loads(key)
    return compile_masking(**data)


def _masking_rules(m: MaskingConfig) -> MaskingRules:
    key = json.dumps(
        {
            "selectors": list(m.selectors),
            "patterns": list(m.patterns),
            "private_by_default": m.private_by_default,
            "allow": list(m.allow),
            "custom_patterns": [dict(p) for p in m.custom_patterns],
            "sites": [dict(s) for s in m.sites],
        },
        sort_keys=True,
    )
    return _masking_rules_cached(key)


def _coerce(raw: Any, default: Any, name: str) -> Any:
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if isinstance(default, float):
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if not math.isfinite(value):
            raise ConfigError(f"{name} must be a finite number, not {raw!r}")
        return value
    if isinstance(default, tuple):
        if isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        raise ConfigError(f"{name} must be a list of strings")
    if not isinstance(raw, str):
        raise ConfigError(f"{name} must be a string, not {raw!r}")
    return raw


def _validate_fields(config: Config, where: str) -> None:
    """Checks of single values, reported with the layer they came from."""
    try:
        config.allowed_origins  # noqa: B018 - parse for the error
    except OriginError as exc:
        raise ConfigError(f"{where}proxy.allowed_origins: {exc}") from None
    positive = [
        ("session", name)
        for name in (
            "pin_ttl_seconds",
            "consent_timeout_seconds",
            "visitor_grace_seconds",
            "agent_grace_seconds",
            "max_duration_seconds",
        )
    ] + [
        ("auth", "agent_cookie_ttl_seconds"),
        ("limits", "join_lockout_failures"),
        ("limits", "join_window_seconds"),
        ("limits", "join_global_failures_per_minute"),
        ("limits", "login_lockout_failures"),
        ("limits", "login_window_seconds"),
        ("limits", "max_sessions"),
        ("limits", "visitor_messages_per_second"),
        ("limits", "visitor_message_burst"),
        ("limits", "agent_messages_per_second"),
        ("limits", "agent_message_burst"),
        ("limits", "connections_per_address"),
        ("limits", "connections_per_session"),
        ("limits", "api_body_bytes"),
    ]
    for section, key in positive:
        if not getattr(getattr(config, section), key) > 0:
            raise ConfigError(f"{where}{section}.{key} must be positive")
    lim = config.limits
    if not 0 < lim.hello_timeout_seconds <= 60:
        raise ConfigError(
            f"{where}limits.hello_timeout_seconds must be more than 0 and at most 60 "
            f"(seconds a new WebSocket has to send its hello), not {lim.hello_timeout_seconds:g}"
        )
    if lim.join_free_failures < 0:
        raise ConfigError(f"{where}limits.join_free_failures must not be negative")
    if lim.join_base_delay_seconds < 0 or lim.join_max_delay_seconds < 0:
        raise ConfigError(f"{where}limits.join_*_delay_seconds must not be negative")
    if not 0 < config.auth.link_ttl_seconds <= 3600:
        raise ConfigError(f"{where}auth.link_ttl_seconds must be within (0, 3600]")
    for key_hash in config.auth.api_keys:
        if not key_hash.startswith("sha256:") or len(key_hash) != 7 + 64:
            raise ConfigError(
                f"{where}auth.api_keys entries are 'sha256:<64 hex>' (see `cobrowse api-key`)"
            )
    if lim.login_free_failures < 0 or lim.login_free_failures > lim.login_lockout_failures:
        raise ConfigError(f"{where}limits.login_free_failures must be 0..login_lockout_failures")
    if config.server.hsts_seconds < 0:
        raise ConfigError(f"{where}server.hsts_seconds must not be negative")
    if not 0 <= config.session.control_hold_seconds <= config.session.agent_grace_seconds:
        raise ConfigError(f"{where}session.control_hold_seconds must be 0..agent_grace_seconds")
    if not 10 <= config.session.transfer_seconds <= 3600:
        raise ConfigError(f"{where}session.transfer_seconds must be 10..3600")
    for origin in config.session.watch_without_asking:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ConfigError(
                f"{where}session.watch_without_asking: {origin!r} is not an origin "
                "(https://host[:port], no path)"
            )
    _validate_monitoring(config.server, where)
    _validate_webhooks(config.webhooks, where)
    if not 0 < config.server.port < 65536:
        raise ConfigError(f"{where}server.port must be 1-65535")
    if lim.visitor_message_bytes < 1024 or lim.agent_message_bytes < 1024:
        raise ConfigError(f"{where}limits.*_message_bytes must be at least 1024")
    p = config.proxy
    if p.mode not in ("inline", "proxy"):
        raise ConfigError(f"{where}proxy.mode must be 'inline' or 'proxy', not {p.mode!r}")
    labels = p.domain.split(".")
    if not p.domain or not all(
        label and label.isascii() and all(c.isalnum() or c == "-" for c in label)
        for label in labels
    ):
        raise ConfigError(f"{where}proxy.domain must be a DNS name, not {p.domain!r}")
    try:
        AddressPolicy.parse(p.allowed_networks)
    except ValueError as exc:
        raise ConfigError(f"{where}proxy.allowed_networks: {exc}") from None
    if p.continuation_path and not _CONTINUATION_PATH.fullmatch(p.continuation_path):
        raise ConfigError(
            f"{where}proxy.continuation_path must be a path like /__cobrowse/continue "
            f"(letters, digits, - _ . and single slashes, no trailing slash), "
            f"not {p.continuation_path!r}"
        )
    if not p.max_body_bytes > 0 or not p.upstream_timeout_seconds > 0:
        raise ConfigError(f"{where}proxy.max_body_bytes and upstream_timeout_seconds: positive")
    if p.other_origins not in ("fetch", "refuse"):
        raise ConfigError(
            f"{where}proxy.other_origins must be 'fetch' or 'refuse', not {p.other_origins!r}"
        )
    if not p.max_other_origins > 0:
        raise ConfigError(f"{where}proxy.max_other_origins must be positive")
    if p.max_script_rewrite_bytes < 0 or p.js_cache_bytes < 0:
        raise ConfigError(
            f"{where}proxy.max_script_rewrite_bytes and js_cache_bytes: 0 or more "
            "(0: rewrite no script; no cache)"
        )
    unknown = [t for t in lim.offer_types if t not in KNOWN_TYPES]
    if unknown:
        raise ConfigError(
            f"{where}limits.offer_types: unknown {', '.join(unknown)}; "
            f"known: {', '.join(KNOWN_TYPES)}"
        )
    scheme = config.audit.url.partition("://")[0]
    if config.audit.url and scheme not in AUDIT_SCHEMES:
        raise ConfigError(
            f"{where}audit.url must be sqlite:///<path> or postgresql://user@host/db, "
            f"not {scheme or config.audit.url!r}"
        )
    try:
        parse_store_url(config.store.url)
    except StoreUrlError as exc:
        raise ConfigError(f"{where}{exc}") from None
    if not 0.2 <= config.store.node_timeout_seconds <= 60:
        raise ConfigError(f"{where}store.node_timeout_seconds must be between 0.2 and 60")
    if not config.audit.retention_days >= 0:
        raise ConfigError(f"{where}audit.retention_days must not be negative (0 keeps all)")
    _validate_recordings(config.recordings, where)
    if not config.masking.selectors:
        raise ConfigError(f"{where}masking.selectors must not be empty")
    try:
        config.masking.rules()
    except MaskingError as exc:
        raise ConfigError(f"{where}{exc}") from None


def _validate_recordings(rec: RecordingsConfig, where: str) -> None:
    try:
        rec.origins  # noqa: B018 - parse for the error
    except OriginError as exc:
        raise ConfigError(f"{where}recordings.sites: {exc}") from None
    if rec.storage and not re.fullmatch(
        r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?", rec.storage
    ):
        raise ConfigError(
            f"{where}recordings.storage must be empty (the data directory) or s3://BUCKET/PREFIX"
        )
    if not rec.retention_days >= 0:
        raise ConfigError(f"{where}recordings.retention_days must not be negative (0 keeps all)")
    if rec.queue_frames < 1 or rec.chunk_bytes < 1024:
        raise ConfigError(f"{where}recordings.queue_frames >= 1 and chunk_bytes >= 1024")


def _validate_monitoring(server: ServerConfig, where: str) -> None:
    if server.ws_engine not in ("direct", "asgi"):
        raise ConfigError(
            f"{where}server.ws_engine must be 'direct' or 'asgi', not {server.ws_engine!r}"
        )
    if server.log_format not in ("text", "json"):
        raise ConfigError(
            f"{where}server.log_format must be 'text' or 'json', not {server.log_format!r}"
        )
    try:
        parse_networks(server.metrics_allow)
    except ValueError as exc:
        raise ConfigError(f"{where}server.metrics_allow: {exc}") from None
    if server.metrics_token and len(server.metrics_token) < MIN_METRICS_TOKEN:
        raise ConfigError(
            f"{where}server.metrics_token must be at least {MIN_METRICS_TOKEN} characters"
        )


def _validate_webhooks(webhooks: WebhooksConfig, where: str) -> None:
    try:
        webhooks.parsed_endpoints()
    except EndpointError as exc:
        raise ConfigError(f"{where}{exc}") from None
    if not 1 <= webhooks.max_attempts <= 100:
        raise ConfigError(f"{where}webhooks.max_attempts must be 1..100")
    if not 0 < webhooks.backoff_seconds <= webhooks.max_backoff_seconds:
        raise ConfigError(
            f"{where}webhooks.backoff_seconds must be more than 0 and at most max_backoff_seconds"
        )
    for key in ("queue_size", "history", "concurrency"):
        if not getattr(webhooks, key) > 0:
            raise ConfigError(f"{where}webhooks.{key} must be positive")


def _validate_auth(auth: AuthConfig, where: str) -> None:
    for entry in auth.link_public_keys:
        kid, sep, path = entry.partition("=")
        if not (path if sep else kid).strip() or (sep and not kid.strip()):
            raise ConfigError(f"{where}auth.link_public_keys entries are 'PATH' or 'KID=PATH'")
    kids = [e.partition("=")[0] if "=" in e else "" for e in auth.link_public_keys]
    if len(set(kids)) != len(kids):
        raise ConfigError(
            f"{where}auth.link_public_keys: give each key its own id ('KID=PATH') "
            "when there are several"
        )
    if auth.oidc_issuer:
        if not auth.oidc_issuer.startswith(("https://", "http://")):
            raise ConfigError(f"{where}auth.oidc_issuer must be an http(s) URL")
        if not auth.oidc_client_id:
            raise ConfigError(f"{where}auth.oidc_client_id is needed with auth.oidc_issuer")
        if "openid" not in auth.oidc_scopes.split():
            raise ConfigError(f"{where}auth.oidc_scopes must include 'openid'")
        if not auth.oidc_name_claim:
            raise ConfigError(f"{where}auth.oidc_name_claim must not be empty")
    if auth.oidc_redirect_url and not auth.oidc_redirect_url.startswith(("https://", "http://")):
        raise ConfigError(f"{where}auth.oidc_redirect_url must be an http(s) URL")


def _validate_relations(config: Config) -> None:
    """Checks between values, on the merged result of every layer."""
    _validate_auth(config.auth, "")
    lim = config.limits
    if lim.replay_buffer_bytes < lim.visitor_message_bytes:
        raise ConfigError("limits.replay_buffer_bytes must be >= limits.visitor_message_bytes")
    if lim.join_free_failures > lim.join_lockout_failures:
        raise ConfigError("limits.join_free_failures must be <= limits.join_lockout_failures")
