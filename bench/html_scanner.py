"""HTML rewriter throughput: the streaming scanner against selectolax/Lexbor.

Run: `PYTHONPATH=. .venv/bin/python bench/html_scanner.py` (part of `make bench`).
Prints MB/s of both on generated pages (a big table, many links/images/srcset,
inline-CSS heavy, a portal-like page) and the ratio. The Lexbor variant does the same
attribute work through parse, mutate and serialize, which is what choosing it would
mean; it is here only to be measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser
from tests.rewrite.urlmap import URL_MAP

from cobrowse.rewrite.attributes import URL_ATTRIBUTES, rewrite_srcset, rewrite_urls
from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.html import rewrite_html
from cobrowse.rewrite.urls import UrlMap, rewrite_url

INJECT = '<script id="__cobrowse_config" type="application/json">{}</script>' + (
    '<script src="/__cobrowse/runtime.js"></script>'
)
_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Income Tax Department</title>
<link rel="stylesheet" href="https://cdn.example.gov.in/css/site.css" integrity="sha384-x">
<script src="https://cdn.example.gov.in/js/app.js" defer></script>
<style>body{background:url(/img/bg.png)} .logo{background-image:url("https://cdn.example.gov.in/logo.svg")}</style>
</head><body>
"""


def table_page(rows: int = 6000) -> str:
    body = [
        '<table class="grid"><thead><tr><th>PAN</th><th>Name</th><th>AY</th>'
        "<th>Status</th><th>Amount</th><th></th></tr></thead><tbody>"
    ]
    for i in range(rows):
        body.append(
            f'<tr class="{"odd" if i % 2 else "even"}"><td>ABCDE{i:04d}F</td>'
            f'<td>Taxpayer number {i}</td><td>2024-25</td><td><span class="badge ok">'
            f'Processed</span></td><td align="right">&#8377; {i * 37 % 100000:,}</td>'
            f'<td><a href="/itr/view?ack={i}&amp;ay=2024">View</a></td></tr>\n'
        )
    body.append("</tbody></table></body></html>")
    return _HEAD + "".join(body)


def links_page(items: int = 2500) -> str:
    body = []
    for i in range(items):
        body.append(
            f'<div class="card"><a href="https://portal.example.gov.in/news/{i}?ref=home">'
            f'<img src="https://cdn.example.gov.in/img/{i}.jpg" '
            f'srcset="https://cdn.example.gov.in/img/{i}-480.jpg 480w, '
            f'https://cdn.example.gov.in/img/{i}-960.jpg 960w" '
            f'sizes="(max-width: 600px) 480px, 960px" '
            f'alt="News item {i}" loading="lazy"></a>'
            f'<a href="https://www.example.org/share?u={i}" rel="noopener">Share</a>'
            f'<a href="#top">Top</a></div>\n'
        )
    return _HEAD + "".join(body) + "</body></html>"


def css_page(items: int = 3000) -> str:
    rules = "".join(
        f".c{i}{{background:url(https://cdn.example.gov.in/s/{i}.png) no-repeat;"
        f"color:#{i % 4096:03x};margin:{i % 7}px}}\n"
        for i in range(items)
    )
    body = "".join(
        f'<div class="c{i}" style="background-image:url(\'/img/{i}.png\');'
        f'border:1px solid #ccc;padding:4px">Item {i}</div>\n'
        for i in range(items)
    )
    return _HEAD + f"<style>{rules}</style>" + body + "</body></html>"


def portal_page(sections: int = 400) -> str:
    parts = []
    for i in range(sections):
        parts.append(
            f'<section id="s{i}"><h2>Schedule {i}</h2><form action="/itr/save" method="post">'
            f'<label for="f{i}">Income from other sources</label>'
            f'<input id="f{i}" name="f{i}" type="text" value="" pattern="[0-9]*">'
            f'<button formaction="https://portal.example.gov.in/itr/validate">Validate</button>'
            f"<script>window.__s{i}={{ok:true,n:{i}}};if(a<b&&c>d){{}}</script>"
            f"<!-- section {i} --><p>Enter the amounts as in Form 26AS. "
            f'See <a href="https://www.incometax.gov.in/help">help</a>.</p></form></section>\n'
        )
    return _HEAD + "".join(parts) + "</body></html>"


_SELECTOR = ",".join(f"[{name.replace(':', '|')}]" for name in URL_ATTRIBUTES if ":" not in name)


def lexbor_rewrite(text: str, m: UrlMap, *, inject: str) -> str:
    tree = LexborHTMLParser(text)
    for node in tree.css(_SELECTOR):
        tag = node.tag or ""
        attrs = node.attrs
        for name, value in list(attrs.items()):
            rule = URL_ATTRIBUTES.get(name.lower())
            if rule is None or value is None or not rule.applies_to(tag):
                continue
            if rule.kind == "url":
                new = rewrite_url(value, m)
            elif rule.kind == "srcset":
                new = rewrite_srcset(value, m)
            elif rule.kind == "urls":
                new = rewrite_urls(value, m)
            elif rule.kind == "css":
                new = rewrite_css(value, m)
            elif rule.kind == "drop":
                del attrs[name]
                continue
            else:
                continue
            if new != value:
                attrs[name] = new
    for style in tree.css("style"):
        css = style.text()
        new_css = rewrite_css(css, m)
        if new_css != css:
            style.replace_with(LexborHTMLParser(f"<style>{new_css}</style>").head.child)  # type: ignore[union-attr]
    head = tree.head
    if head is not None and inject:
        fragment = LexborHTMLParser(inject).head
        if fragment is not None:
            first = head.child
            for child in list(fragment.iter()):
                if first is None:
                    head.insert_child(child)
                else:
                    first.insert_before(child)
    return tree.html or ""


def _rate(fn: Callable[[], str], size: int, *, seconds: float = 1.0) -> float:
    fn()
    runs = 0
    start = time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return size * runs / elapsed / 1e6


def main() -> None:
    pages = {
        "table": table_page(),
        "links+srcset": links_page(),
        "inline css": css_page(),
        "portal forms": portal_page(),
    }
    print(f"{'page':<14}{'KB':>7}{'stream MB/s':>13}{'lexbor MB/s':>13}{'ratio':>8}")
    for name, page in pages.items():
        size = len(page.encode())
        stream = _rate(lambda p=page: rewrite_html(p, URL_MAP, inject=INJECT), size)
        lexbor = _rate(lambda p=page: lexbor_rewrite(p, URL_MAP, inject=INJECT), size)
        print(f"{name:<14}{size // 1024:>7}{stream:>13.1f}{lexbor:>13.1f}{stream / lexbor:>8.2f}")


if __name__ == "__main__":
    main()
