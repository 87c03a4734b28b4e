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


def test_verhoeff_known_answers() -> None:
    # Worked examples of the Verhoeff scheme, independent of our tables: "236" gets the
    # check digit 3, "12345" gets 1; the demo portal's sample Aadhaar number needs the
    # fifth row of the permutation table (a 6 four places from the right).
    assert verhoeff_digit("236") == "3" and verhoeff_valid("2363")
    assert verhoeff_digit("12345") == "1" and verhoeff_valid("123451")
    assert verhoeff_valid("499118665246") and not verhoeff_valid("499118665247")
    assert passes("verhoeff", "4991 1866 5246")


def test_verhoeff_catches_every_single_digit_error_and_adjacent_swap() -> None:
    # What the scheme is for: a wrong permutation table lets some of these through.
    for seed in range(400):
        body = f"{(seed * 7919 + 2_345_678_901) % 10**11:011d}"
        number = body + verhoeff_digit(body)
        assert verhoeff_valid(number)
        for i in range(len(number)):
            for d in "0123456789":
                if d != number[i]:
                    assert not verhoeff_valid(number[:i] + d + number[i + 1 :]), (number, i, d)
            if i + 1 < len(number) and number[i] != number[i + 1]:
                swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
                assert not verhoeff_valid(swapped), (number, i)
