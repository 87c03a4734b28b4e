"""Masking cost: the value patterns over text, in Python (the reference) and in the
browser's code (Node and Chromium, the same TypeScript the widget runs).

Run: `PYTHONPATH=. .venv/bin/python bench/masking.py` (part of `make bench`).
Prints, measured in the same run:

- for ordinary and adversarial texts, the time to mask n and 4n characters and their
  ratio (about 4 when the time is linear in the length);
- for a realistic page's text (a tax portal's account statement, in English and
  bilingual English/Hindi, every text node masked on its own as rrweb asks), the time
  with normalisation (core/masking_fold.py, web/src/masking/fold.ts) beside the time
  matching the text as it is, and their ratio; in Python, in Node, and in Chromium,
  where the page is a real DOM and the normalised side also joins the text nodes of
  each block (web/src/masking/blocks.ts);
- the time to mask a page-sized rrweb snapshot in the browser code beside
  JSON.stringify of the same snapshot (what sending it costs anyway).
"""

from __future__ import annotations

import html
import json
import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.demo_process import CHROMIUM_ARGS

from cobrowse.config import load_config
from cobrowse.core.masking import mask_text
from cobrowse.core.masking_checks import verhoeff_digit

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = [load_config().masking_rules.pattern(name) for name in load_config().masking.patterns]
TEXTS: dict[str, str] = {
    "prose with secrets": "My PAN is ABCDE1234F, call +91 98765 43210 or a.b@example.in. ",
    "digits": "1234567890 ",
    "letters": "a",
    "a@a@": "a@",
    "digit groups": "1234 ",
    "IBAN-like": "GB82 ",
}
NODE_ENV = {"PATH": "/usr/bin:/bin:/usr/local/bin"}

ENGLISH = [
    "Refund of income tax credited to your bank account",
    "Intimation under section 143(1) issued",
    "ITR-1 filed for assessment year 2024-25",
    "Demand of \u20b94,520 raised; respond by 31/12/2024",
    "Form 26AS updated with TDS of \u20b912,000",
    "e-Verification completed with Aadhaar OTP",
]
HINDI = [
    "आयकर रिटर्न दाखिल किया गया",
    "आपके बैंक खाते में धनवापसी जमा की गई",
    "धारा 143(1) के तहत सूचना जारी",
    "कर निर्धारण वर्ष २०२४-२५ के लिए ई-सत्यापन पूर्ण",
]
DEVANAGARI = 0x966


def _aadhaar(rng: random.Random) -> str:
    body = rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(10))
    n = body + verhoeff_digit(body)
    return f"{n[:4]}\u00a0{n[4:8]}\u00a0{n[8:]}"


def page_rows(*, bilingual: bool, n: int = 400, seed: int = 7) -> list[list[list[str]]]:
    """An account statement: rows of cells, each cell the text nodes of one block (a
    cell split across inline elements has several). About one row in twenty holds a
    secret, written as pages write them."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = rng.choice(HINDI if bilingual and i % 2 else ENGLISH)
        day = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2024"
        amount = f"\u20b9{rng.randint(100, 200000):,}"
        ack = "".join(rng.choice("0123456789") for _ in range(15))
        detail = [words]
        if i % 20 == 5:
            detail = [words + " PAN ", "ABCPE", "1234F"]  # split across <b>
        elif i % 20 == 15:
            aadhaar = _aadhaar(rng)
            if bilingual:
                aadhaar = "".join(chr(DEVANAGARI + int(c)) if c.isdigit() else c for c in aadhaar)
            detail = [f"{words}, Aadhaar {aadhaar}"]
        rows.append([[day], detail, [amount], [f"Ack. {ack}"]])
    return rows


def page_texts(rows: list[list[list[str]]]) -> list[str]:
    return [text for row in rows for cell in row for text in cell]


def page_html(rows: list[list[list[str]]]) -> str:
    def cell(pieces: list[str]) -> str:
        first, *rest = (html.escape(p) for p in pieces)
        return "<td>" + first + "".join(f"<b>{p}</b>" for p in rest) + "</td>"

    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f'<!doctype html><html lang="hi"><meta charset="utf-8"><table>{body}</table></html>'


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def python_side() -> None:
    print("Python mask_text (all built-in patterns)")
    print(f"  {'text':<20} {'n chars':>8} {'t(n) ms':>9} {'t(4n) ms':>9} {'ratio':>6}")
    for name, unit in TEXTS.items():
        n = 20_000
        small = (unit * (n // len(unit) + 1))[:n]
        large = (unit * (4 * n // len(unit) + 1))[: 4 * n]
        t1 = best(lambda s=small: mask_text(s, PATTERNS))  # type: ignore[misc]
        t4 = best(lambda s=large: mask_text(s, PATTERNS))  # type: ignore[misc]
        print(f"  {name:<20} {n:>8} {t1 * 1e3:>9.2f} {t4 * 1e3:>9.2f} {t4 / t1:>6.2f}")
    print("Python, a realistic page's text, node by node: normalised beside as it is")
    for bilingual in (False, True):
        texts = page_texts(page_rows(bilingual=bilingual))
        normalised = best(lambda t=texts: [mask_text(s, PATTERNS) for s in t])  # type: ignore[misc]
        raw = best(lambda t=texts: [mask_text(s, PATTERNS, normalise=False) for s in t])  # type: ignore[misc]
        print("  " + _page_line(bilingual, texts, normalised * 1e3, raw * 1e3))


def _page_line(bilingual: bool, texts: list[str], normalised_ms: float, raw_ms: float) -> str:
    chars = sum(len(t) for t in texts)
    ascii_share = sum(t.isascii() for t in texts) / len(texts)
    name = "bilingual page" if bilingual else "English page"
    return (
        f"{name:<15} {len(texts)} text nodes, {chars} chars ({ascii_share:.0%} ASCII-only): "
        f"normalised {normalised_ms:.2f} ms, as is {raw_ms:.2f} ms, "
        f"ratio {normalised_ms / raw_ms:.2f}"
    )


def _bundle(entry: str, fmt: str, platform: str) -> str:
    script = (
        "import { build } from 'esbuild';"
        f"const r = await build({{ entryPoints: ['../bench/{entry}'], bundle: true,"
        f" write: false, format: '{fmt}', platform: '{platform}' }});"
        "process.stdout.write(r.outputFiles[0].text);"
    )
    return subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT / "web",
        check=True,
        env=NODE_ENV,
        capture_output=True,
        text=True,
    ).stdout


def node_side() -> None:
    rules = load_config().masking_rules.browser_rules(None)
    code = _bundle("masking_browser.ts", "esm", "node")
    pages = {
        "English page": page_texts(page_rows(bilingual=False)),
        "bilingual page": page_texts(page_rows(bilingual=True)),
    }
    print("Browser code (Node)")
    subprocess.run(
        ["node", "--input-type=module", "-e", code],
        cwd=ROOT / "web",
        check=True,
        env={**NODE_ENV, "RULES": json.dumps(rules)},
        input=json.dumps(pages),
        text=True,
    )


def chromium_side() -> None:
    from playwright.sync_api import sync_playwright

    rules = load_config().masking_rules.browser_rules(None)
    code = _bundle("masking_page.ts", "iife", "browser")
    print("Browser code (Chromium), every text node of the page as rrweb asks for it")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for bilingual in (False, True):
                rows = page_rows(bilingual=bilingual)
                page.set_content(page_html(rows))
                page.add_script_tag(content=code)
                out = page.evaluate("rules => window.__maskingBench(rules)", rules)
                print("  " + _page_line(bilingual, page_texts(rows), out["joined"], out["raw"]))
                print(
                    f"  {'':<15} (text nodes masked in the normalised pass: {out['maskedJoined']},"
                    f" as is: {out['maskedRaw']})"
                )
        finally:
            browser.close()


if __name__ == "__main__":
    python_side()
    node_side()
    chromium_side()
