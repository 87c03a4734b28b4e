"""The README's configuration example is valid, and documents every auth setting."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from cobrowse.config import AuthConfig, load_config

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_toml() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if "[server]" in b]
    return block


def test_the_readme_configuration_loads() -> None:
    config = load_config(tomllib.loads(readme_toml()), {})
    assert config.auth.secure_cookies is True


def test_every_auth_setting_is_in_the_readme() -> None:
    text = readme_toml()
    for f in dataclasses.fields(AuthConfig):
        assert re.search(rf"^{f.name} = ", text, flags=re.M), f"auth.{f.name} is not documented"
