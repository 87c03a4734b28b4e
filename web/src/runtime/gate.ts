/**
 * Native reads for the runtime's own recorder. The transparency getters (element URLs,
 * URL attributes, `baseURI`...) show the page upstream URLs; rrweb, which runs in the
 * page's realm, must keep recording the proxy URLs (the server points those at the
 * agent's asset route). While `depth > 0` every patched getter returns its native value.
 */
export interface ReadGate {
  /** Whether getters must return native values now. */
  readonly native: boolean;
  /** Run `fn` with native reads. */
  run<T>(fn: () => T): T;
  /**
   * Run `fn` (which starts rrweb) with native reads, and make every MutationObserver it
   * constructs call back with native reads too (rrweb serializes added nodes there).
   */
  recording<T>(fn: () => T, win: Window & typeof globalThis): T;
}

export function makeGate(): ReadGate {
  let depth = 0;
  const run = <T>(fn: () => T): T => {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  };
  return {
    get native() {
      return depth > 0;
    },
    run,
    recording<T>(fn: () => T, win: Window & typeof globalThis): T {
      const Observer = win.MutationObserver;
      const proto = Observer?.prototype as { constructor?: unknown } | undefined;
      const desc = proto ? Object.getOwnPropertyDescriptor(proto, 'constructor') : undefined;
      let swapped = false;
      if (proto && desc && desc.configurable && typeof Observer === 'function') {
        // A Proxy of a native function still reads as "[native code]" (rrweb checks).
        const gated: typeof MutationObserver = new Proxy(Observer, {
          construct(target, args: unknown[], newTarget): object {
            const cb = args[0];
            if (typeof cb === 'function') {
              args[0] = function (this: unknown, ...a: unknown[]) {
                return run(() => (cb as (...x: unknown[]) => unknown).apply(this, a));
              };
            }
            return Reflect.construct(target, args, newTarget === gated ? target : newTarget) as object;
          },
        });
        try {
          Object.defineProperty(proto, 'constructor', { ...desc, value: gated });
          swapped = true;
        } catch {
          /* rrweb gets the native constructor */
        }
      }
      try {
        return run(fn);
      } finally {
        if (swapped && proto && desc) {
          try {
            Object.defineProperty(proto, 'constructor', desc);
          } catch {
            /* nothing to restore */
          }
        }
      }
    },
  };
}
