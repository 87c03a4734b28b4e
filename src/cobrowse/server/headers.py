"""Security headers for everything the app itself serves (docs/threat-model.md, T6).

Every response gets the defaults below unless its route set its own value: a
Content-Security-Policy that allows nothing (JSON, files, errors need nothing), no
framing, no sniffing, no referrer, no powerful features, its own browsing-context
group, and resources readable only by our own origin. Pages that need more (the
console, /start, the API docs) set their own policy. HSTS is sent when the public URL
is https. Proxy hosts (the upstream site's pages) are not served through this: see
server/proxy.py, which sends frame-ancestors and keeps the site's own headers.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.responses import Response

from cobrowse.config import Config

NOTHING_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
PERMISSIONS = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), "
    "bluetooth=(), midi=(), display-capture=(), publickey-credentials-get=()"
)
DEFAULTS = {
    "Content-Security-Policy": NOTHING_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The embed script is loaded by the sites' pages, from their origin.
CROSS_ORIGIN_PATHS = frozenset({"/cobrowse.js", "/static/dist/cobrowse.js"})

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def apply(response: Response, *, path: str, config: Config) -> None:
    """Set every default the route did not set itself."""
    for name, value in DEFAULTS.items():
        response.headers.setdefault(name, value)
    if path in CROSS_ORIGIN_PATHS:
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if config.base_url.startswith("https://") and config.server.hsts_seconds > 0:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={config.server.hsts_seconds}"
        )


def script_hashes(html: str) -> str:
    """CSP sources for the inline scripts of `html` (exactly those, no 'unsafe-inline')."""
    sources = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = hashlib.sha256(body.encode()).digest()
        sources.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return " ".join(sources)


def console_csp(config: Config) -> str:
    """The console replays another site's page in a script-free iframe: its inline
    styles and its images and fonts need loading; no script runs but ours, and it
    talks only to this server (HTTP and the WebSocket of the public URL). In proxy mode
    the mirror's images, fonts and media come from this server's asset route only, so
    the agent's browser never talks to the site or any other origin, even for a URL a
    page's script wrote where no rewriting reaches; in inline mode they come from the
    site itself."""
    loads = "'self'" if config.proxy.mode == "proxy" else "*"
    return (
        "default-src 'none'; script-src 'self'; object-src 'none'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {loads} data: blob:; font-src {loads} data:; media-src {loads} data: blob:; "
        f"connect-src 'self' {socket_origin(config)}; frame-src 'self' about:; "
        "child-src 'self' about: blob:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def socket_origin(config: Config) -> str:
    """The origin of this server's WebSocket (`ws(s)://` + the public URL's host)."""
    base = config.base_url
    return ("wss://" + base[8:]) if base.startswith("https://") else ("ws://" + base[7:])
