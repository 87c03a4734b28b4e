from __future__ import annotations

import pytest

from cobrowse.demo.itr import (
    ItrReturn,
    clean_values,
    field_errors,
    mask_digits,
    validate,
    verhoeff_check_digit,
    verhoeff_valid,
)

from .conftest import valid_return


def test_verhoeff_known_values() -> None:
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_valid("2363")
    assert not verhoeff_valid("2364")
    assert verhoeff_check_digit("12345") == "1"
    assert not verhoeff_valid("12a4")


def test_verhoeff_catches_every_single_digit_error() -> None:
    number = "499118665246"
    assert verhoeff_valid(number)
    for i in range(len(number)):
        for d in "0123456789":
            if d != number[i]:
                assert not verhoeff_valid(number[:i] + d + number[i + 1 :])


def test_valid_return_is_normalised() -> None:
    result = validate(
        valid_return(full_name="  Priya   Sharma ", pan="abcpe1234f", aadhaar="4991 1866 5246",
                     bank_account="1234-5678-9012")
    )  # fmt: skip
    assert result == ItrReturn(
        full_name="Priya Sharma",
        pan="ABCPE1234F",
        aadhaar="499118665246",
        bank_account="123456789012",
        email="priya@example.com",
        gross_salary=15_00_000,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "Enter your full name"),
        ("full_name", "R2-D2", "letters"),
        ("pan", "ABCPE12345", "5 letters, 4 digits"),
        ("pan", "", "Enter your PAN"),
        ("aadhaar", "12345678901", "exactly 12 digits"),
        ("aadhaar", "49911866524x", "exactly 12 digits"),
        ("aadhaar", "499118665247", "not a valid Aadhaar"),  # checksum
        ("aadhaar", "099118665240", "not a valid Aadhaar"),  # cannot start with 0 or 1
        ("bank_account", "12345678", "9 to 18 digits"),
        ("bank_account", "1234567890123456789", "9 to 18 digits"),
        ("bank_account", "12345678a", "9 to 18 digits"),
        ("email", "priya@", "email address like"),
        ("email", "priya example.com", "email address like"),
        ("gross_salary", "-100", "0 or more"),
        ("gross_salary", "lots", "0 or more"),
        ("gross_salary", "", "Enter your gross salary"),
    ],
)
def test_field_errors(field: str, value: str, message: str) -> None:
    errors = field_errors(valid_return(**{field: value}))
    assert list(errors) == [field]
    assert message in errors[field]


def test_errors_never_echo_confidential_values() -> None:
    errors = field_errors(valid_return(aadhaar="499118665247", bank_account="98765x"))
    assert "499118665247" not in errors["aadhaar"]
    assert "98765" not in errors["bank_account"]


def test_bank_account_bounds_are_inclusive() -> None:
    assert field_errors(valid_return(bank_account="1" * 9)) == {}
    assert field_errors(valid_return(bank_account="1" * 18)) == {}


def test_clean_values_keeps_only_known_fields_and_bounds_them() -> None:
    values = clean_values({"full_name": " A " + "x" * 500, "evil": "1", "pan": "abc"})
    assert set(values) == {"full_name", "pan", "aadhaar", "bank_account", "email", "gross_salary"}
    assert len(values["full_name"]) == 200
    assert values["aadhaar"] == ""


def test_mask_digits() -> None:
    assert mask_digits("123456789012") == "XXXXXXXX9012"
    assert mask_digits("123") == "XXX"
