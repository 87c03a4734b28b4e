import { describe, expect, it } from 'vitest';
import {
  joinErrorMessage,
  normalizePin,
  retryAfterSeconds,
  sessionEndedMessage,
} from '../src/console/errors';
import { EVENT_META, isReplayed, nextPageInfo, syntheticMeta } from '../src/console/events';
import { Restamper, STAMP_SLACK_MS } from '../src/console/restamp';
import { fitInto } from '../src/console/scale';

describe('scale to fit', () => {
  it('keeps the aspect ratio and never upscales', () => {
    expect(fitInto({ width: 1280, height: 720 }, { width: 640, height: 720 })).toEqual({
      scale: 0.5,
      width: 640,
      height: 360,
    });
    expect(fitInto({ width: 1000, height: 2000 }, { width: 1000, height: 1000 })).toEqual({
      scale: 0.5,
      width: 500,
      height: 1000,
    });
    expect(fitInto({ width: 400, height: 300 }, { width: 1600, height: 1200 }).scale).toBe(1);
    expect(fitInto({ width: 400, height: 300 }, { width: 1600, height: 1200 }, 2).scale).toBe(2);
  });
  it('survives empty sizes', () => {
    expect(fitInto({ width: 0, height: 0 }, { width: 100, height: 100 }).scale).toBe(1);
    expect(fitInto({ width: 100, height: 100 }, { width: 0, height: 0 }).scale).toBe(1);
  });
});

describe('join errors', () => {
  it('maps codes to messages', () => {
    expect(joinErrorMessage(404, { code: 'invalid_pin', message: 'x' }, null)).toBe(
      'That PIN is not valid. Check it with the caller.',
    );
    expect(joinErrorMessage(429, { code: 'too_many_attempts', message: 'x' }, '30')).toBe(
      'Too many attempts. Try again in 30 seconds.',
    );
    expect(joinErrorMessage(429, null, '1')).toBe('Too many attempts. Try again in 1 second.');
    expect(joinErrorMessage(429, null, null)).toMatch(/Too many attempts/);
    expect(joinErrorMessage(429, { code: 'joins_paused', message: 'x' }, '42')).toBe(
      'Too many wrong PINs on this server just now, so joining is paused. Try again in 42 seconds.',
    );
    expect(joinErrorMessage(429, { code: 'joins_paused', message: 'x' }, null)).toMatch(/in a moment/);
    expect(joinErrorMessage(401, { code: 'not_signed_in', message: '' }, null)).toMatch(
      /not signed in/,
    );
    expect(joinErrorMessage(503, { code: 'busy', message: 'Server busy.' }, null)).toBe('Server busy.');
    expect(joinErrorMessage(0, null, null)).toMatch(/cannot be reached/);
  });
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterSeconds('12')).toBe(12);
    expect(retryAfterSeconds('2.2')).toBe(3);
    expect(retryAfterSeconds(null)).toBeNull();
    expect(retryAfterSeconds('soon')).toBeNull();
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterSeconds(inTen)).toBeGreaterThanOrEqual(8);
  });
  it('says "ended" for every reason', () => {
    for (const reason of ['visitor_stopped', 'agent_left', 'denied', 'pin_expired', 'admin', '']) {
      expect(sessionEndedMessage(reason)).toMatch(/ended/);
    }
    expect(sessionEndedMessage('visitor_stopped')).toBe(
      'The session has ended (the visitor pressed Stop).',
    );
  });
  it('normalizes PINs', () => {
    expect(normalizePin('123 456')).toBe('123456');
    expect(normalizePin(' 123-456 ')).toBe('123456');
    expect(normalizePin('12345')).toBeNull();
    expect(normalizePin('12345a')).toBeNull();
  });
});

describe('clock-skew re-stamping', () => {
  function clock(start: number): { now: () => number; advance: (ms: number) => void } {
    let t = start;
    return { now: () => t, advance: (ms) => (t += ms) };
  }

  it('puts events from any visitor clock onto the agent timeline, due at once', () => {
    const c = clock(1_000_000);
    const r = new Restamper(c.now);
    const baseline = r.start();
    // Visitor clock an hour ahead, then an hour behind, and old buffered events.
    const ahead = r.stamp({ type: 2, timestamp: baseline + 3_600_000 });
    const behind = r.stamp({ type: 3, timestamp: baseline - 3_600_000 });
    expect(ahead.timestamp).toBe(baseline);
    expect(behind.timestamp).toBe(baseline);
    c.advance(1000);
    const later = r.stamp({ type: 3, timestamp: 5 });
    // Delay relative to the baseline is never more than the time elapsed on the agent's clock.
    expect(later.timestamp - baseline).toBe(1000 - STAMP_SLACK_MS);
    expect(later.timestamp).toBeGreaterThanOrEqual(baseline);
  });

  it('keeps arrival order (non-decreasing) and copies events', () => {
    const c = clock(0);
    const r = new Restamper(c.now);
    r.start();
    c.advance(500);
    const a = r.stamp({ type: 3, timestamp: 9e12 });
    c.advance(-100); // a clock that steps back
    const b = r.stamp({ type: 3, timestamp: 1 });
    expect(b.timestamp).toBeGreaterThanOrEqual(a.timestamp);
    const original = { type: 3, timestamp: 42, data: { x: 1 } };
    const copy = r.stamp(original);
    expect(original.timestamp).toBe(42);
    expect(copy.data).toBe(original.data);
  });

  it('starts on first use if needed', () => {
    const r = new Restamper(() => 77);
    expect(r.started).toBe(false);
    expect(r.stamp({ type: 4, timestamp: 1 }).timestamp).toBe(77);
    expect(r.started).toBe(true);
  });
});

describe('page info from events', () => {
  it('follows Meta and ViewportResize', () => {
    let info = { href: null, viewport: null } as Parameters<typeof nextPageInfo>[0];
    info = nextPageInfo(info, {
      type: EVENT_META,
      timestamp: 1,
      data: { href: 'https://site/a', width: 1280, height: 720 },
    });
    expect(info).toEqual({ href: 'https://site/a', viewport: { width: 1280, height: 720 } });
    info = nextPageInfo(info, { type: 3, timestamp: 2, data: { source: 4, width: 800, height: 600 } });
    expect(info).toEqual({ href: 'https://site/a', viewport: { width: 800, height: 600 } });
    const same = nextPageInfo(info, { type: 3, timestamp: 3, data: { source: 2 } });
    expect(same).toBe(info);
    expect(syntheticMeta(info, 9)).toEqual({
      type: EVENT_META,
      timestamp: 9,
      data: { href: 'https://site/a', width: 800, height: 600 },
    });
  });
});

describe('replayed events', () => {
  it('leaves out mouse down/up only', () => {
    const mouse = (type: number) => ({ type: 3, timestamp: 1, data: { source: 2, type, id: 5 } });
    expect(isReplayed(mouse(0))).toBe(false);
    expect(isReplayed(mouse(1))).toBe(false);
    expect(isReplayed(mouse(2))).toBe(true);
    expect(isReplayed({ type: 2, timestamp: 1, data: {} })).toBe(true);
    expect(isReplayed({ type: 3, timestamp: 1, data: { source: 0 } })).toBe(true);
  });
});
