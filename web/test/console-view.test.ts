/** The console's view controls and notices, their pure parts: zoom, stored prefs, keys, notice roles. */
import { describe, expect, it } from 'vitest';
import { FIT_PAGE, FIT_WIDTH, decodeZoom, percentOf, scaleFor, stepZoom } from '../src/console/scale';
import { DEFAULT_PREFS, decodePrefs, encodePrefs } from '../src/console/prefs';
import { zoomKey } from '../src/console/view';
import { noticeRole } from '../src/console/notices';

const visitor = { width: 1280, height: 800 };

describe('zoom', () => {
  it('fits the page, never enlarging it', () => {
    expect(scaleFor(FIT_PAGE, visitor, { width: 992, height: 700 }).scale).toBeCloseTo(0.775, 3);
    expect(scaleFor(FIT_PAGE, visitor, { width: 2560, height: 1600 }).scale).toBe(1);
  });
  it('fits the width, whatever the height (the area scrolls)', () => {
    const fit = scaleFor(FIT_WIDTH, visitor, { width: 1248, height: 300 });
    expect(fit.scale).toBeCloseTo(0.975, 3);
    expect(fit.width).toBe(1248);
    expect(fit.height).toBe(780);
    expect(scaleFor(FIT_WIDTH, { width: 320, height: 640 }, { width: 1600, height: 900 }).scale).toBe(2);
  });
  it('shows a set percentage as it is', () => {
    expect(scaleFor({ kind: 'percent', percent: 125 }, visitor, { width: 10, height: 10 })).toEqual({
      scale: 1.25,
      width: 1600,
      height: 1000,
    });
  });
  it('steps to the next percentage beyond the current scale', () => {
    expect(stepZoom(0.775, 1)).toEqual({ kind: 'percent', percent: 80 });
    expect(stepZoom(0.775, -1)).toEqual({ kind: 'percent', percent: 75 });
    expect(stepZoom(1, 1)).toEqual({ kind: 'percent', percent: 110 });
    expect(stepZoom(2, 1)).toEqual({ kind: 'percent', percent: 200 });
    expect(stepZoom(0.25, -1)).toEqual({ kind: 'percent', percent: 25 });
    expect(percentOf(0.7749)).toBe(77);
  });
  it('reads back only what it stores', () => {
    expect(decodeZoom('page')).toEqual(FIT_PAGE);
    expect(decodeZoom('width')).toEqual(FIT_WIDTH);
    expect(decodeZoom(150)).toEqual({ kind: 'percent', percent: 150 });
    for (const bad of [5, 900, 'huge', null, Number.NaN, {}]) expect(decodeZoom(bad)).toBeNull();
  });
});

describe('remembered view', () => {
  it('round-trips and falls back field by field', () => {
    const prefs = { zoom: { kind: 'percent', percent: 110 } as const, chat: false };
    expect(decodePrefs(encodePrefs(prefs))).toEqual(prefs);
    expect(decodePrefs(null)).toEqual(DEFAULT_PREFS);
    expect(decodePrefs('not json')).toEqual(DEFAULT_PREFS);
    expect(decodePrefs('[1]')).toEqual(DEFAULT_PREFS);
    expect(decodePrefs('{"zoom": 5000, "chat": false}')).toEqual({ zoom: FIT_PAGE, chat: false });
    expect(decodePrefs('{"zoom": "width", "chat": "no"}')).toEqual({ zoom: FIT_WIDTH, chat: true });
  });
});

describe('zoom keys', () => {
  const key = (code: string, more: Partial<KeyboardEvent> = {}) => ({
    altKey: true,
    ctrlKey: false,
    metaKey: false,
    key: '',
    code,
    ...more,
  });
  it('Alt with =, -, 0 and W', () => {
    expect(zoomKey(key('Equal'), 1)).toEqual({ kind: 'percent', percent: 110 });
    expect(zoomKey(key('Minus'), 1)).toEqual({ kind: 'percent', percent: 90 });
    expect(zoomKey(key('Digit0'), 1)).toEqual(FIT_PAGE);
    expect(zoomKey(key('KeyW'), 1)).toEqual(FIT_WIDTH);
  });
  it('leaves other keys to the page and the browser', () => {
    expect(zoomKey(key('Equal', { altKey: false }), 1)).toBeNull();
    expect(zoomKey(key('Equal', { ctrlKey: true }), 1)).toBeNull();
    expect(zoomKey(key('KeyA'), 1)).toBeNull();
  });
});

describe('notices', () => {
  it('announce errors as alerts, everything else as status', () => {
    expect(noticeRole('error')).toBe('alert');
    expect(noticeRole('success')).toBe('status');
    expect(noticeRole('info')).toBe('status');
    expect(noticeRole('warning')).toBe('status');
  });
});
