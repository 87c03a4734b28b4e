"""JavaScript: the location-transparency rules of docs/js-rewriting.md, with tree-sitter.

Two steps, so that the expensive one can be cached across sessions:

- `find_edits(source, kind)` parses (tree-sitter-javascript) and returns the edits as
  data: byte ranges of `source` to replace, in order. It depends on nothing but the
  bytes and the kind, so its result is cached by content hash (server/js_cache.py).
- `apply_edits(source, edits, map_specifier)` splices them in. The only edits that
  depend on the session, absolute static `import`/`export ... from` specifiers, go
  through `map_specifier` (upstream URL -> proxy URL) here.

Every edit is a wrap (an opening text before a range, a closing one after it), a
replacement of a short range (`.location =` in a member assignment, a shorthand
property) or a specifier. Wraps nest (`a.location.b.top` gets two), ordered so that an
outer range opens first and closes last. No edit adds a line break or removes one, so
line numbers never change. A tree with errors passes through unchanged.

Already rewritten code is left as it is: the arguments of a `__cobrowse$.w/a/s/e/i/u/p/v`
call are never wrapped again, so running the rewriter twice changes nothing the
second time.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache
from typing import Literal

import tree_sitter as ts
import tree_sitter_javascript as tsj

__all__ = [
    "JS_TYPES",
    "MAX_HITS",
    "RULES_VERSION",
    "TRIGGERS",
    "Edit",
    "Edits",
    "Kind",
    "apply_edits",
    "find_edits",
    "mentions_trigger",
    "rewrite_js",
]

# Bump whenever the output for some input changes: it is part of every cache key and
# of the ETag of rewritten responses.
RULES_VERSION = 2

Kind = Literal["script", "module", "handler"]

# The JavaScript MIME type essences of the HTML standard.
JS_TYPES = frozenset(
    (
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    )
)
Status = Literal["rewritten", "unchanged", "unparsed", "too_large"]

# More places to look at than this and the script passes through (`too_large`): the
# context of each one is found through its parent, which tree-sitter finds by walking
# down from the root past siblings, so a flat list of N hits costs N * N steps in C.
# Real bundles have a few thousand (the 6.7 MB bench corpus: 1806).
MAX_HITS = 20_000

# A script without any of these words needs no edit (a fast check before parsing).
TRIGGERS = ("location", "top", "parent", "eval", "import", "postMessage")
_TRIGGER_BYTES = tuple(t.encode() for t in TRIGGERS)

G = "__cobrowse$"
_OWN_CALLS = frozenset("wasieupv")
_WRAPPED = frozenset(("location", "top", "parent"))
_ABSOLUTE_SPECIFIER = re.compile(rb"//|[a-zA-Z][a-zA-Z0-9+.\-]*:")
# A handler is a function body: parsed inside this (no line break before it).
_HANDLER_PREFIX = b"(function(){"
_HANDLER_SUFFIX = b"\n})"

_QUERY = """
((identifier) @ident (#any-of? @ident "location" "top" "parent"))
((identifier) @eval_ident (#eq? @eval_ident "eval"))
((shorthand_property_identifier) @shorthand (#any-of? @shorthand "location" "top" "parent" "eval"))
(member_expression
  property: (property_identifier) @prop
  (#any-of? @prop "location" "top" "parent" "postMessage" "eval")) @member
(call_expression function: (identifier) @eval_fn (#eq? @eval_fn "eval")) @eval
(call_expression function: (import)) @dynamic_import
(member_expression
  object: (meta_property) property: (property_identifier) @url (#eq? @url "url")) @meta_url
(call_expression
  function: (member_expression
    object: (meta_property) property: (property_identifier) @resolve (#eq? @resolve "resolve"))
  ) @meta_resolve
(import_statement source: (string (string_fragment) @specifier))
(export_statement source: (string (string_fragment) @specifier))
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Edit:
    """Replace source[start:end] with `text`; a `specifier` edit's text is the
    specifier itself, mapped by `apply_edits`."""

    start: int
    end: int
    text: bytes
    specifier: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Edits:
    status: Status
    edits: tuple[Edit, ...] = ()

    @property
    def size(self) -> int:
        """About how many bytes this takes in memory (for a cache bounded by bytes)."""
        return 64 + sum(80 + len(e.text) for e in self.edits)


UNCHANGED = Edits("unchanged")
UNPARSED = Edits("unparsed")
TOO_MANY = Edits("too_large")


@cache
def _language() -> tuple[ts.Language, ts.Query]:
    lang = ts.Language(tsj.language())
    return lang, ts.Query(lang, _QUERY)


def mentions_trigger(source: bytes | str) -> bool:
    """Whether `source` holds any word a rule starts from (else nothing to rewrite)."""
    if isinstance(source, str):
        return any(t in source for t in TRIGGERS)
    return any(t in source for t in _TRIGGER_BYTES)


def find_edits(source: bytes, kind: Kind) -> Edits:
    """The edits the rules make to `source` (UTF-8 bytes; offsets are byte offsets)."""
    if not mentions_trigger(source):
        return UNCHANGED
    shift = 0
    text = source
    if kind == "handler":
        shift = len(_HANDLER_PREFIX)
        text = _HANDLER_PREFIX + source + _HANDLER_SUFFIX
    lang, query = _language()
    # A parser per call (a few microseconds): parsers are not shared between threads.
    tree = ts.Parser(lang).parse(text)
    root = tree.root_node
    if root.has_error or (kind == "handler" and not _one_function(root, len(text))):
        return UNPARSED
    finder = _Finder(text)
    captures = ts.QueryCursor(query).captures(root)
    if sum(len(nodes) for nodes in captures.values()) > MAX_HITS:
        return TOO_MANY
    for name, nodes in captures.items():
        handle = getattr(finder, "on_" + name, None)
        if handle is not None:
            for node in nodes:
                handle(node)
    if not finder.out:
        return UNCHANGED
    edits = sorted(finder.out, key=lambda p: p[0])
    return Edits(
        "rewritten",
        tuple(dataclasses.replace(e, start=e.start - shift, end=e.end - shift) for _, e in edits),
    )


def apply_edits(
    source: bytes, edits: Edits, map_specifier: Callable[[str], str] | None = None
) -> bytes:
    """`source` with `edits` spliced in; absolute static import specifiers through
    `map_specifier` (kept as they are without one, or when it gives something that
    cannot stand in the string literal)."""
    if edits.status != "rewritten":
        return source
    out: list[bytes] = []
    last = 0
    for e in edits.edits:
        out.append(source[last : e.start])
        text = e.text
        if e.specifier:
            text = _mapped(source, e, map_specifier)
        out.append(text)
        last = e.end
    out.append(source[last:])
    return b"".join(out)


def rewrite_js(
    source: bytes, kind: Kind, map_specifier: Callable[[str], str] | None = None
) -> bytes:
    """`find_edits` then `apply_edits` (uncached)."""
    return apply_edits(source, find_edits(source, kind), map_specifier)


def _mapped(source: bytes, e: Edit, map_specifier: Callable[[str], str] | None) -> bytes:
    if map_specifier is None:
        return e.text
    try:
        new = map_specifier(e.text.decode("utf-8"))
    except Exception:
        return e.text
    quote = source[e.start - 1 : e.start]
    if any(c in new for c in ("\\", "\n", "\r", "\u2028", "\u2029", quote.decode("latin-1"))):
        return e.text
    return new.encode("utf-8")


def _one_function(root: ts.Node, end: int) -> bool:
    """Whether the wrapped handler parsed as the one function it is meant to be."""
    if root.named_child_count != 1:
        return False
    stmt = root.named_children[0]
    inner = stmt.named_children[0] if stmt.named_child_count == 1 else None
    while inner is not None and inner.type == "parenthesized_expression":
        inner = inner.named_children[0] if inner.named_child_count == 1 else None
    if inner is None or inner.type != "function_expression":
        return False
    body = inner.child_by_field_name("body")
    return (
        body is not None
        and body.start_byte == len(_HANDLER_PREFIX) - 1
        and body.end_byte == end - 1
    )


# Where an identifier is not a read: declarations, targets, import/export names.
_NOT_READ_PARENTS = frozenset(
    (
        "formal_parameters",
        "array_pattern",
        "object_pattern",
        "rest_pattern",
        "catch_clause",
        "import_clause",
        "import_specifier",
        "namespace_import",
        "namespace_export",
        "export_specifier",
        "update_expression",
        "function_declaration",
        "function_expression",
        "generator_function_declaration",
        "generator_function",
        "class_declaration",
        "class",
    )
)
# (parent type, field of the child) pairs that are declarations or targets.
_NOT_READ_FIELDS = frozenset(
    (
        ("variable_declarator", "name"),
        ("assignment_expression", "left"),
        ("augmented_assignment_expression", "left"),
        ("for_in_statement", "left"),
        ("assignment_pattern", "left"),
        ("object_assignment_pattern", "left"),
        ("pair_pattern", "value"),
        ("arrow_function", "parameter"),
    )
)
# Expressions that extend a member chain to the left: `new X.y()` needs the parenthesis.
_CHAIN = frozenset(("member_expression", "subscript_expression"))


# The fields the rules look at. Asked by name (tree-sitter finds a field's child in C),
# never by listing `parent.children`: a node with many children (an array literal of
# 10 000 `top`s) would make that quadratic in Python objects.
_FIELDS = (
    "left",
    "name",
    "object",
    "function",
    "constructor",
    "value",
    "parameter",
    "argument",
    "right",
)


def _field_of(parent: ts.Node, child: ts.Node) -> str | None:
    for name in _FIELDS:
        c = parent.child_by_field_name(name)
        if c is not None and c.start_byte == child.start_byte and c == child:
            return name
    return None


class _Finder:
    """Turns the query's captures into edits, each with the key that orders it."""

    def __init__(self, text: bytes) -> None:
        self.text = text
        # (sort key, edit). Keys: (offset, phase, ...): at one offset closing texts
        # come first (inner ranges first), then replacements, then opening texts
        # (outer ranges first).
        self.out: list[tuple[tuple[int, int, int, int], Edit]] = []

    # -- edits ----------------------------------------------------------------

    def wrap(self, node: ts.Node, opening: str, closing: str = ")", *, level: int = 2) -> None:
        """`opening` before `node` and `closing` after it; `level` orders wraps of one
        range (lower is outer): 0 for what wraps an argument or a right-hand side
        (`a`, `e`, `i`), 1 for what takes the place of a whole call or assignment (`s`,
        `p`), 2 for the reads (`w`, `u`)."""
        self.around(node.start_byte, node.end_byte, opening, closing, level=level)

    def around(self, start: int, end: int, opening: str, closing: str, *, level: int) -> None:
        """`opening` at `start` and `closing` at `end`, for a range [start, end)."""
        self.out.append(((start, 2, -end, level), Edit(start, start, opening.encode())))
        if closing:
            self.out.append(((end, 0, -start, -level), Edit(end, end, closing.encode())))

    def replace(self, start: int, end: int, text: str) -> None:
        # Line breaks in the replaced range are kept, so that line numbers never change.
        breaks = self.text.count(b"\n", start, end)
        self.out.append(((start, 1, 0, 0), Edit(start, end, text.encode() + b"\n" * breaks)))

    # -- context --------------------------------------------------------------

    def is_read(self, node: ts.Node) -> bool:
        parent = node.parent
        if parent is None:
            return False
        if parent.type in _NOT_READ_PARENTS:
            return False
        if (
            parent.type == "unary_expression"
            and self.text[parent.start_byte : parent.start_byte + 6] == b"delete"
        ):
            return False
        field = _field_of(parent, node)
        if (parent.type, field) in _NOT_READ_FIELDS:
            return False
        if parent.type == "arguments" and _own_call(parent.parent, self.text):
            return False  # already rewritten
        return not (parent.type == "for_in_statement" and field == "left")

    def wrap_read(self, node: ts.Node, fn: str = "w") -> None:
        """`__cobrowse$.w(node)`, parenthesized when it heads the callee of a `new`."""
        child, parent = node, node.parent
        while parent is not None and parent.type in _CHAIN and _field_of(parent, child) == "object":
            child, parent = parent, parent.parent
        if (
            parent is not None
            and parent.type == "new_expression"
            and _field_of(parent, child) == "constructor"
        ):
            self.wrap(node, f"({G}.{fn}(", "))")
        else:
            self.wrap(node, f"{G}.{fn}(")

    # -- captures -------------------------------------------------------------

    def on_ident(self, node: ts.Node) -> None:
        parent = node.parent
        if (
            parent is not None
            and parent.type == "assignment_expression"
            and node.text == b"location"
            and _field_of(parent, node) == "left"
        ):
            right = parent.child_by_field_name("right")
            if right is not None and not _own_call(right, self.text, "a"):
                self.wrap(right, f"{G}.a(location, ", level=0)
            return
        if parent is not None and parent.type == "unary_expression" and _is_typeof(parent):
            return  # `typeof top` must not throw where `top` is undeclared (workers)
        if self.is_read(node):
            self.wrap_read(node)

    def on_shorthand(self, node: ts.Node) -> None:
        name = (node.text or b"").decode()
        self.replace(node.start_byte, node.end_byte, f"{name}: {G}.w({name})")

    def on_member(self, node: ts.Node) -> None:
        prop = node.child_by_field_name("property")
        obj = node.child_by_field_name("object")
        if prop is None or obj is None:
            return
        name = prop.text or b""
        parent = node.parent
        if parent is None:
            return
        field = _field_of(parent, node)
        if name == b"postMessage":
            self.post_message(node, obj, prop, "p")
            return
        if name == b"eval" and parent.type == "call_expression" and field == "function":
            self.post_message(node, obj, prop, "v")  # `X.eval(...)`: `this` stays X
            return
        if parent.type == "assignment_expression" and field == "left":
            if name == b"location" and not _optional(node):
                right = parent.child_by_field_name("right")
                if right is not None:
                    self.around(parent.start_byte, parent.end_byte, f"{G}.s(", ")", level=1)
                    self.replace(obj.end_byte, right.start_byte, ', "location", ')
            return
        if parent.type in ("call_expression", "new_expression") and field in (
            "function",
            "constructor",
        ):
            return  # a method call (`$(el).parent()`): `this` must stay
        if self.is_read(node):
            self.wrap_read(node)

    def post_message(self, member: ts.Node, obj: ts.Node, prop: ts.Node, fn: str) -> None:
        """`X.<prop>(args)` as `__cobrowse$.<fn>(X, args)` (`p`: postMessage, `v`: eval)."""
        call = member.parent
        if (
            call is None
            or call.type != "call_expression"
            or _field_of(call, member) != "function"
            or _optional(member)
            or any(c.type == "optional_chain" for c in call.children)
        ):
            return
        args = call.child_by_field_name("arguments")
        opening = None if args is None or args.type != "arguments" else args.child(0)
        if args is None or opening is None:
            return
        has_args = args.named_child_count > 0
        self.around(call.start_byte, call.end_byte, f"{G}.{fn}(", "", level=1)
        self.replace(obj.end_byte, opening.end_byte, ", " if has_args else "")

    def on_eval(self, node: ts.Node) -> None:
        self.wrap_first_argument(node, "e")

    def on_eval_ident(self, node: ts.Node) -> None:
        """`eval` read other than as the callee of a call (`const e = eval`):
        `__cobrowse$.w(eval)`, the rewriting eval. As the callee through parentheses or
        as the last of a sequence (`(eval)(s)`, direct; `(0, eval)(s)`, indirect), its
        first argument is rewritten instead, as a direct eval's is."""
        child, parent = node, node.parent
        while parent is not None and (
            parent.type == "parenthesized_expression"
            or (parent.type == "sequence_expression" and child.end_byte == parent.end_byte)
        ):
            child, parent = parent, parent.parent
        if (
            parent is not None
            and parent.type == "call_expression"
            and _field_of(parent, child) == "function"
        ):
            if child is not node:
                self.wrap_first_argument(parent, "e")
            return
        if (
            node.parent is not None
            and node.parent.type == "unary_expression"
            and _is_typeof(node.parent)
        ):
            return
        if self.is_read(node):
            self.wrap_read(node)

    def on_dynamic_import(self, node: ts.Node) -> None:
        self.wrap_first_argument(node, "i")

    def wrap_first_argument(self, call: ts.Node, fn: str) -> None:
        args = call.child_by_field_name("arguments")
        if args is None or args.type != "arguments" or args.named_child_count == 0:
            return
        first = args.named_child(0)
        if first is None or first.type == "spread_element" or _own_call(first, self.text, fn):
            return
        self.wrap(first, f"{G}.{fn}(", level=0)

    def on_meta_url(self, node: ts.Node) -> None:
        obj = node.child_by_field_name("object")
        if obj is None or obj.text != b"import.meta":
            return
        parent = node.parent
        if parent is None or (
            parent.type in ("assignment_expression", "augmented_assignment_expression")
            and _field_of(parent, node) == "left"
        ):
            return
        if parent.type == "arguments" and _own_call(parent.parent, self.text):
            return
        self.wrap_read(node, "u")

    def on_meta_resolve(self, node: ts.Node) -> None:
        """`import.meta.resolve(x)`: a proxy URL, given as its upstream one."""
        callee = node.child_by_field_name("function")
        if callee is None:
            return
        obj = callee.child_by_field_name("object")
        if obj is None or obj.text != b"import.meta" or _optional(callee):
            return
        up = node.parent
        if up is not None and up.type == "arguments" and _own_call(up.parent, self.text):
            return
        self.wrap_read(node, "u")

    def on_specifier(self, node: ts.Node) -> None:
        raw = node.text or b""
        string = node.parent
        if string is None or string.named_child_count != 1 or not _ABSOLUTE_SPECIFIER.match(raw):
            return
        self.out.append(
            ((node.start_byte, 1, 0, 0), Edit(node.start_byte, node.end_byte, raw, specifier=True))
        )


def _is_typeof(unary: ts.Node) -> bool:
    operator = unary.child_by_field_name("operator")
    return operator is not None and operator.type == "typeof"


def _optional(member: ts.Node) -> bool:
    return any(c.type == "optional_chain" for c in member.children)


def _own_call(node: ts.Node | None, text: bytes, fn: str | None = None) -> bool:
    """Whether `node` is a call of `__cobrowse$.<fn>` (any of the rules' functions)."""
    if node is None or node.type != "call_expression":
        return False
    callee = node.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return False
    obj = callee.child_by_field_name("object")
    prop = callee.child_by_field_name("property")
    if obj is None or prop is None or obj.text != G.encode():
        return False
    name = (prop.text or b"").decode()
    return name == fn if fn is not None else name in _OWN_CALLS
