import { describe, expect, it } from 'vitest';
import { backoffDelay, shouldReconnect } from '../src/backoff';
import { serverBase } from '../src/widget/config';
import { Batcher, blockSelector } from '../src/widget/recorder';
import { OverlayHrefStore, SessionStore, decodeStored, storageKey } from '../src/widget/storage';

describe('server base URL', () => {
  const page = 'https://portal.example/file?x=1';
  it('comes from the script src', () => {
    expect(serverBase({ src: 'https://cb.example/cobrowse.js', dataServer: null }, {}, page)).toBe(
      'https://cb.example/',
    );
    expect(
      serverBase({ src: 'https://cb.example/static/dist/cobrowse.js?v=1', dataServer: null }, {}, page),
    ).toBe('https://cb.example/');
    expect(serverBase({ src: 'https://h/prefix/cobrowse.js', dataServer: null }, {}, page)).toBe(
      'https://h/prefix/',
    );
  });
  it('can be overridden', () => {
    const script = { src: 'https://cdn.example/cobrowse.js', dataServer: 'https://cb.example' };
    expect(serverBase(script, {}, page)).toBe('https://cb.example/');
    expect(serverBase(script, { server: 'https://other.example/cb' }, page)).toBe(
      'https://other.example/cb/',
    );
    expect(serverBase({ src: null, dataServer: null }, {}, page)).toBeNull();
  });
});

describe('masking selector', () => {
  it('adds the widget to the server selectors, with a fallback', () => {
    expect(blockSelector(['input[type=password]', '.secret'])).toBe(
      'input[type=password],.secret,[data-cobrowse-ui]',
    );
    expect(blockSelector([])).toBe(
      'input[type=password],input[autocomplete$="password"],[data-cobrowse-mask],[data-cobrowse-ui]',
    );
  });
});

describe('batching', () => {
  it('sends events of one task in one batch', () => {
    const queue: Array<() => void> = [];
    const sent: number[][] = [];
    const b = new Batcher((events) => sent.push(events.map((e) => e.type)), (fn) => queue.push(fn));
    b.push({ type: 4, timestamp: 1 });
    b.push({ type: 2, timestamp: 2 });
    expect(queue).toHaveLength(1);
    queue.shift()!();
    b.push({ type: 3, timestamp: 3 });
    queue.shift()!();
    expect(sent).toEqual([[4, 2], [3]]);
  });
  it('flushes in a microtask, before any timer', async () => {
    const sent: number[] = [];
    const b = new Batcher((events) => sent.push(events.length));
    b.push({ type: 3, timestamp: 1 });
    b.push({ type: 3, timestamp: 2 });
    expect(sent).toEqual([]);
    await Promise.resolve();
    expect(sent).toEqual([2]);
  });
  it('drops what was not flushed', () => {
    const queue: Array<() => void> = [];
    const sent: unknown[] = [];
    const b = new Batcher((events) => sent.push(events), (fn) => queue.push(fn));
    b.push({ type: 3, timestamp: 1 });
    b.drop();
    queue.shift()!();
    expect(sent).toEqual([]);
  });
});

describe('reconnect policy', () => {
  it('backs off 0.25 s doubling to 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });
  it('reconnects at once when the server moved the session (1012), then backs off', () => {
    expect(backoffDelay(0, 1012)).toBe(50);
    expect(backoffDelay(1, 1012)).toBe(500);
    expect(backoffDelay(0, 1006)).toBe(250);
    expect(shouldReconnect(1012, false)).toBe(true);
  });
  it('does not reconnect after the end or a fatal close code', () => {
    expect(shouldReconnect(1006, false)).toBe(true);
    expect(shouldReconnect(1001, false)).toBe(true);
    expect(shouldReconnect(1000, true)).toBe(false);
    // 1009: a frame over the server's limit; the same page would send it again.
    for (const code of [1009, 4400, 4401, 4403, 4409, 4410, 4411, 4412]) expect(shouldReconnect(code, false)).toBe(false);
  });
});

class MemoryStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length(): number {
    return this.map.size;
  }
  clear(): void {
    this.map.clear();
  }
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}

describe('session storage', () => {
  const session = {
    session_id: 's_1',
    visitor_token: 'vt',
    ws_url: 'ws://h/ws',
    selectors: ['input[type=password]'],
    agent: { name: 'Asha Rao' },
    mode: 'proxy' as const,
  };
  it('round-trips per server origin', () => {
    const storage = new MemoryStorage();
    const a = new SessionStore('https://a.example', storage);
    const b = new SessionStore('https://b.example', storage);
    a.save(session);
    // A session stored without rules gets them from its selectors.
    expect(a.load()).toEqual({ ...session, masking: { selectors: session.selectors, scopes: [], patterns: [] } });
    expect(b.load()).toBeNull();
    expect(storage.getItem(storageKey('https://a.example'))).not.toBeNull();
    a.clear();
    expect(a.load()).toBeNull();
  });
  it('keeps whether the session is recorded', () => {
    expect(decodeStored(JSON.stringify({ ...session, recording: true }))?.recording).toBe(true);
    expect(decodeStored(JSON.stringify({ ...session, recording: 'yes' }))?.recording).toBeUndefined();
  });
  it('defaults the mode to inline', () => {
    const { mode: _mode, ...old } = session;
    expect(decodeStored(JSON.stringify(old))?.mode).toBe('inline');
  });
  it('keeps the overlay href per session', () => {
    const storage = new MemoryStorage();
    const hrefs = new OverlayHrefStore('https://a.example', storage);
    hrefs.save('s_1', 'https://site.example/b');
    expect(hrefs.load('s_1')).toBe('https://site.example/b');
    expect(hrefs.load('s_2')).toBeNull();
    hrefs.clear();
    expect(hrefs.load('s_1')).toBeNull();
    expect(new OverlayHrefStore('https://a.example', null).load('s_1')).toBeNull();
  });
  it('ignores garbage', () => {
    expect(decodeStored('{')).toBeNull();
    expect(decodeStored('{"session_id":1}')).toBeNull();
    expect(decodeStored(null)).toBeNull();
  });
  it('works without storage', () => {
    const store = new SessionStore('https://a.example', null);
    store.save(session);
    expect(store.load()).toBeNull();
  });
});
