"""docs/webhooks.md is true: its receiver's recipe verifies what the server signs and
refuses what it must, its configuration loads, its example payload is a real one."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cobrowse.config import load_config
from cobrowse.core import webhook_delivery as wd
from cobrowse.core import webhooks as wh

DOC = (Path(__file__).resolve().parents[1] / "docs" / "webhooks.md").read_text()
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "webhooks"
SECRET = b"0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


@pytest.fixture(scope="module")
def recipe() -> Callable[..., bool]:
    (code,) = _blocks("python")
    scope: dict[str, Any] = {}
    exec(code, scope)  # the documented snippet, as a receiver would paste it
    verify: Callable[..., bool] = scope["verify"]
    return verify


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_the_recipe_verifies_what_the_server_signs(recipe: Callable[..., bool], name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    header = wd.signature_header(SECRET, NOW, body)
    assert recipe(SECRET, header, body, now=NOW + 5)
    assert not recipe(SECRET, header, body + b" ", now=NOW)  # tampered body
    assert not recipe(b"another secret entirely!", header, body, now=NOW)
    assert not recipe(SECRET, header, body, now=NOW + wd.REPLAY_WINDOW + 1)  # replayed later
    forged = header.replace(f"t={NOW}", f"t={NOW + 100}")
    assert not recipe(SECRET, forged, body, now=NOW + 100)
    assert not recipe(SECRET, "v1=" + header.split("v1=")[1], body, now=NOW)
    assert not recipe(SECRET, "", body, now=NOW)


def test_the_documented_configuration_loads() -> None:
    (block,) = _blocks("toml")
    config = load_config(tomllib.loads(block), {})
    (endpoint,) = config.webhooks.parsed_endpoints()
    assert endpoint.name == "crm" and endpoint.timeout == 10.0


def test_the_documented_payload_is_the_golden_one() -> None:
    example = next(b for b in _blocks("json") if '"type": "session.ended"' in b)
    golden = json.loads((FIXTURES / "session.ended.json").read_text())
    assert json.loads(example) == golden


def test_every_event_type_is_documented() -> None:
    for event_type in wh.EVENT_TYPES:
        assert f"| `{event_type}` |" in DOC
