"""docs/threat-model.md names the tests that prove each mitigation: every one named
must exist (unless marked "to be confirmed", for work merged later)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "threat-model.md"
# `tests/x/test_y.py::name` or, continuing a list, `::name` (same file as the last one).
REF = re.compile(r"`(tests/[\w/]+\.py)?(?:::(test_\w+))?`")


def _references() -> list[tuple[str, str | None]]:
    refs: list[tuple[str, str | None]] = []
    for paragraph in DOC.read_text().split("\n\n"):
        current = None
        for match in REF.finditer(paragraph):
            path, name = match.group(1), match.group(2)
            if path is None and name is None:
                continue
            current = path or current
            if "to be confirmed" in paragraph[match.end() : match.end() + 30]:
                continue
            assert current is not None, f"`::{name}` without a file before it"
            refs.append((current, name))
    return refs


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_every_test_the_threat_model_names_exists() -> None:
    refs = _references()
    assert len(refs) > 50
    missing = []
    for path, name in refs:
        file = ROOT / path
        if not file.is_file():
            missing.append(path)
        elif name is not None and name not in _tests_in(file):
            missing.append(f"{path}::{name}")
    assert not missing, missing


def test_every_threat_has_a_mitigation_and_a_test() -> None:
    sections = re.split(r"\n### ", DOC.read_text())[1:]
    assert len(sections) >= 10
    for section in sections:
        title = section.splitlines()[0]
        assert "tests/" in section, f"{title}: no test named"
