"""HTML: rewrite URL attributes, `<style>` and import maps; inject the runtime in `<head>`.

A streaming scanner, not a parser: it finds tags the way the HTML tokenizer does
(comments, doctype, raw-text and RCDATA elements, the script data escape states, CDATA in
SVG and MathML, attribute quoting, unterminated tags at the end of input) and only
replaces the bytes of the values it rewrites; everything else is copied unchanged, so the
output keeps the document's doctype (or lack of one), formatting, entities and quirks.
It was chosen over selectolax/Lexbor (parse, mutate, serialize) because it is
byte-faithful (Lexbor re-serializes: it adds html/head/body, re-quotes and re-encodes
attributes, normalizes whitespace in tags) and measured as fast or faster on every test
page (1-2.6x; `python -m tests.rewrite.bench_html`). Its speed comes from one regex that
skips, at C speed, all markup that cannot need rewriting (see `_SKIP`); everything else
goes through the careful token-by-token path, and tests check that both agree.

What it does:
  - URL attributes per `cobrowse.rewrite.attributes.URL_ATTRIBUTES`, values decoded
    (`&amp;`...) before rewriting and encoded again only when they changed;
  - the first `<base href>`: rewritten, and protocol-relative URLs after it resolve
    against it (relative and root-relative URLs keep working through host mapping);
  - `<meta http-equiv=refresh content="5; url=...">`: the URL;
  - `<meta http-equiv=Content-Security-Policy>`: its policy rewritten by
    `rewrite.csp.rewrite_policy` when a `policy` is given (removed when nothing is
    left), else removed; `-Report-Only`: removed;
  - URLs the browser navigates to (`attributes.NAVIGATIONS`, meta refresh) are mapped as
    navigations, all others as loads (see `rewrite.urls`);
  - `integrity` on script and link: removed; `nonce` kept;
  - `<style>` contents and `style` attributes through `rewrite_css`; `<script
    type=importmap>` through `rewrite_importmap`; `<iframe srcdoc>` recursively (without
    injection);
  - JavaScript (`rewrite.js`, docs/js-rewriting.md): classic and module `<script>`
    bodies, `on*` event handler attributes (kind handler) and `javascript:` URLs in
    href, src, action and formaction (kind script, percent-decoded first and
    re-encoded after); code without any of `js.TRIGGERS` is never parsed;
  - `inject` as the first thing in `<head>`, or right after a `<meta charset>` the head
    starts with (white space and comments before it passed over). Without a `<head>`
    tag it goes where the parser implies the head: after the doctype, `<html>`,
    comments and white space, before the first other token (or after it when that is a
    `<meta charset>`); the parser then creates the head around it, so fragments work
    and no doctype is ever added.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import partial
from urllib.parse import unquote, unquote_to_bytes, urljoin

from cobrowse.rewrite.attributes import (
    NAVIGATIONS,
    URL_ATTRIBUTES,
    mirrored_load,
    rewrite_srcset,
    rewrite_urls,
)
from cobrowse.rewrite.csp import ProxyPolicy, rewrite_policy
from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.entities import (
    decode_attribute,
    decode_text,
    encode_attribute,
    encode_text,
)
from cobrowse.rewrite.importmap import rewrite_importmap
from cobrowse.rewrite.js import (
    JS_TYPES,
    Edits,
    Kind,
    apply_edits,
    find_edits,
    mentions_trigger,
)
from cobrowse.rewrite.skip import skip_pattern
from cobrowse.rewrite.urls import UrlMap, rewrite_load, rewrite_refresh, rewrite_url

__all__ = ["rewrite_html"]

_WS = "\t\n\f\r "
# The attribute grammar of the HTML tokenizer, atomic so that it never backtracks.
_ATTRS = r"""(?>[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r /=>]*+
    (?>[\t\n\f\r ]*+=[\t\n\f\r ]*+(?>"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]++))?)*+"""
_START_TAG = re.compile(
    rf"<(?P<name>[a-zA-Z][^\t\n\f\r />]*+)(?P<attrs>{_ATTRS})(?P<end>>)?", re.VERBOSE
)
_END_TAG = re.compile(
    rf"</(?P<name>[a-zA-Z][^\t\n\f\r />]*+)(?P<attrs>{_ATTRS})(?P<end>>)?", re.VERBOSE
)
_ATTR = re.compile(
    r"""[\t\n\f\r /]*+(?P<name>[^\t\n\f\r />][^\t\n\f\r /=>]*+)
    (?>[\t\n\f\r ]*+=[\t\n\f\r ]*+
       (?>"(?P<dq>[^"]*+)"?|'(?P<sq>[^']*+)'?|(?P<uq>[^\t\n\f\r >]++)))?""",
    re.VERBOSE,
)
_SCRIPT_TOKENS = re.compile(r"<!--|-->|<(/?)script(?=[\t\n\f\r />])", re.IGNORECASE)
_RAW_TEXT = ("style", "xmp", "iframe", "noembed", "noframes", "noscript", "title", "textarea")
_RAW_TEXT_END = {
    name: re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE) for name in _RAW_TEXT
}
# Markup that cannot need rewriting, skipped in one regex run (see cobrowse.rewrite.skip).
_SKIP = skip_pattern((*_RAW_TEXT, "script", "plaintext", "svg", "math", "base"))
_NOT_WS = re.compile(r"[^\t\n\f\r \ufeff]")
_CHARSET = re.compile(r"charset", re.IGNORECASE)
# Start tags that end SVG/MathML content (the tree builder's "breakout" list).
_BREAKOUT = frozenset(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i "  # noqa: SIM905
    "img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt "
    "u ul var".split()
)
# Elements inside SVG/MathML whose children are HTML again.
_INTEGRATION = {
    "svg": frozenset(("foreignobject", "desc", "title")),
    "math": frozenset(("mi", "mo", "mn", "ms", "mtext")),
}
# _ATTR's groups by number (faster to ask than by name): 1 the name, then the value's
# group and the quote around it.
_QUOTE_OF = {2: '"', 3: "'", 4: ""}
_UNQUOTED_BREAK = re.compile(r"[\t\n\f\r >]")
_CSP = frozenset(("content-security-policy", "content-security-policy-report-only"))
# Script types the browser runs as classic scripts (and the empty type); "module" is a
# module script.
_CLASSIC_TYPES = frozenset(("", *JS_TYPES))
_JS_URL_ATTRIBUTES = frozenset(("href", "src", "action", "formaction"))
_RULES = dict(URL_ATTRIBUTES)  # a dict is faster to ask than its read-only view
# "javascript:" as URL parsing reads it: after C0 controls and spaces, in any case, with
# tabs and newlines anywhere in it removed.
_JS_SCHEME = re.compile(
    r"[\x00-\x20]*+" + "".join(f"[{c}{c.upper()}][\t\n\r]*+" for c in "javascript") + ":"
)
_PERCENT_ENCODED = str.maketrans({"%": "%25", "\t": "%09", "\n": "%0A", "\r": "%0D"})
JsEdits = Callable[[bytes, Kind], Edits]


@dataclasses.dataclass(slots=True)
class _Open:
    """An element open inside SVG/MathML content."""

    name: str
    namespace: str  # "svg" or "math"
    foreign_children: bool  # False for integration points (children are HTML)


class _Rewriter:
    def __init__(
        self,
        text: str,
        m: UrlMap,
        inject: str,
        *,
        fast: bool = True,
        policy: ProxyPolicy | None = None,
        js: JsEdits = find_edits,
    ) -> None:
        self.text = text
        self.m = m
        self.js = js
        self.inject = inject
        self.policy = policy
        self.out: list[str] = []
        self.last = 0  # text[:last] has been written to out
        # "before": looking for the head; "head": right after a <head> tag; "done"
        self.inject_state = "before" if inject else "done"
        self.head_end = 0
        self.base_seen = False
        self.foreign: list[_Open] = []
        self.fast = fast  # False only in tests: the skipping regex must change nothing
        # URL rewriters by (navigation, javascript: URLs too), made once per `m`
        self.url_rewriters: dict[tuple[bool, bool], Callable[[str], str]] = {}

    # -- output -------------------------------------------------------------

    def replace(self, start: int, end: int, new: str) -> None:
        self.out.append(self.text[self.last : start])
        self.out.append(new)
        self.last = end

    def inject_at(self, at: int) -> None:
        if self.inject_state != "done":
            self.inject_state = "done"
            self.replace(at, at, self.inject)

    def result(self) -> str:
        if self.inject_state == "head":
            self.inject_at(self.head_end)
        elif self.inject_state == "before":
            self.inject_at(len(self.text))
        if not self.out:
            return self.text
        self.out.append(self.text[self.last :])
        return "".join(self.out)

    # -- scanning -----------------------------------------------------------

    @property
    def in_foreign(self) -> bool:
        return bool(self.foreign) and self.foreign[-1].foreign_children

    def run(self) -> str:
        text = self.text
        n = len(text)
        pos = 0
        while pos < n:
            if self.fast and self.inject_state == "done" and not self.foreign:
                skipped = _SKIP.match(text, pos)
                if skipped is not None:
                    pos = skipped.end()
                if pos >= n:
                    break
            lt = text.find("<", pos)
            if lt < 0:
                self.on_text(pos, n)
                break
            if lt > pos:
                self.on_text(pos, lt)
            nxt = text[lt + 1 : lt + 2]
            if nxt.isascii() and nxt.isalpha():
                pos = self.on_start_tag(lt)
            elif nxt == "/":
                pos = self.on_end_tag(lt)
            elif nxt == "!":
                pos = self.on_markup_declaration(lt)
            elif nxt == "?":
                self.significant(lt)
                pos = self.skip_past(">", lt + 2)
            else:
                self.on_text(lt, lt + 1)
                pos = lt + 1
        return self.result()

    def skip_past(self, needle: str, start: int) -> int:
        end = self.text.find(needle, start)
        return len(self.text) if end < 0 else end + len(needle)

    def significant(self, at: int) -> None:
        """A token that is not white space, a comment, the doctype or <html> starts."""
        if self.inject_state == "before":
            self.inject_at(at)
        elif self.inject_state == "head":
            self.inject_at(self.head_end)

    def on_text(self, start: int, end: int) -> None:
        if self.inject_state != "done":
            first = _NOT_WS.search(self.text, start, end)
            if first is not None:
                self.significant(first.start())
        if self.foreign and self.foreign[-1].name == "style" and self.in_foreign:
            self.rewrite_foreign_style(start, end)

    def rewrite_foreign_style(self, start: int, end: int) -> None:
        """Text of an SVG <style>: CSS with character references (not raw text)."""
        raw = self.text[start:end]
        decoded = decode_text(raw)
        new = rewrite_css(decoded, self.m)
        if new != decoded:
            self.replace(start, end, new if decoded == raw else encode_text(new))

    def on_markup_declaration(self, lt: int) -> int:
        text = self.text
        if text.startswith("<!--", lt):
            for abrupt in ("<!-->", "<!--->"):
                if text.startswith(abrupt, lt):
                    return lt + len(abrupt)
            end = text.find("--", lt + 4)
            while end >= 0:
                if text.startswith("-->", end):
                    return end + 3
                if text.startswith("--!>", end):
                    return end + 4
                end = text.find("--", end + 1)
            return len(text)
        if self.in_foreign and text.startswith("<![CDATA[", lt):
            end = text.find("]]>", lt + 9)
            stop = len(text) if end < 0 else end
            if self.foreign[-1].name == "style":
                css = text[lt + 9 : stop]
                new = rewrite_css(css, self.m)
                if new != css:
                    self.replace(lt + 9, stop, new)
            return len(text) if end < 0 else end + 3
        if text[lt + 2 : lt + 9].lower() != "doctype":
            self.significant(lt)  # a bogus comment; a doctype is not significant
        return self.skip_past(">", lt + 2)

    def on_end_tag(self, lt: int) -> int:
        tag = _END_TAG.match(self.text, lt)
        if tag is None:  # "</>" is dropped, "</ other" is a bogus comment
            if self.text.startswith("</>", lt):
                return lt + 3
            self.significant(lt)
            return self.skip_past(">", lt + 2)
        self.significant(lt)
        if tag.group("end") is None:
            return len(self.text)
        if self.foreign:
            name = tag.group("name").lower()
            for i in range(len(self.foreign) - 1, -1, -1):
                if self.foreign[i].name == name:
                    del self.foreign[i:]
                    break
        return tag.end()

    def on_start_tag(self, lt: int) -> int:
        text = self.text
        tag = _START_TAG.match(text, lt)
        assert tag is not None  # "<" + ASCII letter always starts a tag
        if tag.group("end") is None:  # EOF inside the tag: the parser drops it
            self.significant(lt)
            return len(text)
        name = tag.group("name").lower()
        end = tag.end()
        a_start, a_end = tag.span("attrs")
        attrs = list(_ATTR.finditer(text, a_start, a_end)) if a_end > a_start else []
        inject_after = False
        if self.inject_state != "done":
            if name == "head" and self.inject_state == "before":
                self.inject_state = "head"
                self.head_end = end
            elif name == "html" and self.inject_state == "before":
                pass
            elif name == "meta" and self.is_charset(attrs):
                inject_after = True  # right after it, once its attributes are done
            else:
                self.significant(lt)
        foreign = self.in_foreign
        if foreign and (
            name in _BREAKOUT or (name == "font" and self.has_any(attrs, ("color", "face", "size")))
        ):
            while self.foreign and self.foreign[-1].foreign_children:
                self.foreign.pop()
            foreign = self.in_foreign
        if name == "meta" and not foreign:
            self.on_meta(tag, attrs)
        else:
            self.rewrite_attributes(name, attrs)
        if inject_after:
            self.inject_at(end)
        self_closing = text[end - 2] == "/" and (not attrs or attrs[-1].end() < end - 1)
        if foreign:
            if not self_closing:
                ns = self.foreign[-1].namespace
                if name in ("svg", "math"):
                    ns = name
                integration = name in _INTEGRATION[ns]
                self.foreign.append(_Open(name, ns, not integration))
            return end
        if name in ("svg", "math"):
            if not self_closing:
                self.foreign.append(_Open(name, name, True))
            return end
        if name == "script":
            return self.on_script(end, attrs)
        if name in _RAW_TEXT_END:
            close = _RAW_TEXT_END[name].search(text, end)
            stop = len(text) if close is None else close.start()
            if name == "style" and stop > end:
                css = text[end:stop]
                new = rewrite_css(css, self.m)
                if new != css:
                    self.replace(end, stop, new)
            return stop
        if name == "plaintext":
            return len(text)
        return end

    # -- elements with special rules ----------------------------------------

    def on_script(self, end: int, attrs: list[re.Match[str]]) -> int:
        stop = _script_end(self.text, end)
        kind = self.value_of(attrs, "type")
        script_type = "" if kind is None else kind.strip(_WS).lower()
        if script_type == "importmap" and stop > end:
            source = self.text[end:stop]
            new = rewrite_importmap(source, self.m)
            if new != source:
                self.replace(end, stop, new)
        elif stop > end and (script_type in _CLASSIC_TYPES or script_type == "module"):
            if kind is None:  # the language attribute decides only without a type
                language = (self.value_of(attrs, "language") or "").strip(_WS).lower()
                if language and "text/" + language not in _CLASSIC_TYPES:
                    return stop
            source = self.text[end:stop]
            new = self.rewrite_js(source, "module" if script_type == "module" else "script")
            if new != source:
                self.replace(end, stop, new)
        return stop

    def rewrite_js(self, source: str, kind: Kind) -> str:
        """JavaScript code of the document, rewritten (docs/js-rewriting.md)."""
        if not mentions_trigger(source):
            return source
        data = source.encode("utf-8", "surrogatepass")
        m = self.m
        new = apply_edits(data, self.js(data, kind), lambda url: rewrite_url(url, m))
        return new.decode("utf-8", "surrogatepass")

    def rewrite_url_or_js(self, value: str, *, rewrite: Callable[[str], str]) -> str:
        """A `javascript:` URL's code rewritten, or any other URL by `rewrite`."""
        if _JS_SCHEME.match(value) is None:
            return rewrite(value)
        return self.rewrite_js_url(value) or rewrite(value)

    def rewrite_js_url(self, value: str) -> str | None:
        """A `javascript:` URL with its code rewritten; None for any other URL."""
        scheme = _JS_SCHEME.match(value)
        if scheme is None:
            return None
        code = value[scheme.end() :]
        if not mentions_trigger(unquote(code)):
            return value
        decoded = unquote_to_bytes(re.sub(r"[\t\n\r]", "", code)).decode("utf-8", "replace")
        new = self.rewrite_js(decoded, "script")
        if new == decoded:
            return value
        return value[: scheme.end()] + new.translate(_PERCENT_ENCODED)

    def on_meta(self, tag: re.Match[str], attrs: list[re.Match[str]]) -> None:
        """Rewrite a <meta>: refresh URL, style, a CSP (removed without a policy)."""
        equiv = (self.value_of(attrs, "http-equiv") or "").strip(_WS).lower()
        if equiv in _CSP:
            policy = self.policy
            content = self.value_of(attrs, "content")
            new = None
            if policy is not None and equiv == "content-security-policy" and content:
                new = rewrite_policy(content, self.m, policy)
            if new is None:
                self.replace(tag.start(), tag.end(), "")
                return
            for attr in attrs:
                if attr.group("name").lower() == "content":
                    self.rewrite_value(attr, lambda v: new)
            return
        for attr in attrs:
            aname = attr.group("name").lower()
            if aname == "content" and equiv == "refresh":
                self.rewrite_value(attr, lambda v: rewrite_refresh(v, self.m))
            elif aname == "style":
                self.rewrite_value(attr, lambda v: rewrite_css(v, self.m))

    def is_charset(self, attrs: list[re.Match[str]]) -> bool:
        if self.has_any(attrs, ("charset",)):
            return True
        equiv = (self.value_of(attrs, "http-equiv") or "").strip(_WS).lower()
        content = self.value_of(attrs, "content") or ""
        return equiv == "content-type" and _CHARSET.search(content) is not None

    # -- attributes ---------------------------------------------------------

    @staticmethod
    def has_any(attrs: list[re.Match[str]], names: tuple[str, ...]) -> bool:
        return any(a.group("name").lower() in names for a in attrs)

    @staticmethod
    def value_of(attrs: list[re.Match[str]], name: str) -> str | None:
        for attr in attrs:
            if attr.group("name").lower() == name:
                raw = attr.group("dq")
                if raw is None:
                    raw = attr.group("sq")
                if raw is None:
                    raw = attr.group("uq") or ""
                return decode_attribute(raw)
        return None

    def rewrite_attributes(self, element: str, attrs: list[re.Match[str]]) -> None:
        m = self.m
        for attr in attrs:
            aname = attr.group(1).lower()
            rule = _RULES.get(aname)
            if rule is None:  # no URL attribute starts with "on"
                if aname.startswith("on") and len(aname) > 2:
                    self.rewrite_value(attr, lambda v: self.rewrite_js(v, "handler"))
                continue
            if rule.elements is not None and element not in rule.elements:
                continue
            kind = rule.kind
            if kind == "url":
                if element == "base" and aname == "href" and not self.base_seen:
                    if _JS_SCHEME.match(self.value_of([attr], aname) or ""):
                        self.rewrite_value(attr, lambda v: self.rewrite_js_url(v) or v)
                    else:
                        self.on_base(attr)
                    continue
                js_url = aname in _JS_URL_ATTRIBUTES  # a `javascript:` URL: its code, if any
                if (element, aname) in NAVIGATIONS:
                    rewrite = self.url_rewriter(navigation=True, js_url=js_url)
                elif m.opaque is not None and mirrored_load(
                    element, aname, self.value_of(attrs, "rel") if element == "link" else None
                ):
                    rewrite = partial(rewrite_load, m=m)
                    if js_url:
                        rewrite = partial(self.rewrite_url_or_js, rewrite=rewrite)
                else:
                    rewrite = self.url_rewriter(navigation=False, js_url=js_url)
                self.rewrite_value(attr, rewrite)
            elif kind == "srcset":
                self.rewrite_value(attr, lambda v: rewrite_srcset(v, m))
            elif kind == "urls":
                self.rewrite_value(attr, lambda v: rewrite_urls(v, m))
            elif kind == "css":
                self.rewrite_value(attr, lambda v: rewrite_css(v, m))
            elif kind == "html":
                self.rewrite_value(
                    attr,
                    lambda v: _rewrite_html(
                        v, m, inject="", fast=self.fast, policy=self.policy, js=self.js
                    ),
                )
            elif kind == "drop":
                # With the white space before it, unless that is all that separates
                # what comes before from what follows (`<script\nintegrity="""x>`).
                after = self.text[attr.end() : attr.end() + 1]
                start = attr.start() if after in ("", ">") or after in _WS + "/" else None
                self.replace(attr.start("name") if start is None else start, attr.end(), "")

    def url_rewriter(self, *, navigation: bool, js_url: bool) -> Callable[[str], str]:
        """`rewrite_url` under `self.m` (and `javascript:` URLs' code when `js_url`)."""
        key = (navigation, js_url)
        rewrite = self.url_rewriters.get(key)
        if rewrite is None:
            rewrite = _url_rewriter(self.m, navigation)
            if js_url:
                rewrite = partial(self.rewrite_url_or_js, rewrite=rewrite)
            self.url_rewriters[key] = rewrite
        return rewrite

    def on_base(self, attr: re.Match[str]) -> None:
        self.base_seen = True
        value = self.value_of([attr], "href") or ""
        self.rewrite_value(attr, lambda v: rewrite_url(v, self.m))
        try:
            resolved = urljoin(self.m.base, value.strip(_WS))
        except ValueError:
            return
        self.m = dataclasses.replace(self.m, base=resolved)
        self.url_rewriters.clear()  # they hold the old `m`

    def rewrite_value(self, attr: re.Match[str], rewrite: Callable[[str], str]) -> None:
        group = attr.lastindex  # the value's group, or 1 (the name) without a value
        quote = None if group is None else _QUOTE_OF.get(group)
        if group is None or quote is None:
            return
        raw = attr.group(group)
        decoded = decode_attribute(raw) if "&" in raw else raw
        new = rewrite(decoded)
        if new == decoded:
            return
        start, end = attr.span(group)
        # Rewriting only swaps URL schemes and hosts for others without "&", so a value
        # that had no character references needs none now: keep its bytes as they were.
        keep = decoded == raw and (quote not in new if quote else _fits(new, quote))
        self.replace(start, end, new if keep else encode_attribute(new, quote))


def _url_rewriter(m: UrlMap, navigation: bool) -> Callable[[str], str]:
    return partial(rewrite_url, m=m, navigation=navigation)


def _fits(value: str, quote: str) -> bool:
    """Whether `value` can stand between `quote`s as it is (unquoted when quote is "")."""
    if quote:
        return quote not in value
    return bool(value) and _UNQUOTED_BREAK.search(value) is None and value[0] not in "\"'"


def _script_end(text: str, start: int) -> int:
    """Where the script element's raw text that starts at `start` ends (the index of its
    `</script`), following the tokenizer's script data (double) escaped states."""
    state = 0  # 0 data, 1 escaped (after "<!--"), 2 double escaped ("<!-- <script>")
    i = start
    while True:
        tok = _SCRIPT_TOKENS.search(text, i)
        if tok is None:
            return len(text)
        s = tok.group(0)
        if s == "<!--":
            if state == 0:
                state = 1
            i = tok.start() + 2  # "<!-->" and "<!--->" end the escape at once
            continue
        if s == "-->":
            state = 0
        elif tok.group(1):  # </script
            if state != 2:
                return tok.start()
            state = 1
        elif state == 1:  # <script inside an escape
            state = 2
        i = tok.end()


def _rewrite_html(
    text: str,
    m: UrlMap,
    *,
    inject: str,
    fast: bool = True,
    policy: ProxyPolicy | None = None,
    js: JsEdits = find_edits,
) -> str:
    return _Rewriter(text, m, inject, fast=fast, policy=policy, js=js).run()


def rewrite_html(
    text: str,
    m: UrlMap,
    *,
    inject: str,
    policy: ProxyPolicy | None = None,
    js: JsEdits = find_edits,
) -> str:
    """Rewrite an HTML document (or fragment) for the proxy and inject `inject` first in
    its head; `<meta>` policies are rewritten with `policy` (removed without one). Never
    raises: on an internal error the document passes with only the injection (and
    without its meta policies' rewriting: ours still confines it). With `m.opaque` every
    tag takes the careful path (the fast one skips relative URLs, which may then change).
    `js`: how the edits of inline code are found (`rewrite.js.find_edits`, or a cache)."""
    try:
        return _rewrite_html(text, m, inject=inject, policy=policy, fast=m.opaque is None, js=js)
    except Exception:
        return _inject_only(text, inject)


_PROLOGUE = re.compile(
    r"(?:\ufeff|[\t\n\f\r ]+|<!--.*?-->|<!doctype[^>]*>|<html(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)*"
    r"(?:<head(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)?",
    re.IGNORECASE | re.DOTALL,
)


def _inject_only(text: str, inject: str) -> str:
    """The last resort when rewriting failed: the injection alone, after the doctype."""
    prologue = _PROLOGUE.match(text)
    at = 0 if prologue is None else prologue.end()
    return text[:at] + inject + text[at:]
