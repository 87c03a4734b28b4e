/**
 * The emulated `location`, `top` and `parent` the page sees (docs/js-rewriting.md, "The
 * rules": the `wrap` of `__cobrowse$.w`). A real `Location` of this window becomes one
 * object per window that reads the upstream URL and navigates the real location to the
 * mapped URL; a `Location` of another same-origin window running the runtime becomes
 * that window's emulation. In the overlay, the windows above the proxied root (the
 * widget's page and its ancestors) read as the proxied root: the page was top-level
 * upstream.
 */
import { HOOKS_NAME } from './hooks';
import { attempt, disguise, disguiseAccessor } from './patch';
import { type UrlMapper, withRawQuery } from './urls';

type Win = Window & typeof globalThis;

/** Names of a real Location's accessors, in Chromium's own-property order. */
const PARTS = ['href', 'origin', 'protocol', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const;
type Part = (typeof PARTS)[number];

export interface LocationParts {
  readonly win: Win;
  readonly map: UrlMapper;
  /** The windows above the proxied root, nearest first (empty outside the overlay). */
  readonly hidden: () => readonly Window[];
  /** The proxied root window (this window outside the overlay). */
  readonly root: () => Window;
  /** Origins of the ancestors the page would have had upstream (mapped, cut at the root). */
  readonly ancestorOrigins: () => readonly string[];
  /** Rewrite a `javascript:` URL's code before it runs (identity by default). */
  readonly rewriteScriptUrl?: (url: string) => string;
}

/** The URL the page would see for a real href: its upstream URL. Pure. */
export function upstreamHref(map: UrlMapper, href: string): string {
  return map.toUpstream(href);
}

/**
 * The upstream URL after setting `part` to `value` on the upstream URL `current`
 * (`Location`'s setters, per the URL standard's setters); null when the real setter
 * would not navigate. Throws a SyntaxError DOMException where the real setter would. Pure.
 */
export function withPart(current: string, part: Exclude<Part, 'origin' | 'href'>, value: string): string | null {
  const url = new URL(current);
  if (part === 'protocol') {
    const scheme = value.split(':')[0] ?? '';
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme)) throw syntaxError(`'${value}' is an invalid protocol.`);
    url.protocol = value;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.href;
  }
  if (part !== 'hash' && part !== 'search' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url.href)) return null;
  url[part] = value;
  return url.href;
}

/**
 * `href`, the URL `withPart` gave for `search = value`, with that query as written (its
 * `#` escaped, as the setter escapes it): the browser percent-encodes it in the page's
 * encoding, as the real setter does. Pure.
 */
export function withSearch(href: string, value: string): string {
  const query = value.replace(/^\?/, '');
  return query === '' ? href : withRawQuery(href, `?${query.replace(/#/g, '%23')}`);
}

function syntaxError(message: string): Error {
  try {
    return new DOMException(message, 'SyntaxError');
  } catch {
    return new SyntaxError(message);
  }
}

/** A `DOMStringList`-like list (the real one cannot be constructed). */
function stringList(win: Win, items: readonly string[]): object {
  const proto = attempt(() => (win as unknown as { DOMStringList?: { prototype: object } }).DOMStringList?.prototype, undefined);
  const list = Object.create(proto ?? Object.prototype) as Record<string | number, unknown>;
  items.forEach((item, i) => Object.defineProperty(list, i, { value: item, enumerable: true }));
  Object.defineProperty(list, 'length', { value: items.length });
  Object.defineProperty(list, 'item', { value: (i: number) => items[Number(i) >>> 0] ?? null });
  Object.defineProperty(list, 'contains', { value: (s: unknown) => items.includes(String(s)) });
  return list;
}

export interface LocationEmulation {
  /** `__cobrowse$.w`: the page-visible value of a location/top/parent read. */
  wrap(value: unknown): unknown;
  /** This window's emulated location (one object). */
  readonly location: Location;
  /** Whether `value` is an emulated location made here. */
  owns(value: unknown): boolean;
}

export function emulateLocation(parts: LocationParts): LocationEmulation {
  const { win, map } = parts;
  const real = win.location;
  const made = new WeakSet<object>();
  const rewriteUrl = (url: string): string =>
    parts.rewriteScriptUrl && /^\s*javascript:/i.test(url) ? attempt(() => parts.rewriteScriptUrl!(url), url) : url;
  const current = (): string => upstreamHref(map, real.href);
  const base = (): string => attempt(() => map.toUpstream(win.document.baseURI), current());
  /** Navigate the real location to the upstream URL `url` (absolute or relative). */
  const target = (url: string): string => {
    const s = String(url);
    if (/^\s*javascript:/i.test(s)) return rewriteUrl(s);
    let absolute: string;
    try {
      absolute = withRawQuery(new URL(s, base()).href, s);
    } catch {
      throw syntaxError(`'${s}' is not a valid URL.`);
    }
    return map.toLoad(absolute);
  };

  const loc = Object.create(attempt(() => win.Location.prototype, Object.prototype)) as Location;
  made.add(loc);
  let ancestors: object | null = null;
  const props: Record<string, PropertyDescriptor> = {
    ancestorOrigins: {
      get: () => (ancestors ??= stringList(win, attempt(parts.ancestorOrigins, []))),
      enumerable: true,
    },
  };
  for (const part of PARTS) {
    props[part] = {
      enumerable: true,
      get(): string {
        const href = current();
        if (part === 'href') return href;
        return attempt(() => new URL(href)[part], (real as unknown as Record<string, string>)[part] ?? '');
      },
      set(value: unknown): void {
        const v = String(value);
        if (part === 'origin') return;
        if (part === 'hash') {
          real.hash = v;
          return;
        }
        if (part === 'href') {
          real.href = target(v);
          return;
        }
        const next = withPart(current(), part, v);
        if (next !== null) real.href = map.toLoad(part === 'search' ? withSearch(next, v) : next);
      },
    };
  }
  props.assign = { enumerable: true, value: function assign(url: unknown) { real.assign(target(String(url))); } };
  props.replace = { enumerable: true, value: function replace(url: unknown) { real.replace(target(String(url))); } };
  props.reload = { enumerable: true, value: function reload() { real.reload(); } };
  props['toString'] = { enumerable: true, value: function toString() { return current(); } };
  props['valueOf'] = { value: function valueOf(this: unknown) { return this; } };
  Object.defineProperties(loc, props);
  // Printed as the real location's own functions.
  for (const name of [...PARTS, 'ancestorOrigins', 'assign', 'replace', 'reload', 'toString', 'valueOf']) {
    const native = attempt(() => Object.getOwnPropertyDescriptor(real, name), undefined);
    if (!native) continue;
    if (native.get || native.set) disguiseAccessor(loc, name, native);
    else if (typeof native.value === 'function') disguise(props[name]!.value as object, native.value);
  }

  const otherLocation = (value: object): unknown => {
    const candidates: Window[] = [];
    attempt(() => {
      candidates.push(win.parent, win.top as Window);
      if (win.opener) candidates.push(win.opener as Window);
      for (let i = 0; i < win.frames.length; i++) candidates.push(win.frames[i] as Window);
    }, undefined);
    for (const other of candidates) {
      if (!other || other === win) continue;
      const hit = attempt(() => other.location === value, false);
      if (!hit) continue;
      const hooks = attempt(
        () => (other as unknown as Record<string, { w?: (v: unknown) => unknown } | undefined>)[HOOKS_NAME],
        undefined,
      );
      return hooks && typeof hooks.w === 'function' ? attempt(() => hooks.w!(value), value) : value;
    }
    return value;
  };

  return {
    location: loc,
    owns: (value) => typeof value === 'object' && value !== null && made.has(value),
    wrap(value: unknown): unknown {
      if (typeof value !== 'object' || value === null) return value;
      if (made.has(value)) return value;
      if (value === real) return loc;
      if (attempt(() => value === win.window, false)) return value;
      const hidden = attempt(parts.hidden, []);
      if (hidden.length > 0 && hidden.includes(value as Window)) return attempt(parts.root, value);
      if (attempt(() => typeof win.Location === 'function' && value instanceof win.Location, false)) {
        return otherLocation(value);
      }
      // A Location of another realm (a same-origin frame's): instanceof fails across realms.
      if (attempt(() => Object.prototype.toString.call(value) === '[object Location]', false)) {
        return otherLocation(value);
      }
      return value;
    },
  };
}

/**
 * The windows above the proxied root and the root itself, from this window: walk up
 * `parent` while the ancestor's origin (`location.ancestorOrigins`) is a proxy origin;
 * the first one that is `parentOrigin` (the widget's page) and everything above it are
 * hidden. Outside the overlay (no ancestor is the widget's page) nothing is hidden.
 * The walk reads `parent` through this window's own (still native) getter: an
 * ancestor's `parent` may already be emulated by its runtime (the proxied root's reads
 * as itself), which would end the walk at the root and leave the windows above it
 * visible to a child frame.
 */
export function frameChain(
  win: Window,
  parentOrigin: string,
  isProxyOrigin: (origin: string) => boolean,
  overlay: boolean,
): { root: Window; hidden: Window[]; ancestors: string[] } {
  const chain: Window[] = [];
  const nativeParent = attempt(() => Object.getOwnPropertyDescriptor(win, 'parent')?.get, undefined);
  const parentOf = (w: Window): Window =>
    nativeParent ? attempt(() => nativeParent.call(w) as Window, w.parent) : w.parent;
  let w: Window = win;
  for (let i = 0; i < 64; i++) {
    const up = attempt(() => parentOf(w), w);
    if (!up || up === w) break;
    chain.push(up);
    w = up;
  }
  const origins = attempt(() => Array.from(win.location.ancestorOrigins ?? []), [] as string[]);
  let cut = -1;
  if (parentOrigin) {
    if (origins.length === chain.length) {
      cut = origins.findIndex((o) => o === parentOrigin && !isProxyOrigin(o));
    } else if (overlay) {
      cut = 0;
    }
  }
  if (cut < 0) return { root: chain.length ? chain[chain.length - 1]! : win, hidden: [], ancestors: origins };
  return { root: cut === 0 ? win : chain[cut - 1]!, hidden: chain.slice(cut), ancestors: origins.slice(0, cut) };
}

/**
 * The window's own accessors that unrewritten code reads: `parent` (replaceable, so a
 * page's assignment still wins), `frameElement` and `origin`, as the page would see them
 * upstream.
 */
export function patchWindowProperties(win: Win, map: UrlMapper, hidden: () => readonly Window[], root: () => Window): void {
  const redefine = (name: string, get: (native: () => unknown) => unknown, replaceable: boolean): void => {
    try {
      const desc = Object.getOwnPropertyDescriptor(win, name);
      if (!desc || !desc.get || !desc.configurable) return;
      const nativeGet = desc.get;
      let replaced: { value: unknown } | null = null;
      Object.defineProperty(win, name, {
        configurable: true,
        enumerable: desc.enumerable,
        get(this: unknown) {
          if (replaced) return replaced.value;
          const native = (): unknown => nativeGet.call(this);
          return attempt(() => get(native), native());
        },
        set:
          replaceable || desc.set
            ? function (this: unknown, value: unknown) {
                if (replaceable) replaced = { value };
                else desc.set!.call(this, value);
              }
            : undefined,
      });
      disguiseAccessor(win, name, desc);
    } catch {
      /* keep the native property */
    }
  };
  const isHidden = (w: unknown): boolean => attempt(() => hidden().includes(w as Window), false);
  redefine('parent', (native) => {
    const p = native();
    return isHidden(p) ? root() : p;
  }, true);
  redefine('frameElement', (native) => (hidden().length > 0 && root() === win ? null : native()), false);
  redefine('origin', (native) => {
    const o = native();
    return typeof o === 'string' ? map.toUpstream(o) : o;
  }, true);
}
