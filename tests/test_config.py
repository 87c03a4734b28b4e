"""Configuration: defaults, TOML, environment overrides, validation with named keys."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest

from cobrowse.config import (
    DEFAULT_MASK_SELECTORS,
    Config,
    ConfigError,
    load_config,
    read_toml,
)

KEY_HASH = "sha256:" + "ab" * 32


def toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def error(toml_data: Any = None, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(toml_data, env)
    return str(info.value)


# --- defaults ---------------------------------------------------------------------


def test_defaults() -> None:
    c = load_config()
    assert c == Config()
    assert load_config(None, {}) == Config()
    assert load_config({}, {}) == Config()
    assert (c.server.host, c.server.port, c.server.public_url) == ("127.0.0.1", 8000, "")
    assert c.server.log_level == "info"
    assert c.session.pin_ttl_seconds == 600.0
    assert c.session.consent_timeout_seconds == 120.0
    assert c.session.visitor_grace_seconds == 30.0
    assert c.session.agent_grace_seconds == 120.0
    assert c.session.max_duration_seconds == 4 * 3600.0
    assert c.auth.link_secret == "" and c.auth.api_keys == ()
    assert c.auth.link_ttl_seconds == 300.0 and c.auth.secure_cookies is False
    assert c.proxy.allowed_origins == ()
    assert c.masking.selectors == DEFAULT_MASK_SELECTORS
    assert "input[type=password]" in c.masking.selectors
    assert c.limits.visitor_message_bytes == 8 * 1024 * 1024
    assert c.limits.agent_message_bytes == 64 * 1024
    assert c.limits.replay_buffer_bytes >= c.limits.visitor_message_bytes
    assert c.limits.max_sessions == 10_000


def test_base_url() -> None:
    assert load_config().base_url == "http://127.0.0.1:8000"
    c = load_config({"server": {"public_url": "https://cobrowse.example.gov.in/"}})
    assert c.base_url == "https://cobrowse.example.gov.in"
    c = load_config({"server": {"host": "0.0.0.0", "port": 9000}})
    assert c.base_url == "http://0.0.0.0:9000"


def test_config_is_frozen() -> None:
    c = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.server.port = 1  # type: ignore[misc]


# --- TOML -------------------------------------------------------------------------

SAMPLE = """
[server]
host = "0.0.0.0"
port = 8443
public_url = "https://cobrowse.example.gov.in"

[session]
pin_ttl_seconds = 300
consent_timeout_seconds = 60.5

[auth]
link_secret = "s3cret"
api_keys = ["sha256:abababababababababababababababababababababababababababababababab"]
secure_cookies = true

[proxy]
allowed_origins = ["https://portal.example.gov.in", "http://localhost:*"]

[masking]
selectors = [".pan", "[data-secret]"]

[limits]
max_sessions = 50
"""


def test_toml_values() -> None:
    c = load_config(toml(SAMPLE))
    assert c.server.host == "0.0.0.0" and c.server.port == 8443
    assert c.session.pin_ttl_seconds == 300.0
    assert isinstance(c.session.pin_ttl_seconds, float)
    assert c.session.consent_timeout_seconds == 60.5
    assert c.session.visitor_grace_seconds == 30.0  # untouched
    assert c.auth.link_secret == "s3cret"
    assert c.auth.api_keys == (KEY_HASH,)
    assert c.auth.secure_cookies is True
    assert c.proxy.allowed_origins == ("https://portal.example.gov.in", "http://localhost:*")
    assert c.allowed_origins.allows("http://localhost:5173")
    assert not c.allowed_origins.allows("https://evil.test")
    assert c.masking.selectors == (".pan", "[data-secret]")
    assert c.limits.max_sessions == 50


def test_read_toml(tmp_path: Path) -> None:
    path = tmp_path / "cobrowse.toml"
    path.write_text(SAMPLE, encoding="utf-8")
    assert load_config(read_toml(path)).server.port == 8443
    assert read_toml(str(path))["limits"] == {"max_sessions": 50}


def test_read_toml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        read_toml(tmp_path / "nope.toml")


def test_read_toml_invalid(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[server\nport = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml(path)


# --- environment ------------------------------------------------------------------


def test_env_overrides_toml() -> None:
    env = {"COBROWSE_SERVER_PORT": "9001", "COBROWSE_SESSION_PIN_TTL_SECONDS": "120"}
    c = load_config(toml(SAMPLE), env)
    assert c.server.port == 9001
    assert c.session.pin_ttl_seconds == 120.0
    assert c.server.host == "0.0.0.0"  # from TOML, not overridden


def test_env_allowed_origins_comma_separated() -> None:
    env = {"COBROWSE_PROXY_ALLOWED_ORIGINS": " https://a.test , http://b.test:8001,,"}
    c = load_config(None, env)
    assert c.proxy.allowed_origins == ("https://a.test", "http://b.test:8001")
    assert c.allowed_origins.allows("http://b.test:8001")


def test_env_empty_list() -> None:
    c = load_config(
        {"proxy": {"allowed_origins": ["https://a.test"]}}, {"COBROWSE_PROXY_ALLOWED_ORIGINS": ""}
    )
    assert c.proxy.allowed_origins == ()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", True),
        ("true", True),
        (" YES ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_env_booleans(text: str, value: bool) -> None:
    c = load_config(None, {"COBROWSE_AUTH_SECURE_COOKIES": text})
    assert c.auth.secure_cookies is value


def test_env_ignores_other_variables() -> None:
    env = {
        "PATH": "/bin",
        "COBROWSE": "x",
        "COBROWSE_CONFIG": "/etc/cobrowse.toml",
        "XCOBROWSE_SERVER_PORT": "1",
    }
    assert load_config(None, env) == Config()


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("COBROWSE_BOGUS_THING", "COBROWSE_BOGUS_THING"),
        ("COBROWSE_SERVER", "COBROWSE_SERVER"),
        ("COBROWSE_SERVER_", "COBROWSE_SERVER_"),
        ("COBROWSE_SERVER_PROT", "server.prot"),
        ("COBROWSE_SESSION_PIN_TTL", "session.pin_ttl"),
    ],
)
def test_env_unknown_settings_are_named(key: str, named: str) -> None:
    message = error(None, {key: "1"})
    assert message.startswith("environment: ")
    assert named in message


def test_env_errors_say_where() -> None:
    message = error(None, {"COBROWSE_SERVER_PORT": "eighty"})
    assert message.startswith("environment: server.port")
    assert "'eighty'" in message


# --- unknown names and types ------------------------------------------------------


def test_unknown_section() -> None:
    message = error({"sever": {"port": 1}})
    assert message == "config file: unknown section [sever]"


def test_unknown_key() -> None:
    message = error({"server": {"prot": 1}})
    assert "server.prot" in message and message.startswith("config file: ")


def test_section_must_be_a_table() -> None:
    assert "[server] must be a table" in error({"server": 8000})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"server": {"port": "x"}}, ["server.port", "whole number"]),
        ({"server": {"port": 80.5}}, ["server.port", "whole number"]),
        ({"server": {"port": True}}, ["server.port", "whole number"]),
        ({"server": {"port": [1]}}, ["server.port", "whole number"]),
        ({"server": {"host": 1}}, ["server.host", "string"]),
        ({"session": {"pin_ttl_seconds": "soon"}}, ["session.pin_ttl_seconds", "number"]),
        ({"session": {"pin_ttl_seconds": True}}, ["session.pin_ttl_seconds", "number"]),
        ({"auth": {"secure_cookies": "maybe"}}, ["auth.secure_cookies", "true or false"]),
        ({"auth": {"secure_cookies": 1}}, ["auth.secure_cookies", "true or false"]),
        ({"proxy": {"allowed_origins": [1, 2]}}, ["proxy.allowed_origins", "list of strings"]),
        ({"masking": {"selectors": {"a": 1}}}, ["masking.selectors", "list of strings"]),
    ],
)
def test_type_errors(data: dict[str, Any], words: list[str]) -> None:
    message = error(data)
    for word in words:
        assert word in message


def test_whole_floats_are_accepted_for_ints() -> None:
    assert load_config({"server": {"port": 8080.0}}).server.port == 8080
    assert load_config({"server": {"port": "8080"}}).server.port == 8080


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"proxy": {"allowed_origins": ["portal.test"]}}, ["proxy.allowed_origins", "portal"]),
        ({"proxy": {"allowed_origins": ["ftp://x"]}}, ["proxy.allowed_origins", "http"]),
        ({"proxy": {"allowed_origins": ["https://*"]}}, ["proxy.allowed_origins", "wildcard"]),
        ({"session": {"pin_ttl_seconds": 0}}, ["session.pin_ttl_seconds", "positive"]),
        ({"session": {"consent_timeout_seconds": -1}}, ["consent_timeout_seconds"]),
        ({"session": {"visitor_grace_seconds": 0}}, ["visitor_grace_seconds"]),
        ({"session": {"agent_grace_seconds": 0}}, ["agent_grace_seconds"]),
        ({"session": {"max_duration_seconds": 0}}, ["max_duration_seconds"]),
        ({"auth": {"link_ttl_seconds": 0}}, ["auth.link_ttl_seconds"]),
        ({"auth": {"link_ttl_seconds": 3601}}, ["auth.link_ttl_seconds"]),
        ({"auth": {"api_keys": ["plain-key"]}}, ["auth.api_keys", "sha256"]),
        ({"auth": {"api_keys": ["sha256:abc"]}}, ["auth.api_keys"]),
        ({"server": {"port": 0}}, ["server.port"]),
        ({"server": {"port": 65536}}, ["server.port"]),
        ({"limits": {"agent_message_bytes": 1023}}, ["message_bytes", "1024"]),
        ({"limits": {"visitor_message_bytes": 100}}, ["message_bytes"]),
        ({"masking": {"selectors": []}}, ["masking.selectors"]),
        ({"proxy": {"other_origins": "allow"}}, ["proxy.other_origins", "'fetch' or 'refuse'"]),
        ({"proxy": {"max_other_origins": 0}}, ["proxy.max_other_origins", "positive"]),
    ],
)
def test_validation(data: dict[str, Any], words: list[str]) -> None:
    message = error(data)
    assert message.startswith("config file: ")
    for word in words:
        assert word in message


def test_relations_are_checked_on_the_merged_layers() -> None:
    message = error({"limits": {"replay_buffer_bytes": 1024}})
    assert "replay_buffer_bytes" in message and "visitor_message_bytes" in message
    message = error({"limits": {"join_free_failures": 11}})
    assert "join_free_failures" in message


def test_other_origins_are_fetched_by_default_and_may_be_refused() -> None:
    default = load_config()
    assert (default.proxy.other_origins, default.proxy.max_other_origins) == ("fetch", 100)
    env = {"COBROWSE_PROXY_OTHER_ORIGINS": "refuse", "COBROWSE_PROXY_MAX_OTHER_ORIGINS": "7"}
    c = load_config(None, env)
    assert (c.proxy.other_origins, c.proxy.max_other_origins) == ("refuse", 7)
    message = error(None, {"COBROWSE_PROXY_OTHER_ORIGINS": "Refuse"})
    assert message == "environment: proxy.other_origins must be 'fetch' or 'refuse', not 'Refuse'"


def test_the_hello_deadline_is_five_seconds_by_default_and_checked() -> None:
    assert load_config().limits.hello_timeout_seconds == 5.0
    c = load_config(None, {"COBROWSE_LIMITS_HELLO_TIMEOUT_SECONDS": "0.5"})
    assert c.limits.hello_timeout_seconds == 0.5
    assert error({"limits": {"hello_timeout_seconds": 0}}) == (
        "config file: limits.hello_timeout_seconds must be more than 0 and at most 60 "
        "(seconds a new WebSocket has to send its hello), not 0"
    )
    assert "at most 60" in error({"limits": {"hello_timeout_seconds": 61}})
    message = error(None, {"COBROWSE_LIMITS_HELLO_TIMEOUT_SECONDS": "soon"})
    assert message == "environment: limits.hello_timeout_seconds must be a number, not 'soon'"


def test_invalid_origin_from_env() -> None:
    message = error(None, {"COBROWSE_PROXY_ALLOWED_ORIGINS": "https://ok.test,nope"})
    assert message.startswith("environment: proxy.allowed_origins")
    assert "'nope'" in message


def test_boundary_values_are_valid() -> None:
    c = load_config(
        {
            "auth": {"link_ttl_seconds": 3600},
            "server": {"port": 65535},
            "limits": {"agent_message_bytes": 1024},
        }
    )
    assert c.auth.link_ttl_seconds == 3600.0 and c.server.port == 65535


@pytest.mark.parametrize(
    ("data", "env"),
    [
        (None, {"COBROWSE_SESSION_PIN_TTL_SECONDS": "nan"}),
        ({"session": {"max_duration_seconds": math.nan}}, None),
    ],
    ids=["env", "toml"],
)
def test_nan_timeouts_are_rejected(data: Any, env: dict[str, str] | None) -> None:
    error(data, env)


def test_validation_applies_to_the_merged_config() -> None:
    data = {"limits": {"visitor_message_bytes": 32 * 1024 * 1024}}
    env = {"COBROWSE_LIMITS_REPLAY_BUFFER_BYTES": str(64 * 1024 * 1024)}
    c = load_config(data, env)
    assert c.limits.replay_buffer_bytes == 64 * 1024 * 1024


# --- with_changes -----------------------------------------------------------------


def test_with_changes() -> None:
    base = load_config(toml(SAMPLE))
    changed = base.with_changes(server={"port": 9100}, session={"pin_ttl_seconds": 60})
    assert changed.server.port == 9100
    assert changed.server.host == "0.0.0.0"  # rest of the section kept
    assert changed.session.pin_ttl_seconds == 60.0
    assert changed.auth == base.auth
    assert base.server.port == 8443  # the original is untouched


def test_with_changes_validates() -> None:
    with pytest.raises(ConfigError, match=r"^server\.port"):
        load_config().with_changes(server={"port": 0})
    with pytest.raises(ConfigError, match=r"unknown section \[nope\]"):
        load_config().with_changes(nope={"x": 1})
    with pytest.raises(ConfigError, match=r"server\.nope"):
        load_config().with_changes(server={"nope": 1})
    with pytest.raises(ConfigError, match=r"proxy\.allowed_origins"):
        load_config().with_changes(proxy={"allowed_origins": ["bad"]})


def test_with_changes_coerces() -> None:
    c = load_config().with_changes(proxy={"allowed_origins": "https://a.test, https://b.test"})
    assert c.proxy.allowed_origins == ("https://a.test", "https://b.test")


MASKING_TOML = """
[masking]
patterns = ["pan", "aadhaar"]
private_by_default = false

[[masking.custom_patterns]]
name = "employee_id"
regex = 'EMP-\\d{6}'

[[masking.sites]]
origin = "https://portal.example.in"
urls = ["/itr/*"]
selectors = [".salary"]
private_by_default = true
allow = ["h1"]
patterns = ["employee_id"]
"""


def test_masking_rules_from_toml() -> None:
    c = load_config(toml(MASKING_TOML))
    rules = c.masking_rules.browser_rules("https://portal.example.in")
    assert [p["name"] for p in rules["patterns"]] == ["pan", "aadhaar", "employee_id"]
    assert rules["scopes"][1]["private"] is True
    assert c.masking_rules.browser_rules("https://other.in")["scopes"][1:] == []


def test_masking_sites_from_env_json() -> None:
    env = {"COBROWSE_MASKING_SITES": '[{"origin": "https://a.in", "selectors": [".x"]}]'}
    c = load_config(None, env)
    assert ".x" in c.masking_rules.browser_rules("https://a.in")["selectors"]
    assert "JSON array" in error(None, {"COBROWSE_MASKING_SITES": "[{"})
    assert "list of tables" in error(None, {"COBROWSE_MASKING_SITES": '["x"]'})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"masking": {"selectors": ["div >> p"]}}, ["masking.selectors", "div >> p"]),
        ({"masking": {"patterns": ["passport"]}}, ["masking.patterns", "passport"]),
        (
            {"masking": {"custom_patterns": [{"name": "x", "regex": "a+"}]}},
            ["masking.custom_patterns[0]", "unbounded"],
        ),
        ({"masking": {"sites": [{"origin": "nope"}]}}, ["masking.sites[0].origin"]),
        ({"masking": {"sites": "x"}}, ["masking.sites", "JSON array"]),
        ({"masking": {"sites": [1]}}, ["masking.sites", "list of tables"]),
    ],
)
def test_masking_errors_name_the_entry(data: dict[str, Any], words: list[str]) -> None:
    message = error(data)
    assert message.startswith("config file: ")
    for word in words:
        assert word in message


def test_audit_defaults_to_sqlite_in_the_data_dir() -> None:
    c = load_config({"server": {"data_dir": "/var/lib/cobrowse"}}, {})
    assert c.audit.url == "" and c.audit.retention_days == 365.0
    assert c.audit_url == "sqlite:////var/lib/cobrowse/audit.db"
    assert load_config({}, {}).audit_url == "sqlite:///./cobrowse-data/audit.db"


def test_audit_settings_from_toml_and_env() -> None:
    c = load_config(
        {"audit": {"url": "postgresql://cobrowse@db/audit", "retention_days": 90}},
        {"COBROWSE_AUDIT_RETENTION_DAYS": "30"},
    )
    assert c.audit_url == "postgresql://cobrowse@db/audit" and c.audit.retention_days == 30.0
    assert load_config({}, {"COBROWSE_AUDIT_RETENTION_DAYS": "0"}).audit.retention_days == 0


@pytest.mark.parametrize(
    ("audit", "words"),
    [
        ({"url": "mysql://db/audit"}, ["audit.url", "mysql"]),
        ({"url": "audit.db"}, ["audit.url"]),
        ({"retention_days": -1}, ["audit.retention_days", "negative"]),
        ({"retention_days": "forever"}, ["audit.retention_days", "number"]),
        ({"keep": 1}, ["unknown setting audit.keep"]),
    ],
)
def test_audit_validation(audit: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"audit": audit}, {})
    for word in words:
        assert word in str(info.value)


# --- monitoring -------------------------------------------------------------------


def test_monitoring_defaults_are_text_logs_and_loopback_metrics() -> None:
    server = load_config().server
    assert server.log_format == "text"
    assert server.metrics_allow == ("127.0.0.0/8", "::1/128")
    assert server.metrics_token == ""


def test_monitoring_settings_from_toml_and_env() -> None:
    c = load_config(
        toml('[server]\nlog_format = "json"\nmetrics_allow = ["10.0.0.0/8"]\n'),
        {
            "COBROWSE_SERVER_METRICS_ALLOW": "10.1.0.0/16, fd00::/8",
            "COBROWSE_SERVER_METRICS_TOKEN": "t" * 32,
        },
    )
    assert c.server.log_format == "json"
    assert c.server.metrics_allow == ("10.1.0.0/16", "fd00::/8")
    assert c.server.metrics_token == "t" * 32
    assert load_config({}, {"COBROWSE_SERVER_LOG_FORMAT": "json"}).server.log_format == "json"
    assert load_config({}, {"COBROWSE_SERVER_METRICS_ALLOW": ""}).server.metrics_allow == ()


@pytest.mark.parametrize(
    ("server", "words"),
    [
        ({"log_format": "xml"}, ["server.log_format", "'text' or 'json'"]),
        ({"metrics_allow": ["everyone"]}, ["server.metrics_allow", "'everyone'", "IP network"]),
        ({"metrics_allow": ["10.0.0.0/33"]}, ["server.metrics_allow"]),
        ({"metrics_token": "short"}, ["server.metrics_token", "16"]),
    ],
)
def test_monitoring_validation(server: dict[str, Any], words: list[str]) -> None:
    message = error({"server": server})
    for word in words:
        assert word in message
    assert "server.log_format" in error(None, {"COBROWSE_SERVER_LOG_FORMAT": "yaml"})


WEBHOOKS_TOML = """
[webhooks]
max_attempts = 5
backoff_seconds = 2

[[webhooks.endpoints]]
name = "crm"
url = "https://crm.example/hooks/cobrowse"
secret_file = "/etc/cobrowse/crm-webhook-secret"
events = ["session.created", "session.ended"]
timeout_seconds = 5

[[webhooks.endpoints]]
url = "http://127.0.0.1:9000/hook"
secret_env = "LOCAL_HOOK_SECRET"
"""


def test_webhooks_from_toml() -> None:
    c = load_config(toml(WEBHOOKS_TOML))
    crm, local = c.webhooks.parsed_endpoints()
    assert c.webhooks.max_attempts == 5 and c.webhooks.backoff_seconds == 2.0
    assert crm.name == "crm" and crm.timeout == 5.0
    assert crm.events == {"session.created", "session.ended"}
    assert crm.secret_file == "/etc/cobrowse/crm-webhook-secret"
    assert local.name == "127.0.0.1:9000/hook" and local.secret_env == "LOCAL_HOOK_SECRET"


def test_webhooks_from_env_json() -> None:
    env = {
        "COBROWSE_WEBHOOKS_ENDPOINTS": '[{"url": "https://crm.example/h", "secret_env": "S"}]',
        "COBROWSE_WEBHOOKS_MAX_ATTEMPTS": "3",
    }
    c = load_config(None, env)
    assert [e.url for e in c.webhooks.parsed_endpoints()] == ["https://crm.example/h"]
    assert c.webhooks.max_attempts == 3


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"webhooks": {"endpoints": [{"url": "http://crm.example/h", "secret_env": "S"}]}},
            ["webhooks.endpoints[0].url", "https://"],
        ),
        (
            {"webhooks": {"endpoints": [{"url": "https://crm.example/h"}]}},
            ["webhooks.endpoints[0]", "secret_env", "secret_file"],
        ),
        ({"webhooks": {"max_attempts": 0}}, ["webhooks.max_attempts", "1..100"]),
        ({"webhooks": {"backoff_seconds": 0}}, ["webhooks.backoff_seconds"]),
        (
            {"webhooks": {"backoff_seconds": 10, "max_backoff_seconds": 5}},
            ["webhooks.backoff_seconds", "max_backoff_seconds"],
        ),
        ({"webhooks": {"queue_size": 0}}, ["webhooks.queue_size", "positive"]),
        ({"webhooks": {"endpoints": "x"}}, ["webhooks.endpoints", "JSON array"]),
    ],
)
def test_webhooks_errors_name_the_setting(data: dict[str, Any], words: list[str]) -> None:
    message = error(data)
    for word in words:
        assert word in message
