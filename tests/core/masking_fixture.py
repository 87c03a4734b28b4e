"""The golden masking fixture shared with the TypeScript tests (web/test/masking.test.ts):
the rule set Python emits for a sample configuration, and texts with their masked form.
Regenerate with `.venv/bin/python -m tests.core.masking_fixture` after changing a pattern."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cobrowse.core.masking import BUILTIN_PATTERNS, compile_rules, mask_text

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "masking"

SAMPLE_CONFIG: dict[str, Any] = {
    "selectors": ["input[type=password]", "[data-cobrowse-mask]", ".secret"],
    "patterns": list(BUILTIN_PATTERNS),
    "custom_patterns": [{"name": "employee_id", "regex": r"EMP-\d{6}", "boundary": "alnum"}],
    "sites": [
        {
            "origin": "https://portal.example.in",
            "urls": ["/itr/*", "/profile/**"],
            "selectors": [".salary"],
            "private_by_default": True,
            "allow": ["h1", "label", "nav"],
            "patterns": ["employee_id"],
        }
    ],
}

TEXTS = [
    "My PAN is ABCDE1234F.",
    "pan abcde1234f typed in lower case",
    "xABCDE1234Fy inside a word",
    "Aadhaar 2345 6789 0124 and 234567890124",
    "Not an Aadhaar (bad checksum): 2345 6789 0123",
    "Card 4111 1111 1111 1111, 4111-1111-1111-1111 or 4111111111111111",
    "Amex 3782 822463 10005; not a card: 4111 1111 1111 1112",
    "IBAN GB82 WEST 1234 5698 7654 32 and DE89370400440532013000.",
    "Not an IBAN: GB00 WEST 1234 5698 7654 32",
    "Account 123456789012 at the bank; short number 12345678 stays",
    "Call +91 98765 43210, 09876543210 or +44 20 7946 0958",
    "Write to a.b-c@mail.example.co.in or x@y.io.",
    "Year 2024, price ₹1,20,000, pin 560001, OTP 123456",
    "Employee EMP-123456 and xEMP-123456",
    "",
    "no secrets here at all",
    "1234 2345 6789 0124",
    "ünïcödé ABCDE1234F 😀 2345 6789 0124",
    "Aadhaar 4991 1866 5246 (its check digit needs every row of the Verhoeff table)",
]


# Custom-pattern sources in the regex subset, each with texts: the browser must find the
# same spans as Python for the canonical source Python emits.
REGEX_CASES = [
    (r"EMP-\d{6}", ["EMP-123456 EMP-12345 xEMP-654321", "EMP-1234567"]),
    (r"(ab|cd){2,3}x?", ["ababx cdab abcdcdx abx", ""]),
    (r"[^a-z ]{3,5}", ["abc DEF 12345678 !@#$%^", "ñññ ü 😀😀"]),
    (r"\w{2}\s\d{1,3}", ["ab 1 cd\t22 x_ 333 y 4444", "é 12"]),
    (r"a.c", ["abc a\nc a c a-c"]),
    (r"[\-.+]{2}[0-9]", ["--1 .+2 ++ 3 -.4"]),
    (r"(?:x|y)(?:1|22)?z", ["xz y22z x1z y2z"]),
    (r"[A-Z]{2}[0-9]{2}(?: [A-Z0-9]{4}){2,3}", ["GB82 WEST 1234 5698 X", "DE89 3704 0044"]),
]


def regex_cases() -> list[dict[str, Any]]:
    import re

    from cobrowse.core.masking_regex import parse

    out = []
    for text, samples in REGEX_CASES:
        source = parse(text).source
        found = [[m[0] for m in re.finditer(source, t, re.ASCII)] for t in samples]
        out.append({"pattern": text, "source": source, "texts": samples, "matches": found})
    return out


def build() -> dict[str, Any]:
    rules = compile_rules(**SAMPLE_CONFIG)
    browser = {
        "global": rules.browser_rules(None),
        "site": rules.browser_rules("https://portal.example.in"),
    }
    patterns = [rules.pattern(n) for n in (*BUILTIN_PATTERNS, "employee_id")]
    cases = [{"text": t, "masked": mask_text(t, patterns)} for t in TEXTS]
    return {"config": SAMPLE_CONFIG, "rules": browser, "cases": cases, "regex": regex_cases()}


def dump() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (FIXTURE / "golden.json").write_text(dump(), encoding="utf-8")
