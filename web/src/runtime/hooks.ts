/**
 * `__cobrowse$`: the functions rewritten page scripts call (docs/js-rewriting.md, "The
 * rules"). Defined before any page script runs, non-enumerable and not writable, in
 * every proxied document (also when the config is missing: rewritten code must never
 * meet a ReferenceError). Each function is total: whatever a page passes, it returns
 * what the unrewritten expression would have given, mapped where a URL or an origin of
 * the proxy would otherwise show.
 */
import { attempt, disguise, proxyValue } from './patch';
import type { UrlMapper } from './urls';

export const HOOKS_NAME = '__cobrowse$';

export interface Hooks {
  /** A value read through `location`, `top`, `parent`, `eval` (identifier or member). */
  w(value: unknown): unknown;
  /** `location = v`: `v` mapped when `current` is a location. */
  a(current: unknown, value: unknown): unknown;
  /** `obj.location = v`; returns `v`. */
  s(obj: unknown, key: string, value: unknown): unknown;
  /** The argument of a direct `eval`. */
  e(code: unknown): unknown;
  /** The specifier of a dynamic `import()`. */
  i(specifier: unknown): unknown;
  /** `import.meta.url`. */
  u(url: unknown): unknown;
  /** `target.postMessage(...args)`. */
  p(target: unknown, ...args: unknown[]): unknown;
  /** `target.eval(...args)` (the window's `eval` runs as the rewriting one). */
  v(target: unknown, ...args: unknown[]): unknown;
}

export interface HookParts {
  readonly win: Window & typeof globalThis;
  readonly map: UrlMapper | null;
  /** The page-visible value of a location/top/parent read (emulation); identity by default. */
  readonly wrap?: (value: unknown) => unknown;
  /** Rewrite code run by eval; identity by default. */
  readonly rewriteCode?: (code: string) => string;
  /** Rewrite the code of a `javascript:` URL navigated to; identity by default. */
  readonly rewriteScriptUrl?: (url: string) => string;
}

/** Whether `value` is a window (also a cross-origin one). */
export function isWindow(value: unknown): value is Window {
  return attempt(() => typeof value === 'object' && value !== null && (value as Window).window === value, false);
}

/** A postMessage target origin with an upstream origin mapped to its proxy origin. */
export function mapTargetOrigin(map: UrlMapper, value: unknown): unknown {
  if (typeof value !== 'string' || value === '*' || value === '/') return value;
  const mapped = map.toProxy(value);
  if (mapped === value) return value;
  return attempt(() => new URL(mapped).origin, value);
}

/**
 * The window's `eval` as page code reached indirectly (`(0, eval)(s)`, `window.eval(s)`):
 * the code rewritten, then run by the native `eval` in the global scope (this call is an
 * indirect eval too). Named `eval`, of length 1, printed as the native one, and not a
 * constructor, like the native one.
 */
export function rewritingEval(nativeEval: (code: unknown) => unknown, rewriteCode: (code: string) => string): (code: unknown) => unknown {
  const holder = {
    eval(code: unknown): unknown {
      const run = typeof code === 'string' ? attempt(() => rewriteCode(code), code) : code;
      return nativeEval(run);
    },
  };
  return disguise(holder.eval, nativeEval);
}

export function makeHooks(parts: HookParts): Hooks {
  const { win, map } = parts;
  const wrap = parts.wrap ?? ((v: unknown) => v);
  const rewriteCode = parts.rewriteCode ?? ((c: string) => c);
  const nativeEval = attempt(() => (typeof win.eval === 'function' ? (win.eval as (code: unknown) => unknown) : null), null);
  const indirectEval = nativeEval ? rewritingEval(nativeEval, rewriteCode) : null;
  const read = (value: unknown): unknown => (value === nativeEval && indirectEval ? indirectEval : wrap(value));
  const isLocation = (v: unknown): boolean =>
    attempt(() => (typeof win.Location === 'function' && v instanceof win.Location) || v === win.location, false);
  const rewriteUrl = parts.rewriteScriptUrl ?? ((u: string) => u);
  const navigation = (v: unknown): unknown => {
    if (typeof v === 'string' && /^[\u0000-\u0020]*javascript:/i.test(v)) return attempt(() => rewriteUrl(v), v);
    return map ? attempt(() => proxyValue(map, v), v) : v;
  };
  const hooks: Hooks = {
    w: (value) => attempt(() => read(value), value),
    a: (current, value) => (isLocation(current) ? navigation(value) : value),
    s(obj, key, value) {
      const o = obj as Record<string, unknown>;
      const mapped = key === 'location' && (isWindow(obj) || obj instanceof win.Document) ? navigation(value) : value;
      o[key] = mapped;
      return value;
    },
    e: (code) => (typeof code === 'string' ? attempt(() => rewriteCode(code), code) : code),
    i: (specifier) => navigation(specifier),
    u: (url) => (map && typeof url === 'string' ? attempt(() => map.toUpstream(url), url) : url),
    p(target, ...args) {
      const t = target as { postMessage: (...a: unknown[]) => unknown };
      if (map && isWindow(target) && args.length > 1) {
        const options = args[1];
        if (typeof options === 'object' && options !== null && 'targetOrigin' in options) {
          const o = options as { targetOrigin?: unknown };
          args[1] = { ...o, targetOrigin: mapTargetOrigin(map, o.targetOrigin) };
        } else {
          args[1] = mapTargetOrigin(map, options);
        }
      }
      return t.postMessage(...args);
    },
    v(target, ...args) {
      const t = target as { eval: (...a: unknown[]) => unknown };
      const fn = t.eval;
      if (fn === nativeEval && indirectEval) return indirectEval(...(args as [unknown]));
      // Another window's own eval (a same-origin frame's): that window's runtime rewrites.
      const other = isWindow(target) ? attempt(() => otherHooks(target, fn), null) : null;
      if (other) return other.v(target, ...args);
      return typeof fn === 'function' ? Reflect.apply(fn, t, args) : t.eval(...args);
    },
  };
  return hooks;
}

/** The hooks of another window whose runtime owns `fn` as its eval, or null. */
function otherHooks(win: Window, fn: unknown): Hooks | null {
  if (typeof fn !== 'function') return null;
  const hooks = (win as unknown as Record<string, unknown>)[HOOKS_NAME] as Partial<Hooks> | undefined;
  if (!hooks || typeof hooks.v !== 'function' || typeof hooks.w !== 'function') return null;
  return hooks.w(fn) !== fn ? (hooks as Hooks) : null;
}

/** Define `__cobrowse$` on the global (once; a second runtime keeps the first). */
export function installHooks(global: object, hooks: Hooks): void {
  try {
    if (Object.prototype.hasOwnProperty.call(global, HOOKS_NAME)) return;
    Object.defineProperty(global, HOOKS_NAME, {
      value: Object.freeze(hooks),
      enumerable: false,
      writable: false,
      configurable: false,
    });
  } catch {
    /* the page cannot have defined it before us */
  }
}
