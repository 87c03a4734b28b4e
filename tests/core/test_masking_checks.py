"""Checksums of the value patterns."""

from __future__ import annotations

from cobrowse.core.masking_checks import (
    luhn_valid,
    mod97_valid,
    passes,
    verhoeff_digit,
    verhoeff_valid,
)


def test_checksums() -> None:
    assert verhoeff_valid("234567890124") and not verhoeff_valid("234567890123")
    assert verhoeff_digit("23456789012") == "4"
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert mod97_valid("GB82WEST12345698765432") and not mod97_valid("GB00WEST12345698765432")
    assert mod97_valid("gb82west12345698765432")
    assert not mod97_valid("GB82-WEST")


def test_passes_compacts_separators_and_refuses_letters_for_numeric_checks() -> None:
    assert passes("luhn", "4111 1111-1111 1111")
    assert not passes("luhn", "4111 1111 1111 111A")
    assert passes("verhoeff", "2345-6789-0124")
    assert passes("mod97", "GB82 WEST 1234 5698 7654 32")
    assert passes("none", "anything")
