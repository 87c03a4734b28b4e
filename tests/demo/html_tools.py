"""A tiny HTML reader for the portal tests (stdlib only): elements, labels, head order."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"meta", "link", "input", "img", "br", "hr", "source", "area", "base", "col"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parents: tuple[str, ...]
    text: str = ""
    children_text: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.attrs


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), tuple(e.tag for e in self.stack))
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


class Page:
    def __init__(self, markup: str) -> None:
        reader = _Reader()
        reader.feed(markup)
        reader.close()
        self.elements = reader.elements

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
        return found[0]

    def head(self) -> list[Element]:
        return [e for e in self.elements if e.parents[-1:] == ("head",)]

    def labels(self) -> dict[str, str]:
        """Visible label text (whitespace-normalised) -> the id it is for."""
        return {" ".join(e.text.split()): str(e.attrs.get("for")) for e in self.find_all("label")}

    def control(self, label: str) -> Element:
        """The form control labelled exactly `label`."""
        labels = self.labels()
        assert label in labels, f"no label {label!r}; labels are {sorted(labels)}"
        return self.by_id(labels[label])

    def texts(self, tag: str) -> list[str]:
        return [" ".join(e.text.split()) for e in self.find_all(tag)]
