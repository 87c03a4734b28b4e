import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseServerMessage } from '../src/protocol';
import { ResumePoint } from '../src/resume';
import { SessionSocket } from '../src/socket';
import { FakeSocket } from './fake-socket';

const frame = (obj: Record<string, unknown>) => parseServerMessage(JSON.stringify({ v: 1, ...obj }));
const welcome = (resumed: boolean, n = 0) =>
  frame({ t: 'welcome', role: 'agent', session_id: 's', state: 'active', agent: null, n, resumed });
const control = (n: number) => frame({ t: 'control', n, state: 'view' });

describe('ResumePoint', () => {
  it('starts without a frame number (a new page load starts afresh)', () => {
    const r = new ResumePoint();
    expect(r.resumeFrom).toBeNull();
    expect(r.isSynced).toBe(false);
  });

  it('ignores numbered frames of a fresh start until synced', () => {
    const r = new ResumePoint();
    r.observe(welcome(false, 5));
    r.observe(frame({ t: 'events', n: 3, events: [] }));
    expect(r.resumeFrom).toBeNull();
    r.observe(frame({ t: 'synced', n: 5 }));
    expect([r.resumeFrom, r.isSynced]).toEqual([5, true]);
    r.observe(control(6));
    r.observe(control(9)); // gaps are normal
    expect(r.resumeFrom).toBe(9);
  });

  it('never lowers the point', () => {
    const r = new ResumePoint();
    r.observe(welcome(false));
    r.observe(frame({ t: 'synced', n: 10 }));
    r.observe(control(4));
    expect(r.resumeFrom).toBe(10);
    r.observe(frame({ t: 'synced', n: 7 }));
    expect(r.resumeFrom).toBe(10);
  });

  it('keeps the point on a resumed welcome and raises it by the missed frames', () => {
    const r = new ResumePoint();
    r.observe(welcome(false));
    r.observe(frame({ t: 'synced', n: 10 }));
    r.down();
    expect([r.resumeFrom, r.isSynced]).toEqual([10, false]);
    r.observe(welcome(true, 12));
    expect([r.resumeFrom, r.isResumed]).toEqual([10, true]);
    r.observe(control(11)); // a drop in the middle of this catch-up resumes from 11
    expect(r.resumeFrom).toBe(11);
    r.observe(frame({ t: 'synced', n: 12 }));
    expect([r.resumeFrom, r.isSynced]).toEqual([12, true]);
  });

  it('forgets the point on a welcome that did not resume', () => {
    const r = new ResumePoint();
    r.observe(welcome(false));
    r.observe(frame({ t: 'synced', n: 10 }));
    r.down();
    r.observe(welcome(false, 30));
    expect(r.resumeFrom).toBeNull(); // a drop during this fresh start starts afresh again
    r.observe(control(29));
    expect(r.resumeFrom).toBeNull();
    r.observe(frame({ t: 'synced', n: 30 }));
    expect(r.resumeFrom).toBe(30);
  });

  it('takes a chat frame’s n, not the chat message’s own seq', () => {
    const r = new ResumePoint();
    r.observe(welcome(false));
    r.observe(frame({ t: 'synced', n: 2 }));
    r.observe(frame({ t: 'chat', n: 3, seq: 9, id: 'c1', from: 'agent', name: 'A', text: 'hi', at: 1 }));
    expect(r.resumeFrom).toBe(3);
    r.observe(frame({ t: 'chat_history', messages: [] }));
    expect(r.resumeFrom).toBe(3);
  });
});

describe('SessionSocket resume', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal('WebSocket', FakeSocket);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function socket() {
    const seen: string[] = [];
    const handlers = {
      message: vi.fn((m: { t: string }) => seen.push(m.t)),
      down: vi.fn(),
      closed: vi.fn(),
    };
    const s = new SessionSocket('wss://cb.example/ws', 'at_1', handlers);
    s.open();
    return { s, handlers, seen };
  }

  it('says hello without n first, then with the last frame number after a drop', () => {
    const { s, handlers, seen } = socket();
    let ws = FakeSocket.last;
    ws.open();
    expect(ws.sent).toEqual([{ v: 1, t: 'hello', token: 'at_1' }]);
    ws.receive({ t: 'welcome', role: 'agent', session_id: 's', state: 'active', agent: null, n: 4, resumed: false });
    ws.receive({ t: 'events', n: 4, events: [] });
    expect(s.synced).toBe(false);
    ws.receive({ t: 'synced', n: 4 });
    expect(s.synced).toBe(true);
    ws.receive({ t: 'control', n: 5, state: 'control' });
    expect(seen).toEqual(['welcome', 'events', 'synced', 'control']);

    ws.drop();
    expect(handlers.down).toHaveBeenCalledOnce();
    expect(s.synced).toBe(false);
    vi.advanceTimersByTime(250);
    ws = FakeSocket.last;
    expect(FakeSocket.all).toHaveLength(2);
    ws.open();
    expect(ws.sent).toEqual([{ v: 1, t: 'hello', token: 'at_1', n: 5 }]);
    expect(s.resumeFrom).toBe(5);
  });

  it('resets the backoff on synced, not on welcome', () => {
    const { s } = socket();
    const up = (synced: boolean) => {
      const ws = FakeSocket.last;
      ws.open();
      ws.receive({ t: 'welcome', role: 'agent', session_id: 's', state: 'active', agent: null, n: 1, resumed: false });
      if (synced) ws.receive({ t: 'synced', n: 1 });
      ws.drop();
    };
    up(false);
    vi.advanceTimersByTime(250); // attempt 0
    up(false);
    vi.advanceTimersByTime(499);
    expect(FakeSocket.all).toHaveLength(2); // attempt 1 waits 500 ms: welcome alone did not reset it
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    up(true);
    vi.advanceTimersByTime(250); // synced reset it
    expect(FakeSocket.all).toHaveLength(4);
    expect(s.resumeFrom).toBe(1);
  });
});
