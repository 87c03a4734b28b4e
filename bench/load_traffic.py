"""What a load-test visitor sends: rrweb-shaped events, the way the recorder frames them.

A page starts with a Meta event (type 4) and a FullSnapshot (type 2) of about
`SNAPSHOT_BYTES`; then incremental snapshots (type 3) of the shapes a form-filling
visitor produces: mouse moves, mouse interactions, scrolls, inputs, mutations. Each
event carries its send time (`timestamp`, Unix milliseconds as rrweb has it, with
a fraction) so the agent side can measure the relay latency.

Events are pre-encoded templates; only the timestamp is written per send, so the
generator spends its CPU on sockets, not on JSON.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

SNAPSHOT_BYTES = 353_000
FRAME_HEAD = b'{"v":1,"t":"events","events":['
FRAME_TAIL = b"]}"


def _incremental(data: dict[str, object]) -> bytes:
    """The bytes of a type 3 event before its timestamp value."""
    return b'{"type":3,"data":' + orjson.dumps(data) + b',"timestamp":'


def _mouse_moves(rng: random.Random) -> dict[str, object]:
    x, y = rng.randrange(40, 1240), rng.randrange(60, 760)
    return {
        "source": 1,
        "positions": [
            {"x": x + 7 * k, "y": y + 3 * k, "id": rng.randrange(20, 900), "timeOffset": -40 * k}
            for k in range(5)
        ],
    }


def _mutation(rng: random.Random) -> dict[str, object]:
    node = rng.randrange(20, 900)
    return {
        "source": 0,
        "texts": [
            {
                "id": node,
                "value": f"Gross total income (Part B-TI): Rs {rng.randrange(10**5, 10**7):,}",
            }
        ],
        "attributes": [{"id": node + 1, "attributes": {"class": "field field--valid"}}],
        "removes": [],
        "adds": [  # half the time a validation hint appears
            {
                "parentId": node + 2,
                "nextId": None,
                "node": {
                    "type": 2,
                    "tagName": "span",
                    "attributes": {"class": "hint"},
                    "childNodes": [],
                    "id": node + 900,
                },
            }
        ][: rng.randrange(2)],
    }


def _scroll(rng: random.Random) -> dict[str, object]:
    return {"source": 3, "id": 1, "x": 0, "y": rng.randrange(0, 4000)}


def _input(rng: random.Random) -> dict[str, object]:
    return {
        "source": 5,
        "text": "*" * rng.randrange(4, 24),  # masked in the visitor's browser
        "isChecked": False,
        "id": rng.randrange(20, 900),
        "userTriggered": True,
    }


def _click(rng: random.Random) -> dict[str, object]:
    return {
        "source": 2,
        "type": 2,
        "id": rng.randrange(20, 900),
        "x": rng.randrange(0, 1280),
        "y": rng.randrange(0, 800),
        "pointerType": 0,
    }


# (shape, weight): mostly pointer movement, then typing and the page reacting to it.
SHAPES = ((_mouse_moves, 5), (_mutation, 3), (_input, 2), (_scroll, 1), (_click, 1))


@dataclass(frozen=True, slots=True)
class Traffic:
    """Pre-encoded event templates and the page's opening frame."""

    templates: tuple[bytes, ...]
    opening: bytes  # Meta + FullSnapshot, as one `events` frame

    def frame(self, count: int, rng: random.Random) -> bytes:
        stamp = b"%.3f}" % (time.time() * 1000)
        parts = [rng.choice(self.templates) + stamp for _ in range(count)]
        return FRAME_HEAD + b",".join(parts) + FRAME_TAIL

    def mean_event_bytes(self) -> float:
        stamp = len(b"%.3f}" % (time.time() * 1000))
        return sum(len(t) + stamp for t in self.templates) / len(self.templates)


def build_traffic(seed: int = 1) -> Traffic:
    rng = random.Random(seed)
    templates = tuple(
        _incremental(shape(rng)) for shape, weight in SHAPES for _ in range(weight * 200)
    )
    return Traffic(templates=templates, opening=opening_frame(rng))


def opening_frame(rng: random.Random) -> bytes:
    now = time.time() * 1000
    meta = {
        "type": 4,
        "data": {"href": "https://efiling.example.gov.in/itr/return", "width": 1280, "height": 800},
        "timestamp": now,
    }
    snapshot = {
        "type": 2,
        "data": {"node": _document(rng), "initialOffset": {"left": 0, "top": 0}},
        "timestamp": now,
    }
    return FRAME_HEAD + orjson.dumps(meta) + b"," + orjson.dumps(snapshot) + FRAME_TAIL


def _document(rng: random.Random) -> dict[str, object]:
    """A serialized DOM (rrweb's node format) of about SNAPSHOT_BYTES: a form page."""
    ids = iter(range(1, 10**7))
    css_rule = ".field{display:flex;gap:8px;margin:4px 0;padding:6px;border:1px solid #ccd}"
    style = {"type": 3, "id": next(ids), "textContent": css_rule * 200, "isStyle": True}
    head = _element(ids, "head", {}, [_element(ids, "style", {}, [style])])
    rows: list[dict[str, object]] = []
    body = _element(ids, "body", {"class": "portal"}, rows)
    doc = {
        "type": 0,
        "id": next(ids),
        "childNodes": [
            {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": next(ids)},
            _element(ids, "html", {"lang": "en"}, [head, body]),
        ],
    }
    while len(orjson.dumps(doc)) < SNAPSHOT_BYTES:
        rows.append(_form_row(ids, rng))
    return doc


def _element(
    ids: Iterator[int], tag: str, attributes: dict[str, str], children: list[dict[str, object]]
) -> dict[str, object]:
    return {
        "type": 2,
        "tagName": tag,
        "attributes": attributes,
        "childNodes": children,
        "id": next(ids),
    }


def _form_row(ids: Iterator[int], rng: random.Random) -> dict[str, object]:
    field_id = f"f{rng.randrange(10**6)}"
    text = "Income from other sources (Schedule OS)"
    label_text: dict[str, object] = {"type": 3, "textContent": text, "id": next(ids)}
    label = _element(ids, "label", {"for": field_id, "class": "field__label"}, [label_text])
    attrs = {"id": field_id, "name": field_id, "type": "text", "class": "field__input"}
    box = _element(ids, "input", {**attrs, "value": "*" * rng.randrange(0, 12)}, [])
    return _element(ids, "div", {"class": "field"}, [label, box])
