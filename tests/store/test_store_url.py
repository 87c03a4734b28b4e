"""`store.url`: parsing, the factory, and the [store] section of the configuration."""

from __future__ import annotations

import re

import pytest

from cobrowse.config import ConfigError, load_config
from cobrowse.store.async_memory import AsyncMemorySessionStore
from cobrowse.store.factory import store_from_url
from cobrowse.store.redis_store import RedisSessionStore
from cobrowse.store.url import DEFAULT_PREFIX, StoreUrl, StoreUrlError, parse_store_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("memory://", StoreUrl(kind="memory")),
        ("memory:///", StoreUrl(kind="memory")),
        ("redis://10.0.0.5:6379/0", StoreUrl(kind="redis", redis_url="redis://10.0.0.5:6379/0")),
        ("redis://localhost", StoreUrl(kind="redis", redis_url="redis://localhost")),
        (
            "rediss://:s3cret@redis.internal:6380/2",
            StoreUrl(kind="redis", redis_url="rediss://:s3cret@redis.internal:6380/2"),
        ),
        (
            "redis://[::1]:6379/1?prefix=cobrowse-b:&socket_keepalive=true",
            StoreUrl(
                kind="redis",
                redis_url="redis://[::1]:6379/1?socket_keepalive=true",
                prefix="cobrowse-b:",
            ),
        ),
        (
            "redis://h:1/0?prefix={cobrowse}:",
            StoreUrl(kind="redis", redis_url="redis://h:1/0", prefix="{cobrowse}:"),
        ),
    ],
)
def test_parse(url: str, expected: StoreUrl) -> None:
    assert parse_store_url(url) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "must be memory:// or redis://"),
        ("memory", "must be memory:// or redis://"),
        ("postgresql://db/x", "not postgresql://"),
        ("memcached://h:11211", "not memcached://"),
        ("memory://elsewhere", "takes nothing after"),
        ("redis://", "needs a host"),
        ("redis://:pw@:6379/0", "needs a host"),
        ("redis://h:port/0", "port must be a number"),
        ("redis://h:0/0", "1-65535"),
        ("redis://h:6379/zero", "DB must be a number"),
        ("redis://h:6379/0?prefix=", "prefix= must be"),
        ("redis://h:6379/0?prefix=a%20b", "prefix= must be"),
    ],
)
def test_bad_urls(url: str, words: str) -> None:
    with pytest.raises(StoreUrlError, match=re.escape(words)):
        parse_store_url(url)


def test_messages_never_repeat_a_password() -> None:
    for url in ("redis://:hunter2hunter2@h:x/0", "redis://:hunter2hunter2@h:1/db"):
        with pytest.raises(StoreUrlError) as info:
            parse_store_url(url)
        assert "hunter2" not in str(info.value)


async def test_factory() -> None:
    memory = store_from_url("memory://", max_sessions=5)
    assert isinstance(memory, AsyncMemorySessionStore)
    redis = store_from_url("redis://127.0.0.1:1/3?prefix=x:", max_sessions=5)
    assert isinstance(redis, RedisSessionStore)
    assert redis.prefix == "x:" and redis.max_sessions == 5
    assert redis.redis.connection_pool.connection_kwargs["db"] == 3
    assert await redis.ping() is False  # nothing listens on port 1; nothing raised
    await redis.close()
    other = store_from_url("redis://127.0.0.1:1/0", max_sessions=5, prefix="y:")
    assert isinstance(other, RedisSessionStore) and other.prefix == "y:"
    await other.close()
    default = store_from_url("redis://127.0.0.1:1", max_sessions=5)
    assert isinstance(default, RedisSessionStore) and default.prefix == DEFAULT_PREFIX
    await default.close()
    with pytest.raises(StoreUrlError, match="not sqlite://"):
        store_from_url("sqlite:///x.db", max_sessions=5)


def test_config_default_toml_and_environment() -> None:
    assert load_config({}, {}).store.url == "memory://"
    toml = {"store": {"url": "redis://10.0.0.5:6379/0"}}
    assert load_config(toml, {}).store.url == "redis://10.0.0.5:6379/0"
    env = {"COBROWSE_STORE_URL": "rediss://r.internal:6380/1"}
    assert load_config(toml, env).store.url == "rediss://r.internal:6380/1"


@pytest.mark.parametrize(
    ("store", "words"),
    [
        ({"url": "mysql://db"}, "store.url must be memory:// or redis://"),
        ({"url": "redis://h:6379/x"}, "store.url redis://HOST:PORT/DB: DB must be a number"),
        ({"url": 6379}, "store.url must be a string"),
        ({"prefix": "x:"}, "unknown setting store.prefix"),
    ],
)
def test_config_validation(store: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_config({"store": store}, {})


def test_config_errors_name_the_environment() -> None:
    with pytest.raises(ConfigError, match=re.escape("environment: store.url")):
        load_config({}, {"COBROWSE_STORE_URL": "redis:/h"})
