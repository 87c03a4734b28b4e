"""The regular expressions that masking patterns may use: a small subset, parsed here,
proved bounded, and written back in one canonical form that Python's `re` and the
browser's `RegExp` read the same way.

The subset: literal characters, `\\`-escapes of punctuation, `\\d \\w \\s`, `.`,
character classes (`[A-Z0-9 -]`, `[^...]`), non-capturing groups `(?:...)` (a plain
`(...)` is read as one), `|`, and the bounded quantifiers `?`, `{n}` and `{n,m}` with
m <= 64. No `*`, `+`, `{n,}`, backreferences, lookaround, anchors or inline flags.

Every quantifier is bounded, so a match is at most `width` characters long, and
`cost` bounds the ways a backtracking engine can try one start position (a product of
the choices along a sequence, a sum over alternatives). A pattern is accepted only if
both are small, so scanning a text is linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_REPEAT = 64
MAX_WIDTH = 256
MAX_COST = 4096
MAX_SOURCE = 512

_DIGIT = frozenset("0123456789")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SPACE = frozenset(" \t\n\r\f\v")
_CLASS_SOURCE = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\r\\f\\v"}
_SPECIAL = set("\\^$.|?*+()[]{}/-")


class RegexError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Chars:
    """One character: a literal, a class, or any (`.`)."""

    source: str  # canonical


@dataclass(frozen=True, slots=True)
class Repeat:
    item: Node
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Seq, ...]


Node = Chars | Repeat | Seq | Alt


@dataclass(frozen=True, slots=True)
class SafeRegex:
    source: str  # canonical: the same meaning in Python (re.ASCII) and JavaScript
    width: int  # the longest possible match
    cost: int  # bound on backtracking paths per start position


def parse(text: str) -> SafeRegex:
    """Parse and check `text`; RegexError says what is wrong and where."""
    if not isinstance(text, str) or not text:
        raise RegexError("a pattern must be a non-empty string")
    if len(text) > MAX_SOURCE:
        raise RegexError(f"a pattern may be at most {MAX_SOURCE} characters")
    if any(ord(ch) > 0xFFFF or ch in "\x00\u2028\u2029" for ch in text):
        raise RegexError("a pattern may not contain NUL, line separators or astral characters")
    parser = _Parser(text)
    node = parser.alternation()
    if parser.pos != len(text):
        raise RegexError(f"unexpected {text[parser.pos]!r} at position {parser.pos}")
    low, high = _widths(node)
    if high == 0:
        raise RegexError("the pattern matches only the empty string")
    if low == 0:
        raise RegexError("the pattern may match an empty string")
    if high > MAX_WIDTH:
        raise RegexError(f"a match could be {high} characters long (at most {MAX_WIDTH})")
    cost = _cost(node)
    if cost > MAX_COST:
        raise RegexError(
            f"the pattern is too ambiguous (about {cost} ways to try each position, "
            f"at most {MAX_COST}): use fewer or narrower optional parts"
        )
    return SafeRegex(source=_emit(node), width=high, cost=cost)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, message: str) -> RegexError:
        return RegexError(f"{message} at position {self.pos}")

    def alternation(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def sequence(self) -> Seq:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            items.append(self.quantified(atom))
        return Seq(tuple(items))

    def atom(self) -> Node:
        ch = self.peek()
        if ch == "(":
            self.pos += 1
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise self.fail(
                    "only (...) and (?:...) groups are allowed (no lookaround or flags)"
                )
            inner = self.alternation()
            if self.peek() != ")":
                raise self.fail("missing )")
            self.pos += 1
            return inner
        if ch == "[":
            return self.char_class()
        if ch == ".":
            self.pos += 1
            return Chars("[^\\n\\r]")
        if ch == "\\":
            return Chars(self.escape(in_class=False))
        if ch in "*+":
            raise self.fail(f"{ch!r} is unbounded: use {{n,m}} with m <= {MAX_REPEAT}")
        if ch in "?{":
            raise self.fail("a quantifier needs something before it")
        if ch in "^$":
            raise self.fail("anchors are not allowed (patterns are searched for anywhere)")
        if ch in "]}":
            raise self.fail(f"{ch!r} must be escaped")
        self.pos += 1
        return Chars(_literal(ch, in_class=False))

    def escape(self, *, in_class: bool) -> str:
        self.pos += 1
        ch = self.peek()
        if not ch:
            raise self.fail("a pattern may not end with \\")
        self.pos += 1
        if ch in _CLASS_SOURCE:
            return _CLASS_SOURCE[ch] if in_class else f"[{_CLASS_SOURCE[ch]}]"
        if ch in "nrtfv":
            return "\\" + ch
        if ch in "DWS":
            raise self.fail(f"\\{ch} is not allowed: write a class like [^0-9]")
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            raise self.fail(f"\\{ch} is not allowed (only \\d, \\w, \\s and escaped punctuation)")
        return _literal(ch, in_class=in_class)

    def char_class(self) -> Chars:
        self.pos += 1
        out = "["
        if self.peek() == "^":
            out += "^"
            self.pos += 1
        members = 0
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("missing ]")
            if ch == "]" and members:
                self.pos += 1
                break
            if ch == "[":
                raise self.fail("'[' inside a class must be escaped")
            start = self.class_char()
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                if self.peek() == "\\" and self.text[self.pos + 1 : self.pos + 2] in _CLASS_SOURCE:
                    raise self.fail("a range cannot end in a class escape")
                end = self.class_char()
                if len(start) > 2 or _unescape(start) > _unescape(end):
                    raise self.fail("bad range in class")
                out += f"{start}-{end}"
            else:
                out += start
            members += 1
        return Chars(out + "]")

    def class_char(self) -> str:
        ch = self.peek()
        if ch == "\\":
            return self.escape(in_class=True)
        self.pos += 1
        return _literal(ch, in_class=True)

    def quantified(self, atom: Node) -> Node:
        ch = self.peek()
        if ch and ch in "*+":
            raise self.fail(f"{ch!r} is unbounded: use {{n,m}} with m <= {MAX_REPEAT}")
        if ch == "?":
            self.pos += 1
            node: Node = Repeat(atom, 0, 1)
        elif ch == "{":
            end = self.text.find("}", self.pos)
            body = self.text[self.pos + 1 : end] if end > 0 else ""
            low_text, comma, high_text = body.partition(",")
            if not (low_text.isdigit() and low_text.isascii()) or (
                comma and not (high_text.isdigit() and high_text.isascii())
            ):
                raise self.fail(f"quantifiers are {{n}} or {{n,m}} with m <= {MAX_REPEAT}")
            low = int(low_text)
            high = int(high_text) if comma else low
            if high > MAX_REPEAT or low > high or high == 0:
                raise self.fail(f"quantifiers are {{n}} or {{n,m}} with 0 < m <= {MAX_REPEAT}")
            self.pos = end + 1
            node = Repeat(atom, low, high)
        else:
            return atom
        if self.peek() in ("?", "{", "*", "+"):
            raise self.fail("a quantifier cannot follow another (no lazy or possessive forms)")
        return node


def _literal(ch: str, *, in_class: bool) -> str:
    """`ch` as a literal, escaped only where the browser's Unicode mode allows it
    (outside a class `\\-` is an error there, and `-` needs no escape)."""
    if ch == "\n":
        return "\\n"
    if ch in _SPECIAL and (in_class or ch != "-"):
        return "\\" + ch
    return ch


_CONTROL = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\f": "\f", "\\v": "\v"}


def _unescape(text: str) -> str:
    if text in _CONTROL:
        return _CONTROL[text]
    return text[1:] if text.startswith("\\") and len(text) == 2 else text


def _widths(node: Node) -> tuple[int, int]:
    if isinstance(node, Chars):
        return 1, 1
    if isinstance(node, Repeat):
        low, high = _widths(node.item)
        return low * node.low, high * node.high
    if isinstance(node, Seq):
        pairs = [_widths(item) for item in node.items]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    pairs = [_widths(option) for option in node.options]
    return min(p[0] for p in pairs), max(p[1] for p in pairs)


def _cost(node: Node) -> int:
    """An upper bound on the paths a backtracking matcher explores per start position."""
    if isinstance(node, Chars):
        return 1
    if isinstance(node, Repeat):
        inner = _cost(node.item)
        if isinstance(node.item, Chars):
            return node.high - node.low + 1
        total = 0
        for k in range(node.low, node.high + 1):
            total += int(inner**k)
            if total > MAX_COST:
                return total
        return total
    if isinstance(node, Seq):
        # A repeated class right after a deterministic prefix and followed by a
        # character it cannot contain ends at one place only: its choices add up
        # instead of multiplying with what follows (`[a-z]{1,64}@...`).
        items = node.items
        total, product = 0, 1
        for i, item in enumerate(items):
            nxt = items[i + 1] if i + 1 < len(items) else None
            if (
                product == 1
                and isinstance(item, Repeat)
                and isinstance(item.item, Chars)
                and isinstance(nxt, Chars)
                and _disjoint(item.item, nxt)
            ):
                total += item.high - item.low + 1
                continue
            product *= _cost(item)
            if total + product > MAX_COST:
                return total + product
        return total + product
    return sum(_cost(option) for option in node.options)


def _disjoint(a: Chars, b: Chars) -> bool:
    """Whether no character matches both (exact: every character either appears in a
    source or behaves like one that appears in neither)."""
    listed = set(a.source + b.source)
    outside = next(chr(c) for c in range(0xA1, 0x10000) if chr(c) not in listed)
    ra = re.compile(a.source, re.ASCII)
    rb = re.compile(b.source, re.ASCII)
    samples = {chr(c) for c in range(128)} | listed | {outside}
    return not any(ra.fullmatch(ch) and rb.fullmatch(ch) for ch in samples)


def _emit(node: Node) -> str:
    if isinstance(node, Chars):
        return node.source
    if isinstance(node, Repeat):
        inner = _emit(node.item)
        if not isinstance(node.item, Chars):
            inner = f"(?:{inner})"
        if (node.low, node.high) == (0, 1):
            return inner + "?"
        if node.low == node.high:
            return f"{inner}{{{node.low}}}"
        return f"{inner}{{{node.low},{node.high}}}"
    if isinstance(node, Seq):
        parts = []
        for item in node.items:
            text = _emit(item)
            parts.append(f"(?:{text})" if isinstance(item, Alt) else text)
        return "".join(parts)
    return "|".join(_emit(option) for option in node.options)
