// @vitest-environment happy-dom
/**
 * Canvas frames, blob: images and the focus ring for the agent's mirror (issue 12):
 * the recorder's side (widget/canvas.ts, widget/blobs.ts, the masker's canvas rule) and
 * the mirror's (console/canvas.ts, console/focus.ts). tests/e2e/test_mirror_fidelity.py
 * runs them in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { Masker } from '../src/masking/masker';
import { effective, parseMaskRules } from '../src/masking/rules';
import { CANVAS_DEFAULTS, CanvasSampler, canvasFrame, frameOf, isCanvasEvent } from '../src/widget/canvas';
import { BlobImages } from '../src/widget/blobs';
import { canvasAllowed } from '../src/widget/config';
import { attributeTargets, emptyImage } from '../src/console/canvas';
import { focusSelector } from '../src/console/focus';
import type { RecordedEvent } from '../src/protocol';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('canvas frames', () => {
  it('are rrweb canvas mutations that draw one image, read back as they were made', () => {
    const event = canvasFrame(7, PNG, 320, 200, 1000);
    expect(isCanvasEvent(event)).toBe(true);
    expect(frameOf(event)).toEqual({ id: 7, src: PNG, width: 320, height: 200 });
    expect(frameOf({ type: 3, data: { source: 5, id: 7 } })).toBeNull();
    expect(isCanvasEvent({ type: 3, data: { source: 0 } })).toBe(false);
    // Only data: images are drawn, never a URL the mirror would fetch.
    const remote = canvasFrame(7, 'https://example.com/x.png', 1, 1, 0);
    expect(frameOf(remote)).toBeNull();
  });

  it('the site opts out with CoBrowse.options.canvas = false only', () => {
    expect(canvasAllowed({})).toBe(true);
    expect(canvasAllowed({ canvas: true })).toBe(true);
    expect(canvasAllowed({ canvas: false })).toBe(false);
    expect(canvasAllowed({ canvas: 'no' } as unknown as { canvas: boolean })).toBe(true);
  });
});

describe("the masker's canvas rule", () => {
  function masker(rules: unknown, path = '/'): Masker {
    return new Masker(effective(parseMaskRules(rules), path, document));
  }

  it('refuses canvases in or being masked elements, under the opt-out, and the widget', () => {
    document.body.innerHTML = `
      <canvas id="plain"></canvas>
      <section data-cobrowse-mask><canvas id="inside"></canvas></section>
      <canvas id="itself" class="secret"></canvas>
      <div data-cobrowse-no-canvas><p><canvas id="optout"></canvas></p></div>
      <div data-cobrowse-ui><canvas id="widget"></canvas></div>`;
    const m = masker({ selectors: ['[data-cobrowse-mask]', '.secret'], patterns: [] });
    const allowed = (id: string): boolean => m.canvas(document.getElementById(id) as Element);
    expect(allowed('plain')).toBe(true);
    expect(allowed('inside')).toBe(false);
    expect(allowed('itself')).toBe(false);
    expect(allowed('optout')).toBe(false);
    expect(allowed('widget')).toBe(false);
  });

  it('on a private page, allows only canvases in the allowed areas', () => {
    document.body.innerHTML = `<div class="public"><canvas id="a"></canvas></div><canvas id="b"></canvas>`;
    const m = masker({
      selectors: ['[data-cobrowse-mask]'],
      patterns: [],
      scopes: [{ urls: [], selectors: [], private: true, allow: ['.public'], patterns: [] }],
    });
    expect(m.canvas(document.getElementById('a') as Element)).toBe(true);
    expect(m.canvas(document.getElementById('b') as Element)).toBe(false);
  });
});

/** A canvas as the sampler sees one: its size and what toDataURL gives now. */
interface FakeCanvas {
  width: number;
  height: number;
  url: string;
  toDataURL: () => string;
  ownerDocument: { createElement: () => { width: number; height: number; toDataURL: () => string } };
}

function fakeCanvas(width: number, height: number, url: string): FakeCanvas {
  const canvas: FakeCanvas = {
    width,
    height,
    url,
    toDataURL: () => canvas.url,
    ownerDocument: { createElement: () => ({ width: 0, height: 0, toDataURL: () => 'data:image/png;base64,EMPTY' }) },
  };
  return canvas;
}

function sampler(canvases: FakeCanvas[], allowed: (c: FakeCanvas) => boolean = () => true, maxBytes = 1000) {
  const sent: RecordedEvent[] = [];
  const win = {
    document: { hidden: false, querySelectorAll: () => canvases },
    setInterval: () => 1,
    clearInterval: () => undefined,
  } as unknown as Window;
  const ids = new Map(canvases.map((c, i) => [c, i + 10]));
  const s = new CanvasSampler(
    win,
    {
      allowed: (c) => allowed(c as unknown as FakeCanvas),
      idOf: (n) => ids.get(n as unknown as FakeCanvas) ?? -1,
      emit: (e) => sent.push(e),
    },
    { ...CANVAS_DEFAULTS, maxBytes },
  );
  return { s, sent, ids: () => sent.map((e) => frameOf(e)?.id) };
}

describe('the canvas sampler', () => {
  it('sends a canvas when it changed, never an empty one first, nor the same twice', () => {
    const chart = fakeCanvas(30, 20, 'data:image/png;base64,AAAA');
    const empty = fakeCanvas(30, 20, 'data:image/png;base64,EMPTY');
    const { s, sent, ids } = sampler([chart, empty]);
    s.sample();
    expect(ids()).toEqual([10]);
    expect(frameOf(sent[0])).toEqual({ id: 10, src: chart.url, width: 30, height: 20 });
    s.sample();
    expect(sent).toHaveLength(1);
    chart.url = 'data:image/png;base64,BBBB';
    empty.url = 'data:image/png;base64,CCCC';
    s.sample();
    expect(ids()).toEqual([10, 10, 11]);
    // Cleared after it had content: the empty frame goes out (the mirror must clear too).
    empty.url = 'data:image/png;base64,EMPTY';
    s.sample();
    expect(ids()).toEqual([10, 10, 11, 11]);
  });

  it('sends everything again after a full snapshot (the mirror rebuilt its canvases)', () => {
    const chart = fakeCanvas(30, 20, 'data:image/png;base64,AAAA');
    const { s, ids } = sampler([chart]);
    s.sample();
    s.reset();
    s.sample();
    expect(ids()).toEqual([10, 10]);
  });

  it('never reads a canvas the rules refuse, an unrecorded one, an empty-sized or too large frame', () => {
    const refused = fakeCanvas(30, 20, 'data:image/png;base64,AAAA');
    let reads = 0;
    refused.toDataURL = () => {
      reads += 1;
      return refused.url;
    };
    const zero = fakeCanvas(0, 20, 'data:image/png;base64,AAAA');
    const big = fakeCanvas(30, 20, `data:image/png;base64,${'A'.repeat(2000)}`);
    const { s, sent } = sampler([refused, zero, big], (c) => c !== refused);
    s.sample();
    expect(sent).toEqual([]);
    expect(reads).toBe(0);
  });

  it('a canvas that cannot be read (tainted) sends nothing and stops nothing', () => {
    const tainted = fakeCanvas(30, 20, '');
    tainted.toDataURL = () => {
      throw new Error('SecurityError');
    };
    const chart = fakeCanvas(30, 20, 'data:image/png;base64,AAAA');
    const { s, ids } = sampler([tainted, chart]);
    expect(() => s.sample()).not.toThrow();
    expect(ids()).toEqual([11]);
  });
});

describe('blob: images', () => {
  const BYTES = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);

  function setUp(type: string) {
    const sent: RecordedEvent[] = [];
    let fetched = 0;
    const win = {
      fetch: async () => {
        fetched += 1;
        return { ok: true, blob: async () => new Blob([BYTES], { type }) };
      },
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    } as unknown as Window;
    const img = { nodeType: 1, tagName: 'IMG', complete: true, naturalWidth: 0, getAttribute: () => 'blob:http://shop/1' };
    const other = { nodeType: 1, tagName: 'VIDEO', getAttribute: () => 'blob:http://shop/2' };
    const nodes = new Map<number, unknown>([
      [5, img],
      [6, other],
    ]);
    const blobs = new BlobImages(win, (e) => sent.push(e));
    const lookup = (id: number) => (nodes.get(id) as Node) ?? null;
    return { blobs, sent, lookup, fetches: () => fetched };
  }

  const snapshot = {
    type: 2,
    timestamp: 1,
    data: {
      node: {
        type: 0,
        childNodes: [
          { type: 2, id: 5, tagName: 'img', attributes: { src: 'blob:http://shop/1', alt: 'Saree' }, childNodes: [] },
          { type: 2, id: 6, tagName: 'video', attributes: { src: 'blob:http://shop/2' }, childNodes: [] },
        ],
      },
    },
  };

  it('are sent empty, then as data: URLs once read; known ones at once', async () => {
    const { blobs, sent, lookup, fetches } = setUp('image/png');
    const out = blobs.rewrite(snapshot, lookup);
    const [img, video] = out.data.node.childNodes;
    expect(img?.attributes).toEqual({ src: '', alt: 'Saree' });
    expect(video?.attributes.src).toBe('blob:http://shop/2'); // not an image: left alone
    expect(snapshot.data.node.childNodes[0]?.attributes.src).toBe('blob:http://shop/1'); // not mutated
    await expect.poll(() => sent.length).toBe(1);
    const data = `data:image/png;base64,${btoa(String.fromCharCode(...BYTES))}`;
    expect(sent[0]).toMatchObject({ type: 3, data: { source: 0, attributes: [{ id: 5, attributes: { src: data } }] } });
    const again = blobs.rewrite(snapshot, lookup);
    expect(again.data.node.childNodes[0]?.attributes.src).toBe(data);
    expect(fetches()).toBe(1);
  });

  it('an SVG blob (text the masking rules could not read) is never sent', async () => {
    const { blobs, sent, lookup, fetches } = setUp('image/svg+xml');
    blobs.rewrite(snapshot, lookup);
    await expect.poll(fetches).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([]);
  });
});

describe('the mirror', () => {
  it("writes the page's focus rules for the element the visitor's focus is on", () => {
    expect(focusSelector('input:focus')).toBe('input[data-cobrowse-focus]');
    expect(focusSelector('a:focus-visible, button:focus')).toBe('a[data-cobrowse-focus], button[data-cobrowse-focus]');
    expect(focusSelector('.field:focus-within label')).toBe('.field:has([data-cobrowse-focus]) label');
    expect(focusSelector(':focus:not(:focus-visible)')).toBe('[data-cobrowse-focus]:not([data-cobrowse-focus])');
    expect(focusSelector('.focused')).toBeNull();
    expect(focusSelector('.x:focus-ring')).toBeNull(); // another pseudo-class
  });

  it("shows an empty canvas at its size, and finds the nodes a mutation's attributes change", () => {
    expect(emptyImage(574, 300)).toBe(
      "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='574' height='300'/%3E",
    );
    const mutation = { type: 3, data: { source: 0, attributes: [{ id: 4, attributes: {} }, { id: 9 }] } };
    expect(attributeTargets(mutation)).toEqual([4, 9]);
    expect(attributeTargets({ type: 3, data: { source: 9, id: 4 } })).toEqual([]);
  });
});
