import { describe, expect, it } from 'vitest';
import { MemoryStore, QUOTA_CHARS, createMemoryStorage } from '../src/runtime/storage';
import { lazyStorage } from '../src/runtime/patches/storage';

describe('MemoryStore', () => {
  it('behaves like Storage', () => {
    const s = new MemoryStore();
    expect(s.getItem('a')).toBeNull();
    s.setItem('a', '1');
    s.setItem('b', '2');
    expect(s.length).toBe(2);
    expect(s.key(0)).toBe('a');
    expect(s.key(1)).toBe('b');
    expect(s.key(2)).toBeNull();
    expect(s.key(-1)).toBeNull();
    s.removeItem('a');
    expect(s.keys()).toEqual(['b']);
    s.clear();
    expect(s.length).toBe(0);
  });
  it('enforces a quota without changing anything', () => {
    const s = new MemoryStore();
    expect(s.setItem('big', 'x'.repeat(QUOTA_CHARS - 3))).toBe(true);
    expect(s.setItem('more', 'y')).toBe(false);
    expect(s.getItem('more')).toBeNull();
    expect(s.setItem('big', 'small')).toBe(true);
    expect(s.setItem('more', 'y')).toBe(true);
  });
});

describe('emulated Storage object', () => {
  it('supports the methods and named properties', () => {
    const ls = createMemoryStorage(null);
    ls.setItem('k', 'v');
    expect(ls.getItem('k')).toBe('v');
    expect(ls.length).toBe(1);
    (ls as unknown as Record<string, unknown>).n = 5;
    expect(ls.getItem('n')).toBe('5');
    expect((ls as unknown as Record<string, unknown>).k).toBe('v');
    expect(ls['missing' as keyof Storage]).toBeUndefined();
    expect(Object.keys(ls)).toEqual(['k', 'n']);
    expect(JSON.stringify(ls)).toBe('{"k":"v","n":"5"}');
    expect('k' in ls).toBe(true);
    expect('getItem' in ls).toBe(true);
    delete (ls as unknown as Record<string, unknown>).k;
    expect(ls.getItem('k')).toBeNull();
    ls.setItem('getItem', 'shadow?');
    expect(typeof ls.getItem).toBe('function');
    expect(ls.getItem('getItem')).toBe('shadow?');
    ls.clear();
    expect(ls.length).toBe(0);
    expect(ls.key(0)).toBeNull();
  });
  it('stringifies values and keys', () => {
    const ls = createMemoryStorage(null);
    ls.setItem(1 as unknown as string, { a: 1 } as unknown as string);
    expect(ls.getItem('1')).toBe('[object Object]');
    ls.setItem('n', null as unknown as string);
    expect(ls.getItem('n')).toBe('null');
  });
  it('inherits from the given prototype (instanceof Storage in a browser)', () => {
    class FakeStorage {}
    const ls = createMemoryStorage(FakeStorage.prototype);
    expect(ls instanceof FakeStorage).toBe(true);
    expect(() => ls.setItem('big', 'x'.repeat(QUOTA_CHARS + 1))).toThrow(/quota/);
  });
  it('keeps separate instances apart', () => {
    const a = createMemoryStorage(null);
    const b = createMemoryStorage(null);
    a.setItem('x', '1');
    expect(b.getItem('x')).toBeNull();
  });
});

describe('the Storage a native page gets', () => {
  it('tries the native one on first use only, and keeps the first answer', () => {
    let calls = 0;
    const native = { getItem: () => null } as unknown as Storage;
    const get = lazyStorage(
      () => {
        calls += 1;
        return native;
      },
      () => createMemoryStorage(null),
    );
    expect(calls).toBe(0);
    expect(get()).toBe(native);
    expect(get()).toBe(native);
    expect(calls).toBe(1);
  });
  it('falls back to one in-memory Storage when the browser refuses', () => {
    let calls = 0;
    const get = lazyStorage(
      () => {
        calls += 1;
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
      () => createMemoryStorage(null),
    );
    const first = get();
    first.setItem('k', 'v');
    expect(get()).toBe(first);
    expect(get().getItem('k')).toBe('v');
    expect(calls).toBe(1);
    expect(lazyStorage(() => null, () => createMemoryStorage(null))().getItem('x')).toBeNull();
  });
});
