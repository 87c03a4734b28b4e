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
            WebSocketRoute("/ws", ws),
        ]
    )


@contextmanager
def running_site() -> Iterator[str]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with serving_in_thread(site(origin), port, what="upstream site"):
        yield origin
