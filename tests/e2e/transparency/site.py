"""The transparency suite's two sites: A (the site the proxy allows) and B (another
origin, allowed too, for cross-origin probes), each a Starlette app on its own loopback
port, reachable under two host names: `a.demo.localhost` / `b.demo.localhost` (the
same-site shape: the demo's proxy hosts are `*.cobrowse.demo.localhost`) and
`127.0.0.1` (the cross-site shape).

Probe pages are files under `a/` and `b/`, templated at serve time for the host name the
request came to (so a page loaded through the proxy sees the same values as one loaded
directly in the same shape):

    {{A}} {{B}}              the two origins (http://<host>:<port>)
    {{A_HOST}} {{B_HOST}}    their host:port
    {{SERVER}}               the co-browse server (site A's home page embeds its widget)

Dynamic routes answer what a probe asks the server: what the request looked like, a
cookie set by a fetch or an image, a `Link` header, XHTML, pages in other encodings, the
raw request target, a WebSocket echo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tests.e2e.corpus.site import png
from tests.e2e.demo_process import serving_in_thread

ROOT = Path(__file__).parent
SHAPES = ("same-site", "cross-site")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
_TOKEN = re.compile(r"\{\{([A-Z_]+)\}\}")
DOT = png(2, 2, (40, 80, 220))
TARGET = "transparency.request_target"  # the scope extension RawTargetProtocol adds


class RawTargetProtocol(HttpToolsProtocol):
    """uvicorn's protocol, also handing the app the request target exactly as it came on
    the request line (the scope's path and query drop a bare `?`)."""

    def on_headers_complete(self) -> None:
        self.scope.setdefault("extensions", {})[TARGET] = {"target": self.url.decode("latin-1")}
        super().on_headers_complete()


@dataclass(frozen=True)
class Origins:
    """Sites A and B as a browser reaches them in one shape."""

    a: str
    b: str

    @property
    def a_host(self) -> str:
        return self.a.split("://", 1)[1]

    @property
    def b_host(self) -> str:
        return self.b.split("://", 1)[1]


@dataclass(frozen=True)
class Sites:
    a_port: int
    b_port: int
    server: str  # the co-browse server

    def origins(self, shape: str) -> Origins:
        if shape == "same-site":
            return Origins(
                f"http://a.demo.localhost:{self.a_port}", f"http://b.demo.localhost:{self.b_port}"
            )
        return Origins(f"http://127.0.0.1:{self.a_port}", f"http://127.0.0.1:{self.b_port}")

    def all_origins(self) -> list[str]:
        return [o for shape in SHAPES for o in (self.origins(shape).a, self.origins(shape).b)]

    def for_request(self, request: Request) -> Origins:
        host = (request.headers.get("host") or "").split(":", 1)[0]
        return self.origins("same-site" if host.endswith(".demo.localhost") else "cross-site")


def render(sites: Sites, origins: Origins, rel: str) -> bytes:
    values = {
        "A": origins.a,
        "B": origins.b,
        "A_HOST": origins.a_host,
        "B_HOST": origins.b_host,
        "SERVER": sites.server,
    }
    text = (ROOT / rel).read_text()
    return _TOKEN.sub(lambda m: values[m.group(1)], text).encode()


def _file(sites: Sites, site: str, *, cors: bool = False) -> Any:
    """The site's files; with `cors`, readable by site A (as the request's host names it)."""

    async def serve(request: Request) -> Response:
        rel = f"{site}/{request.path_params['path']}"
        file = (ROOT / rel).resolve()
        if ROOT.resolve() not in file.parents or not file.is_file() or file.suffix not in _TYPES:
            return PlainTextResponse("not found", status_code=404)
        origins = sites.for_request(request)
        headers = {"access-control-allow-origin": origins.a, "vary": "Origin"} if cors else {}
        return Response(
            render(sites, origins, rel), media_type=_TYPES[file.suffix], headers=headers
        )

    return serve


def encoded(name: str) -> tuple[bytes, str] | None:
    """A page (or stylesheet) in another encoding, as bytes, and its Content-Type."""
    page = (ROOT / "enc" / "page.html").read_text()
    if name == "bom-latin1.html":  # the BOM wins over the header
        return b"\xef\xbb\xbf" + page.encode("utf-8"), "text/html; charset=iso-8859-1"
    if name == "utf16le.html":
        return "\ufeff".encode("utf-16-le") + page.encode("utf-16-le"), "text/html"
    if name == "meta-utf16.html":  # <meta charset=utf-16> means UTF-8
        return page.replace("<head>", '<head><meta charset="utf-16">').encode(), "text/html"
    if name == "cp1252.html":  # unlabelled: windows-1252, the default
        return page.replace(" ✓", "").encode("windows-1252"), "text/html"
    if name == "location-cp1252.html":  # a query set through location, from windows-1252
        script = "<script>location.href = '/api/whoami?q=é&via=location';</script>"
        page = f"<!doctype html><p>é</p>{script}".encode("windows-1252")
        return page, "text/html; charset=windows-1252"
    if name == "latin1.css":
        css = '@charset "iso-8859-1";\n#t::before { content: "café"; }\n'
        return css.encode("latin-1"), "text/css"
    return None


def site_a(sites: Sites) -> Starlette:
    async def whoami(request: Request) -> JSONResponse:
        """What the site's server saw of the request."""
        return JSONResponse(
            {
                "path": request.url.path,
                "query": request.url.query,
                "host": request.headers.get("host"),
                "referer": request.headers.get("referer"),
                "origin": request.headers.get("origin"),
            }
        )

    async def cookies(request: Request) -> JSONResponse:
        return JSONResponse({"cookie": request.headers.get("cookie", "")})

    async def set_cookie(request: Request) -> Response:
        name = request.query_params.get("n", "x")
        response = JSONResponse({"set": name})
        response.set_cookie(name, request.query_params.get("v", "1"), path="/")
        return response

    async def cookie_png(request: Request) -> Response:
        response = Response(DOT, media_type="image/png", headers={"cache-control": "no-store"})
        response.set_cookie(request.query_params.get("n", "x"), "img", path="/")
        return response

    async def redirect(request: Request) -> Response:
        return RedirectResponse(request.query_params.get("to", "/"), status_code=302)

    async def link_header(request: Request) -> Response:
        a = sites.for_request(request).a
        link = f"<{a}/static/style.css>; rel=preload; as=style, </static/noop.js>; rel=preload"
        return PlainTextResponse("linked", headers={"link": link})

    async def xhtml(request: Request) -> Response:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title></head>'
            '<body><p id="p">strict<br/>xml</p></body></html>'
        )
        return Response(body, media_type="application/xhtml+xml")

    async def in_encoding(request: Request) -> Response:
        found = encoded(request.path_params["name"])
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(found[0], headers={"content-type": found[1]})

    async def target(request: Request) -> JSONResponse:
        raw = request.scope.get("extensions", {}).get(TARGET, {}).get("target")
        return JSONResponse({"target": raw})

    async def dot(request: Request) -> Response:
        return Response(DOT, media_type="image/png")

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        try:
            async for text in ws.iter_text():
                await ws.send_text(f"echo:{text}")
        except WebSocketDisconnect:
            pass

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/", _home(sites)),
            Route("/healthz", healthz),
            Route("/api/whoami", whoami, methods=["GET", "POST"]),
            Route("/api/cookies", cookies),
            Route("/api/set-cookie", set_cookie),
            Route("/cookie.png", cookie_png),
            Route("/redirect", redirect),
            Route("/link-header", link_header),
            Route("/doc.xhtml", xhtml),
            Route("/enc/{name}", in_encoding),
            Route("/q", target),
            Route("/static/dot.png", dot),
            WebSocketRoute("/ws/echo", echo),
            Route("/{path:path}", _file(sites, "a")),
        ]
    )


def _home(sites: Sites) -> Any:
    async def home(request: Request) -> Response:
        return Response(
            render(sites, sites.for_request(request), "a/index.html"), media_type=_TYPES[".html"]
        )

    return home


def site_b(sites: Sites) -> Starlette:
    """The other origin: pages for child frames, modules and scripts with CORS for A."""
    return Starlette(routes=[Route("/{path:path}", _file(sites, "b", cors=True))])


@contextmanager
def running_sites(server: str, a_port: int, b_port: int) -> Iterator[Sites]:
    sites = Sites(a_port, b_port, server)
    with ExitStack() as stack:
        stack.enter_context(
            serving_in_thread(site_a(sites), a_port, what="site A", http=RawTargetProtocol)
        )
        stack.enter_context(serving_in_thread(site_b(sites), b_port, what="site B"))
        yield sites
