"""What canvas content costs on the wire: an animated chart, in a real session, in Chromium.

Serves the mirror corpus (tests/e2e/mirror_corpus) and runs a real `cobrowse demo` in
inline mode; a visitor opens the live page (a streaming line chart, 820 x 320, redrawn
every frame, as monitoring dashboards draw one), asks for a PIN, an agent joins, the
visitor allows. Then, for `--seconds`, every WebSocket frame the visitor's browser sends
is counted: the canvas frames in them (how many, their bytes) and all bytes sent. Printed
as bytes per second at the widget's sampling (web/src/widget/canvas.ts: CANVAS_DEFAULTS).

Then, in the same page, the chart is encoded with each candidate encoding, twice a
second over the same time, to show what the choice costs against the others: the mean
size of a frame, what it makes per second at 1, 2 and 4 frames a second, and the mean
time `toDataURL` takes (on the visitor's main thread).

    PYTHONPATH=.:src .venv/bin/python bench/canvas.py [--seconds 10]   (or: make bench)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from tests.e2e.conftest import Frames
from tests.e2e.demo_process import CHROMIUM_ARGS, start_site_demo, stop_demo
from tests.e2e.mirror_corpus.site import masking_env, mirror_site
from tests.e2e.test_story import MIRROR, agent_joins, ask_for_pin

ENCODINGS = [
    ("png (chosen)", "image/png", 1.0),
    ("webp lossless", "image/webp", 1.0),
    ("webp q0.9", "image/webp", 0.9),
    ("webp q0.8", "image/webp", 0.8),
    ("jpeg q0.85", "image/jpeg", 0.85),
]

ENCODE = """async ({ encodings, seconds }) => {
  const canvas = document.getElementById('live');
  const out = encodings.map(() => ({ bytes: 0, ms: 0, n: 0 }));
  for (let round = 0; round < seconds * 2; round++) {
    await new Promise((done) => setTimeout(done, 500));
    encodings.forEach(([, type, quality], i) => {
      const t0 = performance.now();
      const url = canvas.toDataURL(type, quality);
      out[i].ms += performance.now() - t0;
      out[i].bytes += url.length;
      out[i].n += 1;
    });
  }
  return out;
}"""


def canvas_frames(text: str) -> list[int]:
    """The size of each canvas frame (its data URL) in one WebSocket frame."""
    sizes: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if node.get("type") == 3 and isinstance(data, dict) and data.get("source") == 9:
                for src in re.findall(r'"src": ?"(data:image/[^"]+)"', json.dumps(data)):
                    sizes.append(len(src))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    with contextlib.suppress(ValueError):
        walk(json.loads(text))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        mirror_site() as site,
        sync_playwright() as pw,
    ):
        demo = start_site_demo(Path(tmp), site.origin, "inline", masking_env(site.origin))
        site.server = demo.server
        browser = pw.chromium.launch(**CHROMIUM_ARGS)
        try:
            visitor = browser.new_context(viewport={"width": 900, "height": 640}).new_page()
            agent = browser.new_context(viewport={"width": 1700, "height": 1150}).new_page()
            frames = Frames()
            frames.attach(visitor)
            visitor.goto(site.origin + "/live.html")
            agent_joins(agent, demo, ask_for_pin(visitor))
            visitor.get_by_role("button", name="Allow").click()
            visitor.get_by_role("button", name="Stop").wait_for()
            agent.frame_locator(MIRROR).locator("#live").wait_for()
            # Measure from here: the first snapshot and frames are behind us.
            agent.wait_for_timeout(2000)
            start = len(frames.sent)
            agent.wait_for_timeout(args.seconds * 1000)
            window = frames.sent[start:]
            sizes = [s for text in window for s in canvas_frames(text)]
            total = sum(len(text.encode()) for text in window)
            per_s = args.seconds
            print(
                f"canvas, live chart 820x320 redrawn every frame, inline mode, "
                f"{args.seconds:.0f} s: {len(sizes) / per_s:.1f} canvas frames/s, "
                f"{sum(sizes) / per_s / 1000:.1f} kB/s of canvas frames "
                f"(mean frame {sum(sizes) / max(1, len(sizes)) / 1000:.1f} kB), "
                f"{total / per_s / 1000:.1f} kB/s sent in all"
            )
            results = visitor.evaluate(
                ENCODE,
                {"encodings": [list(e) for e in ENCODINGS], "seconds": min(args.seconds, 10)},
            )
            print("encoding                 mean frame   1 fps      2 fps      4 fps      encode")
            for (name, _, _), r in zip(ENCODINGS, results, strict=True):
                mean = r["bytes"] / max(1, r["n"])
                print(
                    f"{name:24} {mean / 1000:7.1f} kB {mean / 1000:6.1f} kB/s "
                    f"{2 * mean / 1000:6.1f} kB/s {4 * mean / 1000:6.1f} kB/s "
                    f"{r['ms'] / max(1, r['n']):6.1f} ms"
                )
        finally:
            browser.close()
            stop_demo(demo)


if __name__ == "__main__":
    main()
