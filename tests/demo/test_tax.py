"""The new-regime computation, with plain numbers worked out by hand."""

from __future__ import annotations

import pytest

from cobrowse.demo.tax import (
    compute_tax,
    format_inr,
    parse_amount,
    rebate_87a,
    round_to_ten,
    slab_tax,
    surcharge,
)


@pytest.mark.parametrize(
    ("gross", "total"),
    [
        (0, 0),
        (4_75_000, 0),  # taxable 4,00,000: below the first taxed slab
        (12_75_000, 0),  # taxable exactly 12,00,000: fully rebated
        (12_85_000, 10_400),  # taxable 12,10,000: marginal relief, tax = 10,000 + cess
        (13_50_000, 74_100),  # taxable 12,75,000: past the relief
        (15_00_000, 97_500),
        (25_00_000, 3_19_800),  # taxable 24,25,000: into the 30 % slab
        (50_85_000, 11_33_600),  # taxable 50,10,000: surcharge with marginal relief
        (1_50_75_000, 48_79_680),  # taxable 1.5 crore: 15 % surcharge in full
    ],
)
def test_total_tax(gross: int, total: int) -> None:
    assert compute_tax(gross).total_tax == total


def test_computation_parts_for_fifteen_lakh() -> None:
    tax = compute_tax(15_00_000)
    assert tax.standard_deduction == 75_000
    assert tax.taxable_income == 14_25_000
    assert tax.slab_tax == 93_750  # 20,000 + 40,000 + 15 % of 2,25,000
    assert tax.rebate == 0
    assert tax.surcharge == 0
    assert tax.cess == 3_750


def test_small_salary_keeps_its_deduction_within_the_salary() -> None:
    tax = compute_tax(50_000)
    assert tax.standard_deduction == 50_000
    assert tax.taxable_income == 0


def test_slabs() -> None:
    assert slab_tax(4_00_000) == 0
    assert slab_tax(8_00_000) == 20_000
    assert slab_tax(12_00_000) == 60_000
    assert slab_tax(24_00_000) == 3_00_000
    assert slab_tax(25_00_000) == 3_30_000


def test_rebate_and_its_marginal_relief() -> None:
    assert rebate_87a(12_00_000, 60_000) == 60_000
    assert rebate_87a(12_10_000, 61_500) == 51_500
    assert rebate_87a(13_00_000, 75_000) == 0


def test_surcharge_marginal_relief_at_fifty_lakh() -> None:
    assert surcharge(50_00_000, slab_tax(50_00_000)) == 0
    assert surcharge(50_10_000, slab_tax(50_10_000)) == 7_000
    assert surcharge(60_00_000, slab_tax(60_00_000)) == 1_38_000  # the plain 10 %


def test_total_tax_never_falls_as_salary_rises() -> None:
    previous = 0
    for gross in range(0, 60_00_000, 2_500):
        total = compute_tax(gross).total_tax
        assert total >= previous, gross
        previous = total


def test_negative_salary_is_refused() -> None:
    with pytest.raises(ValueError):
        compute_tax(-1)


@pytest.mark.parametrize(
    ("amount", "expected"), [(0, 0), (4, 0), (5, 10), (14, 10), (15, 20), (12_34_567, 12_34_570)]
)
def test_round_to_ten(amount: int, expected: int) -> None:
    assert round_to_ten(amount) == expected


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "₹0"),
        (999, "₹999"),
        (1_000, "₹1,000"),
        (1_00_000, "₹1,00,000"),
        (12_50_000, "₹12,50,000"),
        (1_23_45_678, "₹1,23,45,678"),
        (-5_000, "-₹5,000"),
    ],
)
def test_format_inr(amount: int, text: str) -> None:
    assert format_inr(amount) == text


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12,50,000", 12_50_000),
        (" 1250000 ", 12_50_000),
        ("₹ 5,000", 5_000),
        ("1250000.50", 12_50_001),
        ("1250000.49", 12_50_000),
        ("0", 0),
        ("", None),
        ("abc", None),
        ("-5", None),
        ("1.234", None),
        ("1e5", None),
        ("NaN", None),
        ("99999999999999", None),
    ],
)
def test_parse_amount(raw: str, value: int | None) -> None:
    assert parse_amount(raw) == value
