"""What the README says is masked by default is what the defaults mask.

The README lists the kinds of value masked "wherever they appear"; docs/masking.md and
the README's reference configuration name the default patterns. Each is read here and
held to the effective default configuration (the rules a session created by a server
without any `[masking]` settings hands to the browser), and a sample of each kind is
masked with those rules.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from cobrowse.config import Config, load_config
from cobrowse.core.masking import BUILTIN_PATTERNS, find_spans, mask_text
from cobrowse.server.app import create_app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MASKING_DOC = ROOT / "docs" / "masking.md"
SITE = "http://portal.test:8001"

# How the README's sentence names each built-in pattern.
README_WORDS = {
    "a PAN": "pan",
    "an Aadhaar number": "aadhaar",
    "a card number": "card",
    "an IBAN": "iban",
    "a bank account number": "bank_account",
    "a phone number": "phone",
    "an e-mail address": "email",
}

# A sample of each kind, as a visitor's page would show it.
SAMPLES = {
    "pan": "ABCPE1234F",
    "aadhaar": "4991 1866 5246",
    "card": "4111 1111 1111 1111",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "bank_account": "50100123456789",
    "phone": "+91 98765 43210",
    "email": "meera.iyer@example.in",
}


def _flat(path: Path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split())


def readme_claim() -> list[str]:
    """The pattern names of the README's "masks values that look like ... wherever they
    appear"; a phrase that names no built-in pattern fails."""
    found = re.search(r"it masks values that look like (.*?) wherever they appear", _flat(README))
    assert found, "the README no longer says which values are masked by default"
    names = []
    for item in re.split(r",\s*|\s+or\s+", found[1]):
        phrase = re.sub(r"\s*\([^)]*\)", "", item).strip()
        assert phrase in README_WORDS, f"the README names {phrase!r}, no built-in pattern"
        names.append(README_WORDS[phrase])
    return names


def masking_doc_claim() -> list[str]:
    """docs/masking.md's "On by default: `pan`, ... and `email`"."""
    found = re.search(r"On by default: ((?:`\w+`(?:,| and)? ?)+)", _flat(MASKING_DOC))
    assert found, "docs/masking.md no longer says which patterns are on by default"
    return re.findall(r"`(\w+)`", found[1])


def readme_config_default() -> list[str]:
    """The README's reference `[masking] patterns = [...]  # default...` line."""
    found = re.search(r"^patterns = \[(.*?)\]\s+# default", README.read_text(), flags=re.M)
    assert found, "the README's configuration no longer shows the default patterns"
    return re.findall(r'"(\w+)"', found[1])


def served_patterns(tmp_path: Path) -> list[str]:
    """The value patterns a session of a server with no `[masking]` settings gets."""
    config = load_config(
        {"server": {"data_dir": str(tmp_path)}, "proxy": {"allowed_origins": [SITE]}}, {}
    )
    with TestClient(create_app(config)) as client:
        r = client.post("/api/v1/sessions", json={}, headers={"Origin": SITE})
        assert r.status_code == 201, r.text
        return [p["name"] for p in r.json()["masking"]["patterns"]]


def test_the_readme_and_the_docs_name_the_default_patterns(tmp_path: Path) -> None:
    defaults = list(Config().masking.patterns)
    assert sorted(readme_claim()) == sorted(defaults)
    assert sorted(masking_doc_claim()) == sorted(defaults)
    assert sorted(readme_config_default()) == sorted(defaults)
    assert sorted(served_patterns(tmp_path)) == sorted(defaults)


def test_the_readme_names_every_built_in_pattern() -> None:
    """The README's sentence, read in order; a phrase it adds that is no pattern fails."""
    assert readme_claim() == list(README_WORDS.values())
    assert set(README_WORDS.values()) == set(BUILTIN_PATTERNS)


def test_the_defaults_mask_a_sample_of_every_kind_the_readme_names() -> None:
    patterns = load_config(None, {}).masking_rules.patterns_for([])
    for name in readme_claim():
        sample = SAMPLES[name]
        # the sample is one of its kind: its own pattern matches all of it
        assert find_spans(sample, [BUILTIN_PATTERNS[name]]) == [(0, len(sample))], name
        text = f"Please keep {sample} for later."
        hidden = "".join("*" if c.isalnum() else c for c in sample)
        assert mask_text(text, patterns) == f"Please keep {hidden} for later.", name
