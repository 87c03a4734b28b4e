"""Rewriting throughput: our HTML and CSS rewriters beside pywb's, on the same files.

The files: the fidelity corpus's HTML and CSS (tests/e2e/corpus, rendered for two fixed
origins) and a few larger generated pages and a stylesheet, all written to one temporary
directory that both sides read. Ours (`cobrowse.rewrite.html.rewrite_html` with the
runtime injection, `cobrowse.rewrite.css.rewrite_css`) run in this process; pywb's
(`HTMLRewriter` with a head insert, `CSSRewriter`) run in pywb's own virtualenv, created
on first use under ~/.cache/cobrowse/bench (COBROWSE_BENCH_CACHE to move it; never in the
repository). Each side times every file set as the best of several rounds and prints
MB/s of input; the ratio is ours / pywb's. `--cpu` times both in CPU time instead of
wall time: steadier on a machine that other work shares.

    PYTHONPATH=. .venv/bin/python bench/rewrite.py [--rounds 5]   (or: make bench)

The two do different jobs on the same bytes: ours maps only absolute URLs of allowed
origins (host-mapped proxy; relative URLs stay), pywb prefixes every URL for its
archive-replay scheme and also rewrites inline scripts; both parse every tag.

Then JavaScript (`cobrowse.rewrite.js`, docs/js-rewriting.md) on bench/jsparse.py's
corpus (real files read from web/node_modules): tree-sitter's parse alone, the rewrite
uncached (find the edits, map the specifiers, splice) and the proxy's cached path (the
edit list from `server.js_cache.JsCache`, hashed by content, then spliced); the ratio is
to the parse alone. `--js-rounds 0` skips it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.jsparse import corpus as js_corpus
from tests.e2e.corpus.site import Corpus, Templates, corpus_files

from cobrowse.rewrite.css import rewrite_css
from cobrowse.rewrite.html import rewrite_html
from cobrowse.rewrite.js import apply_edits, find_edits
from cobrowse.rewrite.urls import UrlMap, rewrite_url
from cobrowse.server.js_cache import JsCache

A, B = "http://127.0.0.1:8101", "http://127.0.0.1:8102"
CDN = "https://cdn.example.gov.in"
PROXIES = {
    A: "http://pa0000000001.cobrowse.localhost:8000",
    B: "http://pb0000000001.cobrowse.localhost:8000",
    CDN: "http://pc0000000001.cobrowse.localhost:8000",
}
UPSTREAMS = {v: k for k, v in PROXIES.items()}
INJECT = (
    '<script id="__cobrowse_config" type="application/json">{"upstream_origin": "'
    + A
    + '"}</script><script src="/__cobrowse/runtime.js"></script>'
)
PYWB_VERSION = os.environ.get("COBROWSE_BENCH_PYWB", "pywb==2.10.0")

PYWB_RUNNER = r"""
import json, sys, time
from pywb.rewrite.url_rewriter import UrlRewriter
from pywb.rewrite.html_rewriter import HTMLRewriter
from pywb.rewrite.regex_rewriters import CSSRewriter

jobs, rounds, inject, clock = json.loads(sys.stdin.read())
now = getattr(time, clock)
out = {}
for name, kind, base, paths in jobs:
    texts = [open(p, encoding="utf-8").read() for p in paths]
    best = None
    for _ in range(rounds):
        start = now()
        for text in texts:
            rw = UrlRewriter("20240101000000/" + base, "/web/")
            if kind == "html":
                h = HTMLRewriter(rw, head_insert=inject)
                result = h.rewrite(text) + h.close()
            else:
                c = CSSRewriter(rw)
                result = c.rewrite(text) + c.final_read()
        elapsed = now() - start
        best = elapsed if best is None else min(best, elapsed)
    out[name] = best
print(json.dumps(out))
"""


def url_map(base: str) -> UrlMap:
    return UrlMap(base=base, proxy_origin_of=PROXIES.get, upstream_origin_of=UPSTREAMS.get)


# --- the files ----------------------------------------------------------------------------

_HEAD = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>e-Filing</title>\n'
    f'<link rel="stylesheet" href="{CDN}/css/site.css" integrity="sha384-x">\n'
    f'<script src="{CDN}/js/app.js" defer></script>\n'
    f"<style>body{{background:url(/img/bg.png)}} .logo{{background:url({CDN}/logo.svg)}}</style>"
    "\n</head><body>\n"
)


def table_page(rows: int = 5000) -> str:
    body = ['<table class="grid"><thead><tr><th>PAN</th><th>Name</th><th>AY</th></tr></thead>']
    for i in range(rows):
        body.append(
            f'<tr class="{"odd" if i % 2 else "even"}"><td>ABCDE{i:04d}F</td>'
            f"<td>Taxpayer number {i}</td><td>2024-25</td>"
            f'<td><a href="/itr/view?ack={i}&amp;ay=2024">View</a></td></tr>\n'
        )
    return _HEAD + "".join(body) + "</table></body></html>"


def links_page(items: int = 2500) -> str:
    body = []
    for i in range(items):
        body.append(
            f'<div class="card"><a href="{A}/news/{i}?ref=home">'
            f'<img src="{CDN}/img/{i}.jpg" srcset="{CDN}/img/{i}-480.jpg 480w, '
            f'{CDN}/img/{i}-960.jpg 960w" sizes="(max-width: 600px) 480px, 960px" '
            f'alt="News item {i}" loading="lazy"></a>'
            f'<a href="https://www.example.org/share?u={i}" rel="noopener">Share</a></div>\n'
        )
    return _HEAD + "".join(body) + "</body></html>"


def styled_page(items: int = 3000) -> str:
    body = []
    for i in range(items):
        body.append(
            f'<p class="item" style="color:#{i % 4096:03x};background:url({CDN}/bg/{i}.png)">'
            f'Item {i} <span style="font-weight:bold">bold</span> <b>text</b> and '
            f'<a href="#s{i}">a fragment</a></p>\n'
        )
    return _HEAD + "".join(body) + "</body></html>"


def big_css(rules: int = 6000) -> str:
    out = [f'@import url("{CDN}/css/reset.css");\n@import "/css/theme.css";\n']
    for i in range(rules):
        out.append(
            f".c{i} {{ color: #{i % 4096:03x}; margin: {i % 7}px; "
            f"background: url({CDN}/sprites/{i}.png) no-repeat; }}\n"
        )
        if i % 50 == 0:
            out.append(
                f'@font-face {{ font-family: "F{i}"; src: url("{CDN}/fonts/{i}.woff2") '
                f'format("woff2"), url(/fonts/{i}.woff) format("woff"); }}\n'
            )
    return "".join(out)


Job = tuple[str, str, str, list[str]]  # name, "html"/"css", base URL, files


def write_files(directory: Path) -> list[Job]:
    templates = Templates(Corpus(a=A, b=B))
    root = Path(__file__).resolve().parent.parent / "tests" / "e2e" / "corpus"
    html: list[str] = []
    css: list[str] = []
    for path in corpus_files():
        rel = path.relative_to(root).as_posix()
        if path.suffix not in (".html", ".css"):
            continue
        target = directory / rel.replace("/", "__")
        target.write_bytes(templates.render(rel))
        (html if path.suffix == ".html" else css).append(str(target))
    jobs: list[Job] = [
        ("corpus HTML", "html", A + "/page.html", html),
        ("corpus CSS", "css", A + "/css/x.css", css),
    ]
    for name, kind, text in (
        ("table page", "html", table_page()),
        ("links/srcset page", "html", links_page()),
        ("inline-style page", "html", styled_page()),
        ("big stylesheet", "css", big_css()),
    ):
        target = directory / (name.replace(" ", "_").replace("/", "_") + "." + kind)
        target.write_text(text, encoding="utf-8")
        jobs.append((name, kind, A + "/generated/" + target.name, [str(target)]))
    return jobs


# --- the two sides -------------------------------------------------------------------------


def _html(text: str, *, m: UrlMap) -> str:
    return rewrite_html(text, m, inject=INJECT)


def ours(jobs: list[Job], rounds: int, clock: str = "perf_counter") -> dict[str, float]:
    now: Callable[[], float] = getattr(time, clock)
    out: dict[str, float] = {}
    for name, kind, base, paths in jobs:
        texts = [Path(p).read_text(encoding="utf-8") for p in paths]
        m = url_map(base)
        rewrite: Callable[[str], str] = (
            partial(_html, m=m) if kind == "html" else partial(rewrite_css, m=m)
        )
        best = float("inf")
        for _ in range(rounds):
            start = now()
            for text in texts:
                rewrite(text)
            best = min(best, now() - start)
        out[name] = best
    return out


def pywb_python() -> Path:
    cache = Path(os.environ.get("COBROWSE_BENCH_CACHE", Path.home() / ".cache/cobrowse/bench"))
    venv = cache / "pywb"
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import pywb.rewrite.html_rewriter"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing {PYWB_VERSION} into {venv} (first run only)...", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(["python3", "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", PYWB_VERSION],
        check=True,
    )
    subprocess.run(check, check=True)
    return python


def pywb(jobs: list[Job], rounds: int, clock: str = "perf_counter") -> dict[str, float]:
    python = pywb_python()
    done = subprocess.run(
        [str(python), "-c", PYWB_RUNNER],
        input=json.dumps([jobs, rounds, INJECT, clock]),
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def javascript(rounds: int) -> None:
    """Parse alone, rewrite uncached, rewrite cached: MB/s of the corpus, best of
    `rounds` (wall time, one thread)."""
    import tree_sitter as ts
    import tree_sitter_javascript as tsj

    files = [s.utf8 for s in js_corpus()]
    if not files:
        print("\nJavaScript: skipped, no corpus (web/node_modules is not installed)")
        return
    total = sum(len(f) for f in files)
    parser = ts.Parser(ts.Language(tsj.language()))
    m = url_map(A + "/app/main.js")
    m_abs = UrlMap(
        base=m.base,
        proxy_origin_of=m.proxy_origin_of,
        upstream_origin_of=m.upstream_origin_of,
        absolute=True,
    )

    def specifier(url: str) -> str:
        return rewrite_url(url, m_abs)

    cache = JsCache(max_bytes=1 << 30, max_script_bytes=1 << 30)

    def parse_only(data: bytes) -> object:
        return parser.parse(data)

    def uncached(data: bytes) -> object:
        return apply_edits(data, find_edits(data, "script"), specifier)

    def cached(data: bytes) -> object:
        return apply_edits(data, cache.lookup(data, "script"), specifier)

    for data in files:  # fill the cache: the cached row is what every later request pays
        cache.lookup(data, "script")
    times: dict[str, float] = {}
    for name, fn in (
        ("parse only", parse_only),
        ("rewrite", uncached),
        ("rewrite, cached", cached),
    ):
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            for data in files:
                fn(data)
            best = min(best, time.perf_counter() - start)
        times[name] = best
    edited = sum(1 for data in files if find_edits(data, "script").status == "rewritten")
    print(
        f"\nJavaScript: {len(files)} files, {total / 1e6:.2f} MB "
        f"({edited} with edits), MB/s of input, best of {rounds}"
    )
    header = f"{'path':<20} {'MB/s':>10} {'vs parse':>9}"
    print(header)
    print("-" * len(header))
    for name, seconds in times.items():
        rate = total / 1e6 / seconds
        print(f"{name:<20} {rate:>10.1f} {times['parse only'] / seconds:>8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="best of this many (5)")
    parser.add_argument(
        "--js-rounds", type=int, default=2, help="JavaScript: best of this many (2; 0: skip)"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time both sides in CPU time of the process (a shared, loaded machine)",
    )
    args = parser.parse_args()
    clock = "process_time" if args.cpu else "perf_counter"
    with tempfile.TemporaryDirectory() as tmp:
        jobs = write_files(Path(tmp))
        sizes = {name: sum(Path(p).stat().st_size for p in paths) for name, _, _, paths in jobs}
        counts = {name: len(paths) for name, _, _, paths in jobs}
        mine = ours(jobs, args.rounds, clock)
        theirs = pywb(jobs, args.rounds, clock)
    what = "CPU time" if args.cpu else "wall time"
    print(f"rewriting throughput, MB/s of input, best of {args.rounds}, {what} ({PYWB_VERSION})")
    header = f"{'file set':<20} {'files':>5} {'KB':>8} {'cobrowse':>10} {'pywb':>10} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    totals = {"ours": 0.0, "pywb": 0.0, "bytes": 0}
    for name, _, _, _ in jobs:
        mb = sizes[name] / 1e6
        a, b = mb / mine[name], mb / theirs[name]
        totals["ours"] += mine[name]
        totals["pywb"] += theirs[name]
        totals["bytes"] += sizes[name]
        print(
            f"{name:<20} {counts[name]:>5} {sizes[name] / 1024:>8.1f} "
            f"{a:>10.1f} {b:>10.1f} {a / b:>6.1f}x"
        )
    mb = totals["bytes"] / 1e6
    a, b = mb / totals["ours"], mb / totals["pywb"]
    print("-" * len(header))
    print(
        f"{'all':<20} {sum(counts.values()):>5} {totals['bytes'] / 1024:>8.1f} "
        f"{a:>10.1f} {b:>10.1f} {a / b:>6.1f}x"
    )
    if args.js_rounds > 0:
        javascript(args.js_rounds)


if __name__ == "__main__":
    main()
