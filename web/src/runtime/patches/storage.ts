/**
 * Web Storage: with `storage: "emulated"` (a cross-site overlay), localStorage and
 * sessionStorage are in-memory objects (../storage.ts) for this page. With "native",
 * a Storage the browser refuses (third-party storage blocked: the getter throws) is
 * replaced by the in-memory one too, so the page does not break.
 *
 * The native Storage is tried on the page's first read, not as the runtime starts:
 * opening a storage area is a round trip to the browser process (the largest part of
 * the runtime's start before this was lazy), and most pages never touch it. The first
 * answer stays: native for good, or in memory for good.
 */
import type { RuntimeContext } from '../context';
import { disguise, findAccessor } from '../patch';
import { createMemoryStorage } from '../storage';

type StorageName = 'localStorage' | 'sessionStorage';

/** The getter of `name`: the native Storage when it works, else one in memory; once. */
export function lazyStorage(nativeGet: () => unknown, make: () => Storage): () => Storage {
  let chosen: Storage | null = null;
  return () => {
    if (chosen !== null) return chosen;
    try {
      const s = nativeGet() as Storage | null;
      if (s && typeof s.getItem === 'function') return (chosen = s);
    } catch {
      /* refused: in memory */
    }
    return (chosen = make());
  };
}

export function patchStorage(ctx: RuntimeContext): void {
  const { win, cfg } = ctx;
  const proto = (win as unknown as { Storage?: { prototype: object } }).Storage?.prototype ?? null;
  const make = (): Storage => createMemoryStorage(proto);
  for (const name of ['localStorage', 'sessionStorage'] as StorageName[]) {
    try {
      if (cfg.storage === 'emulated') {
        const storage = make();
        Object.defineProperty(win, name, {
          configurable: true,
          enumerable: true,
          get: () => storage,
          set: () => undefined,
        });
        continue;
      }
      const found = findAccessor(win, name);
      const nativeGet = found?.desc.get;
      if (!found || !nativeGet || !found.desc.configurable) continue;
      const ours = lazyStorage(() => nativeGet.call(win), make);
      Object.defineProperty(found.owner, name, {
        configurable: true,
        enumerable: found.desc.enumerable ?? true,
        get: disguise(function (this: unknown) {
          return this === win || this === undefined || this === null ? ours() : nativeGet.call(this);
        }, nativeGet),
        set: found.desc.set,
      });
    } catch {
      /* the native Storage stays */
    }
  }
}
