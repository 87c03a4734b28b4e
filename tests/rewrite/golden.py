"""Named golden files: `<case>.in.<ext>` is rewritten and compared with `<case>.out.<ext>`.

Set UPDATE_GOLDEN=1 to write the outputs instead (then read the diff before keeping it).
Files are read and written as bytes decoded as UTF-8, so line endings, a BOM and every
other byte are compared exactly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rewrite"


def cases(kind: str, ext: str) -> list[str]:
    return sorted(p.name.removesuffix(f".in.{ext}") for p in (FIXTURES / kind).glob(f"*.in.{ext}"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def check(kind: str, ext: str, case: str, rewrite: Callable[[str], str]) -> None:
    folder = FIXTURES / kind
    actual = rewrite(read(folder / f"{case}.in.{ext}"))
    expected_path = folder / f"{case}.out.{ext}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_bytes(actual.encode("utf-8"))
        return
    assert expected_path.exists(), f"{expected_path} is missing; run with UPDATE_GOLDEN=1"
    assert actual == read(expected_path)


def orphans(kind: str, ext: str) -> list[str]:
    """Output files without an input (a renamed or deleted case)."""
    folder = FIXTURES / kind
    return sorted(
        p.name
        for p in folder.glob(f"*.out.{ext}")
        if not (folder / p.name.replace(f".out.{ext}", f".in.{ext}")).exists()
    )
