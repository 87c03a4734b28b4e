"""An SVG image the agent's mirror loads, with the value patterns masked in what a
renderer shows (docs/masking.md, "SVG images").

The file is parsed as XML with defusedxml's expat reader (entity declarations refused,
nothing read from outside: a DTD is named, never fetched), so character references (`&#69;`), the
predefined entities and CDATA are decoded as a renderer decodes them. Searched:
  - the text each `<text>` element draws: its tspans, textPaths and links joined, with
    the white space rules a renderer may apply (newlines dropped, or made spaces; runs of
    spaces collapsed), without the indentation between tspans (each may be placed
    anywhere), and reversed when the image overrides the text direction;
  - all the drawn text of the image, one `<text>` after another, a space between;
  - every text node on its own (titles, descriptions, metadata: tooltips and what a
    reader of the file sees);
  - every attribute value (also URL-decoded piece by piece, as the browser's masker),
    but those that only hold geometry (`d`, `points`, `transform`, lengths...);
  - `<style>` and `style` attributes as stylesheets (rewrite.css_mask);
  - `data:image/svg+xml` images inside, recursively.
A masked character becomes `*` where it was; the image is written out again (UTF-8,
comments, processing instructions and the doctype left out). Scripts and `on*`
attributes never run in an image and are left out too: what they would compute cannot
be checked. What cannot be proven clean is not served: an SVG with `<foreignObject>`
(HTML laid out by its own rules), an entity declaration, a reference to an entity no one
declared, nesting deeper than MAX_DEPTH, or one that does not parse becomes an empty
SVG of the same width, height and viewBox.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes
from xml.sax import SAXException
from xml.sax.handler import ContentHandler, feature_external_ges, property_lexical_handler
from xml.sax.xmlreader import AttributesImpl, InputSource

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from cobrowse.core.masking import Pattern
from cobrowse.core.masking_urls import mask_string
from cobrowse.rewrite.css_mask import mask_css
from cobrowse.rewrite.views import Slot, View, one_slot

__all__ = ["MAX_DEPTH", "mask_svg", "mask_svg_data_url"]

MAX_DEPTH = 200  # elements inside elements
MAX_NESTED = 2  # data: SVG images inside SVG images inside ...
_REFUSED = frozenset(("foreignobject",))
_DROPPED = frozenset(("script",))
_NOT_DRAWN = frozenset(("title", "desc", "metadata", "style", "script"))
# Attributes that hold numbers, lengths, path data or transforms: they draw shapes, never
# text, and masking a long run of digits in them would move or break the shape.
_GEOMETRY = frozenset(
    """d points viewbox transform gradienttransform patterntransform x y x1 x2 y1 y2 cx cy
    r rx ry fx fy fr dx dy width height rotate offset pathlength path values keytimes
    keysplines keypoints stddeviation kernelmatrix kernelunitlength tablevalues
    stroke-width stroke-dasharray stroke-dashoffset stroke-miterlimit opacity
    fill-opacity stroke-opacity stop-opacity font-size refx refy markerwidth markerheight
    startoffset textlength baseline-shift letter-spacing word-spacing""".split()  # noqa: SIM905
)
_BIDI_OVERRIDE = re.compile(r"bidi-override|[\u202d\u202e]", re.IGNORECASE)
_LENGTH = re.compile(r"[ \t\n\r]*[0-9.]{1,20}(?:e[+-]?[0-9]{1,3})?(?:[a-z]{1,3}|%)?[ \t\n\r]*")
_VIEW_BOX = re.compile(r"[ \t\n\r]*(?:[-+0-9.eE]{1,20}[ \t\n\r,]+){3}[-+0-9.eE]{1,20}[ \t\n\r]*")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class _Refused(Exception):
    """The image cannot be proven clean: it is served as an empty placeholder."""


@dataclass(slots=True, eq=False)  # a slot: hashed by identity
class _Text:
    value: str
    masked: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Element:
    name: str
    attrs: list[tuple[str, str]]
    children: list[_Element | _Text] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.name.rpartition(":")[2].lower()


class _Builder(ContentHandler):
    """The document as a tree; comments, processing instructions and the doctype are
    not kept (the lexical handler sees them and drops them)."""

    def __init__(self) -> None:
        super().__init__()
        self.root: _Element | None = None
        self.stack: list[_Element] = []

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        element = _Element(name, list(attrs.items()))
        if self.root is None:
            self.root = element
        elif self.stack:
            self.stack[-1].children.append(element)
        if element.local in _REFUSED:
            raise _Refused(element.local)
        self.stack.append(element)
        if len(self.stack) > MAX_DEPTH:
            raise _Refused("too deep")

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if not self.stack:
            return
        children = self.stack[-1].children
        if children and isinstance(children[-1], _Text):
            children[-1].value += content
        else:
            children.append(_Text(content))

    def skippedEntity(self, name: str) -> None:
        raise _Refused(f"entity {name} is declared nowhere")

    # the lexical handler: what it reports is left out
    def comment(self, content: str) -> None:
        return None

    def startCDATA(self) -> None:
        return None

    def endCDATA(self) -> None:
        return None

    def startDTD(self, name: str, public_id: str | None, system_id: str | None) -> None:
        return None

    def endDTD(self) -> None:
        return None

    def startEntity(self, name: str) -> None:
        return None

    def endEntity(self, name: str) -> None:
        return None


class _Parser(DefusedExpatParser):  # type: ignore[misc]  # defusedxml has no types
    """defusedxml's expat reader: entity declarations refused; the doctype allowed (SVG
    1.1 files name their DTD), but no external entity or DTD is ever read."""

    def external_entity_ref(
        self, context: str, base: str | None, sysid: str | None, pubid: str | None
    ) -> int:
        return 1  # skipped: expat then reports what it would have defined as skipped


def _parse(body: bytes, charset: str | None, builder: _Builder) -> None:
    parser = _Parser(forbid_dtd=False, forbid_entities=True, forbid_external=False)
    parser.setFeature(feature_external_ges, False)
    parser.setContentHandler(builder)
    parser.setProperty(property_lexical_handler, builder)
    source = InputSource()
    source.setByteStream(io.BytesIO(body))
    if charset:
        source.setEncoding(charset)
    try:
        parser.parse(source)
    except (SAXException, DefusedXmlException, LookupError, ValueError) as exc:
        raise _Refused(type(exc).__name__) from None
    if builder.root is None:
        raise _Refused("no root element")


def mask_svg(
    body: bytes, patterns: Sequence[Pattern], *, charset: str | None = None, nested: int = 0
) -> bytes:
    """The SVG `body` masked (UTF-8), or an empty one of its size when it cannot be
    proven clean. `charset`: what the response's Content-Type says, if anything."""
    if not patterns:
        return body
    builder = _Builder()
    try:
        _parse(body, charset, builder)
        assert builder.root is not None
        reverse = _BIDI_OVERRIDE.search(body.decode("utf-8", "replace")) is not None
        _Masker(patterns, nested=nested, reverse=reverse).run(builder.root)
        return (_XML_DECLARATION + _serialize(builder.root)).encode()
    except (_Refused, RecursionError):
        return _placeholder(_root_attributes(builder.root, body))


def mask_svg_data_url(url: str, patterns: Sequence[Pattern], *, nested: int = 0) -> str:
    """A `data:image/svg+xml[;charset=...][;base64],...` URL with the SVG in it masked
    (always base64 then); any other URL as it is."""
    head, comma, data = url.partition(",")
    params = [p.strip().lower() for p in head.split(";")]
    if not comma or not params or params[0] != "data:image/svg+xml":
        return url
    charset = next((p[8:] for p in params if p.startswith("charset=")), None)
    try:
        raw = base64.b64decode(data) if "base64" in params else unquote_to_bytes(data)
    except (binascii.Error, ValueError):
        raw = b""
    if nested >= MAX_NESTED:
        masked = _placeholder([])
    else:
        masked = mask_svg(raw or b"<", patterns, charset=charset, nested=nested + 1)
    return "data:image/svg+xml;base64," + base64.b64encode(masked).decode("ascii")


class _Masker:
    def __init__(self, patterns: Sequence[Pattern], *, nested: int, reverse: bool) -> None:
        self.patterns = patterns
        self.nested = nested
        self.reverse = reverse
        self.drawn: list[View] = []  # each <text>'s text, newlines dropped

    def run(self, root: _Element) -> None:
        self.element(root)
        document = View()
        for i, view in enumerate(self.drawn):
            if i:
                document.add(" ", None)
            for part, slot_of in view.parts():
                document.add(part, slot_of)
        self.apply(document)

    def apply(self, view: View) -> None:
        for slot in view.masked(self.patterns, urls=True):
            assert isinstance(slot, tuple)
            node, index = slot
            node.masked.add(index)

    def element(self, element: _Element) -> None:
        element.attrs = [(k, self.attribute(k, v)) for k, v in element.attrs if _kept(k)]
        kept: list[_Element | _Text] = []
        for child in element.children:
            if isinstance(child, _Element):
                if child.local in _DROPPED:
                    continue
                self.element(child)
            else:
                single = View()
                single.add(child.value, _slots(child))
                self.apply(single)
            kept.append(child)
        element.children = kept
        if element.local == "style":
            css = "".join(c.value for c in kept if isinstance(c, _Text))
            element.children = [_Text(mask_css(css, self.patterns, data_url=self.data_url))]
        elif element.local == "text":
            self.text(element)

    def attribute(self, name: str, value: str) -> str:
        lower = name.lower()
        if lower in _GEOMETRY:
            return value
        if lower == "style":
            return mask_css(value, self.patterns, data_url=self.data_url)
        stripped = value.strip(" \t\n\r\f")
        if stripped[:18].lower() == "data:image/svg+xml":
            return self.data_url(stripped)
        return mask_string(value, self.patterns)

    def data_url(self, url: str) -> str:
        return mask_svg_data_url(url, self.patterns, nested=self.nested)

    def text(self, element: _Element) -> None:
        """What one <text> draws, in every way a renderer may lay out its white space."""
        pieces: list[tuple[_Text, int, str]] = []
        _drawn_chars(element, pieces)
        if not pieces:
            return
        raw, compact, dropped, spaced = View(), View(), View(), View()
        for node, index, ch in pieces:
            slot = (node, index)
            raw.add(ch, one_slot(slot))
            if node.value.strip(" \t\n\r"):  # not only the indentation between tspans
                compact.add(ch, one_slot(slot))
        _add_normalized(dropped, pieces, newline="")
        _add_normalized(spaced, pieces, newline=" ")
        views = [raw, compact, dropped, spaced]
        if self.reverse:
            views.append(_reversed(dropped))
        for view in views:
            self.apply(view)
        self.drawn.append(dropped)


def _kept(attribute: str) -> bool:
    return not attribute.lower().startswith("on")


def _slots(node: _Text) -> Callable[[int], Slot]:
    return lambda i: (node, i)


def _drawn_chars(element: _Element, out: list[tuple[_Text, int, str]]) -> None:
    for child in element.children:
        if isinstance(child, _Text):
            out.extend((child, i, ch) for i, ch in enumerate(child.value))
        elif child.local not in _NOT_DRAWN:
            _drawn_chars(child, out)


def _add_normalized(view: View, pieces: list[tuple[_Text, int, str]], *, newline: str) -> None:
    last = ""
    for node, index, ch in pieces:
        if ch in "\n\r":
            ch = newline
        elif ch == "\t":
            ch = " "
        if not ch or (ch == " " and last == " "):
            continue
        slot = (node, index)
        view.add(ch, one_slot(slot))
        last = ch


def _reversed(view: View) -> View:
    out = View()
    for part, slot_of in reversed(view.parts()):
        for i in range(len(part) - 1, -1, -1):
            slot = None if slot_of is None else slot_of(i)
            out.add(part[i], None if slot is None else one_slot(slot))
    return out


def _escape_text(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _escape_attribute(text: str) -> str:
    return _escape_text(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _masked_value(node: _Text) -> str:
    if not node.masked:
        return node.value
    chars = list(node.value)
    for i in node.masked:
        chars[i] = "*"
    return "".join(chars)


def _serialize(root: _Element) -> str:
    out: list[str] = []

    def write(element: _Element) -> None:
        attrs = "".join(f' {k}="{_escape_attribute(v)}"' for k, v in element.attrs)
        if not element.children:
            out.append(f"<{element.name}{attrs}/>")
            return
        out.append(f"<{element.name}{attrs}>")
        for child in element.children:
            if isinstance(child, _Text):
                out.append(_escape_text(_masked_value(child)))
            else:
                write(child)
        out.append(f"</{element.name}>")

    write(root)
    return "".join(out)


_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][-.\w]*:)?svg[\t\n\r ][^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([-.:\w]+)[\t\n\r ]*=[\t\n\r ]*(?:"([^"<&]*)"|'([^'<&]*)')""")


def _root_attributes(root: _Element | None, body: bytes) -> list[tuple[str, str]]:
    """The root element's attributes; when parsing stopped before it, those its start tag
    shows plainly (no references)."""
    if root is not None:
        return root.attrs
    tag = _ROOT_TAG.search(body[:65536])
    if tag is None:
        return []
    return [
        (m.group(1).decode("latin-1"), (m.group(2) or m.group(3) or b"").decode("latin-1"))
        for m in _ATTRIBUTE.finditer(tag.group(0))
    ]


def _placeholder(attrs: list[tuple[str, str]]) -> bytes:
    """An empty image of the size the root element gives (where it gives one plainly)."""
    size = ""
    for name, value in attrs:
        check = {"width": _LENGTH, "height": _LENGTH, "viewbox": _VIEW_BOX}.get(name.lower())
        if check is not None and check.fullmatch(value):
            size += f' {name}="{value.strip()}"'
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"{size}/>'
    return (_XML_DECLARATION + svg).encode()
