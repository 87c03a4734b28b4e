"""The README's configuration example is valid, and documents every auth setting."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from cobrowse.config import AuthConfig, load_config

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_configs() -> list[str]:
    """The README's TOML examples of a whole configuration (the reference, then the
    deployment's)."""
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
    return [b for b in blocks if "[server]" in b]


def readme_toml() -> str:
    return readme_configs()[0]


def test_the_readme_configurations_load() -> None:
    configs = readme_configs()
    assert len(configs) == 2
    for block in configs:
        config = load_config(tomllib.loads(block), {})
        assert config.auth.secure_cookies is True
    deployed = load_config(tomllib.loads(configs[1]), {})
    assert deployed.store.url.startswith("redis://")
    assert deployed.audit.url.startswith("postgresql://")


def test_every_auth_setting_is_in_the_readme() -> None:
    text = readme_toml()
    for f in dataclasses.fields(AuthConfig):
        assert re.search(rf"^{f.name} = ", text, flags=re.M), f"auth.{f.name} is not documented"
