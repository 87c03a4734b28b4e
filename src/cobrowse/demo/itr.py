"""The ITR-1 (Sahaj) return as the demo form knows it: fields, validation, drafts.

Pure: values in, errors or a validated return out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cobrowse.demo.accounts import is_valid_pan, normalize_pan
from cobrowse.demo.tax import parse_amount

MAX_FIELD_LENGTH = 200

# (form field name, visible label); the labels are part of the outside contract.
FIELDS: tuple[tuple[str, str], ...] = (
    ("full_name", "Full name"),
    ("pan", "PAN"),
    ("aadhaar", "Aadhaar"),
    ("bank_account", "Bank account number"),
    ("email", "Email"),
    ("gross_salary", "Gross salary"),
)
FIELD_NAMES = tuple(name for name, _ in FIELDS)
# Fields whose values never appear in page text and are masked in a co-browse.
SENSITIVE_FIELDS = frozenset({"pan", "aadhaar", "bank_account"})

_EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
_NAME_EXTRA = frozenset(" .'-")

# Verhoeff tables (dihedral group D5), as used by UIDAI for the Aadhaar check digit.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)  # fmt: skip
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)  # fmt: skip
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_valid(digits: str) -> bool:
    """True if the last digit is the Verhoeff check digit of the others."""
    if not digits.isascii() or not digits.isdigit():
        return False
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def verhoeff_check_digit(digits: str) -> str:
    """The digit to append to `digits` to make it pass `verhoeff_valid`."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return str(_INV[c])


def digits_only(raw: str) -> str:
    """Drop the spaces and hyphens people type in long numbers."""
    return raw.replace(" ", "").replace("-", "")


def clean_values(form: Mapping[str, str]) -> dict[str, str]:
    """The return's fields from a submitted form, trimmed and bounded; unknown keys dropped."""
    return {name: str(form.get(name, "")).strip()[:MAX_FIELD_LENGTH] for name in FIELD_NAMES}


def field_errors(values: Mapping[str, str]) -> dict[str, str]:
    """Per-field messages for everything wrong; empty when the return can be filed.

    Messages never repeat what was typed (some fields are confidential).
    """
    errors: dict[str, str] = {}
    name = values.get("full_name", "")
    if not name:
        errors["full_name"] = "Enter your full name as on your PAN card."
    elif len(name) < 2 or not all(ch.isalpha() or ch in _NAME_EXTRA for ch in name):
        errors["full_name"] = "Use letters, spaces, full stops, apostrophes and hyphens only."

    pan = normalize_pan(values.get("pan", ""))
    if not pan:
        errors["pan"] = "Enter your PAN."
    elif not is_valid_pan(pan):
        errors["pan"] = "PAN must be 5 letters, 4 digits and a letter, for example ABCPE1234F."

    aadhaar = digits_only(values.get("aadhaar", ""))
    if not aadhaar:
        errors["aadhaar"] = "Enter your 12-digit Aadhaar number."
    elif len(aadhaar) != 12 or not aadhaar.isascii() or not aadhaar.isdigit():
        errors["aadhaar"] = "Aadhaar must be exactly 12 digits."
    elif aadhaar[0] in "01" or not verhoeff_valid(aadhaar):
        errors["aadhaar"] = "This is not a valid Aadhaar number. Check the digits and try again."

    account = digits_only(values.get("bank_account", ""))
    if not account:
        errors["bank_account"] = "Enter the bank account number for your refund."
    elif not account.isascii() or not account.isdigit() or not 9 <= len(account) <= 18:
        errors["bank_account"] = "Bank account number must be 9 to 18 digits."

    email = values.get("email", "")
    if not email:
        errors["email"] = "Enter your email address."
    elif len(email) > 254 or _EMAIL_RE.fullmatch(email) is None:
        errors["email"] = "Enter an email address like name@example.com."

    salary = values.get("gross_salary", "")
    if not salary:
        errors["gross_salary"] = "Enter your gross salary for the year (0 if none)."
    elif parse_amount(salary) is None:
        errors["gross_salary"] = "Gross salary must be a number of rupees, 0 or more."
    return errors


@dataclass(frozen=True, slots=True)
class ItrReturn:
    """A validated return, normalised."""

    full_name: str
    pan: str
    aadhaar: str
    bank_account: str
    email: str
    gross_salary: int


def validate(values: Mapping[str, str]) -> ItrReturn | dict[str, str]:
    """The normalised return, or the per-field errors."""
    errors = field_errors(values)
    if errors:
        return errors
    salary = parse_amount(values["gross_salary"])
    assert salary is not None  # checked by field_errors
    return ItrReturn(
        full_name=" ".join(values["full_name"].split()),
        pan=normalize_pan(values["pan"]),
        aadhaar=digits_only(values["aadhaar"]),
        bank_account=digits_only(values["bank_account"]),
        email=values["email"],
        gross_salary=salary,
    )


def mask_digits(number: str, *, keep: int = 4) -> str:
    """'123456789012' -> 'XXXXXXXX9012' (the way Indian banks and UIDAI show numbers)."""
    if len(number) <= keep:
        return "X" * len(number)
    return "X" * (len(number) - keep) + number[-keep:]
