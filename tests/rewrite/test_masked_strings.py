"""The server's copy of the browser's string masking agrees with the golden file the
browser's tests load too (tests/rewrite/masked_strings.py)."""

from __future__ import annotations

from tests.rewrite.masked_strings import FIXTURE, dump


def test_the_golden_file_is_what_python_emits() -> None:
    assert FIXTURE.read_text(encoding="utf-8") == dump(), (
        "tests/fixtures/masking/strings.json is stale: run "
        ".venv/bin/python -m tests.rewrite.masked_strings"
    )


def test_the_cases_mask_something_and_keep_some() -> None:
    import json

    cases = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
    changed = [c for c in cases if c["masked"] != c["text"]]
    assert 6 <= len(changed) < len(cases)
    # The same length as JavaScript counts it (UTF-16 code units).
    assert all(
        len(c["masked"].encode("utf-16-le")) == len(c["text"].encode("utf-16-le")) for c in cases
    )
