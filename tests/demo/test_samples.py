"""The demo portal's sample data passes the product's own checks.

Every value on the portal's pages (text, hints, placeholders, messages) and in its
static files that has the shape of an identifier the product masks is found with a
loose shape, then held to the product's definition: the built-in pattern must match it
whole and its checksum (core/masking_checks.py) must pass. A sample that fails would
show the visitor an Aadhaar number the product does not recognise as one, so it would
reach the agent unmasked. Adding an invalid sample anywhere on these pages fails here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx

from cobrowse.core.masking import BUILTIN_PATTERNS
from cobrowse.core.masking_checks import passes
from cobrowse.demo import itr
from cobrowse.demo.itr_pages import DEMO_AADHAAR

from .test_portal_itr import post_itr

PAGES = ("/", "/dashboard", "/dashboard/refund-status", "/dashboard/notices", "/itr")
STATIC = ("/static/portal.js", "/static/portal.css", "/static/hero.svg", "/static/emblem.svg",
          "/static/skyline.svg")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # the built-in pattern that must mask it
    shape: re.Pattern[str]  # looser than the pattern: what a reader would take for one


# Not part of a longer number, grouped or not.
ALONE_BEFORE = r"(?<!\d)(?<!\d[ -])"
ALONE_AFTER = r"(?![ -]?\d)"

KINDS = (
    # 10 letters and digits (at least three of each: `samples`), as a PAN looks to a reader.
    Kind("pan", re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{10}(?![A-Za-z0-9])")),
    # 12 digits, plain or in groups of four, whatever the first digit.
    Kind("aadhaar", re.compile(ALONE_BEFORE + r"\d{4}[ -]?\d{4}[ -]?\d{4}" + ALONE_AFTER)),
    # 13 to 19 digits, plain or grouped by spaces or hyphens.
    Kind("card", re.compile(ALONE_BEFORE + r"\d{4}(?:[ -]?\d){9,15}" + ALONE_AFTER)),
    # Two letters, two digits, then 11 to 30 letters and digits (spaces allowed).
    Kind("iban", re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")),
    Kind("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]*[A-Za-z0-9]")),
    # A mobile number: 10 digits from 6 to 9, or anything with a leading +.
    Kind("phone", re.compile(r"(?<![\d+])(?:\+\d[\d -]{6,16}\d|[6-9]\d{4} ?\d{5})(?!\d)")),
)
# IFSC (bank branch codes) has no built-in pattern; a sample must still be well-formed:
# four letters, a zero, six letters or digits.
IFSC_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{4}\d[A-Z0-9]{6}(?![A-Za-z0-9])")
IFSC = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")


def product_accepts(kind: str, value: str) -> bool:
    pattern = BUILTIN_PATTERNS[kind]
    return pattern.compiled.fullmatch(value) is not None and passes(pattern.check, value)


def samples(text: str) -> list[tuple[str, str]]:
    """(kind, value) for everything in `text` shaped like a masked identifier; a value
    inside a longer one (the digits of an IBAN) counts as part of that one only."""
    spans = [(m.start(), m.end(), k.name) for k in KINDS for m in k.shape.finditer(text)]
    spans += [(m.start(), m.end(), "ifsc") for m in IFSC_SHAPE.finditer(text)]
    spans = [
        (start, end, kind)
        for start, end, kind in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    ]
    found = [(kind, text[start:end]) for start, end, kind in sorted(spans)]
    return [(kind, value) for kind, value in found if kind != "pan" or _pan_like(value)]


def _pan_like(value: str) -> bool:
    return sum(c.isalpha() for c in value) >= 3 and sum(c.isdigit() for c in value) >= 3


def invalid(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    bad = []
    for kind, value in found:
        ok = IFSC.fullmatch(value) is not None if kind == "ifsc" else product_accepts(kind, value)
        if not ok:
            bad.append((kind, value))
    return bad


async def portal_texts(client: httpx.AsyncClient) -> dict[str, str]:
    """Every page a taxpayer sees before filing (and the form with every message), and
    the portal's static files, as text with HTML entities decoded."""
    out = {}

    async def get(path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 200, path
        out[path] = html.unescape(response.text)

    for path in ("/login", "/login?next=/itr", *STATIC):
        await get(path)
    wrong = await client.post("/login", data={"pan": "ABCPE123", "password": ""})
    out["/login (bad PAN)"] = html.unescape(wrong.text)
    signed_in = await client.post("/login", data={"pan": "ABCPE1234F", "password": "demo1234"})
    assert signed_in.status_code == 303
    for path in PAGES:
        await get(path)
    empty = {name: "" for name in itr.FIELD_NAMES}
    errors = await post_itr(client, "submit", empty)
    out["/itr (every field empty)"] = html.unescape(errors.text)
    bad = {**empty, "pan": "AB12", "aadhaar": "12", "email": "not-an-address"}
    out["/itr (bad values)"] = html.unescape((await post_itr(client, "submit", bad)).text)
    return out


async def test_every_sample_on_the_portal_passes_the_products_checks(
    client: httpx.AsyncClient,
) -> None:
    texts = await portal_texts(client)
    found = {path: samples(text) for path, text in texts.items()}
    seen = {(kind, value) for values in found.values() for kind, value in values}
    # The samples the portal shows today are found (so this test looks where they are).
    assert ("aadhaar", DEMO_AADHAAR) in seen
    assert ("pan", "ABCPE1234F") in seen
    assert ("email", "name@example.com") in seen
    bad = {path: invalid(values) for path, values in found.items() if invalid(values)}
    assert bad == {}, f"sample values the product would not recognise: {bad}"


def test_an_invalid_sample_is_caught() -> None:
    """The checks above are not vacuous: wrong samples of each kind fail them."""
    wrong = [
        "Demo number: 4991 1866 5247",  # Aadhaar, wrong check digit
        "Aadhaar 1234 5678 9012",  # starts with 1
        "Card 4111 1111 1111 1112",  # fails Luhn
        "IBAN GB00 WEST 1234 5698 7654 32",  # fails mod 97
        "PAN ABCP1234EF",  # not 5 letters, 4 digits, 1 letter
        "IFSC SBIN1234567",  # no 0 in the fifth place
        "write to name@example",  # no domain
        "call +0 98765 43210",  # no country code starts with 0
    ]
    for text in wrong:
        assert invalid(samples(text)), text
    right = [
        f"Demo number: {DEMO_AADHAAR}",
        "Card 4111 1111 1111 1111",
        "IBAN GB82 WEST 1234 5698 7654 32",
        "PAN ABCPE1234F",
        "IFSC SBIN0001234",
        "write to name@example.com",
        "call +91 98765 43210",
    ]
    for text in right:
        assert samples(text) and not invalid(samples(text)), text


def test_the_portal_accepts_its_own_samples() -> None:
    """The portal's own validation and the product agree on the samples it shows."""
    assert product_accepts("aadhaar", DEMO_AADHAAR)
    assert itr.field_errors({"aadhaar": DEMO_AADHAAR}).get("aadhaar") is None
    assert itr.field_errors({"email": "name@example.com"}).get("email") is None


def test_the_portals_verhoeff_agrees_with_the_products() -> None:
    for n in range(3_000):
        body = f"{(n * 7_919_993 + 200_000_000_00) % 10**11:011d}"
        for digit in "0123456789":
            number = body + digit
            assert itr.verhoeff_valid(number) == passes("verhoeff", number), number
