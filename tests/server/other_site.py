"""A site that is not on the allow list (a CDN, a font host, a tracker), on loopback,
that records every request it receives: who asked, with which cookies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.e2e.demo_process import free_port, serving_in_thread

FONT = b"wOF2" + bytes(60)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class OtherSite:
    origin: str
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self.lock:
            self.seen.append(Seen(method, path, headers))

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()


def other_site_app(site: OtherSite) -> Starlette:
    async def seen(request: Request) -> None:
        site.record(request.method, request.url.path, dict(request.headers))

    async def font(request: Request) -> Response:
        await seen(request)
        return Response(
            FONT,
            media_type="font/woff2",
            headers={"access-control-allow-origin": "*", "set-cookie": "tracker=1; Path=/"},
        )

    async def style(request: Request) -> Response:
        await seen(request)
        css = f"@font-face {{ src: url({site.origin}/font.woff2) }} a {{ background: url(/x.png) }}"
        return Response(css, media_type="text/css")

    async def page(request: Request) -> HTMLResponse:
        await seen(request)
        return HTMLResponse("<!doctype html><title>Elsewhere</title><p>a page elsewhere</p>")

    async def moved(request: Request) -> RedirectResponse:
        await seen(request)
        return RedirectResponse(f"{site.origin}/font.woff2", status_code=302)

    async def socket(ws: WebSocket) -> None:
        site.record("WS", ws.url.path, dict(ws.headers))
        await ws.accept()
        async for text in ws.iter_text():
            await ws.send_text(f"{text}|cookie={ws.headers.get('cookie', '')}")

    return Starlette(
        routes=[
            Route("/font.woff2", font, methods=["GET", "POST"]),
            Route("/style.css", style),
            Route("/page.html", page, methods=["GET", "POST"]),
            Route("/moved", moved),
            WebSocketRoute("/ws", socket),
        ]
    )


@contextmanager
def running_other_site() -> Iterator[OtherSite]:
    port = free_port()
    site = OtherSite(f"http://127.0.0.1:{port}")
    with serving_in_thread(other_site_app(site), port, what="other site"):
        yield site
