"""Income-tax arithmetic for a salaried individual under the new regime (section 115BAC
of the 1961 Act as amended by the Finance Act 2025), assessment year 2026-27 (financial
year 2025-26). Pure; whole rupees as int.

Simplified for the demo: salary is the only income, no other deductions, resident
individual below 60. Enough to make the acknowledgement and the live estimate credible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ASSESSMENT_YEAR = "2026-27"
FINANCIAL_YEAR = "2025-26"
STANDARD_DEDUCTION = 75_000
REBATE_LIMIT = 12_00_000  # section 87A: taxable income up to this pays no tax
REBATE_MAX = 60_000
CESS_RATE = Decimal("0.04")
MAX_AMOUNT = 10**12  # a sanity bound on what the form accepts
_AMOUNT_RE = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")

# (upper bound of the slab, rate in percent); None = no upper bound.
SLABS: tuple[tuple[int | None, int], ...] = (
    (4_00_000, 0),
    (8_00_000, 5),
    (12_00_000, 10),
    (16_00_000, 15),
    (20_00_000, 20),
    (24_00_000, 25),
    (None, 30),
)
# (income above which it applies, rate in percent); the new regime stops at 25 %.
SURCHARGES: tuple[tuple[int, int], ...] = ((2_00_00_000, 25), (1_00_00_000, 15), (50_00_000, 10))


@dataclass(frozen=True, slots=True)
class TaxComputation:
    gross_salary: int
    standard_deduction: int
    taxable_income: int
    slab_tax: int
    rebate: int
    surcharge: int
    cess: int
    total_tax: int


def parse_amount(raw: str) -> int | None:
    """'12,50,000' or '1250000.50' -> whole rupees; None if it is not a non-negative amount."""
    text = raw.strip().removeprefix("₹").strip().replace(",", "")
    if _AMOUNT_RE.fullmatch(text) is None:
        return None
    value = Decimal(text)
    if value > MAX_AMOUNT:
        return None
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_to_ten(amount: Decimal | int) -> int:
    """Sections 288A/288B: to the nearest multiple of ten rupees, five rounding up."""
    return int((Decimal(amount) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 10


def slab_tax(taxable_income: int) -> int:
    """Tax on the income by the slabs alone, before rebate, surcharge and cess."""
    tax = Decimal(0)
    lower = 0
    for upper, rate in SLABS:
        if taxable_income <= lower:
            break
        top = taxable_income if upper is None else min(taxable_income, upper)
        tax += Decimal(top - lower) * rate / 100
        if upper is None:
            break
        lower = upper
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rebate_87a(taxable_income: int, tax: int) -> int:
    """Full rebate up to the limit; just above it, marginal relief keeps the tax at most
    the income over the limit."""
    if taxable_income <= REBATE_LIMIT:
        return min(tax, REBATE_MAX)
    excess = taxable_income - REBATE_LIMIT
    return max(0, tax - excess)


def surcharge(taxable_income: int, tax: int) -> int:
    """Surcharge on the tax, with marginal relief at each threshold."""
    for threshold, rate in SURCHARGES:
        if taxable_income > threshold:
            plain = Decimal(tax) * rate / 100
            at_threshold = _tax_with_surcharge_at(threshold)
            relieved = at_threshold + (taxable_income - threshold) - tax
            return int(min(plain, Decimal(relieved)).quantize(Decimal(1), ROUND_HALF_UP))
    return 0


def _tax_with_surcharge_at(income: int) -> int:
    tax = slab_tax(income)
    return tax + surcharge(income, tax)


def compute_tax(gross_salary: int) -> TaxComputation:
    """The whole computation for a salary, in the order the return form shows it."""
    if gross_salary < 0:
        raise ValueError("gross salary cannot be negative")
    deduction = min(STANDARD_DEDUCTION, gross_salary)
    taxable = round_to_ten(gross_salary - deduction)
    by_slabs = slab_tax(taxable)
    rebate = rebate_87a(taxable, by_slabs)
    after_rebate = by_slabs - rebate
    extra = surcharge(taxable, after_rebate)
    cess = int((Decimal(after_rebate + extra) * CESS_RATE).quantize(Decimal(1), ROUND_HALF_UP))
    return TaxComputation(
        gross_salary=gross_salary,
        standard_deduction=deduction,
        taxable_income=taxable,
        slab_tax=by_slabs,
        rebate=rebate,
        surcharge=extra,
        cess=cess,
        total_tax=round_to_ten(after_rebate + extra + cess),
    )


def format_inr(amount: int) -> str:
    """Indian digit grouping: 1234567 -> '₹12,34,567'."""
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount))
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        digits = ",".join([*groups, tail])
    return f"{sign}₹{digits}"
