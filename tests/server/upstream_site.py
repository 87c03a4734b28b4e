"""A small real site on loopback for proxy tests, served by uvicorn in a thread."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.e2e.demo_process import free_port, serving_in_thread

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f80f0000010100005f3b2b510000000049454e44ae426082"
)


def site(origin: str) -> Starlette:
    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head><title>Upstream</title>"
            f'<link rel="stylesheet" href="{origin}/style.css" integrity="sha384-x">'
            "</head><body>"
            f'<a id="abs" href="{origin}/next?x=1">next</a>'
            '<a id="rel" href="/next">rel</a>'
            '<a id="ext" href="https://elsewhere.example/">ext</a>'
            '<img src="/img.png"></body></html>',
            headers={"content-security-policy": "default-src 'self'", "x-frame-options": "DENY"},
        )

    async def style(request: Request) -> Response:
        return Response(f"body {{ background: url({origin}/img.png) }}", media_type="text/css")

    async def secret_css(request: Request) -> Response:
        return Response(
            'p::after { content: "ABCDE1234F" } .x { width: 100px }', media_type="text/css"
        )

    async def img(request: Request) -> Response:
        return Response(PNG, media_type="image/png")

    async def set_cookie(request: Request) -> Response:
        response = HTMLResponse("<p>set</p>")
        response.set_cookie("sid", "secret-session", httponly=True)
        response.set_cookie("pref", "dark")
        return response

    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "cookies": dict(request.cookies),
                "method": request.method,
                "body": body.decode(errors="replace"),
                "host": request.headers.get("host"),
                "origin": request.headers.get("origin"),
                "referer": request.headers.get("referer"),
                "forwarded": request.headers.get("x-forwarded-for"),
            }
        )

    async def redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{origin}/next", status_code=302)

    async def zipped(request: Request) -> Response:
        data = gzip.compress(b"<!doctype html><p>" + b"compressed " * 200 + b"</p>")
        return Response(data, media_type="text/html", headers={"content-encoding": "gzip"})

    async def forget(request: Request) -> Response:
        return Response(
            "forgotten", headers={"set-cookie": "pref=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}
        )

    async def loop(request: Request) -> RedirectResponse:
        return RedirectResponse("/loop", status_code=302)

    async def huge_header(request: Request) -> Response:
        return Response("x", headers={"x-huge": "y" * 20_000})

    async def big(request: Request) -> HTMLResponse:
        return HTMLResponse("<!doctype html><p>" + "z" * 200_000)

    # Pages in other encodings, labelled the ways browsers read (rewrite/encoding.py).
    async def latin(request: Request) -> Response:
        # `iso-8859-1` means windows-1252: 0x80 is the euro sign, not a C1 control.
        body = b'<!doctype html><meta charset="iso-8859-1"><p id="t">caf\xe9 \x80 5</p>'
        return Response(body, headers={"content-type": "text/html"})

    async def bom8(request: Request) -> Response:
        # A UTF-8 BOM beats the header's latin-1.
        body = '\ufeff<!doctype html><p id="t">café € 5</p>'.encode()
        return Response(body, headers={"content-type": "text/html; charset=iso-8859-1"})

    async def utf16(request: Request) -> Response:
        page = (
            '<!doctype html><html><head><meta charset="utf-16">'
            '<script>var s = "h\u00e9llo \u20ac";</script></head>'
            '<body><a href="/next">café €</a></body></html>'
        )
        return Response(b"\xff\xfe" + page.encode("utf-16-le"), media_type="text/html")

    async def latin_css(request: Request) -> Response:
        body = b'@charset "latin1"; p::after { content: "caf\xe9 \x80" }'
        return Response(body, headers={"content-type": "text/css"})

    async def app_js(request: Request) -> Response:
        body = "var here = location.href;\nif (top !== self) top.location = self.location;\n"
        return Response(body, media_type="application/javascript", headers={"etag": '"up-1"'})

    async def module_js(request: Request) -> Response:
        body = (
            'import { x } from "http://portal.test:8001/lib.js";\n'
            'export * from "./rel.js";\n'
            "console.log(x, location.origin);\n"
        )
        return Response(body, media_type="text/javascript")

    async def latin_js(request: Request) -> Response:
        body = b'var s = "caf\xe9"; location.hash;'
        return Response(body, headers={"content-type": "text/javascript; charset=latin1"})

    async def plain_js(request: Request) -> Response:
        return Response("top.x();", media_type="text/plain")

    async def scripts(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head>"
            f'<script src="{origin}/app.js" integrity="sha384-x"></script>'
            f'<link rel="modulepreload" href="{origin}/mod.js" integrity="sha384-y">'
            "<script>var h = location.host;</script>"
            "</head><body>"
            '<a id="h" href="#" onclick="top.location.reload(); return false">h</a>'
            '<a id="j" href="javascript:location.href=\'/x%20y\'">j</a>'
            "</body></html>"
        )

    async def xhtml(request: Request) -> Response:
        body = (
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head>'
            f'<body><a href="{origin}/next">n</a></body></html>'
        )
        return Response(body, media_type="application/xhtml+xml")

    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        cookie = socket.cookies.get("sid", "")
        async for text in socket.iter_text():
            await socket.send_text(orjson.dumps({"echo": text, "sid": cookie}).decode())

    return Starlette(
        routes=[
            Route("/", home),
            Route("/style.css", style),
            Route("/secret.css", secret_css),
            Route("/img.png", img),
            Route("/set-cookie", set_cookie),
            Route("/echo", echo, methods=["GET", "POST"]),
            Route("/redirect", redirect),
            Route("/zipped", zipped),
            Route("/loop", loop),
            Route("/forget", forget),
            Route("/huge-header", huge_header),
            Route("/big", big),
            Route("/latin", latin),
            Route("/bom8", bom8),
            Route("/utf16", utf16),
            Route("/latin.css", latin_css),
            Route("/app.js", app_js),
            Route("/mod.js", module_js),
            Route("/latin.js", latin_js),
            Route("/plain.js", plain_js),
            Route("/scripts", scripts),
            Route("/doc.xhtml", xhtml),
            WebSocketRoute("/ws", ws),
        ]
    )


@contextmanager
def running_site() -> Iterator[str]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with serving_in_thread(site(origin), port, what="upstream site"):
        yield origin
