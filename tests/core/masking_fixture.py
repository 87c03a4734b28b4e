"""The golden masking fixture shared with the TypeScript tests (web/test/masking.test.ts):
the rule set Python emits for a sample configuration, and texts with their masked form.
Regenerate with `.venv/bin/python -m tests.core.masking_fixture` after changing a pattern."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cobrowse.core.masking import BUILTIN_PATTERNS, compile_rules, mask_pieces, mask_text

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


def script(text: str, zero: int) -> str:
    """`text` with its ASCII digits written in the digits of the script whose zero is `zero`."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


DEVANAGARI, BENGALI, ARABIC_INDIC, FULLWIDTH, MATH_BOLD = 0x966, 0x9E6, 0x660, 0xFF10, 0x1D7CE
NBSP, NNBSP, FIGURE_SPACE, IDEOGRAPHIC_SPACE = "\u00a0", "\u202f", "\u2007", "\u3000"
SHY, ZWSP, ZWJ, ZWNJ, WJ, BOM = "\u00ad", "\u200b", "\u200d", "\u200c", "\u2060", "\ufeff"

# Values written the way real pages write them: the patterns match a normalised view
# (core/masking_fold.py), and exactly the original characters of a match are masked.
NORMALISED_TEXTS = [
    f"Aadhaar 3456{NBSP}7890{NBSP}1238 (no-break spaces)",
    f"Aadhaar 4567{NNBSP}8901{NNBSP}2341 and 5678{FIGURE_SPACE}9012{IDEOGRAPHIC_SPACE}3458",
    f"Card 4532{NBSP}0151{NBSP}1283{NBSP}0366, phone +91{NBSP}98765{NNBSP}43210",
    "आधार: " + script("3456 7890 1238", DEVANAGARI) + " (हिंदी)",
    "আধার " + script("4567 8901 2341", BENGALI) + " and " + script("9876 5432 1096", ARABIC_INDIC),
    "Full width "
    + script("6011 0000 9013 9423", FULLWIDTH)
    + " and \uff21\uff22\uff23\uff30\uff25"
    + script("1234", FULLWIDTH)
    + "\uff26",
    "Mixed " + script("3456", DEVANAGARI) + " 7890 " + script("1238", BENGALI) + " digits",
    "Bold " + script("5678 9012 3458", MATH_BOLD) + " (astral digits)",
    f"PAN ABCPE{SHY}1234F, ABCPE{ZWSP}1234F, AB{ZWJ}CPE12{ZWNJ}34F, ABC{WJ}PE1234{BOM}F",
    f"Invisible outside a match stays: {ZWSP}ABCPE1234F{SHY} and a{SHY}b",
    "Dashes 3456\u20137890\u20141238, 4567\u22128901\u20102341, 5678\u20119012\u20113458",
    "Tab and newline 3456\t7890\n1238",
    "Circled \u2463\u2464\u2462\u2461 0151 1283 0366",
    f"IBAN GB82{NBSP}WEST{NBSP}1234{NBSP}5698{NBSP}7654{NBSP}32",
    "Mail \uff41.\uff42\uff20example.in",
    "Not masked: "
    + script("3456 7890 1239", DEVANAGARI)
    + " (checksum) and "
    + script("2024", DEVANAGARI)
    + ", "
    + script("560001", BENGALI),
    "Not masked: ABCPE 1234F (a space is not in a PAN) and ABCPE\u20131234F",
]

# Adjacent pieces of one text (text nodes of one block): a match across pieces masks
# exactly its characters in each piece.
PIECES = [
    ["My PAN is ", "ABCPE", "1234F", ". Thanks"],
    ["Card 4532 0151 ", "1283 0366", " done"],
    ["ABCPE" + SHY, "12", "34F"],
    [script("3456 ", DEVANAGARI), script("7890 1238", DEVANAGARI)],
    ["ABCPE", " 1234F"],
    ["3456 7890 1238", "5"],
    ["x", "", "ABCPE1234F"],
    ["only one piece ABCPE1234F"],
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
    cases = [{"text": t, "masked": mask_text(t, patterns)} for t in [*TEXTS, *NORMALISED_TEXTS]]
    pieces = [{"pieces": p, "masked": mask_pieces(p, patterns)} for p in PIECES]
    return {
        "config": SAMPLE_CONFIG,
        "rules": browser,
        "cases": cases,
        "pieces": pieces,
        "regex": regex_cases(),
    }


def dump() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (FIXTURE / "golden.json").write_text(dump(), encoding="utf-8")
