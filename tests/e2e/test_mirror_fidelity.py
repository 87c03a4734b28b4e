"""The agent's mirror looks like the visitor's page (issue 12), in Chromium, both modes.

A corpus of small pages in the shape of real ones (tests/e2e/mirror_corpus/: a
dashboard whose chart a script draws on a canvas, a WebGL and a 2D drawing, a shop that
shows images from blob: URLs, a design-system form the visitor types into and keeps
focus in, a docs page with a web font, a TodoMVC-like list, a page with a masked field
and masked, opted-out and allowed canvases, and a private page) is browsed by a visitor
in one session per mode, the real widget flow (PIN, Allow; in proxy mode inside the
overlay), while an agent watches. On every page, once it is ready, a screenshot of what
the visitor sees (the widget's own bar and panels hidden for the shot: they are not
the page) and one of the agent's mirror, drawn at one size, may differ in at most
MAX_DIFF_FRACTION of their pixels (a pixel differs when a channel differs by more than
PIXEL_TOLERANCE). Both are taken again until they agree or WAIT_SECONDS pass: the mirror
gets there on its own, and the wait ends as soon as it has.

Masking stays whole: a canvas in a masked element, under `data-cobrowse-no-canvas`,
outside the allowed areas of a private page, or that drew a value (a PAN) as text is
empty in the mirror, and no canvas frame the visitor's browser sent shows its colour,
while the allowed canvas beside it arrives.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FloatRect, Frame, Page, expect

from tests.e2e.conftest import Frames, unload
from tests.e2e.demo_process import Demo, start_site_demo, stop_demo
from tests.e2e.mirror_corpus.site import (
    ALLOWED_RGB,
    OPTED_OUT_RGB,
    SECRET_RGB,
    VALUE_RGB,
    Site,
    masking_env,
    mirror_site,
)
from tests.e2e.test_story import MIRROR, OVERLAY, agent_joins, ask_for_pin, mirror_frame, surface
from tests.e2e.test_story import wait_in_mirror as wait_until

pytestmark = pytest.mark.e2e

VISITOR_SIZE = (900, 640)
AGENT_SIZE = (1700, 1150)  # room for the mirror at scale 1 beside the console's panels
PIXEL_TOLERANCE = 16  # per channel, out of 255 (as tests/e2e/test_fidelity.py)
MAX_DIFF_FRACTION = 0.01
WAIT_SECONDS = 40.0
MODES = ["inline", "proxy"]

# --- the browsers ------------------------------------------------------------------------


@dataclass
class Watch:
    """One session: the visitor's tab, the agent's console, and a scratch page."""

    demo: Demo
    visitor: Page
    agent: Page
    lab: Page
    visitor_frames: Frames


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with mirror_site() as s:
        yield s


@pytest.fixture(scope="module")
def demos(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Demo]]:
    """A demo server per mode that allows the corpus, both started at once."""

    def start(mode: str) -> Demo:
        tmp = tmp_path_factory.mktemp(f"mirror-{mode}")
        return start_site_demo(tmp, site.origin, mode, masking_env(site.origin))

    with ThreadPoolExecutor(2) as pool:
        futures = {mode: pool.submit(start, mode) for mode in MODES}
    running = {mode: f.result() for mode, f in futures.items()}
    yield running
    for demo in running.values():
        stop_demo(demo)


@pytest.fixture(scope="module", params=MODES)
def watch(
    request: pytest.FixtureRequest, site: Site, demos: dict[str, Demo], browser: Browser
) -> Iterator[Watch]:
    demo = demos[request.param]
    site.server = demo.server
    contexts: list[BrowserContext] = []

    def page(size: tuple[int, int]) -> Page:
        ctx = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, device_scale_factor=1
        )
        contexts.append(ctx)
        p = ctx.new_page()
        p.set_default_timeout(30_000)
        return p

    try:
        visitor, agent, lab = page(VISITOR_SIZE), page(AGENT_SIZE), page((200, 200))
        frames = Frames()
        frames.attach(visitor)
        visitor.goto(site.origin + "/dashboard.html")
        agent_joins(agent, demo, ask_for_pin(visitor))
        expect(visitor.get_by_role("dialog")).to_contain_text("Asha Rao")
        visitor.get_by_role("button", name="Allow").click()
        expect(visitor.get_by_role("button", name="Stop")).to_be_visible()
        yield Watch(demo, visitor, agent, lab, frames)
    finally:
        for ctx in contexts:
            for p in ctx.pages:
                unload(p)
            ctx.close()


def visit(w: Watch, name: str) -> Frame:
    """The visitor goes to corpus page `name` (unless there); the mirror shows it, ready."""
    where = surface(w.visitor, w.demo)
    ready = f"body#page-{name}[data-ready]"  # ids stay readable on private pages
    if where.locator(ready).count() == 0:
        page_frame(w).evaluate("path => location.assign(path)", f"/{name}.html")
    expect(where.locator(ready)).to_be_attached(timeout=30_000)
    view = mirror_frame(w.agent)
    wait_until(view, f"!!document.querySelector('{ready}')", timeout=30)
    return view


def page_frame(w: Watch) -> Frame:
    """The frame the visitor's page is in (the overlay's in proxy mode)."""
    if w.demo.mode != "proxy":
        return w.visitor.main_frame
    handle = w.visitor.locator(OVERLAY).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


# --- screenshots -------------------------------------------------------------------------

HIDE_WIDGET = """hide => {
  for (const el of document.querySelectorAll('[data-cobrowse-ui]:not(iframe)')) {
  if (hide) el.style.setProperty('visibility', 'hidden', 'important');
  else el.style.removeProperty('visibility');
} }"""
HIDE_IN_MIRROR = ".replayer-mouse, .visitor-click { display: none !important; }"


def visitor_shot(w: Watch) -> bytes:
    """What the visitor sees of the page: the viewport, or the overlay's frame; the
    widget's bar and panels (not the page) hidden for the shot."""
    frames = [w.visitor.main_frame] + ([page_frame(w)] if w.demo.mode == "proxy" else [])
    for f in frames:
        f.evaluate(HIDE_WIDGET, True)
    try:
        if w.demo.mode == "proxy":
            return w.visitor.locator(OVERLAY).screenshot(animations="disabled", caret="hide")
        return w.visitor.screenshot(animations="disabled", caret="hide")
    finally:
        for f in frames:
            f.evaluate(HIDE_WIDGET, False)


def mirror_shot(w: Watch) -> bytes:
    """The agent's mirror, on whole pixels (it may sit at a fractional offset)."""
    box = w.agent.locator(MIRROR).bounding_box()
    assert box is not None
    clip: FloatRect = {
        "x": round(box["x"]),
        "y": round(box["y"]),
        "width": round(box["width"]),
        "height": round(box["height"]),
    }
    return w.agent.screenshot(clip=clip, animations="disabled", caret="hide", style=HIDE_IN_MIRROR)


COMPARE = """async ({ a, b, exclude, tolerance }) => {
  const bitmap = async (png) =>
    createImageBitmap(await (await fetch('data:image/png;base64,' + png)).blob());
  const [ia, ib] = await Promise.all([bitmap(a), bitmap(b)]);
  const w = ia.width, h = ia.height;
  const pixels = (img) => {
    const c = new OffscreenCanvas(w, h);
    const x = c.getContext('2d');
    x.imageSmoothingQuality = 'high';
    x.drawImage(img, 0, 0, w, h);  // the mirror's shot, drawn at the visitor's size
    return x.getImageData(0, 0, w, h).data;
  };
  const pa = pixels(ia), pb = pixels(ib);
  const out = (x, y) => exclude.some(([l, t, r, bo]) => x >= l && x < r && y >= t && y < bo);
  let differ = 0, total = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (exclude.length && out(x, y)) continue;
    total++;
    const i = (y * w + x) * 4;
    const d = Math.max(
      Math.abs(pa[i] - pb[i]), Math.abs(pa[i + 1] - pb[i + 1]), Math.abs(pa[i + 2] - pb[i + 2]));
    if (d > tolerance) differ++;
  }
  return { differ, total, size: [w, h], mirror: [ib.width, ib.height] };
}"""


@dataclass(frozen=True)
class Diff:
    differ: int
    total: int
    size: list[int]
    mirror: list[int]

    @property
    def fraction(self) -> float:
        return self.differ / self.total if self.total else 1.0


def compare(
    w: Watch, visitor_png: bytes, mirror_png: bytes, exclude: list[list[float]] | None = None
) -> Diff:
    result = w.lab.evaluate(
        COMPARE,
        {
            "a": base64.b64encode(visitor_png).decode(),
            "b": base64.b64encode(mirror_png).decode(),
            "exclude": exclude or [],
            "tolerance": PIXEL_TOLERANCE,
        },
    )
    return Diff(**result)


def mirror_matches(
    w: Watch, name: str, tmp_path: Path, exclude: list[list[float]] | None = None
) -> Diff:
    """Shots of both sides until they differ in at most MAX_DIFF_FRACTION of their pixels."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        mine, theirs = visitor_shot(w), mirror_shot(w)
        diff = compare(w, mine, theirs, exclude)
        if diff.fraction <= MAX_DIFF_FRACTION:
            print(f"\n{w.demo.mode} {name}: {diff}")
            return diff
        if time.monotonic() > deadline:
            (tmp_path / f"{name}-visitor.png").write_bytes(mine)
            (tmp_path / f"{name}-mirror.png").write_bytes(theirs)
            pytest.fail(
                f"{name}: {diff.differ} of {diff.total} pixels differ ({diff.fraction:.2%}, "
                f"mirror shot {diff.mirror} drawn at {diff.size}); shots in {tmp_path}"
            )
        w.agent.wait_for_timeout(200)


# --- the corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard", "drawing", "shop", "docs"])
def test_page_looks_the_same_in_the_mirror(watch: Watch, name: str, tmp_path: Path) -> None:
    view = visit(watch, name)
    if name == "shop":  # the blob: images arrive as data: URLs
        wait_until(
            view,
            "[...document.images].length === 4 && [...document.images].every("
            "(i) => i.src.startsWith('data:image/') && i.naturalWidth === 200)",
            timeout=30,
        )
    if name == "drawing":
        assert page_frame(watch).evaluate("() => !document.body.dataset.nogl"), "no WebGL"
    mirror_matches(watch, name, tmp_path)


FOCUS_RING = """() => { const s = getComputedStyle(document.getElementById('full-name'));
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset, s.boxShadow]; }"""


def test_form_with_focus(watch: Watch, tmp_path: Path) -> None:
    visit(watch, "form")
    page = surface(watch.visitor, watch.demo)
    page.locator("#full-name").click()
    page.locator("#full-name").press_sequentially("Asha Rao")
    view = mirror_frame(watch.agent)
    wait_until(view, "document.getElementById('full-name').value === 'Asha Rao'")
    # The visitor's focus is carried, and its ring is the page's own (outline and shadow).
    wait_until(view, "document.getElementById('full-name').hasAttribute('data-cobrowse-focus')")
    ring = page_frame(watch).evaluate(FOCUS_RING)
    assert ring[0] == "solid", ring  # the page's :focus rule applies on the visitor's side
    as_js = json.dumps(json.dumps(ring, separators=(",", ":")))  # JSON.stringify's form
    wait_until(view, f"JSON.stringify(({FOCUS_RING})()) === {as_js}")
    mirror_matches(watch, "form", tmp_path)


def test_todo_list(watch: Watch, tmp_path: Path) -> None:
    visit(watch, "todo")
    page = surface(watch.visitor, watch.demo)
    page.locator("#new").fill("Call the bank")
    page.locator("#new").press("Enter")
    page.get_by_label("done: Upload Form 16").check()
    view = mirror_frame(watch.agent)
    wait_until(view, "document.querySelectorAll('#list li').length === 4")
    wait_until(view, "document.querySelectorAll('#list li.completed').length === 2")
    mirror_matches(watch, "todo", tmp_path)


# --- masking ----------------------------------------------------------------------------------

SHOWN = """id => { const c = document.getElementById(id);
  if (!c || c.tagName !== 'CANVAS') return null;
  const m = /url\\("(.*)"\\)/.exec(getComputedStyle(c).content);
  return m ? m[1] : ''; }"""

CENTRE = """async (url) => {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = new OffscreenCanvas(img.width, img.height);
  const x = c.getContext('2d');
  x.drawImage(img, 0, 0);
  return [...x.getImageData(img.width >> 1, img.height >> 1, 1, 1).data];
}"""


def shown(w: Watch, view: Frame, canvas_id: str) -> list[int] | None:
    """The centre pixel of what the mirror shows in a canvas (None: no such canvas)."""
    url = view.evaluate(SHOWN, canvas_id)
    if url is None:
        return None
    assert url.startswith("data:image/"), url
    return list(w.lab.evaluate(CENTRE, url))


def frame_arrived(view: Frame, canvas_id: str) -> str:
    return f"(({SHOWN})('{canvas_id}') || '').startsWith('data:image/png')"


COLOUR_IN_FRAMES = """async ({ urls, rgb }) => {
  let found = 0;
  for (const url of urls) {
    const img = await createImageBitmap(await (await fetch(url)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const x = c.getContext('2d');
    x.drawImage(img, 0, 0);
    const d = x.getImageData(0, 0, img.width, img.height).data;
    for (let i = 0; i < d.length; i += 4) {
      const near = [0, 1, 2].every((k) => Math.abs(d[i + k] - rgb[k]) < 30);
      if (d[i + 3] > 0 && near) { found++; break; }
    }
  }
  return found;
}"""


def canvas_frames(frames: Frames) -> list[str]:
    """The image of every canvas frame the visitor's browser sent."""
    urls: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if node.get("type") == 3 and isinstance(data, dict) and data.get("source") == 9:
                for command in data.get("commands", []):
                    for arg in command.get("args", []):
                        if isinstance(arg, dict) and isinstance(arg.get("src"), str):
                            urls.append(arg["src"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for text in frames.sent:
        try:
            walk(json.loads(text))
        except ValueError:
            continue
    return urls


def frames_showing(w: Watch, rgb: tuple[int, int, int]) -> int:
    return int(
        w.lab.evaluate(COLOUR_IN_FRAMES, {"urls": canvas_frames(w.visitor_frames), "rgb": rgb})
    )


def boxes(frame: Frame, selector: str) -> list[list[float]]:
    return frame.evaluate(
        """s => [...document.querySelectorAll(s)].map((e) => { const r = e.getBoundingClientRect();
             return [r.left - 4, r.top - 4, r.right + 4, r.bottom + 4]; })""",
        selector,
    )


def test_masked_and_opted_out_canvases_stay_empty(watch: Watch, tmp_path: Path) -> None:
    view = visit(watch, "masked")
    # The allowed canvas arrives, drawn as the visitor sees it.
    wait_until(view, frame_arrived(view, "ok"))
    assert shown(watch, view, "ok") == [*ALLOWED_RGB, 255]
    # The opted-out canvas is in the mirror, empty; the masked one is not even there.
    assert shown(watch, view, "optout") == [0, 0, 0, 0]
    assert shown(watch, view, "secret-chart") is None
    # A canvas that drew a value (a PAN) as text is empty too: its pixels never go.
    assert shown(watch, view, "pan-card") == [0, 0, 0, 0]
    # So is one that drew it before the widget's script ran (inline mode): unseen, held.
    assert shown(watch, view, "pan-early") == [0, 0, 0, 0]
    # The page is the same but for the masked and opted-out areas...
    hidden = boxes(
        page_frame(watch),
        "[data-cobrowse-mask], [data-cobrowse-no-canvas], #pan-card, #pan-early",
    )
    assert len(hidden) == 5
    mirror_matches(watch, "masked", tmp_path, exclude=hidden)
    # ...which do differ: the visitor's masked chart is not what the mirror shows there.
    (left, top, right, bottom), (width, height) = (
        boxes(page_frame(watch), "#secret-chart")[0],
        VISITOR_SIZE,
    )
    around = [
        [0, 0, width, top],
        [0, bottom, width, height],
        [0, top, left, bottom],
        [right, top, width, bottom],
    ]
    assert compare(watch, visitor_shot(watch), mirror_shot(watch), around).fraction > 0.5
    # No frame the visitor's browser sent ever showed the masked or opted-out canvas.
    assert frames_showing(watch, ALLOWED_RGB) > 0
    assert frames_showing(watch, SECRET_RGB) == 0
    assert frames_showing(watch, OPTED_OUT_RGB) == 0
    assert frames_showing(watch, VALUE_RGB) == 0


def test_private_page_canvas_stays_empty(watch: Watch) -> None:
    view = visit(watch, "private")
    wait_until(view, frame_arrived(view, "allowed"))
    assert shown(watch, view, "allowed") == [*ALLOWED_RGB, 255]
    assert shown(watch, view, "private") == [0, 0, 0, 0]
    assert frames_showing(watch, SECRET_RGB) == 0
