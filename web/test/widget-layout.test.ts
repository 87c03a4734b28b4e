import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LAYOUT,
  PRESETS,
  barPosition,
  clampPoint,
  nextPreset,
  overlap,
  parseLayout,
  placePanel,
  serializeLayout,
  truncate,
} from '../src/widget/layout';

const VIEW = { width: 1280, height: 800 };
const PANEL = { width: 360, height: 420 };

describe('the bar layout', () => {
  it('round-trips through sessionStorage text, and a malformed one is the default', () => {
    for (const layout of [
      { place: 'top-left' as const, minimised: true },
      { place: { x: 120, y: 40 }, minimised: false },
      DEFAULT_LAYOUT,
    ]) {
      expect(parseLayout(serializeLayout(layout))).toEqual(layout);
    }
    for (const bad of [null, '', '{', '[]', '"top"', '{"place":"middle"}', '{"place":{"x":"1","y":2}}', '{"place":{"x":1e9,"y":2}}']) {
      expect(parseLayout(bad).place, String(bad)).toBe('bottom');
    }
    expect(parseLayout('{"place":"sideways","minimised":true}')).toEqual({ place: 'bottom', minimised: true });
    expect(parseLayout('{"place":"top","minimised":"yes"}')).toEqual({ place: 'top', minimised: false });
  });

  it('cycles through every preset and back; a dragged bar starts again at the first', () => {
    const seen = [];
    let place: (typeof PRESETS)[number] = 'bottom';
    for (let i = 0; i < PRESETS.length; i += 1) {
      seen.push(place);
      place = nextPreset(place);
    }
    expect(place).toBe('bottom');
    expect(new Set(seen).size).toBe(PRESETS.length);
    expect(nextPreset({ x: 5, y: 5 })).toBe('bottom');
  });

  it('puts presets at the edges and keeps a dragged bar inside the viewport', () => {
    const bar = { width: 400, height: 56 };
    expect(barPosition('bottom', VIEW, bar)).toEqual({ x: 440, y: 728 });
    expect(barPosition('top-left', VIEW, bar)).toEqual({ x: 16, y: 16 });
    expect(barPosition('top-right', VIEW, bar)).toEqual({ x: 864, y: 16 });
    expect(barPosition({ x: 5000, y: -30 }, VIEW, bar)).toEqual({ x: 1280 - 400 - 8, y: 8 });
    expect(clampPoint({ x: 10, y: 10 }, { width: 300, height: 40 }, bar)).toEqual({ x: 8, y: 8 });
  });
});

describe('where a panel goes', () => {
  const barBottom = { left: 440, top: 728, width: 400, height: 56 };
  const box = (p: { x: number; y: number; maxHeight?: number }) => ({
    left: p.x,
    top: p.y,
    width: PANEL.width,
    height: Math.min(PANEL.height, p.maxHeight ?? Infinity),
  });

  it('keeps off the focused field, with a gap, and off the bar', () => {
    const fields = [
      { left: 900, top: 500, width: 300, height: 36 }, // under the bottom-right corner
      { left: 40, top: 500, width: 1200, height: 36 }, // the whole width, low
      { left: 40, top: 60, width: 1200, height: 36 }, // the whole width, high
      { left: 100, top: 380, width: 1080, height: 36 }, // the middle
    ];
    for (const field of fields) {
      const p = placePanel(VIEW, PANEL, field, barBottom);
      const guard = { left: field.left - 8, top: field.top - 8, width: field.width + 16, height: field.height + 16 };
      expect(overlap(box(p), guard), JSON.stringify(field)).toBe(0);
      expect(overlap(box(p), barBottom), JSON.stringify(field)).toBe(0);
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.y + box(p).height).toBeLessThanOrEqual(VIEW.height);
    }
    // only the middle one needs a shorter panel
    expect(placePanel(VIEW, PANEL, fields[3]!, barBottom).maxHeight).toBe(380 - 8 - 16); // above: the bar is below
    expect(placePanel(VIEW, PANEL, fields[0]!, barBottom).maxHeight).toBeUndefined();
  });

  it('sits above a bottom bar, below a top one, by default at the right', () => {
    const p = placePanel(VIEW, PANEL, null, barBottom);
    expect(p.x + PANEL.width).toBe(1280 - 16);
    expect(p.y + PANEL.height).toBeLessThanOrEqual(barBottom.top);
    const barTop = { ...barBottom, top: 16 };
    expect(placePanel(VIEW, PANEL, null, barTop).y).toBeGreaterThanOrEqual(barTop.top + barTop.height);
  });

  it('covers the field as little as it can when nothing else fits', () => {
    const small = { width: 400, height: 500 };
    const field = { left: 0, top: 0, width: 400, height: 500 };
    const p = placePanel(small, PANEL, field, null);
    expect(p.x).toBeGreaterThanOrEqual(0);
  });
});

describe('truncate', () => {
  it('keeps short text, cuts long text at a word with an ellipsis', () => {
    expect(truncate('Namaste', 10)).toBe('Namaste');
    expect(truncate('  a   b  ', 10)).toBe('a b');
    const long = 'Please open the File ITR page and check the bank account number before you submit';
    const cut = truncate(long, 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut.endsWith('…')).toBe(true);
    expect(long.startsWith(cut.slice(0, -1))).toBe(true);
    expect(truncate('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
