"""Masking rules: what the visitor's browser hides before anything is sent.

The server holds the rules (config `[masking]`, docs/masking.md); this module validates
them, picks the ones for a site (by origin), and produces the rule set the browser
applies (`browser_rules`). The value patterns are defined once, here: the browser gets
them from the server and only knows how to run the checksums named in `check`.

`mask_text` (core/masking_text.py) is the reference implementation of what the browser
does to text; the TypeScript side (web/src/masking/) is tested against the same golden
cases (tests/fixtures/masking/).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from cobrowse.core.masking_regex import RegexError, parse
from cobrowse.core.masking_text import (
    MASK_CHAR,
    Pattern,
    find_spans,
    mask_pieces,
    mask_text,
    spans,
)
from cobrowse.core.origins import OriginError, OriginPattern

# The reference masker lives in core/masking_text.py (normalisation in masking_fold.py).
__all__ = [
    "BUILTIN_PATTERNS",
    "DEFAULT_PATTERNS",
    "MASK_CHAR",
    "MaskingError",
    "MaskingRules",
    "Pattern",
    "RuleSet",
    "check_selector",
    "compile_rules",
    "find_spans",
    "glob_regex",
    "mask_pieces",
    "mask_text",
    "parse_pattern",
    "spans",
]

CHECKS = ("none", "luhn", "verhoeff", "mod97")
BOUNDARIES = ("none", "digit", "alnum")


class MaskingError(ValueError):
    pass


def _builtin(name: str, source: str, *, check: str = "none", boundary: str = "none") -> Pattern:
    return Pattern(name=name, regex=parse(source), check=check, boundary=boundary)


# The built-in value patterns: the one definition both Python and the browser use.
BUILTIN_PATTERNS: dict[str, Pattern] = {
    p.name: p
    for p in (
        # Indian Permanent Account Number: AAAAA9999A (any case: typed values too).
        _builtin("pan", r"[A-Za-z]{5}[0-9]{4}[A-Za-z]"),
        # Aadhaar: 12 digits, not starting with 0 or 1, Verhoeff check digit; 4-4-4 groups.
        _builtin(
            "aadhaar",
            r"[2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}",
            check="verhoeff",
            boundary="digit",
        ),
        # Payment cards: 13-19 digits (4-4-4-4-x, 4-4-4-x or 4-6-5 groups) passing Luhn.
        _builtin(
            "card",
            r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,3}"
            r"|[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,7}"
            r"|[0-9]{4}[ -]?[0-9]{6}[ -]?[0-9]{5}",
            check="luhn",
            boundary="digit",
        ),
        # IBAN: country, 2 check digits, 11-30 letters/digits, plain or in groups of 4.
        _builtin(
            "iban",
            r"[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{11,30}"
            r"|[A-Za-z]{2}[0-9]{2}(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?",
            check="mod97",
        ),
        # Bank account numbers (India: 9 to 18 digits).
        _builtin("bank_account", r"[0-9]{9,18}", boundary="digit"),
        # Phone numbers: Indian mobiles (+91 / 0 prefix, 5-5 groups) and E.164.
        _builtin(
            "phone",
            r"(?:\+91[ -]?|0)?[6-9][0-9]{4}[ -]?[0-9]{5}"
            r"|\+[1-9][0-9]{0,3}[ -]?[0-9]{2,5}[ -]?[0-9]{2,5}[ -]?[0-9]{0,5}",
            boundary="digit",
        ),
        # E-mail addresses.
        _builtin(
            "email",
            r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}\.[A-Za-z0-9.-]{2,63}",
        ),
    )
}

# The value patterns on by default: every built-in one, as the README promises (PAN,
# Aadhaar, card, IBAN, bank account, phone, e-mail "wherever they appear"; its claim is
# checked against this in tests/test_default_masking.py). Privacy first: "9 to 18
# digits" also masks acknowledgement and reference numbers, and contact details are
# hidden from the agent; a deployment that needs them readable narrows
# `masking.patterns` (docs/masking.md).
DEFAULT_PATTERNS = ("pan", "aadhaar", "card", "iban", "bank_account", "phone", "email")

DEFAULT_SELECTORS = (
    "input[type=password]",
    'input[autocomplete$="password"]',
    "[data-cobrowse-mask]",
    "[autocomplete^=cc-]",
    'input[autocomplete="one-time-code"]',
)
ALWAYS_SELECTORS = ("[data-cobrowse-mask]", "input[type=password]")


# --- rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One `[[masking.sites]]` entry, or the global rules (origin None, urls empty)."""

    origin: OriginPattern | None
    urls: tuple[str, ...]  # path globs; empty: every page
    selectors: tuple[str, ...]
    private: bool
    allow: tuple[str, ...]
    patterns: tuple[str, ...]  # names of built-in or custom patterns


@dataclass(frozen=True, slots=True)
class MaskingRules:
    base: RuleSet
    sites: tuple[RuleSet, ...]
    custom: Mapping[str, Pattern]

    def pattern(self, name: str) -> Pattern:
        return self.custom.get(name) or BUILTIN_PATTERNS[name]

    def patterns_for(self, origins: Iterable[str]) -> list[Pattern]:
        """Every pattern in force on any page of any of `origins` (or globally)."""
        names: list[str] = list(self.base.patterns)
        for origin in origins:
            for scope in self.for_origin(origin):
                names += [n for n in scope.patterns if n not in names]
        return [self.pattern(n) for n in names]

    def for_origin(self, origin: str | None) -> list[RuleSet]:
        """The rule sets that apply to pages of `origin` (the global one first)."""
        out = [self.base]
        if origin:
            out += [s for s in self.sites if s.origin is not None and s.origin.matches(origin)]
        return out

    def browser_rules(self, origin: str | None) -> dict[str, Any]:
        """The JSON the widget and the proxy runtime apply for pages of `origin`."""
        scopes = self.for_origin(origin)
        names: list[str] = []
        for scope in scopes:
            names += [n for n in scope.patterns if n not in names]
        unscoped = [s for s in scopes if not s.urls]
        selectors: list[str] = []
        for scope in unscoped:
            selectors += [sel for sel in scope.selectors if sel not in selectors]
        return {
            "v": 1,
            "selectors": selectors,
            "scopes": [
                {
                    "urls": [glob_regex(u) for u in scope.urls],
                    "selectors": list(scope.selectors),
                    "private": scope.private,
                    "allow": list(scope.allow),
                    "patterns": list(scope.patterns),
                }
                for scope in scopes
            ],
            "patterns": [self.pattern(n).wire() for n in names],
        }


def glob_regex(glob: str) -> str:
    """A URL path glob as an anchored regex: `*` is anything but `/`, `**` anything;
    matched against the path and query (`/itr/*` matches `/itr/2024?step=2`)."""
    out = ["^"]
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/?#]*")
            i += 1
        else:
            out.append(re.escape(glob[i]).replace("\\/", "/"))
            i += 1
    out.append("(?:[?#].*)?$")
    return "".join(out)


def check_selector(selector: str) -> str:
    """`selector` stripped, or MaskingError if a browser would not accept it."""
    sel = selector.strip()
    if not sel:
        raise MaskingError("a selector must not be empty")
    if len(sel) > 1000:
        raise MaskingError(f"selector {sel[:40]!r}...: at most 1000 characters")
    if any(ch in sel for ch in "{};<@\\") or "::" in sel:
        raise MaskingError(
            f"selector {sel!r}: no braces, semicolons, '<', '@', backslashes or pseudo-elements"
        )
    depth: list[str] = []
    quote = ""
    for ch in sel:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth.append("]" if ch == "[" else ")")
        elif ch in "])" and (not depth or depth.pop() != ch):
            raise MaskingError(f"selector {sel!r}: unbalanced {ch!r}")
    if quote or depth:
        raise MaskingError(f"selector {sel!r}: unclosed quote or bracket")
    try:
        LexborHTMLParser("<p></p>").css(sel)
    except SelectolaxError:
        raise MaskingError(f"selector {sel!r} is not a valid CSS selector") from None
    return sel


def parse_pattern(raw: Mapping[str, Any], where: str) -> Pattern:
    """A custom pattern `{name = "...", regex = "...", check?, boundary?, ignore_case?}`."""
    allowed = {"name", "regex", "check", "boundary", "ignore_case"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MaskingError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        raise MaskingError(f"{where}: name must be lower-case letters, digits or _ (got {name!r})")
    if name in BUILTIN_PATTERNS:
        raise MaskingError(f"{where}: {name!r} is a built-in pattern name")
    regex = raw.get("regex")
    if not isinstance(regex, str):
        raise MaskingError(f"{where}: regex must be a string")
    try:
        safe = parse(regex)
    except RegexError as exc:
        raise MaskingError(f"{where}: regex {regex!r}: {exc}") from None
    check = raw.get("check", "none")
    boundary = raw.get("boundary", "none")
    ignore_case = raw.get("ignore_case", False)
    if check not in CHECKS:
        raise MaskingError(f"{where}: check must be one of {', '.join(CHECKS)}")
    if boundary not in BOUNDARIES:
        raise MaskingError(f"{where}: boundary must be one of {', '.join(BOUNDARIES)}")
    if not isinstance(ignore_case, bool):
        raise MaskingError(f"{where}: ignore_case must be true or false")
    return Pattern(name=name, regex=safe, check=check, boundary=boundary, ignore_case=ignore_case)


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise MaskingError(f"{where} must be a list of strings")


def _selectors(raw: Any, where: str) -> tuple[str, ...]:
    try:
        return tuple(check_selector(s) for s in _strings(raw, where))
    except MaskingError as exc:
        if str(exc).startswith(where):
            raise
        raise MaskingError(f"{where}: {exc}") from None


def _rule_set(raw: Mapping[str, Any], where: str, known: set[str], *, site: bool) -> RuleSet:
    allowed = {"selectors", "private_by_default", "allow", "patterns"}
    if site:
        allowed |= {"origin", "urls"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MaskingError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    origin: OriginPattern | None = None
    if site:
        if not isinstance(raw.get("origin"), str):
            raise MaskingError(f"{where}: origin is required (e.g. 'https://portal.example.in')")
        try:
            origin = OriginPattern.parse(raw["origin"])
        except OriginError as exc:
            raise MaskingError(f"{where}.origin: {exc}") from None
    urls = _strings(raw.get("urls", ()), f"{where}.urls")
    for url in urls:
        if not url.startswith("/") or any(ch.isspace() for ch in url) or len(url) > 500:
            raise MaskingError(f"{where}.urls: {url!r} must be a path starting with '/'")
    selectors = _selectors(raw.get("selectors", ()), f"{where}.selectors")
    allow = _selectors(raw.get("allow", ()), f"{where}.allow")
    private = raw.get("private_by_default", False)
    if isinstance(private, str) and private.lower() in ("true", "false", "1", "0", "yes", "no"):
        private = private.lower() in ("true", "1", "yes")
    if not isinstance(private, bool):
        raise MaskingError(f"{where}.private_by_default must be true or false")
    patterns = _strings(raw.get("patterns", ()), f"{where}.patterns")
    for name in patterns:
        if name not in known:
            raise MaskingError(
                f"{where}.patterns: unknown pattern {name!r} (known: {', '.join(sorted(known))})"
            )
    return RuleSet(
        origin=origin,
        urls=urls,
        selectors=selectors,
        private=private,
        allow=allow,
        patterns=tuple(dict.fromkeys(patterns)),
    )


def compile_rules(
    *,
    selectors: Iterable[str],
    patterns: Iterable[str],
    private_by_default: bool = False,
    allow: Iterable[str] = (),
    custom_patterns: Iterable[Mapping[str, Any]] = (),
    sites: Iterable[Mapping[str, Any]] = (),
) -> MaskingRules:
    """Validate the `[masking]` settings; MaskingError names the bad entry."""
    custom: dict[str, Pattern] = {}
    for i, raw in enumerate(custom_patterns):
        if not isinstance(raw, Mapping):
            raise MaskingError(f"masking.custom_patterns[{i}] must be a table")
        pattern = parse_pattern(raw, f"masking.custom_patterns[{i}]")
        if pattern.name in custom:
            raise MaskingError(f"masking.custom_patterns[{i}]: {pattern.name!r} is defined twice")
        custom[pattern.name] = pattern
    known = set(BUILTIN_PATTERNS) | set(custom)
    base = _rule_set(
        {
            "selectors": list(selectors),
            "private_by_default": private_by_default,
            "allow": list(allow),
            "patterns": list(patterns),
        },
        "masking",
        known,
        site=False,
    )
    # The attribute and passwords are masked whatever the configuration says.
    base = RuleSet(
        origin=None,
        urls=(),
        selectors=tuple(dict.fromkeys((*base.selectors, *ALWAYS_SELECTORS))),
        private=base.private,
        allow=base.allow,
        patterns=base.patterns,
    )
    site_sets = []
    for i, raw in enumerate(sites):
        if not isinstance(raw, Mapping):
            raise MaskingError(f"masking.sites[{i}] must be a table")
        site_sets.append(_rule_set(raw, f"masking.sites[{i}]", known, site=True))
    return MaskingRules(base=base, sites=tuple(site_sets), custom=custom)
