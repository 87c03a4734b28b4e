/**
 * Error stacks and error events name scripts by their upstream URLs (docs/proxy.md, "In
 * the proxied page"): the page's scripts run from proxy URLs, which V8 would print.
 *
 * Stacks: V8 formats `err.stack` lazily, on first read, with the function found at
 * `prepareStackTrace` of the *intrinsic* `Error` of the realm the error was made in (not
 * whatever `window.Error` holds then). So the intrinsic gets the formatter, and the page
 * gets a `window.Error` that is a Proxy of the intrinsic, identical in every other
 * respect, whose `prepareStackTrace` is the page's own (absent until the page sets one):
 * `Error.prepareStackTrace` looks untouched, and a page's own formatter still runs (from
 * ours, with call sites whose file names are mapped). Every error made in this realm goes
 * through it, also V8's own (`null.f()`'s TypeError), and frames of the runtime's own
 * scripts (`/__cobrowse/`) are left out, as they would not be there upstream.
 * `Error.prototype.constructor` and the [[Prototype]] of the other error constructors
 * (`Object.getPrototypeOf(TypeError) === Error`) name the Proxy. Should the page make
 * `Error` non-extensible (`Object.freeze(Error)`), the page's own value moves onto the
 * intrinsic first (the Proxy's invariants), and stacks are V8's again.
 *
 * Events: `ErrorEvent.filename`, and the url argument `window.onerror` receives.
 * Not covered: workers (no runtime there), errors made in another realm (a frame without
 * the runtime), `<body onerror="...">` markup handlers (their url argument).
 */
import type { RuntimeContext } from '../context';
import { attempt, disguise, disguiseAccessor, findAccessor } from '../patch';
import { isRuntimeUrl } from './getters';

const KEY = 'prepareStackTrace';

/** A V8 call site (the V8 stack trace API); read loosely. */
interface CallSite {
  getFileName(): unknown;
  getScriptNameOrSourceURL?(): unknown;
  getFunctionName?(): unknown;
  getLineNumber?(): unknown;
  getColumnNumber?(): unknown;
  isEval?(): unknown;
  getEvalOrigin?(): unknown;
  toString(): string;
}

/**
 * The eval origin V8 prints for code evaluated by a call from `caller` (`eval at f
 * (url:line:col)`, nested for a caller that is eval code itself). Pure.
 */
export function evalOriginOf(caller: CallSite): string {
  const name = attempt(() => caller.getFunctionName?.(), null);
  const label = typeof name === 'string' && name !== '' ? name : '<anonymous>';
  if (attempt(() => caller.isEval?.() === true, false)) {
    return `eval at ${label} (${attempt(() => String(caller.getEvalOrigin?.() ?? ''), '')})`;
  }
  const file = attempt(() => caller.getScriptNameOrSourceURL?.() ?? caller.getFileName(), null);
  if (typeof file !== 'string' || file === '') return `eval at ${label} (unknown source)`;
  const line = attempt(() => caller.getLineNumber?.(), null);
  const column = attempt(() => caller.getColumnNumber?.(), null);
  return `eval at ${label} (${file}${line != null ? `:${String(line)}:${String(column)}` : ''})`;
}

/** Eval origins naming a function of the runtime (`eval at eval (<runtime url>:l:c)`). */
const OWN_ORIGIN = /eval at [^\s()]* \(((?:blob:)?https?:\/\/[^\s()]+?):\d+:\d+\)/g;

/**
 * `text` (one formatted stack frame, an eval origin) with every http(s) or blob: URL
 * mapped by `map`; a URL's trailing `:line:column` is kept as it is. Pure.
 */
export function mapFrameText(text: string, map: (url: string) => string): string {
  return text.replace(/(?:blob:)?https?:\/\/[^\s()]+/g, (whole) => {
    const m = /^(.*?\/\/[^/]+\/.*?)((?::\d+){1,2})$/.exec(whole);
    const url = m ? m[1]! : whole;
    const mapped = attempt(() => map(url), url);
    return mapped + (m ? m[2]! : '');
  });
}

/** V8's default stack text for `header` and the frames' own texts. Pure. */
export function formatStack(header: string, frames: readonly string[]): string {
  return header + frames.map((f) => `\n    at ${f}`).join('');
}

export function patchErrors(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const up = (url: unknown): unknown => (typeof url === 'string' ? attempt(() => map.toUpstream(url), url) : url);
  const upText = (text: unknown): unknown =>
    typeof text === 'string' ? mapFrameText(text, (u) => map.toUpstream(u)) : text;
  patchStacks(win, upText, up, (url) => isRuntimeUrl(url, (u) => map.isProxyOrigin(u)));
  patchErrorEvents(win, up);
}

function patchStacks(
  win: Window & typeof globalThis,
  upText: (text: unknown) => unknown,
  up: (url: unknown) => unknown,
  isOwn: (url: string) => boolean,
): void {
  const NativeError = win.Error;
  if (typeof NativeError !== 'function' || Object.prototype.hasOwnProperty.call(NativeError, KEY)) return;
  const nativeToString = NativeError.prototype.toString;
  /** The page's own `Error.prepareStackTrace` (a descriptor), while the Proxy keeps it. */
  let own: PropertyDescriptor | undefined;
  /** Whether the page's value moved onto the intrinsic (Error made non-extensible). */
  let moved = false;
  let pageError: ErrorConstructor = NativeError;

  const siteOf = (site: CallSite): CallSite =>
    new Proxy(site, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => unknown;
        const mapOut =
          key === 'getFileName' || key === 'getScriptNameOrSourceURL'
            ? up
            : key === 'toString' || key === 'getEvalOrigin'
              ? upText
              : null;
        return disguise(function (this: unknown, ...args: unknown[]) {
          const out = fn.apply(target, args);
          return mapOut ? attempt(() => mapOut(out), out) : out;
        }, fn);
      },
    });
  const fileOf = (site: CallSite): string =>
    attempt(() => String(site.getScriptNameOrSourceURL?.() ?? site.getFileName() ?? ''), '');

  function prepareStackTrace(error: unknown, sites: unknown): unknown {
    const all = Array.isArray(sites) ? (sites as CallSite[]) : [];
    const ours = all.map((s) => isOwn(fileOf(s)));
    const kept = attempt(() => all.filter((_s, i) => !ours[i]), all);
    // Code run by the runtime's rewriting eval (hooks.ts) names it as where it was
    // evaluated; upstream, that is the page's call of it: the frame below the runtime's.
    const ownEval = ours.findIndex((o, i) => o && attempt(() => all[i]!.getFunctionName?.() === 'eval', false));
    let below = ownEval;
    while (below >= 0 && below < all.length && ours[below]) below++;
    const origin = below >= 0 && below < all.length ? attempt(() => evalOriginOf(all[below]!), null) : null;
    const fixOrigin = (text: string): string =>
      origin === null ? text : text.replace(OWN_ORIGIN, (whole, url: string) => (isOwn(url) ? origin : whole));
    const pageFn = attempt(() => (own ? (own.get ? own.get.call(pageError) : own.value) : undefined), undefined);
    if (typeof pageFn === 'function') {
      const mapped = attempt(() => kept.map(siteOf), kept);
      return (pageFn as (e: unknown, s: unknown) => unknown).call(pageError, error, mapped);
    }
    let header: string;
    try {
      header = String(nativeToString.call(error));
    } catch {
      header = '<error>';
    }
    const frames = kept.map((s) => attempt(() => String(upText(fixOrigin(String(s)))), '<frame>'));
    return formatStack(header, frames);
  }

  /** Hand the page's own value to the intrinsic: V8 formats with it from now on. */
  const move = (target: ErrorConstructor): void => {
    if (moved) return;
    moved = true;
    Reflect.deleteProperty(target, KEY);
    if (own) Reflect.defineProperty(target, KEY, own);
  };

  const handler: ProxyHandler<ErrorConstructor> = {
    get(target, key, receiver) {
      if (key === KEY && !moved) return own ? (own.get ? own.get.call(receiver) : own.value) : undefined;
      return Reflect.get(target, key, receiver) as unknown;
    },
    set(target, key, value, receiver) {
      if (key !== KEY || moved) return Reflect.set(target, key, value, receiver);
      if (receiver !== pageError) return Reflect.defineProperty(receiver as object, key, {
        value, writable: true, enumerable: true, configurable: true,
      });
      if (own && (own.get || own.set)) {
        if (!own.set) return false;
        own.set.call(receiver, value);
        return true;
      }
      if (own && !own.writable) return false;
      own = own ? { ...own, value } : { value, writable: true, enumerable: true, configurable: true };
      return true;
    },
    has(target, key) {
      return key === KEY && !moved ? own !== undefined : Reflect.has(target, key);
    },
    ownKeys(target) {
      const keys = Reflect.ownKeys(target);
      if (moved) return keys;
      const rest = keys.filter((k) => k !== KEY);
      return own ? [...rest, KEY] : rest;
    },
    getOwnPropertyDescriptor(target, key) {
      if (key === KEY && !moved) return own ? { ...own } : undefined;
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    defineProperty(target, key, desc) {
      if (key !== KEY || moved) return Reflect.defineProperty(target, key, desc);
      const accessor = 'get' in desc || 'set' in desc;
      const next: PropertyDescriptor = accessor
        ? { get: desc.get ?? (own?.get), set: desc.set ?? (own?.set) }
        : { value: 'value' in desc ? desc.value : own?.value, writable: desc.writable ?? own?.writable ?? false };
      next.enumerable = desc.enumerable ?? own?.enumerable ?? false;
      next.configurable = desc.configurable ?? own?.configurable ?? false;
      if (!next.configurable) {
        // Only the target can hold a non-configurable property (the Proxy's invariants).
        move(target);
        return Reflect.defineProperty(target, key, desc);
      }
      own = next;
      return true;
    },
    deleteProperty(target, key) {
      if (key !== KEY || moved) return Reflect.deleteProperty(target, key);
      own = undefined;
      return true;
    },
    preventExtensions(target) {
      move(target);
      return Reflect.preventExtensions(target);
    },
  };

  try {
    const desc = Object.getOwnPropertyDescriptor(win, 'Error');
    if (!desc || !desc.configurable || desc.value !== NativeError) return;
    Object.defineProperty(NativeError, KEY, { value: prepareStackTrace, writable: true, configurable: true });
    pageError = disguise(new Proxy(NativeError, handler), NativeError);
    Object.defineProperty(win, 'Error', { ...desc, value: pageError });
  } catch {
    attempt(() => Reflect.deleteProperty(NativeError, KEY), true);
    return;
  }
  attempt(() => {
    const desc = Object.getOwnPropertyDescriptor(NativeError.prototype, 'constructor');
    if (desc && desc.configurable) Object.defineProperty(NativeError.prototype, 'constructor', { ...desc, value: pageError });
  }, undefined);
  const w = win as unknown as Record<string, unknown>;
  const wasm = attempt(() => w.WebAssembly as Record<string, unknown> | undefined, undefined);
  const subclasses = [
    ...['EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'SuppressedError'].map((n) => w[n]),
    ...['CompileError', 'LinkError', 'RuntimeError'].map((n) => wasm?.[n]),
  ];
  for (const sub of subclasses) {
    attempt(() => {
      if (typeof sub === 'function' && Object.getPrototypeOf(sub) === NativeError) Object.setPrototypeOf(sub, pageError);
    }, undefined);
  }
}

function patchErrorEvents(win: Window & typeof globalThis, up: (url: unknown) => unknown): void {
  try {
    const found = findAccessor(win.ErrorEvent?.prototype, 'filename');
    if (found && found.desc.get && found.desc.configurable) {
      const get = found.desc.get;
      Object.defineProperty(found.owner, 'filename', {
        ...found.desc,
        get: disguise(function (this: unknown) {
          return up(get.call(this));
        }, get),
      });
    }
  } catch {
    /* keep the native getter */
  }
  try {
    const found = findAccessor(win, 'onerror');
    if (!found || !found.desc.get || !found.desc.set || !found.desc.configurable) return;
    const { get, set } = found.desc;
    /** The page's handler and the wrapper standing for it in the native slot. */
    let page: unknown = null;
    let wrapper: unknown = null;
    Object.defineProperty(found.owner, 'onerror', {
      ...found.desc,
      get(this: unknown) {
        const current = get.call(this) as unknown;
        return current !== null && current === wrapper ? page : current;
      },
      set(this: unknown, value: unknown) {
        if (typeof value !== 'function') {
          set.call(this, value);
          return;
        }
        const handler = value as (...args: unknown[]) => unknown;
        const made = function (this: unknown, ...args: unknown[]): unknown {
          if (args.length > 1) args[1] = up(args[1]);
          return handler.apply(this, args);
        };
        set.call(this, made);
        page = value;
        wrapper = made;
      },
    });
    disguiseAccessor(found.owner, 'onerror', found.desc);
  } catch {
    /* keep the native handler property */
  }
}
