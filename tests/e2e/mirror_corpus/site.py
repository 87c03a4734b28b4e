"""The mirror-fidelity corpus (tests/e2e/test_mirror_fidelity.py): small pages in the
shape of real ones (an admin dashboard with a chart drawn on a canvas, MDN-style canvas
and WebGL examples, a shop showing images from blob: URLs, a design-system form, a
docs page with a web font, a TodoMVC-like list, and pages with masked and private
canvases), each embedding the widget of the cobrowse server under test."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.e2e.corpus.site import font_file
from tests.e2e.demo_process import embedding_site_routes, free_port, serving_in_thread

HERE = Path(__file__).parent
PAGES = ("dashboard", "drawing", "shop", "form", "docs", "todo", "masked", "private", "live")
PRODUCTS = {  # name: two colours of a product photo's gradient
    "saree": ((176, 40, 62), (240, 180, 90)),
    "stole": ((40, 90, 160), (200, 220, 240)),
    "kurta": ((30, 50, 110), (120, 150, 210)),
    "rug": ((120, 70, 30), (230, 200, 150)),
}
# What the agent's mirror must never show: canvases filled with this colour (masked.html,
# private.html); and the colour of the allowed ones beside them.
SECRET_RGB = (250, 0, 200)
ALLOWED_RGB = (0, 150, 90)
OPTED_OUT_RGB = (240, 200, 0)
VALUE_RGB = (0, 90, 250)  # a canvas that draws a PAN as text (masked.html)


def photo_png(width: int, height: int, a: tuple[int, int, int], b: tuple[int, int, int]) -> bytes:
    """An RGB PNG with a diagonal gradient and stripes, like a small product photo."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            t = (x + y) / (width + height)
            stripe = 18 if (x // 12 + y // 12) % 2 else 0
            row += bytes(min(255, int(a[k] + (b[k] - a[k]) * t) + stripe) for k in range(3))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def masking_env(origin: str) -> dict[str, str]:
    """private.html is private by default; only `.public` is readable there."""
    rules = [
        {
            "origin": origin,
            "urls": ["/private.html"],
            "private_by_default": True,
            "allow": [".public"],
        }
    ]
    return {"COBROWSE_MASKING_SITES": json.dumps(rules)}


@dataclass
class Site:
    origin: str
    server: str = ""  # the cobrowse server whose widget the pages embed (set once it runs)


@contextmanager
def mirror_site() -> Iterator[Site]:
    """The corpus on shop.demo.localhost:<free port>."""
    port = free_port()
    site = Site(origin=f"http://shop.demo.localhost:{port}")
    files: dict[str, tuple[bytes, str]] = {
        "/common.css": ((HERE / "common.css").read_bytes(), "text/css"),
        "/fonts/docs-mono.ttf": (font_file().read_bytes(), "font/ttf"),
    }
    for name, (a, b) in PRODUCTS.items():
        files[f"/img/{name}.png"] = (photo_png(200, 150, a, b), "image/png")
    no_store = {"cache-control": "no-store"}

    async def page(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGES:
            return Response("not found", status_code=404)
        # Without async, as README advises for pages that draw canvases as they load: a
        # canvas drawn before the widget's script runs is held until redrawn in full.
        widget = f'<script src="{site.server}/cobrowse.js"></script>'
        text = (HERE / f"{name}.html").read_text().replace("{{WIDGET}}", widget)
        return HTMLResponse(text, headers=no_store)

    async def static(request: Request) -> Response:
        body, kind = files[request.url.path]
        headers = dict(no_store)
        if kind.startswith("font/"):
            # As font hosts serve them. In inline mode the agent's mirror loads the font
            # from the site itself, cross-origin, which a font load needs CORS for.
            headers["access-control-allow-origin"] = "*"
        return Response(body, media_type=kind, headers=headers)

    app = Starlette(
        routes=[
            *(Route(path, static) for path in files),
            *embedding_site_routes(lambda: site.server),
            Route("/{name}.html", page),
        ]
    )
    with serving_in_thread(app, port, what="mirror corpus"):
        yield site
