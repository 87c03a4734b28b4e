"""The layering, enforced: the pure core and the rewriters do no I/O, and only the
I/O shell (server/, the stores, the demo apps and the command-line entry points)
imports asyncio."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cobrowse"
PURE = ("core", "rewrite")
IO_MODULES = frozenset(
    {
        "asyncio",
        "socket",
        "selectors",
        "subprocess",
        "threading",
        "starlette",
        "fastapi",
        "uvicorn",
        "aiohttp",
        "httpx",
        "websockets",
        "redis",
        "sqlalchemy",
        "asyncpg",
        "aiosqlite",
        "prometheus_client",
    }
)
SHELL = ("server", "store", "demo")
ENTRY_POINTS = ("cli.py", "audit_cli.py", "webhooks_cli.py")


def imports(path: Path) -> Iterator[str]:
    """Every module a file imports, top level or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("package", PURE)
def test_the_pure_layers_do_no_io_and_know_no_shell(package: str) -> None:
    found = files(package)
    assert found
    bad = [
        f"{path.relative_to(SRC)}: {name}"
        for path in found
        for name in imports(path)
        if name.split(".")[0] in IO_MODULES
        or any(
            name.startswith(f"cobrowse.{shell}")
            for shell in (*SHELL, "cli", "audit_cli", "webhooks_cli")
        )
    ]
    assert bad == []


def test_only_the_shell_imports_asyncio() -> None:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        part = path.relative_to(SRC).parts
        if part[0] in SHELL or (len(part) == 1 and part[0] in ENTRY_POINTS):
            continue
        if any(name.split(".")[0] == "asyncio" for name in imports(path)):
            bad.append(str(path.relative_to(SRC)))
    assert bad == []


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import os\ndef f():\n    import asyncio\nfrom redis.asyncio import Redis\n")
    assert sorted(imports(sample)) == ["asyncio", "os", "redis.asyncio"]
