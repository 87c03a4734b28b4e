import { describe, expect, it } from 'vitest';
import { act } from '../src/protocol';
import { ACT_TIMEOUT_MS, MAX_PENDING_ACTS, PendingActs } from '../src/console/acts';
import { sessionView } from '../src/console/status';

const CONNECTING = 'Connecting…';
const RECONNECTING = 'Reconnecting…';
const WAITING = 'Waiting for the visitor to allow…';
const LOADING_MIRROR = 'Connected. Waiting for the visitor’s page…';
const LIVE = 'Live: you are viewing the visitor’s tab.';

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
    expect(sessionView('connecting', null, 'none')).toMatchObject({ status: CONNECTING, waiting: WAITING, paused: null });
    expect(sessionView('connecting', 'active', 'live')).toMatchObject({ status: CONNECTING, waiting: null, paused: CONNECTING });
    expect(sessionView('reconnecting', 'active', 'live')).toMatchObject({ status: RECONNECTING, waiting: null, paused: RECONNECTING });
    expect(sessionView('reconnecting', 'active', 'stale')).toMatchObject({ status: RECONNECTING, waiting: null, paused: RECONNECTING });
    expect(sessionView('reconnecting', 'pending', 'none')).toMatchObject({ status: RECONNECTING, waiting: RECONNECTING, paused: null });
  });
  it('is live once synced with a live mirror', () => {
    expect(sessionView('synced', 'active', 'live')).toMatchObject({ status: LIVE, waiting: null, paused: null });
    expect(sessionView('synced', 'active', 'none')).toMatchObject({ status: LIVE, waiting: LOADING_MIRROR, paused: null });
    expect(sessionView('synced', 'active', 'stale')).toMatchObject({ status: LOADING_MIRROR, waiting: null, paused: LOADING_MIRROR });
    expect(sessionView('synced', 'pending', 'none')).toMatchObject({ status: WAITING, waiting: WAITING, paused: null });
  });
});

describe('the status line says the true state', () => {
  it('names control requested and in control while live', () => {
    expect(sessionView('synced', 'active', 'live', 'view')).toMatchObject({ key: 'live', status: LIVE });
    expect(sessionView('synced', 'active', 'live', 'requested')).toMatchObject({
      key: 'liveRequested',
      status: 'Live: control requested, waiting for the visitor to answer.',
    });
    expect(sessionView('synced', 'active', 'live', 'control')).toMatchObject({
      key: 'liveControl',
      status: 'Live: you have control of the visitor’s tab.',
    });
  });
  it('says reconnecting and waiting whatever the control', () => {
    expect(sessionView('reconnecting', 'active', 'live', 'control').status).toBe(RECONNECTING);
    expect(sessionView('synced', 'pending', 'none', 'control').status).toBe(WAITING);
  });
});
