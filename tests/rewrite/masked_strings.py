"""The golden cases of `core/masking_urls.mask_string`, the server's copy of what the
browser's masker (web/src/masking/masker.ts, `string`) makes of a string: the asset route
finds a URL a script made by the exact masked form the browser sent, so the two must
agree. web/test/masked-strings.test.ts checks the browser against the same file.
Regenerate with `.venv/bin/python -m tests.rewrite.masked_strings`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cobrowse.core.masking import compile_rules
from cobrowse.core.masking_urls import mask_string
from tests.core.masking_fixture import SAMPLE_CONFIG

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "masking" / "strings.json"
ORIGIN = "https://portal.example.in"  # the site of the sample rules (all patterns)
PROXY = "http://pab12cd34ef.cobrowse.localhost:8000"

TEXTS = [
    f"{PROXY}/static/fonts/inter.d218fc17103b13082952.woff2",
    f"{PROXY}/static/fonts/inter.3c2f9a1b.woff2",
    f"{PROXY}/img/avatar.png?pan=ABCDE1234F&size=48",
    f"{PROXY}/img/x.png?pan=%41BCDE1234F",
    f"{PROXY}/img/x.png?card=4111+1111+1111+1111&v=2",
    f"{PROXY}/img/x.png?aadhaar=2345%206789%200124",
    f"{PROXY}/mail?to=a.b%40mail.example.in",
    f"{PROXY}/returns/ABCDE1234F/chart.svg#part",
    f'url("{PROXY}/a.png?acct=123456789012") url({PROXY}/b.png?x=%2B91%2098765%2043210)',
    f"{PROXY}/emp/EMP-123456.png and %zz not decodable %E0%A4",
    "data:image/png;base64,QUJDREUxMjM0Rg== then ABCDE1234F",
    f"{PROXY}/x?p=ABCDE1234F%E0&q=%41BCDE1234F%&r=%F0%9F%98%80%41BCDE1234F",
    f"{PROXY}/x?e=😀%41BCDE1234F&d=data:image/png;base64,QUJD+REUxMjM0Rg==",
    "+++ %% + % plain",
    "",
]


def build() -> dict[str, Any]:
    rules = compile_rules(**SAMPLE_CONFIG)
    patterns = rules.patterns_for([ORIGIN])
    cases = [{"text": t, "masked": mask_string(t, patterns)} for t in TEXTS]
    return {"origin": ORIGIN, "path": "/itr/2024", "cases": cases}


def dump() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    FIXTURE.write_text(dump(), encoding="utf-8")
