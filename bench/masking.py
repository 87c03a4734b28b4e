"""Masking cost: the value patterns over text, in Python (the reference) and in the
browser's code (Node, the same TypeScript the widget runs).

Run: `PYTHONPATH=. .venv/bin/python bench/masking.py` (part of `make bench`).
Prints, for ordinary and adversarial texts, the time to mask n and 4n characters and
their ratio (about 4 when the time is linear in the length), and the time to mask a
page-sized rrweb snapshot in the browser code beside JSON.stringify of the same
snapshot (what sending it costs anyway), measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from cobrowse.config import load_config
from cobrowse.core.masking import mask_text

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


def node_side() -> None:
    rules = load_config().masking_rules.browser_rules(None)
    script = (
        "import { build } from 'esbuild';"
        "const r = await build({ entryPoints: ['../bench/masking_browser.ts'], bundle: true,"
        " write: false, format: 'esm', platform: 'node' });"
        "await import('data:text/javascript;base64,' +"
        " Buffer.from(r.outputFiles[0].text).toString('base64'));"
    )
    print("Browser code (Node)")
    subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT / "web",
        check=True,
        env={"RULES": json.dumps(rules), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )


if __name__ == "__main__":
    python_side()
    node_side()
