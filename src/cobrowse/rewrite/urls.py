"""URLs between an upstream site and its proxy hosts.

The proxy is host-mapped: every upstream origin of a session has its own proxy origin, so
only the scheme and authority of a URL ever change. Relative, root-relative and
fragment-only URLs keep working unchanged, and the path, query and fragment of a
rewritten URL are kept byte for byte.

Parsing follows the WHATWG URL standard where it matters for telling which origin a URL
points at: surrounding C0 controls and spaces are trimmed, tabs and newlines inside are
ignored, scheme and host are case-insensitive, `\\` counts as `/` in http(s) URLs, any
number of slashes may follow `http:` when the base's scheme differs, and default ports
are dropped. Anything that does not parse is returned unchanged; nothing here raises.

Loads and navigations differ: a URL the browser loads (an image, a stylesheet, a
script) is mapped with `proxy_origin_of`, which may give an origin a new proxy host; a
URL it navigates to (a link, a form, a redirect) with `navigation_origin_of`, which
only looks (a navigation to a site that is not allowed never gets a host of its own:
the proxy answers it with the "outside co-browsing" page). An absolute http(s) URL that
neither maps goes to `fallback` (the proxy's `/__cobrowse/go?url=` path) when the map
has one, and stays as it is when not.

Some loads are also made by the agent's mirror (images, fonts, stylesheets: the callers
of `rewrite_load`). A map with `opaque` may give such a URL another URL instead (the
proxy's opaque asset URL for one that holds a value pattern, docs/masking.md "URLs").
A document served from another path than its own (that opaque URL) is rewritten with
`absolute`: its relative URLs are resolved against `base` first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urljoin

from cobrowse.rewrite.encoding import query_encoded

__all__ = [
    "UrlMap",
    "origin_of",
    "rewrite_load",
    "rewrite_refresh",
    "rewrite_url",
    "unrewrite_url",
]

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# scheme (optional), the slashes after it, the authority up to the path, query or fragment
_PARTS = re.compile(r"(?:([a-zA-Z][a-zA-Z0-9+.\-]*):)?([/\\]*)([^/\\?#]*)")
_SIMPLE_HOST = re.compile(r"[a-z0-9\-]+(?:\.[a-z0-9\-]+)*")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_HOST_OK = re.compile(r"[a-z0-9.\-_~!$&'()*+,;=%]+|\[[0-9a-f:.]+\]")
# An absolute http(s) URL as most are written, which `_split` would take apart to the same
# pieces: lower-case scheme and host, no userinfo, no backslash or "@" in the authority,
# no tab or newline anywhere (nor C0 controls or spaces around it: checked by the caller).
_PLAIN = re.compile(
    r"(https?://[a-z0-9\-]++(?:\.[a-z0-9\-]++)*+)(?::([0-9]{1,5}))?(?:[/?#][^\t\n\r]*+)?"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlMap:
    """How one document's URLs map between upstream and proxy.

    `base` is the absolute upstream URL the document's relative URLs resolve against.
    Origins are written `scheme://host[:port]`, lower case, without a default port and
    without a trailing slash.
    """

    base: str
    proxy_origin_of: Callable[[str], str | None]
    upstream_origin_of: Callable[[str], str | None]
    # For navigations; None: `proxy_origin_of`.
    navigation_origin_of: Callable[[str], str | None] | None = None
    # An absolute http(s) URL (normalized origin + the rest as written) that has no proxy
    # origin -> the URL to use instead; None (or a None answer): leave it as it is.
    fallback: Callable[[str], str | None] | None = None
    # For `rewrite_load`: an absolute http(s) URL without its fragment -> the URL to
    # load instead (the fragment is kept), or None for the usual mapping.
    opaque: Callable[[str], str | None] | None = None
    # Resolve relative URLs against `base` (they then map like absolute ones).
    absolute: bool = False
    # The document's encoding: the browser percent-encodes a URL's query in it, so a URL
    # given to `fallback` or `opaque` (which the proxy fetches later) has its query's
    # non-ASCII characters encoded the same way (`encoding.query_encoded`).
    encoding: str = "utf-8"


def _split(url: str, base_scheme: str) -> tuple[str, str, str] | None:
    """Split an absolute or protocol-relative http(s) URL (already trimmed and without
    tabs or newlines) into its normalized origin, its userinfo ("user:pass@" or "") and
    the rest (path, query, fragment) exactly as written; None for anything else
    (relative, other schemes, garbage)."""
    parts = _PARTS.match(url)
    if parts is None:
        return None
    scheme, slashes, authority = parts.groups()
    if scheme is None:
        if len(slashes) < 2 or base_scheme not in _DEFAULT_PORTS:
            return None  # relative, root-relative, or no http(s) base to borrow from
        scheme = base_scheme
    else:
        scheme = scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        if not slashes and scheme == base_scheme:
            return None  # "https:x" against an https base is a relative URL
    at = authority.rfind("@")
    origin = _origin(scheme, authority[at + 1 :])
    if origin is None:
        return None
    return origin, authority[: at + 1], url[parts.end() :]


def _origin(scheme: str, hostport: str) -> str | None:
    if _SIMPLE_HOST.fullmatch(hostport) is not None:  # the common case, already normal
        return f"{scheme}://{hostport}"
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            return None
        host, tail = hostport[: close + 1], hostport[close + 1 :]
        if tail and not tail.startswith(":"):
            return None
        port = tail[1:] if tail else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.lower()
    if host.endswith(".") and len(host) > 1:
        host = host[:-1]
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not host or _HOST_OK.fullmatch(host) is None:
        return None
    if port:
        if not (port.isascii() and port.isdigit()) or int(port) > 65535:
            return None
        port = str(int(port))
        if port == _DEFAULT_PORTS[scheme]:
            port = ""
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _scheme_of(url: str) -> str:
    if url.startswith("https:"):
        return "https"
    if url.startswith("http:"):
        return "http"
    m = _SCHEME.match(url)
    return m.group(1).lower() if m else ""


def _clean(url: str) -> str:
    if not url or url[0] <= " " or url[-1] <= " ":
        url = url.strip(_C0_OR_SPACE)
    if "\t" in url or "\n" in url or "\r" in url:
        url = _TAB_OR_NEWLINE.sub("", url)
    return url


def _with_userinfo(origin: str, userinfo: str) -> str:
    if not userinfo:
        return origin
    scheme, _, host = origin.partition("://")
    return f"{scheme}://{userinfo}{host}"


# A URL that is relative however the document's base reads it, as the ones in most pages
# are (kept as they are unless the map is `absolute`): it starts with a character that
# starts neither a scheme nor a slash (".", "#", "?", a digit...), with "/" and another
# character than a slash (a root-relative path), or with a name that is not a scheme
# (no ":" after it). No tab or newline in that start: URL parsing removes them.
_RELATIVE = re.compile(
    r"[^\x00-\x20a-zA-Z/\\]|/(?:[^/\\\t\n\r]|\Z)|[a-zA-Z][a-zA-Z0-9+.\-]*+(?![a-zA-Z0-9+.\-\t\n\r:])"
)


def _plain(url: str) -> tuple[str, str, str] | None:
    """`_split` of a plain absolute URL (see `_PLAIN`) at a fraction of its cost; None
    for any other (which `_split` then takes)."""
    plain = _PLAIN.fullmatch(url)
    if plain is None or url[-1] <= " ":
        return None
    origin, port = plain.group(1, 2)
    if port is None:
        return origin, "", url[plain.end(1) :]
    number = int(port)
    if number > 65535:
        return None
    if str(number) != ("443" if url[4] == "s" else "80"):
        origin = f"{origin}:{number}"
    return origin, "", url[plain.end(2) :]


def _map(
    url: str,
    m: UrlMap,
    origin_map: Callable[[str], str | None],
    fallback: Callable[[str], str | None] | None = None,
) -> str:
    split = _plain(url) or _split(_clean(url), _scheme_of(m.base))
    if split is None:
        return url
    return _mapped(url, split, origin_map, fallback, m.encoding)


def _mapped(
    url: str,
    split: tuple[str, str, str],
    origin_map: Callable[[str], str | None],
    fallback: Callable[[str], str | None] | None,
    encoding: str,
) -> str:
    origin, userinfo, rest = split
    target = origin_map(origin)
    if target is None:
        if fallback is None:
            return url
        instead = fallback(query_encoded(_with_userinfo(origin, userinfo) + rest, encoding))
        return url if instead is None else instead
    return (_with_userinfo(target, userinfo) if userinfo else target) + rest


def rewrite_url(url: str, m: UrlMap, *, navigation: bool = False) -> str:
    """Upstream URL -> proxy URL when its origin is proxied (for a navigation when
    `navigation`); else `m.fallback`'s URL; otherwise `url` unchanged."""
    try:
        origin_map = m.proxy_origin_of
        if navigation and m.navigation_origin_of is not None:
            origin_map = m.navigation_origin_of
        plain = _plain(url)
        if plain is not None:  # absolute: neither scheme-relative nor resolved
            target = origin_map(plain[0])
            if target is not None:  # the usual case, as `_mapped` maps it
                return target + plain[2]
            return _mapped(url, plain, origin_map, m.fallback, m.encoding)
        if not m.absolute and _RELATIVE.match(url) is not None:
            return url
        return _rewrite_parsed(url, m, origin_map)
    except Exception:  # never raise on garbage (tests call _map to see any)
        return url


def _rewrite_parsed(url: str, m: UrlMap, origin_map: Callable[[str], str | None]) -> str:
    """`rewrite_url` past its fast paths (the tests check that they agree with it)."""
    relative = _scheme_relative(url, m)
    if relative is not None:
        if not m.absolute:
            return relative
        url = relative
    if m.absolute:
        url = _resolved(url, m.base) or url
    return _map(url, m, origin_map, m.fallback)


def rewrite_load(url: str, m: UrlMap) -> str:
    """A URL the browser loads and the agent's mirror may load too: `rewrite_url`, or
    what `m.opaque` gives for it as the browser resolves it (the fragment kept)."""
    new = rewrite_url(url, m)
    if m.opaque is None:
        return new
    try:
        absolute = _resolved(url, m.base)
        if absolute is None:
            cleaned = _clean(url)
            split = _split(cleaned, _scheme_of(m.base))
            if split is None:
                return new  # a fragment, another scheme, or nothing
            origin, userinfo, rest = split
            absolute = _with_userinfo(origin, userinfo) + _slashed(rest)
        bare, mark, fragment = absolute.partition("#")
        instead = m.opaque(_browser_encoded(query_encoded(bare, m.encoding)))
    except Exception:  # never raise on garbage
        return new
    return new if instead is None else instead + mark + fragment


def _resolved(url: str, base: str) -> str | None:
    """A relative or root-relative `url` resolved against `base`, as an http(s) page
    resolves it; None for anything else (absolute, protocol-relative, fragment-only,
    another scheme, empty)."""
    cleaned = _clean(url)
    if not cleaned or cleaned[0] == "#" or cleaned[:2].replace("\\", "/") == "//":
        return None
    scheme = _SCHEME.match(cleaned)
    base_scheme = _scheme_of(base)
    if scheme is not None:  # only `https:x` against an https base is relative
        rest = cleaned[scheme.end() :]
        if (
            base_scheme not in _DEFAULT_PORTS
            or scheme.group(1).lower() != base_scheme
            or rest[:1] in ("/", "\\")
        ):
            return None
        cleaned = rest
    if base_scheme in _DEFAULT_PORTS:
        cleaned = _slashed(cleaned)
    return urljoin(base, cleaned)


def _slashed(rest: str) -> str:
    """`\\` is `/` in the path of an http(s) URL (not in its query or fragment)."""
    end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return rest[:end].replace("\\", "/") + rest[end:]


_KEPT_AS_WRITTEN = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"<>')


def _browser_encoded(url: str) -> str:
    """`url` percent-encoded where a browser would before sending it (spaces, quotes,
    angle brackets, controls, non-ASCII); existing escapes are kept."""
    return quote(url, safe=_KEPT_AS_WRITTEN)


def _scheme_relative(url: str, m: UrlMap) -> str | None:
    """`https:x` against an https page means the relative URL `x`; but the proxied page
    may be http (in development), where the browser reads `https:x` as the absolute
    `https://x`, straight past the proxy. Such a URL in a proxied document loses its
    redundant scheme (found by fuzzing, docs/threat-model.md T9)."""
    scheme = _scheme_of(m.base)
    if scheme not in _DEFAULT_PORTS:
        return None
    cleaned = _clean(url)
    prefix = len(scheme) + 1
    if cleaned[:prefix].lower() != scheme + ":" or cleaned[prefix : prefix + 1] in ("/", "\\"):
        return None
    base = _split(_clean(m.base), "")
    if base is None or m.proxy_origin_of(base[0]) is None:
        return None  # not a proxied document: nothing to protect, nothing changes
    return cleaned[prefix:]


def unrewrite_url(url: str, m: UrlMap) -> str:
    """Proxy URL -> upstream URL (Referer, Origin, leaving the proxy on Stop); otherwise
    `url` unchanged."""
    try:
        return _map(url, m, m.upstream_origin_of)
    except Exception:
        return url


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, normalized; None otherwise."""
    try:
        cleaned = _clean(url)
        split = _split(cleaned, "")
    except Exception:
        return None
    return None if split is None else split[0]


# <meta http-equiv=refresh content="5; url=/next"> and the Refresh header: a delay, then
# optionally ";" or "," and "url=" and a URL in optional quotes (HTML's "shared
# declarative refresh steps").
_REFRESH = re.compile(
    r"""(?P<head>[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,]?[\t\n\f\r ]*
        (?:[uU][rR][lL][\t\n\f\r ]*=[\t\n\f\r ]*)?)
        (?P<quote>["']?)(?P<url>.*)""",
    re.VERBOSE | re.DOTALL,
)


def rewrite_refresh(content: str, m: UrlMap) -> str:
    """Rewrite the URL of a refresh declaration (a navigation), keeping the delay and
    punctuation."""
    match = _REFRESH.match(content)
    if match is None or not match.group("url"):
        return content
    url = match.group("url")
    quote = match.group("quote")
    tail = ""
    if quote:
        end = url.find(quote)
        if end >= 0:
            url, tail = url[:end], url[end:]
    new = rewrite_url(url, m, navigation=True)
    if new == url:
        return content
    return match.group("head") + quote + new + tail
