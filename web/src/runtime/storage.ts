/**
 * An in-memory, Storage-compatible object for pages in a cross-site overlay where the
 * browser blocks third-party storage. Behaves like `localStorage` for the page's code:
 * getItem/setItem/removeItem/clear/key/length, named properties (`s.foo = 1`,
 * `s['foo']`, `delete s.foo`, `Object.keys(s)`), string conversion, a 5 MiB quota, and
 * `instanceof Storage`.
 *
 * Limitation: it lives as long as the page: a full page load in the overlay starts empty.
 */

export const QUOTA_CHARS = 5 * 1024 * 1024;

/** The plain data part, testable without a DOM. */
export class MemoryStore {
  private readonly map = new Map<string, string>();
  private size = 0;

  get length(): number {
    return this.map.size;
  }
  key(index: number): string | null {
    const i = Math.trunc(Number(index));
    if (!(i >= 0) || i >= this.map.size) return null;
    let n = 0;
    for (const k of this.map.keys()) if (n++ === i) return k;
    return null;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  getItem(key: string): string | null {
    const v = this.map.get(String(key));
    return v === undefined ? null : v;
  }
  /** Returns false when over quota (nothing changed). */
  setItem(key: string, value: string): boolean {
    const k = String(key);
    const v = String(value);
    const old = this.map.get(k);
    const next = this.size - (old === undefined ? 0 : k.length + old.length) + k.length + v.length;
    if (next > QUOTA_CHARS) return false;
    this.map.set(k, v);
    this.size = next;
    return true;
  }
  removeItem(key: string): void {
    const k = String(key);
    const old = this.map.get(k);
    if (old === undefined) return;
    this.map.delete(k);
    this.size -= k.length + old.length;
  }
  clear(): void {
    this.map.clear();
    this.size = 0;
  }
  keys(): string[] {
    return [...this.map.keys()];
  }
}

function quotaError(): Error {
  const message = "Failed to execute 'setItem' on 'Storage': the quota has been exceeded.";
  return typeof DOMException === 'function'
    ? new DOMException(message, 'QuotaExceededError')
    : new Error(message);
}

/** A Storage-like object over a fresh MemoryStore. `storageProto` is `Storage.prototype` if any. */
export function createMemoryStorage(storageProto: object | null): Storage {
  const store = new MemoryStore();
  const methods: Record<string, unknown> = Object.create(storageProto ?? Object.prototype) as Record<
    string,
    unknown
  >;
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(methods, name, { value, writable: true, configurable: true, enumerable: true });
  };
  define('getItem', (key: unknown) => store.getItem(String(key)));
  define('setItem', (key: unknown, value: unknown) => {
    if (!store.setItem(String(key), String(value))) throw quotaError();
  });
  define('removeItem', (key: unknown) => store.removeItem(String(key)));
  define('clear', () => store.clear());
  define('key', (index: unknown) => store.key(Number(index)));
  Object.defineProperty(methods, 'length', {
    get: () => store.length,
    configurable: true,
    enumerable: true,
  });
  const target = Object.create(methods) as object;
  const inChain = (prop: string): boolean => prop in methods;
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'symbol' || inChain(prop)) return Reflect.get(t, prop, receiver) as unknown;
      const v = store.getItem(prop);
      return v === null ? undefined : v;
    },
    set(t, prop, value) {
      if (typeof prop === 'symbol') return Reflect.set(t, prop, value);
      if (!store.setItem(prop, String(value))) throw quotaError();
      return true;
    },
    has(t, prop) {
      return typeof prop === 'string' ? store.has(prop) || inChain(prop) : Reflect.has(t, prop);
    },
    deleteProperty(t, prop) {
      if (typeof prop === 'symbol') return Reflect.deleteProperty(t, prop);
      store.removeItem(prop);
      return true;
    },
    ownKeys() {
      return store.keys();
    },
    getOwnPropertyDescriptor(t, prop) {
      if (typeof prop === 'string' && store.has(prop)) {
        return { value: store.getItem(prop), writable: true, enumerable: true, configurable: true };
      }
      return undefined;
    },
    defineProperty(t, prop, desc) {
      if (typeof prop === 'symbol') return Reflect.defineProperty(t, prop, desc);
      if (!('value' in desc)) return false;
      if (!store.setItem(prop, String(desc.value))) throw quotaError();
      return true;
    },
  }) as unknown as Storage;
}
