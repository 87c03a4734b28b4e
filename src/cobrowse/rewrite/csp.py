"""Content-Security-Policy between the upstream site and the proxy.

A proxied page carries two kinds of policy, and the browser enforces every one of them
(a resource loads only when all allow it):

- ours (`own_policy`): every fetch may go to this proxy's hosts and nowhere else
  (`default-src 'self' <proxy hosts> data: blob:` with inline script and eval allowed,
  so that it adds no other restriction), forms post only to proxy hosts, `<base>` only
  points at them, and only our overlay may frame the page;
- the site's own (`rewrite_policy`), kept with its origins mapped to their proxy hosts,
  so that it still protects the site's page as it did upstream.

How a site's policy is rewritten, directive by directive:

- `frame-ancestors`: dropped (the overlay frames the page from the site's own page;
  ours says who may). `report-uri`, `report-to`: dropped (reports would carry proxy
  URLs to endpoints that never heard of them).
- Source lists (fetch directives, `base-uri`, `form-action`): `'self'`, `'none'`,
  nonces, hashes and the other keywords, `*`, and `data:`/`blob:` (any scheme that is
  not http, https, ws or wss) stay; `http:`/`https:` become the proxy's hosts and
  `ws:`/`wss:` its socket hosts; a host source with a wildcard (`*.cdn.example`, a `*`
  port) becomes both; an exact host source becomes its proxy host (path kept), given
  one with `UrlMap.proxy_origin_of` (a host the session cannot have any more is
  dropped, and an emptied list is `'none'`). Sources that do not parse stay as they
  are (the browser ignores them too).
- The runtime the proxy injects must still run, and post the page's cookie writes: the
  directive that governs `<script src>` (script-src-elem, else script-src, else
  default-src) gets the injected script's nonce when it uses nonces, hashes or
  'strict-dynamic' (adding a nonce elsewhere would disable 'unsafe-inline'), else the
  proxy host's `/__cobrowse/` path; the one that governs fetch() (connect-src, else
  default-src) gets that path too. `'none'` there is replaced.
- `upgrade-insecure-requests` and `block-all-mixed-content`: dropped when the proxy
  itself is plain http (development), where they would point every request at https.
- Everything else (`sandbox`, `trusted-types`...) is kept as written.

Pure; never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cobrowse.rewrite.urls import UrlMap, origin_of

__all__ = ["ProxyPolicy", "own_policy", "rewrite_policy"]

_SOURCE_LISTS = frozenset(
    (
        "default-src",
        "script-src",
        "script-src-elem",
        "script-src-attr",
        "style-src",
        "style-src-elem",
        "style-src-attr",
        "img-src",
        "font-src",
        "connect-src",
        "media-src",
        "object-src",
        "frame-src",
        "child-src",
        "worker-src",
        "manifest-src",
        "prefetch-src",
        "fenced-frame-src",
        "base-uri",
        "form-action",
    )
)
_DROPPED = frozenset(("frame-ancestors", "report-uri", "report-to"))
_INSECURE_ONLY = frozenset(("upgrade-insecure-requests", "block-all-mixed-content"))
_SCRIPT_ORDER = ("script-src-elem", "script-src", "default-src")
_CONNECT_ORDER = ("connect-src", "default-src")
_WS = re.compile(r"[\t\n\f\r ]+")
_SCHEME_SOURCE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_HOST_SOURCE = re.compile(
    r"(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*)://)?"
    r"(?P<host>\*|(?:\*\.)?[a-zA-Z0-9\-]+(?:\.[a-zA-Z0-9\-]+)*\.?)"
    r"(?::(?P<port>[0-9]{1,5}|\*))?"
    r"(?P<path>/[^;,]*)?"
)
_HTTP = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyPolicy:
    """What the proxy knows when it writes a policy for one response."""

    origin: str  # this response's proxy origin, e.g. http://pa.cobrowse.localhost:8000
    hosts: str  # every proxy host, e.g. http://*.cobrowse.localhost:8000
    socket_hosts: str  # the same for WebSockets, e.g. ws://*.cobrowse.localhost:8000
    nonce: str  # the injected runtime script's
    frame_ancestors: str  # the sources that may frame a proxy host, space-separated

    @property
    def endpoints(self) -> str:
        """The proxy's own paths on this host (runtime, cookie writes, go)."""
        return self.origin + "/__cobrowse/"

    @property
    def insecure(self) -> bool:
        return self.hosts.startswith("http:")


def own_policy(p: ProxyPolicy) -> str:
    """The proxy's policy for every proxied response: nothing but proxy hosts."""
    proxies = f"'self' {p.hosts}"
    return (
        f"default-src {proxies} {p.socket_hosts} data: blob: "
        "'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'; "
        f"form-action {proxies}; base-uri {proxies}; "
        f"frame-ancestors {p.frame_ancestors}"
    )


def rewrite_policy(value: str, m: UrlMap, p: ProxyPolicy) -> str | None:
    """A site's policy header value (policies separated by commas) for the proxied page;
    None when nothing of it is left."""
    try:
        policies = [_policy(text, m, p) for text in value.split(",")]
    except Exception:  # never raise on garbage: our own policy still confines the page
        return None
    kept = [text for text in policies if text]
    return ", ".join(kept) if kept else None


def _policy(text: str, m: UrlMap, p: ProxyPolicy) -> str:
    directives: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for raw in text.split(";"):
        tokens = [t for t in _WS.split(raw) if t]
        if not tokens:
            continue
        name = tokens[0].lower()
        if name in _DROPPED or (name in _INSECURE_ONLY and p.insecure):
            continue
        values = tokens[1:]
        if name in _SOURCE_LISTS and name not in seen:
            values = _sources(values, m, p)
        seen.add(name)
        directives.append((name, values))
    _allow_runtime(directives, p)
    return "; ".join(" ".join([name, *values]) for name, values in directives)


def _sources(values: list[str], m: UrlMap, p: ProxyPolicy) -> list[str]:
    out: list[str] = []
    for source in values:
        for new in _source(source, m, p):
            if new not in out:
                out.append(new)
    if not out and values:
        out.append("'none'")
    return out


def _source(source: str, m: UrlMap, p: ProxyPolicy) -> list[str]:
    if source.startswith("'") or source == "*":
        return [source]
    scheme = _SCHEME_SOURCE.fullmatch(source)
    if scheme is not None:
        name = scheme.group(1).lower()
        if name in ("http", "https"):
            return [p.hosts]
        if name in ("ws", "wss"):
            return [p.socket_hosts]
        return [source]
    host = _HOST_SOURCE.fullmatch(source)
    if host is None:
        return [source]
    given = (host.group("scheme") or "").lower()
    if given and given not in _HTTP:
        return [source]  # another scheme's host: nothing the proxy serves
    if "*" in host.group("host") or host.group("port") == "*":
        return [p.hosts, p.socket_hosts]
    base_scheme = m.base.partition(":")[0].lower()
    scheme_name = _HTTP.get(given or base_scheme, "https")
    port = f":{host.group('port')}" if host.group("port") else ""
    origin = origin_of(f"{scheme_name}://{host.group('host')}{port}")
    if origin is None:
        return [source]
    proxy = m.proxy_origin_of(origin)
    if proxy is None:
        # Already a proxy host of the session (a policy rewritten before) stays.
        return [source] if m.upstream_origin_of(origin) is not None else []
    if given in ("ws", "wss"):
        proxy = ("wss" if proxy.startswith("https:") else "ws") + proxy[proxy.index(":") :]
    return [proxy + (host.group("path") or "")]


def _find(directives: list[tuple[str, list[str]]], order: tuple[str, ...]) -> list[str] | None:
    for name in order:
        for dname, values in directives:
            if dname == name:
                return values
    return None


def _allow_runtime(directives: list[tuple[str, list[str]]], p: ProxyPolicy) -> None:
    script = _find(directives, _SCRIPT_ORDER)
    if script is not None:
        lowered = [v.lower() for v in script]
        if any(v.startswith(("'nonce-", "'sha")) or v == "'strict-dynamic'" for v in lowered):
            _add(script, f"'nonce-{p.nonce}'")  # host sources may not count here
        elif "*" not in script:
            _add(script, p.endpoints)
    connect = _find(directives, _CONNECT_ORDER)
    if connect is not None and "*" not in connect:
        _add(connect, p.endpoints)


def _add(values: list[str], source: str) -> None:
    if source not in values:
        values[:] = [v for v in values if v.lower() != "'none'"]
        values.append(source)
