"""The fidelity corpus: two small sites on loopback (site A and site B, two origins).

The pages are files under `a/` and `b/`, templated at serve time:

    {{A}} {{B}}       the two origins (http://127.0.0.1:<port>)
    {{A_HOST}}        site A's host:port (for protocol-relative URLs)
    {{B_WS}}          ws://127.0.0.1:<port of B>
    {{SRI:a/x.css}}   the sha384 integrity value of that corpus file as served

Dynamic routes (login, SPA data, form and upload results, downloads, compressed and
streamed bodies, WebSocket echo, cookie echo) live here. Everything is deterministic:
no clock, no randomness in what a page draws. Used by tests/e2e/test_fidelity.py and
bench/.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import re
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.e2e.demo_process import free_port, serving_in_thread

ROOT = Path(__file__).parent
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
)
SESSION_TOKEN = "s3ss10n-7c1e"  # what a correct login sets (HttpOnly)
USER, PASSWORD = "asha", "correct horse"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
}
_TOKEN = re.compile(r"\{\{([A-Z_]+)(?::([^}]+))?\}\}")

COLORS = {
    "red": (220, 40, 40),
    "green": (30, 150, 60),
    "blue": (40, 80, 220),
    "orange": (240, 140, 20),
    "gray": (128, 128, 128),
    "purple": (120, 40, 160),
    "black": (0, 0, 0),
    "teal": (0, 128, 128),
    "navy": (10, 20, 100),
    "olive": (120, 120, 0),
    "maroon": (120, 10, 30),
    "lime": (120, 220, 40),
}
_IMAGE = re.compile(r"(?P<color>[a-z]+)-(?P<w>\d{1,3})x(?P<h>\d{1,3})\.png")


@dataclass(frozen=True)
class Corpus:
    a: str  # http://127.0.0.1:<port>
    b: str

    @property
    def origins(self) -> tuple[str, str]:
        return (self.a, self.b)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def font_file() -> Path:
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError("no DejaVu Sans Mono font (Debian package fonts-dejavu-core)")


class Templates:
    """Corpus files rendered for one pair of origins."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._cache: dict[str, bytes] = {}

    def render(self, rel: str) -> bytes:
        if rel not in self._cache:
            text = (ROOT / rel).read_text()
            self._cache[rel] = _TOKEN.sub(self._token, text).encode()
        return self._cache[rel]

    def _token(self, m: re.Match[str]) -> str:
        name, arg = m.group(1), m.group(2)
        c = self.corpus
        if name == "A":
            return c.a
        if name == "B":
            return c.b
        if name == "A_HOST":
            return c.a.split("://", 1)[1]
        if name == "B_WS":
            return "ws://" + c.b.split("://", 1)[1]
        if name == "SRI" and arg:
            digest = hashlib.sha384(self.render(arg)).digest()
            return "sha384-" + base64.b64encode(digest).decode()
        raise ValueError(f"unknown corpus token {m.group(0)}")


def corpus_files() -> list[Path]:
    """Every templated page, stylesheet and script of the corpus (for bench/)."""
    return sorted(p for p in ROOT.rglob("*") if p.suffix in _TYPES and p.is_file())


def _media(rel: str) -> str:
    return _TYPES.get(Path(rel).suffix, "application/octet-stream")


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{title}</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/css/base.css"></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _image(request: Request) -> Response:
    m = _IMAGE.fullmatch(request.path_params["name"])
    if m is None or m.group("color") not in COLORS:
        return PlainTextResponse("no such image", status_code=404)
    data = png(int(m.group("w")), int(m.group("h")), COLORS[m.group("color")])
    return Response(data, media_type="image/png", headers={"cache-control": "no-cache"})


def _static(t: Templates, site: str, extra: dict[str, str] | None = None) -> Any:
    async def static(request: Request) -> Response:
        path = request.url.path.lstrip("/") or "index.html"
        if path.endswith("/"):
            path += "index.html"
        rel = f"{site}/{path}"
        file = (ROOT / rel).resolve()
        if ROOT.resolve() not in file.parents or not file.is_file() or file.suffix not in _TYPES:
            return PlainTextResponse("not found", status_code=404)
        return Response(t.render(rel), media_type=_media(rel), headers=dict(extra or {}))

    return static


def site_a(corpus: Corpus) -> Starlette:
    t = Templates(corpus)
    releases: dict[str, asyncio.Event] = {}

    def file(rel: str, headers: dict[str, str] | None = None) -> Any:
        async def serve(request: Request) -> Response:
            return Response(t.render(rel), media_type=_media(rel), headers=headers or {})

        return serve

    async def index(request: Request) -> HTMLResponse:
        pages = sorted(p.name for p in (ROOT / "a").glob("*.html"))
        links = "".join(f'<li><a href="/{p}">{p}</a></li>' for p in pages)
        return _page("Corpus site A", f'<ul>{links}<li><a href="/spa/">spa/</a></li></ul>')

    async def login(request: Request) -> Response:
        form = await request.form()
        if form.get("user") == USER and form.get("password") == PASSWORD:
            response = RedirectResponse("/account", status_code=303)
            response.set_cookie("sid", SESSION_TOKEN, httponly=True, samesite="lax", path="/")
            return response
        return RedirectResponse("/login.html?failed=1", status_code=303)

    async def account(request: Request) -> Response:
        if request.cookies.get("sid") != SESSION_TOKEN:
            return RedirectResponse("/login.html?next=account", status_code=303)
        return _page(
            "My account",
            f'<p id="result">Signed in as {USER}.</p>'
            '<p><a id="again" href="/account?tab=returns">Returns</a> '
            '<a href="/logout">Sign out</a></p>',
        )

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login.html", status_code=303)
        response.delete_cookie("sid", path="/")
        return response

    async def items(request: Request) -> JSONResponse:
        page = request.query_params.get("page", "home")
        data = {
            "home": ["returns", "refunds", "notices"],
            "about": ["who we are", "contact hours"],
            "contact": ["phone 1800-000", "email help@example.test"],
            "csp": ["allowed"],
        }.get(page, ["nothing here"])
        return JSONResponse({"title": f"Page: {page}", "items": data})

    async def form_result(request: Request) -> HTMLResponse:
        fields: list[tuple[str, str]] = list(request.query_params.multi_items())
        if request.method == "POST":
            form = await request.form()
            fields += [(k, str(v)) for k, v in form.multi_items()]
        listed = "".join(f"<li>{_escape(k)} = {_escape(v)}</li>" for k, v in fields)
        return _page("Form result", f'<p id="result">{request.method}</p><ul>{listed}</ul>')

    async def upload(request: Request) -> Response:
        form = await request.form()
        doc = form.get("doc")
        note = str(form.get("note", ""))
        if not isinstance(doc, UploadFile):
            return PlainTextResponse("no file", status_code=400)
        data = await doc.read()
        info = {
            "note": note,
            "name": doc.filename or "",
            "size": len(data),
            "type": doc.content_type or "",
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if request.query_params.get("format") == "json":
            return JSONResponse(info)
        return _page(
            "Uploaded",
            f'<p id="result">{_escape(str(info["name"]))}: {info["size"]} bytes, '
            f"{_escape(str(info['type']))}, sha256 {str(info['sha256'])[:16]}</p>"
            f"<p>note: {_escape(note)}</p>",
        )

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "statement.csv":
            body = b"date,amount\n2024-04-01,1200\n2024-05-01,800\n"
            kind = "text/csv"
        elif name == "form-16.pdf":
            body = b"%PDF-1.4\n% corpus\n" + b"0" * 4000 + b"\n%%EOF\n"
            kind = "application/pdf"
        else:
            return PlainTextResponse("not found", status_code=404)
        return Response(
            body,
            media_type=kind,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    def encoded(coding: str) -> Any:
        async def serve(request: Request) -> Response:
            name = request.path_params["name"]
            if name == "data.json":
                words = [f"word{i:03d}" for i in range(300)]
                raw = ('{"words": [' + ", ".join(f'"{w}"' for w in words) + "]}").encode()
                media = "application/json"
            else:
                rel = f"a/{'css' if name.endswith('.css') else 'js'}/{name}"
                if not (ROOT / rel).is_file():
                    return PlainTextResponse("not found", status_code=404)
                raw, media = t.render(rel), _media(rel)
            body = brotli.compress(raw) if coding == "br" else gzip.compress(raw, mtime=0)
            return Response(body, media_type=media, headers={"content-encoding": coding})

        return serve

    async def compressed_page(request: Request) -> Response:
        body = gzip.compress(t.render("a/compressed.html"), mtime=0)
        return Response(body, media_type=_media("x.html"), headers={"content-encoding": "gzip"})

    async def stream(request: Request) -> Response:
        key = request.query_params.get("id", "")
        event = releases[key] = asyncio.Event()

        async def parts() -> AsyncIterator[bytes]:
            for i in (1, 2, 3):
                yield f"part {i}\n".encode()
            try:
                await asyncio.wait_for(event.wait(), timeout=20)
            except TimeoutError:
                yield b"timed out waiting for the page\n"
                return
            for i in (4, 5, 6):
                yield f"part {i}\n".encode()

        return StreamingResponse(parts(), media_type="text/plain; charset=utf-8")

    async def release(request: Request) -> Response:
        event = releases.get(request.query_params.get("id", ""))
        if event is not None:
            event.set()
        return Response(status_code=204)

    async def cookies(request: Request) -> JSONResponse:
        names = sorted(
            f"{k}=(httponly)" if k == "sid" else f"{k}={v}" for k, v in request.cookies.items()
        )
        return JSONResponse({"names": names})

    def set_cookie(response: Response, request: Request) -> Response:
        """The cookie `?name=&value=` (HttpOnly with `&httponly=1`, Path `&path=`)."""
        q = request.query_params
        response.set_cookie(
            q.get("name", "c"),
            q.get("value", "1"),
            path=q.get("path", "/"),
            httponly=q.get("httponly") == "1",
            samesite="lax",
        )
        return response

    async def cookie_json(request: Request) -> Response:
        return set_cookie(JSONResponse({"set": request.query_params.get("name", "c")}), request)

    async def cookie_image(request: Request) -> Response:
        image = Response(png(8, 8, COLORS["teal"]), media_type="image/png")
        image.headers["cache-control"] = "no-store"
        return set_cookie(image, request)

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        try:
            async for text in ws.iter_text():
                await ws.send_text(f"echo:{text}")
        except WebSocketDisconnect:
            pass

    frame_headers = {"x-frame-options": "SAMEORIGIN"}
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"font-src {corpus.b}; img-src 'self' {corpus.b}; connect-src 'self'; "
        "frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
    )
    return Starlette(
        routes=[
            Route("/", index),
            Route("/img/{name}", _image),
            Route("/deep/dir/page.html", file("a/deep-page.html")),
            Route("/deep/up.html", file("a/deep-page.html")),
            Route("/csp.html", file("a/csp.html", {"content-security-policy": csp})),
            Route("/frame-child.html", file("a/frame-child.html", frame_headers)),
            Route("/frames.html", file("a/frames.html", frame_headers)),
            Route("/frames-postmessage.html", file("a/frames-postmessage.html", frame_headers)),
            Route("/compressed.html", compressed_page),
            Route("/login", login, methods=["POST"]),
            Route("/account", account),
            Route("/logout", logout),
            Route("/spa/", file("a/spa/index.html")),
            Route("/spa/{page}", file("a/spa/index.html")),
            Route("/api/items", items),
            Route("/api/cookies", cookies),
            Route("/api/set-cookie", cookie_json),
            Route("/api/cookie-image.png", cookie_image),
            Route("/form-result", form_result, methods=["GET", "POST"]),
            Route("/upload", upload, methods=["POST"]),
            Route("/download/{name}", download),
            Route("/br/{name}", encoded("br")),
            Route("/gz/{name}", encoded("gzip")),
            Route("/stream", stream),
            Route("/stream/release", release, methods=["POST"]),
            WebSocketRoute("/ws/echo", echo),
            Route("/{path:path}", _static(t, "a")),
        ]
    )


def site_b(corpus: Corpus) -> Starlette:
    """The other origin: a font, a module, stylesheets and scripts with CORS for site A,
    a frame that only site A may embed, a WebSocket that only site A's pages may open."""
    t = Templates(corpus)
    cors = {"access-control-allow-origin": corpus.a, "vary": "Origin"}

    async def font(request: Request) -> Response:
        return Response(
            font_file().read_bytes(),
            media_type="font/ttf",
            headers={**cors, "timing-allow-origin": corpus.a},
        )

    async def frame(request: Request) -> Response:
        return Response(
            t.render("b" + request.url.path),
            media_type=_media("x.html"),
            headers={"content-security-policy": f"frame-ancestors {corpus.a}"},
        )

    async def echo(ws: WebSocket) -> None:
        if ws.headers.get("origin") != corpus.a:
            await ws.close(code=4403)
            return
        await ws.accept()
        try:
            async for text in ws.iter_text():
                await ws.send_text(f"B echo:{text}")
        except WebSocketDisconnect:
            pass

    return Starlette(
        routes=[
            Route("/img/{name}", _image),
            Route("/fonts/corpus-mono.ttf", font),
            Route("/b-frame.html", frame),
            Route("/b-frame-targeted.html", frame),
            WebSocketRoute("/ws/echo", echo),
            Route("/{path:path}", _static(t, "b", cors)),
        ]
    )


def _serve(app: Starlette, port: int) -> AbstractContextManager[None]:
    return serving_in_thread(app, port, what="a corpus site")


@contextmanager
def running_corpus() -> Iterator[Corpus]:
    """Both sites, each on its own loopback port, for the duration of the block."""
    corpus = Corpus(a=f"http://127.0.0.1:{free_port()}", b=f"http://127.0.0.1:{free_port()}")
    with (
        _serve(site_a(corpus), int(corpus.a.rsplit(":", 1)[1])),
        _serve(site_b(corpus), int(corpus.b.rsplit(":", 1)[1])),
    ):
        yield corpus


if __name__ == "__main__":  # browse the corpus by hand: python -m tests.e2e.corpus.site
    with running_corpus() as c:
        print(f"site A: {c.a}/\nsite B: {c.b}/", flush=True)
        threading.Event().wait()
