import { describe, expect, it } from 'vitest';
import { act } from '../src/protocol';
import { ACT_TIMEOUT_MS, MAX_PENDING_ACTS, PendingActs } from '../src/console/acts';
import { CONNECTING, LIVE, LOADING_MIRROR, RECONNECTING, WAITING, sessionView } from '../src/console/status';

describe('PendingActs', () => {
  it('keeps acts until their result, in order', () => {
    const p = new PendingActs(1000);
    p.sent(act('a', 'click'), 0);
    p.sent(act('b', 'key', null, 'Enter'), 10);
    p.sent(act('a', 'click'), 20); // a resend keeps its place and its first time
    expect(p.unanswered().map((m) => m.ref)).toEqual(['a', 'b']);
    expect(p.answered('a')).toBe(true);
    expect(p.answered('a')).toBe(false); // a late or repeated result
    expect(p.unanswered().map((m) => m.ref)).toEqual(['b']);
    expect(p.nextDeadline).toBe(1010);
  });

  it('gives up acts unanswered for too long, counted from the first send', () => {
    const p = new PendingActs();
    p.sent(act('a', 'click'), 0);
    p.sent(act('b', 'click'), 5000);
    expect(p.expire(ACT_TIMEOUT_MS - 1)).toEqual([]);
    expect(p.expire(ACT_TIMEOUT_MS).map((m) => m.ref)).toEqual(['a']);
    expect(p.unanswered().map((m) => m.ref)).toEqual(['b']);
    expect(p.nextDeadline).toBe(5000 + ACT_TIMEOUT_MS);
    p.clear();
    expect([p.size, p.nextDeadline]).toEqual([0, null]);
  });

  it('is bounded', () => {
    const p = new PendingActs();
    for (let i = 0; i <= MAX_PENDING_ACTS; i++) p.sent(act(`r${i}`, 'click'), i);
    expect(p.size).toBe(MAX_PENDING_ACTS);
    expect(p.unanswered()[0]!.ref).toBe('r1');
  });
});

describe('the session view', () => {
  it('never shows a live mirror before synced', () => {
    expect(sessionView('connecting', null, 'none')).toEqual({ status: CONNECTING, waiting: WAITING, paused: null });
    expect(sessionView('connecting', 'active', 'live')).toEqual({ status: CONNECTING, waiting: null, paused: CONNECTING });
    expect(sessionView('reconnecting', 'active', 'live')).toEqual({ status: RECONNECTING, waiting: null, paused: RECONNECTING });
    expect(sessionView('reconnecting', 'active', 'stale')).toEqual({ status: RECONNECTING, waiting: null, paused: RECONNECTING });
    expect(sessionView('reconnecting', 'pending', 'none')).toEqual({ status: RECONNECTING, waiting: RECONNECTING, paused: null });
  });
  it('is live once synced with a live mirror', () => {
    expect(sessionView('synced', 'active', 'live')).toEqual({ status: LIVE, waiting: null, paused: null });
    expect(sessionView('synced', 'active', 'none')).toEqual({ status: LIVE, waiting: LOADING_MIRROR, paused: null });
    expect(sessionView('synced', 'active', 'stale')).toEqual({ status: LOADING_MIRROR, waiting: null, paused: LOADING_MIRROR });
    expect(sessionView('synced', 'pending', 'none')).toEqual({ status: WAITING, waiting: WAITING, paused: null });
  });
});
