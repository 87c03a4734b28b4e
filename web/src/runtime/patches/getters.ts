/**
 * Getters that would show the proxy's URLs, showing the upstream ones instead (every one
 * is a configurable accessor or method, so no script rewriting is needed):
 * `document.URL/.documentURI/.referrer/.domain`, `Node.baseURI`, the element URL
 * properties (patches/elements.ts maps their setters forward), the URL parts of links,
 * URL attributes read back (`getAttribute`, `getAttributeNS`, `Attr.value`),
 * `Request.url`, `Response.url`, `XMLHttpRequest.responseURL`, performance entry names
 * (the runtime's own `/__cobrowse/` entries left out) and the `Link` response header.
 * While the runtime's recorder reads (`ctx.gate`), every getter is native.
 */
import type { RuntimeContext } from '../context';
import { attempt, disguise, disguiseAccessor, findAccessor, mapGetter, patchMethod } from '../patch';
import { mapSrcset } from '../urls';
import { URL_PROPERTIES, urlAttributeKind } from './elements';

const PREFIX = '/__cobrowse/';

/** `<url>` references of a `Link` header value, each mapped with `map`. Pure. */
export function mapLinkHeader(value: string, map: (url: string) => string): string {
  return value.replace(/<([^>]*)>/g, (whole, url: string) => {
    const mapped = map(url);
    return mapped === url ? whole : `<${mapped}>`;
  });
}

/** `Link` lines of a raw header block (`getAllResponseHeaders`), mapped. Pure. */
export function mapHeaderBlock(block: string, map: (url: string) => string): string {
  return block.replace(/^(link:[ \t]*)(.*)$/gim, (_whole, head: string, value: string) => head + mapLinkHeader(value, map));
}

/**
 * Whether a page on `hostname` may set `document.domain` to `value`: the same host or a
 * parent domain of it (not a bare top-level label; a public suffix list is not carried).
 * Pure.
 */
export function domainAllowed(hostname: string, value: string): boolean {
  const host = hostname.toLowerCase();
  const v = value.toLowerCase();
  if (v === '' || /^\[|^\d+(\.\d+){3}$/.test(host)) return v === host;
  if (v === host) return true;
  return v.includes('.') && host.endsWith(`.${v}`);
}

/** Whether a proxy URL is one of the runtime's own (`/__cobrowse/...` on a proxy host). */
export function isRuntimeUrl(url: string, isProxyOrigin: (url: string) => boolean): boolean {
  return attempt(() => new URL(url).pathname.startsWith(PREFIX) && isProxyOrigin(url), false);
}

export function patchGetters(ctx: RuntimeContext): void {
  const { win, map, gate } = ctx;
  const up = (value: unknown): unknown => (typeof value === 'string' ? map.toUpstream(value) : value);

  /** Wrap the getter of `name` (found on `proto` or above) with `mapValue`. */
  const getter = (proto: object | undefined, name: string, mapValue: (value: unknown, self: unknown) => unknown): void =>
    mapGetter(proto, name, mapValue, () => gate.native);
  const ctor = (name: string): { prototype?: object } | undefined =>
    (win as unknown as Record<string, { prototype?: object } | undefined>)[name];

  // The document's own URLs.
  const docProto = win.Document?.prototype;
  getter(docProto, 'URL', up);
  getter(docProto, 'documentURI', up);
  getter(docProto, 'referrer', up);
  getter(win.Node?.prototype, 'baseURI', up);

  // document.domain: the upstream host; a parent domain may be set, as upstream.
  const domains = new WeakMap<object, string>();
  try {
    const found = findAccessor(docProto, 'domain');
    if (found && found.desc.get && found.desc.configurable) {
      const get = found.desc.get;
      const upstreamHost = (doc: Document): string =>
        attempt(() => new URL(map.toUpstream(nativeUrl(doc))).hostname, '');
      const nativeUrlGet = findAccessor(docProto, 'URL')?.desc.get;
      const nativeUrl = (doc: Document): string => (nativeUrlGet ? String(nativeUrlGet.call(doc)) : doc.URL);
      Object.defineProperty(found.owner, 'domain', {
        ...found.desc,
        get(this: Document) {
          const value = get.call(this) as unknown;
          if (gate.native) return value;
          return attempt(() => domains.get(this) ?? (upstreamHost(this) || value), value);
        },
        set(this: Document, value: unknown) {
          const v = String(value);
          const host = upstreamHost(this);
          if (!host) {
            found.desc.set?.call(this, value);
            return;
          }
          if (!domainAllowed(host, v)) {
            throw new DOMException(
              `Failed to set the 'domain' property on 'Document': '${v}' is not a suffix of '${host}'.`,
              'SecurityError',
            );
          }
          domains.set(this, v.toLowerCase());
        },
      });
      disguiseAccessor(found.owner, 'domain', found.desc);
    }
  } catch {
    /* keep the native accessor */
  }

  // The URL parts of a and area (HTMLHyperlinkElementUtils), read from the upstream href.
  const hrefGet = (proto: object | undefined): ((this: unknown) => unknown) | undefined =>
    findAccessor(proto, 'href')?.desc.get;
  for (const iface of ['HTMLAnchorElement', 'HTMLAreaElement']) {
    const proto = ctor(iface)?.prototype;
    const href = hrefGet(proto);
    if (!href) continue;
    for (const part of ['origin', 'protocol', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'username', 'password']) {
      const found = findAccessor(proto, part);
      if (!found || !found.desc.get || !found.desc.configurable) continue;
      const get = found.desc.get;
      const set = found.desc.set;
      const nativeHref = findAccessor(proto, 'href')!.desc;
      try {
        Object.defineProperty(found.owner, part, {
          ...found.desc,
          get(this: unknown) {
            const value = get.call(this) as unknown;
            if (gate.native) return value;
            return attempt(() => {
              const raw = String(nativeHref.get!.call(this));
              const upstream = map.toUpstream(raw);
              if (upstream === raw) return value;
              return (new URL(upstream) as unknown as Record<string, string>)[part];
            }, value);
          },
          set: set
            ? function (this: unknown, value: unknown) {
                const done = attempt(() => {
                  if (part === 'origin' || part === 'hash' || part === 'search' || part === 'pathname') return false;
                  const raw = String(nativeHref.get!.call(this));
                  const upstream = map.toUpstream(raw);
                  if (upstream === raw) return false;
                  const url = new URL(upstream);
                  (url as unknown as Record<string, string>)[part] = String(value);
                  nativeHref.set!.call(this, map.toLoad(url.href));
                  return true;
                }, false);
                if (!done) set.call(this, value);
              }
            : undefined,
        });
        disguiseAccessor(found.owner, part, found.desc);
      } catch {
        /* keep the native accessor */
      }
    }
  }

  // Element URL properties.
  for (const [iface, prop, kind] of URL_PROPERTIES) {
    getter(ctor(iface)?.prototype, prop, (value) =>
      typeof value !== 'string' ? value : kind === 'srcset' ? mapSrcset(value, (u) => map.toUpstream(u)) : map.toUpstream(value),
    );
  }

  // More URLs the browser resolved or connected to: what an image or media element
  // loaded, a socket's URL, the URLs of a hashchange.
  getter(ctor('HTMLImageElement')?.prototype, 'currentSrc', up);
  getter(ctor('HTMLMediaElement')?.prototype, 'currentSrc', up);
  getter(ctor('WebSocket')?.prototype, 'url', up);
  getter(ctor('HashChangeEvent')?.prototype, 'oldURL', up);
  getter(ctor('HashChangeEvent')?.prototype, 'newURL', up);
  // `String(a)`: the stringifier of a and area is their href, read upstream.
  for (const iface of ['HTMLAnchorElement', 'HTMLAreaElement']) {
    patchMethod(ctor(iface)?.prototype, 'toString', (orig) =>
      disguise(function toString(this: unknown, ...args: unknown[]) {
        const value: unknown = orig.apply(this, args);
        if (gate.native) return value;
        return attempt(() => up(value), value);
      }, orig),
    );
  }

  // URL attributes read back: what the page (or the server's rewriting) set, upstream.
  const attrUp = (el: Element | null, ns: string | null, name: string, value: unknown): unknown => {
    if (typeof value !== 'string' || !el) return value;
    const kind = urlAttributeKind(el.namespaceURI, el.localName, ns, name);
    if (!kind) return value;
    return kind === 'srcset' ? mapSrcset(value, (u) => map.toUpstream(u)) : map.toUpstream(value);
  };
  const elProto = win.Element?.prototype;
  patchMethod(elProto, 'getAttribute', (orig) =>
    function getAttribute(this: Element, ...args: unknown[]) {
      const value: unknown = orig.apply(this, args);
      if (gate.native || typeof args[0] !== 'string') return value;
      return attempt(() => attrUp(this, null, args[0] as string, value), value);
    },
  );
  patchMethod(elProto, 'getAttributeNS', (orig) =>
    function getAttributeNS(this: Element, ...args: unknown[]) {
      const value: unknown = orig.apply(this, args);
      if (gate.native || typeof args[1] !== 'string') return value;
      const ns = typeof args[0] === 'string' && args[0] !== '' ? args[0] : null;
      return attempt(() => attrUp(this, ns, args[1] as string, value), value);
    },
  );
  const attrProto = win.Attr?.prototype;
  for (const name of ['value']) {
    getter(attrProto, name, (value, self) => {
      const attr = self as Attr;
      if (!(attr instanceof win.Attr)) return value;
      return attrUp(attr.ownerElement, attr.namespaceURI, attr.name, value);
    });
  }

  // Network objects.
  getter(ctor('Request')?.prototype, 'url', up);
  getter(ctor('Response')?.prototype, 'url', up);
  getter(ctor('XMLHttpRequest')?.prototype, 'responseURL', up);

  // Link headers read by scripts.
  const linkUp = (value: unknown): unknown =>
    typeof value === 'string' ? mapLinkHeader(value, (u) => map.toUpstream(u)) : value;
  const isLink = (name: unknown): boolean => typeof name === 'string' && name.toLowerCase() === 'link';
  const headersProto = ctor('Headers')?.prototype;
  patchMethod(headersProto, 'get', (orig) =>
    function get(this: unknown, ...args: unknown[]) {
      const value: unknown = orig.apply(this, args);
      return isLink(args[0]) ? attempt(() => linkUp(value), value) : value;
    },
  );
  const pairs = (iter: Iterator<[string, string]>): IterableIterator<[string, string]> => {
    const out = {
      next(): IteratorResult<[string, string]> {
        const r = iter.next();
        if (r.done || !isLink(r.value[0])) return r;
        return { done: false, value: [r.value[0], attempt(() => linkUp(r.value[1]) as string, r.value[1])] };
      },
      [Symbol.iterator]() {
        return out;
      },
    };
    const proto = attempt(() => Object.getPrototypeOf(iter) as object, null);
    if (proto) attempt(() => Object.setPrototypeOf(out, proto), undefined);
    return out as IterableIterator<[string, string]>;
  };
  patchMethod(headersProto, 'entries', (orig) =>
    function entries(this: unknown) {
      return pairs(orig.call(this) as Iterator<[string, string]>);
    },
  );
  if (headersProto) {
    try {
      const entries = (headersProto as Record<string, unknown>).entries;
      const desc = Object.getOwnPropertyDescriptor(headersProto, Symbol.iterator);
      if (desc && desc.configurable) Object.defineProperty(headersProto, Symbol.iterator, { ...desc, value: entries });
    } catch {
      /* keep the native iterator */
    }
  }
  const entriesOf = attempt(() => (headersProto as Record<string, unknown> | undefined)?.entries, undefined) as
    | ((this: unknown) => Iterator<[string, string]>)
    | undefined;
  patchMethod(headersProto, 'values', (orig) =>
    function values(this: unknown) {
      if (!entriesOf) return orig.call(this) as unknown;
      const it = entriesOf.call(this);
      const out = {
        next(): IteratorResult<string> {
          const r = it.next();
          return r.done ? { done: true, value: undefined } : { done: false, value: r.value[1] };
        },
        [Symbol.iterator]() {
          return out;
        },
      };
      return out;
    },
  );
  patchMethod(headersProto, 'forEach', (orig) =>
    function forEach(this: unknown, callback: unknown, thisArg?: unknown) {
      if (typeof callback !== 'function') return orig.call(this, callback, thisArg) as unknown;
      const headers = this;
      return orig.call(
        this,
        function (this: unknown, value: unknown, name: unknown) {
          return (callback as (...a: unknown[]) => unknown).call(
            thisArg,
            isLink(name) ? attempt(() => linkUp(value), value) : value,
            name,
            headers,
          );
        },
        thisArg,
      ) as unknown;
    },
  );
  const xhrProto = ctor('XMLHttpRequest')?.prototype;
  patchMethod(xhrProto, 'getResponseHeader', (orig) =>
    function getResponseHeader(this: unknown, ...args: unknown[]) {
      const value: unknown = orig.apply(this, args);
      return isLink(args[0]) ? attempt(() => linkUp(value), value) : value;
    },
  );
  patchMethod(xhrProto, 'getAllResponseHeaders', (orig) =>
    function getAllResponseHeaders(this: unknown, ...args: unknown[]) {
      const value: unknown = orig.apply(this, args);
      return typeof value === 'string' ? attempt(() => mapHeaderBlock(value, (u) => map.toUpstream(u)), value) : value;
    },
  );

  // Performance entries: upstream names; the runtime's own requests left out.
  const entryName = findAccessor(ctor('PerformanceEntry')?.prototype, 'name')?.desc.get;
  const ours = (entry: unknown): boolean =>
    !!entryName && attempt(() => isRuntimeUrl(String(entryName.call(entry)), (u) => map.isProxyOrigin(u)), false);
  getter(ctor('PerformanceEntry')?.prototype, 'name', up);
  const filtered = (list: unknown): unknown =>
    Array.isArray(list) ? list.filter((entry) => !ours(entry)) : list;
  for (const proto of [ctor('Performance')?.prototype, ctor('PerformanceObserverEntryList')?.prototype]) {
    for (const name of ['getEntries', 'getEntriesByType', 'getEntriesByName']) {
      patchMethod(proto, name, (orig) =>
        function (this: unknown, ...args: unknown[]) {
          if (name === 'getEntriesByName' && typeof args[0] === 'string') {
            args[0] = attempt(() => map.toProxy(args[0] as string), args[0]);
          }
          return attempt(() => filtered(orig.apply(this, args)), undefined) ?? orig.apply(this, args);
        },
      );
    }
  }
}
