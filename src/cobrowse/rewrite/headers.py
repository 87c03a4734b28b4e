"""HTTP headers between the browser, the proxy and the upstream site.

Headers are lists of (name, value) pairs so that order and repeated headers survive;
names are matched case-insensitively and written back as they came.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urljoin, urlsplit

from cobrowse.rewrite.csp import ProxyPolicy, rewrite_policy
from cobrowse.rewrite.js import JS_TYPES
from cobrowse.rewrite.urls import UrlMap, origin_of, rewrite_refresh, rewrite_url, unrewrite_url

__all__ = [
    "SCRIPT_DESTS",
    "ContentKind",
    "content_kind",
    "fetch_dest",
    "is_navigation",
    "request_headers",
    "response_headers",
]

Headers = list[tuple[str, str]]

# Hop-by-hop (RFC 9110 7.6.1): they describe one connection, never the next one.
_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade")
)
# Who the client is, as told by proxies in front of us: not ours to pass on, and the
# upstream must not mistake them for its own infrastructure's.
_CLIENT_IDENTITY = frozenset(
    (
        "forwarded",
        "via",
        "x-real-ip",
        "true-client-ip",
        "x-client-ip",
        "client-ip",
        "x-cluster-client-ip",
        "fastly-client-ip",
        "akamai-origin-hop",
        "x-original-forwarded-for",
        "x-proxyuser-ip",
    )
)
_CLIENT_IDENTITY_PREFIXES = ("x-forwarded-", "cf-", "proxy-")
_ACCEPT_ENCODING = "gzip, deflate, br"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _connection_tokens(headers: Headers) -> set[str]:
    tokens: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def _host_of(upstream_url: str) -> str:
    parts = urlsplit(upstream_url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def _to_upstream(value: str, m: UrlMap, *, origin: bool) -> str | None:
    """The proxied page's Origin or Referer -> the upstream's; None to drop it."""
    if origin and value == "null":
        return value
    proxy_origin = origin_of(value)
    upstream_origin = None if proxy_origin is None else m.upstream_origin_of(proxy_origin)
    if upstream_origin is None:
        return None
    return upstream_origin if origin else unrewrite_url(value, m)


def _dropped_request_header(key: str, connection_tokens: set[str]) -> bool:
    return (
        key == "cookie"
        or key in _HOP_BY_HOP
        or key in connection_tokens
        or key in _CLIENT_IDENTITY
        or key.startswith(_CLIENT_IDENTITY_PREFIXES)
    )


def request_headers(headers: Headers, *, upstream_url: str, m: UrlMap) -> Headers:
    """Browser -> upstream request headers.

    - Host: the upstream's `host[:port]`, where the browser's Host was (first if none).
    - Origin: mapped back to the upstream origin; `null` kept; an Origin that is not a
      proxy origin is dropped (the upstream would only see a host it never heard of).
    - Referer: mapped back to the upstream URL; dropped when it is not a proxy URL (the
      visitor came from the overlay, never from another site we could name).
    - Cookie: dropped; the server adds the session jar's cookies (the browser's hold only
      the proxy's own credential).
    - Hop-by-hop headers: Connection, the headers it lists, Keep-Alive, TE, Trailer,
      Transfer-Encoding, Upgrade and Proxy-* are dropped, except that a WebSocket
      handshake keeps `Upgrade: websocket` and `Connection: Upgrade` (the Sec-WebSocket-*
      headers are end to end and kept; a client library may replace them).
    - Client identity: X-Forwarded-*, Forwarded, Via, X-Real-IP, CF-*, True-Client-IP
      and the like are dropped; the upstream sees the proxy as the client.
    - Accept-Encoding: `gzip, deflate, br`, what the proxy's client can decode.
    Everything else is kept in order.
    """
    tokens = _connection_tokens(headers)
    websocket = "upgrade" in tokens and any(
        name.lower() == "upgrade" and value.strip().lower() == "websocket"
        for name, value in headers
    )
    host = _host_of(upstream_url)
    out: Headers = []
    host_done = encoding_done = False
    for name, value in headers:
        key = name.lower()
        if key == "host":
            if not host_done:
                out.append((name, host))
                host_done = True
        elif key == "accept-encoding":
            if not encoding_done:
                out.append((name, _ACCEPT_ENCODING))
                encoding_done = True
        elif key in ("origin", "referer"):
            upstream = _to_upstream(value.strip(), m, origin=key == "origin")
            if upstream is not None:
                out.append((name, upstream))
        elif key == "upgrade" and websocket:
            out.append((name, value))
        elif key == "connection" and websocket:
            out.append((name, "Upgrade"))
        elif not _dropped_request_header(key, tokens):
            out.append((name, value))
    if not host_done:
        out.insert(0, ("Host", host))
    if not encoding_done:
        out.append(("Accept-Encoding", _ACCEPT_ENCODING))
    return out


# Response headers dropped whatever the body.
_RESPONSE_DROP = frozenset(
    (
        # Cookies go to the session's server-side jar, never to the visitor's browser.
        "set-cookie",
        "set-cookie2",
        # Without a ProxyPolicy: the site's policy names upstream origins. With one, the
        # enforced policy is rewritten instead (rewrite.csp); reports would carry proxy
        # URLs to the site's endpoints, and X-Frame-Options would hide the overlay.
        "content-security-policy",
        "content-security-policy-report-only",
        "x-frame-options",
        # Would bind the proxy host: HSTS and pins to the proxy domain, Alt-Svc to
        # alternative services the proxy does not run, reporting endpoints to upstream
        # endpoints for reports about proxy URLs.
        "strict-transport-security",
        "alt-svc",
        "public-key-pins",
        "public-key-pins-report-only",
        "expect-ct",
        "report-to",
        "reporting-endpoints",
        "nel",
        # Would clear the proxy origin's storage and cookies (including, by domain, the
        # proxy's own credential), not the site's.
        "clear-site-data",
        # The client decoded the body; it always reaches the browser uncompressed.
        "content-encoding",
    )
)
# Dropped when the body is not the upstream's bytes (rewritten, or decoded from a
# Content-Encoding): the length and digests describe other bytes.
_BODY_BOUND = frozenset(
    ("content-length", "content-md5", "digest", "content-digest", "repr-digest")
)
_LINK_URL = re.compile(r"<([^>]*)>")


def _map_origin(value: str, m: UrlMap) -> str:
    """An upstream origin -> its proxy origin; `*`, `null` and unmapped ones unchanged
    (white space around it kept)."""
    core = value.strip()
    origin = origin_of(core)
    proxy = None if origin is None else m.proxy_origin_of(origin)
    return value if proxy is None else value.replace(core, proxy, 1)


def _resolved(value: str, m: UrlMap) -> str:
    if not value.strip():
        return value
    try:
        absolute = urljoin(m.base, value.strip())
    except ValueError:
        return value
    new = rewrite_url(absolute, m, navigation=True)
    return new if new != absolute else value


def response_headers(
    headers: Headers, m: UrlMap, *, body_rewritten: bool, policy: ProxyPolicy | None = None
) -> Headers:
    """Upstream -> browser response headers.

    - Location, Content-Location: resolved against `m.base`, then mapped to the proxy
      as navigations (the proxy never follows redirects; the browser does, through the
      proxy). A URL that does not map is left as it was written.
    - Link: every `<url>` mapped (preload, preconnect, modulepreload...).
    - Refresh: the URL after `url=` mapped (a navigation). SourceMap / X-SourceMap:
      mapped.
    - Content-Security-Policy: with a `policy`, rewritten by `rewrite.csp.rewrite_policy`
      (dropped when nothing is left); without one, dropped.
    - Access-Control-Allow-Origin and Timing-Allow-Origin: upstream origins -> proxy
      origins (the browser compares them with the proxied page's origin); `*` and `null`
      kept.
    - Dropped: Set-Cookie (the jar took it), CSP (both), X-Frame-Options, HSTS, Alt-Svc,
      Public-Key-Pins, Expect-CT, Report-To, Reporting-Endpoints, NEL, Clear-Site-Data
      (each explained at `_RESPONSE_DROP`), Content-Encoding (always: the client decoded
      the body), hop-by-hop headers, and Content-Length and body digests when
      `body_rewritten` or when the upstream's body was encoded (its length was of the
      compressed bytes).
    Everything else is kept in order, repeated headers included.
    """
    encoded = any(
        name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
        for name, value in headers
    )
    tokens = _connection_tokens(headers)
    out: Headers = []
    for name, value in headers:
        key = name.lower()
        if key == "content-security-policy" and policy is not None:
            rewritten = rewrite_policy(value, m, policy)
            if rewritten is not None:
                out.append((name, rewritten))
            continue
        if key in _RESPONSE_DROP or key in _HOP_BY_HOP or key in tokens:
            continue
        if key in _BODY_BOUND and (body_rewritten or encoded):
            continue
        if key in ("location", "content-location"):
            value = _resolved(value, m)
        elif key in ("link", "sourcemap", "x-sourcemap"):
            value = (
                _LINK_URL.sub(lambda u: f"<{rewrite_url(u.group(1), m)}>", value)
                if key == "link"
                else rewrite_url(value, m)
            )
        elif key == "refresh":
            value = rewrite_refresh(value, m)
        elif key == "access-control-allow-origin":
            value = _map_origin(value, m)
        elif key == "timing-allow-origin":
            value = ",".join(_map_origin(v, m) for v in value.split(","))
        out.append((name, value))
    return out


_HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))
_CSS_TYPES = frozenset(("text/css",))
_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


# Request destinations (Sec-Fetch-Dest) that run what they fetch as a script.
SCRIPT_DESTS = frozenset(
    ("script", "worker", "sharedworker", "serviceworker", "audioworklet", "paintworklet")
)
ContentKind = Literal["html", "css", "js", "other"]


def content_kind(content_type: str | None, url_path: str, dest: str | None = None) -> ContentKind:
    """Which rewriter a response body needs; `dest`: the request's Sec-Fetch-Dest.

    The media type decides (text/html and application/xhtml+xml are HTML, text/css is
    CSS, a JavaScript MIME type is JavaScript, anything else passes through). Without a
    Content-Type the path's extension decides, as a browser would sniff:
    .html/.htm/.xhtml/.shtml, .css; otherwise other. JavaScript is rewritten only for a
    destination that runs it (`SCRIPT_DESTS`), and there an unlabelled or `text/plain`
    body is JavaScript too (classic scripts run whatever the type). XHTML fetched by
    fetch() or XHR (destination `empty`) is data for the page's script, not a page:
    it passes through.
    """
    runs = (dest or "").strip().lower() in SCRIPT_DESTS
    data = (dest or "").strip().lower() == "empty"
    if content_type and content_type.strip():
        media = content_type.split(";", 1)[0].strip().lower()
        if media in _HTML_TYPES:
            return "other" if data and media != "text/html" else "html"
        if media in _CSS_TYPES:
            return "css"
        if runs and (media in JS_TYPES or media == "text/plain"):
            return "js"
        return "other"
    path = url_path.split("?", 1)[0].split("#", 1)[0].lower()
    if runs:
        return "js"
    if path.endswith(_HTML_SUFFIXES):
        return "other" if data and path.endswith(".xhtml") else "html"
    if path.endswith(".css"):
        return "css"
    return "other"


# Destinations that make a browsing context: what the browser shows as a page.
_NAVIGATION_DESTS = frozenset(("document", "iframe", "frame", "fencedframe", "embed", "object"))


def fetch_dest(headers: Headers) -> str | None:
    """The request's Sec-Fetch-Dest (lower case), or None."""
    for name, value in headers:
        if name.lower() == "sec-fetch-dest":
            return value.strip().lower()
    return None


def is_navigation(headers: Headers) -> bool:
    """Whether a request asks for a page (a navigation), from the Fetch Metadata headers
    browsers set and page script cannot: `Sec-Fetch-Mode: navigate`, or a destination
    that is a document, frame, embed or object. A request without them counts as a
    navigation (fail closed: only a browser's subresource request says otherwise)."""
    mode = dest = None
    for name, value in headers:
        key = name.lower()
        if key == "sec-fetch-mode" and mode is None:
            mode = value.strip().lower()
        elif key == "sec-fetch-dest" and dest is None:
            dest = value.strip().lower()
    if not mode:
        return True
    return mode in ("navigate", "nested-navigate") or (dest or "") in _NAVIGATION_DESTS
