"""HTTP plumbing of the proxy (server/proxy.py): its errors and own pages, and the
ASGI request and response helpers it and the WebSocket relay share."""

from __future__ import annotations

import html
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
from starlette.types import Receive, Scope, Send

from cobrowse.core.proxy_hosts import Target

# On what the proxy itself writes (its pages, the runtime), not on the site's responses.
OWN_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
)


class ProxyError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


def not_available() -> ProxyError:
    return ProxyError(
        403,
        "Not available",
        "This co-browse page only opens in the visitor's own browser, during the session.",
    )


def local_path(to: str) -> bool:
    """A path on this host: never another host (`//x`, `/\\x`, or `/<tab>/x`, which
    browsers read as `//x` once they drop the tab)."""
    return (
        to.startswith("/")
        and "\\" not in to
        and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in to)
        and not to.startswith("//")
    )


def upstream_url_of(scope: Scope, target: Target) -> str:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    url = target.upstream_origin + raw_path.decode("latin-1")
    return url + ("?" + query.decode("latin-1") if query else "")


def header_list(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


def header(scope: Scope, name: str) -> str | None:
    key = name.encode()
    for k, v in scope["headers"]:
        if k == key:
            return str(v.decode("latin-1"))
    return None


def cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for k, v in scope["headers"]:
        if k == b"cookie":
            try:
                jar.load(v.decode("latin-1"))
            except Exception:
                continue
    return {name: morsel.value for name, morsel in jar.items()}


def encode(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers]


async def respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    if not any(k.lower() == "content-length" for k, _ in headers):
        headers = [*headers, ("content-length", str(len(body)))]
    await send({"type": "http.response.start", "status": status, "headers": encode(headers)})
    await send({"type": "http.response.body", "body": body})


async def send_page(send: Send, status: int, title: str, detail: str, ancestors: str) -> None:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:36rem;"
        "padding:0 1rem;color:#1b2a3a}</style>"
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></main></html>"
    ).encode()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        + ancestors
    )
    await respond(
        send,
        status,
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
            ("content-security-policy", csp),
            *OWN_HEADERS,
        ],
        body,
    )


async def read_body(receive: Receive, *, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProxyError(413, "Too large", f"Request bodies are limited to {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def read_limited(upstream: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in upstream.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ProxyError(502, "Page too large", f"Pages are limited to {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
