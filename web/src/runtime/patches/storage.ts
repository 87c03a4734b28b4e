/**
 * Web Storage: with `storage: "emulated"` (a cross-site overlay), localStorage and
 * sessionStorage are in-memory objects (../storage.ts) for this page. With "native",
 * a Storage the browser refuses (third-party storage blocked: the getter throws) is
 * replaced by the in-memory one too, so the page does not break.
 */
import type { RuntimeContext } from '../context';
import { createMemoryStorage } from '../storage';

function nativeWorks(win: Window, name: 'localStorage' | 'sessionStorage'): boolean {
  try {
    const s = win[name];
    return !!s && typeof s.getItem === 'function';
  } catch {
    return false;
  }
}

export function patchStorage(ctx: RuntimeContext): void {
  const { win, cfg } = ctx;
  const proto = (win as unknown as { Storage?: { prototype: object } }).Storage?.prototype ?? null;
  for (const name of ['localStorage', 'sessionStorage'] as const) {
    if (cfg.storage !== 'emulated' && nativeWorks(win, name)) continue;
    const storage = createMemoryStorage(proto);
    try {
      Object.defineProperty(win, name, {
        configurable: true,
        enumerable: true,
        get: () => storage,
        set: () => undefined,
      });
    } catch {
      /* the native Storage stays */
    }
  }
}
