"""Page load time through the proxy divided by direct load time, in Chromium.

Serves the fidelity corpus (tests/e2e/corpus) on loopback and runs a real `cobrowse
serve` in proxy mode with one active session (created, joined and allowed over HTTP and
WebSocket, as in tests/e2e/test_fidelity.py). For each page and each run, direct and
proxied alternate, each in a fresh browser context (empty cache) that has already made
one small request to the same host (the proxied one through the overlay's `enter` URL,
which sets the proxy credential; the direct one to the same JSON URL), so both start
with a warm connection and a cold cache. Measured in the page by Navigation Timing:
`loadEventEnd` of the navigation ("cold"), then of a second navigation to the same URL
in the same context ("warm": cached runtime and assets). Prints the median of each and
the ratio proxy / direct.

    PYTHONPATH=. .venv/bin/python bench/pageload.py [--runs 15]   (or: make bench)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from tests.e2e.corpus.proxy import ProxiedSession, running_proxy
from tests.e2e.corpus.site import Corpus, running_corpus
from tests.e2e.demo_process import CHROMIUM_ARGS

PAGES = ["/links.html", "/styles.html", "/frames.html", "/module.html", "/spa/", "/compressed.html"]
WARM_UP = "/api/items?page=home"  # a small JSON answer on site A
LOAD_MS = """() => new Promise((done) => {
  const read = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav && nav.loadEventEnd > 0) done(nav.loadEventEnd - nav.startTime);
    else setTimeout(read, 5);
  };
  read();
})"""


def measure(page: Page, url: str) -> float:
    page.goto(url, wait_until="load")
    return float(page.evaluate(LOAD_MS))


def one_run(
    browser: Browser, corpus: Corpus, session: ProxiedSession | None, path: str
) -> tuple[float, float]:
    ctx = browser.new_context(viewport={"width": 800, "height": 600})
    try:
        page = ctx.new_page()
        if session is None:
            page.goto(corpus.a + WARM_UP)
            url = corpus.a + path
        else:
            page.goto(session.overlay(corpus.a + WARM_UP))  # sets the credential
            url = page.url.split("/api/", 1)[0] + path
        cold = measure(page, url)
        warm = measure(page, url)
        return cold, warm
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per page and side (15)")
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_corpus() as corpus,
        running_proxy(Path(tmp), corpus) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(**CHROMIUM_ARGS)
        session = server.open_session()
        try:
            for path in PAGES:
                one_run(browser, corpus, None, path)  # warm the servers' code paths
                one_run(browser, corpus, session, path)
                r = results[path] = {"dc": [], "dw": [], "pc": [], "pw": []}
                for _ in range(args.runs):
                    cold, warm = one_run(browser, corpus, None, path)
                    r["dc"].append(cold)
                    r["dw"].append(warm)
                    cold, warm = one_run(browser, corpus, session, path)
                    r["pc"].append(cold)
                    r["pw"].append(warm)
        finally:
            session.close()
            browser.close()

    print(f"page load (loadEventEnd, ms), median of {args.runs} runs; ratio = proxy / direct")
    header = (
        f"{'page':<18} {'direct cold':>11} {'proxy cold':>10} {'ratio':>6}   "
        f"{'direct warm':>11} {'proxy warm':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    ratios_cold, ratios_warm = [], []
    for path, r in results.items():
        dc, pc = statistics.median(r["dc"]), statistics.median(r["pc"])
        dw, pw_ = statistics.median(r["dw"]), statistics.median(r["pw"])
        ratios_cold.append(pc / dc)
        ratios_warm.append(pw_ / dw)
        print(
            f"{path:<18} {dc:>11.1f} {pc:>10.1f} {pc / dc:>5.2f}x   "
            f"{dw:>11.1f} {pw_:>10.1f} {pw_ / dw:>5.2f}x"
        )
    print("-" * len(header))
    print(
        f"{'median of pages':<18} {'':>11} {'':>10} {statistics.median(ratios_cold):>5.2f}x   "
        f"{'':>11} {'':>10} {statistics.median(ratios_warm):>5.2f}x"
    )


if __name__ == "__main__":
    main()
