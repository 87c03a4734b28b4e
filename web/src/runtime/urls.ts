/**
 * URL mapping between the upstream site and the proxy hosts, pure (the client-side twin
 * of `cobrowse.rewrite.urls.rewrite_url`). One rule everywhere:
 *
 * - absolute and protocol-relative URLs whose origin is a known upstream origin become
 *   the same URL on that origin's proxy host (ws/wss follow http/https);
 * - relative and root-relative URLs stay as they are (the proxy host serves the same paths);
 * - for what the page loads or navigates to (`UrlMapper.toLoad`), an absolute URL of any
 *   other origin goes through this proxy host's `/__cobrowse/go?url=` (`goUrl`), which
 *   gives its origin a host or shows the "outside co-browsing" page: nothing of the
 *   page ever goes straight to another origin. `UrlMapper.toProxy` maps the site's
 *   (allowed) origins only, and leaves everything else as it is.
 */

/** upstream origin → proxy origin, e.g. {"https://site.example": "http://pab.cobrowse.localhost"}. */
export type OriginMap = Readonly<Record<string, string>>;

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
const TAB_NL = /[\t\n\r]/g;
/** The schemes whose URLs' queries a page percent-encodes in its own encoding. */
const SPECIAL_QUERY = /^(https?|ftp|file):/i;
const BARE_ORIGIN = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*$/;

/** The URL as a browser reads it (outer C0/space trimmed, tabs and newlines removed). */
function clean(url: string): string {
  return url.replace(EDGES, '').replace(TAB_NL, '');
}

/** Whether the URL names its own origin (absolute or protocol-relative). */
export function isAbsolute(url: string): boolean {
  const u = clean(url);
  return SCHEME.test(u) || /^[/\\]{2}/.test(u);
}

/** The http(s) origin used to look a URL up: ws → http, wss → https; null for other schemes. */
function lookupOrigin(url: URL): string | null {
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      return url.origin;
    case 'ws:':
      return `http://${url.host}`;
    case 'wss:':
      return `https://${url.host}`;
    default:
      return null;
  }
}

/**
 * The query of the URL string `input` as written (`?` included), or null when it has
 * none: for an http(s) URL, the text from its first `?` to its first `#`.
 */
function rawSearch(input: string): string | null {
  const hash = input.indexOf('#');
  const body = hash < 0 ? input : input.slice(0, hash);
  const at = body.indexOf('?');
  return at < 0 ? null : body.slice(at);
}

/**
 * `href` (the URL API's serialisation of `input`, absolute) with the query `input` was
 * written with. The URL API percent-encodes a query's non-ASCII characters from UTF-8,
 * but a page percent-encodes an http(s) URL's query in its own encoding (a
 * windows-1252 page sends `?q=é` as `?q=%E9`): a URL the runtime builds for the browser
 * keeps the query raw, so the browser encodes it as it would have for the page, and
 * the site receives the same bytes. Pure; never throws.
 */
export function withRawQuery(href: string, input: string): string {
  if (typeof href !== 'string' || typeof input !== 'string' || !SPECIAL_QUERY.test(href)) return href;
  const raw = rawSearch(clean(input));
  if (raw === null) return href;
  const end = href.indexOf('#');
  const body = end < 0 ? href : href.slice(0, end);
  const at = body.indexOf('?');
  return (at < 0 ? body : body.slice(0, at)) + raw + (end < 0 ? '' : href.slice(end));
}

function withOrigin(url: URL, origin: string, input?: string): string {
  let target: URL;
  try {
    target = new URL(origin);
  } catch {
    return url.href;
  }
  let protocol = target.protocol;
  if (url.protocol === 'ws:' || url.protocol === 'wss:') {
    protocol = protocol === 'https:' ? 'wss:' : 'ws:';
  }
  const search = input !== undefined ? (rawSearch(input) ?? url.search) : url.search;
  return `${protocol}//${target.host}${url.pathname}${search}${url.hash}`;
}

function parse(url: string, base?: string): URL | null {
  try {
    return base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    return null;
  }
}

/**
 * Map a URL the page uses to the URL to load. `base` is the upstream URL of the document
 * (it decides the scheme of protocol-relative URLs). An http(s)/ws(s) URL of an origin
 * not in `origins` goes to `fallback` when given (its answer, or unchanged on null).
 * Never throws.
 */
export function toProxy(
  url: string,
  base: string,
  origins: OriginMap,
  fallback?: (absolute: URL) => string | null,
): string {
  if (typeof url !== 'string' || !isAbsolute(url)) return url;
  const u = clean(url);
  const parsed = (SCHEME.test(u) ? parse(u) : null) ?? parse(u, base);
  if (!parsed) return url;
  const key = lookupOrigin(parsed);
  const proxy = key !== null && Object.prototype.hasOwnProperty.call(origins, key) ? origins[key] : undefined;
  if (proxy) return withOrigin(parsed, proxy, u);
  return key !== null && fallback ? (fallback(parsed) ?? url) : url;
}

/** `.domain[:port]` of the proxy hosts, from one proxy origin (`http://pabc.cb.example:8000`). */
export function proxySuffix(proxyOrigin: string): string | null {
  const parsed = parse(proxyOrigin);
  if (!parsed) return null;
  const dot = parsed.hostname.indexOf('.');
  return dot < 0 ? null : parsed.hostname.slice(dot);
}

/** Whether the URL is on a host under the proxy domain (any label, this session's or not). */
export function onProxyHost(url: URL, suffix: string | null): boolean {
  return suffix !== null && url.hostname.endsWith(suffix);
}

/**
 * The proxy's `go` URL for an absolute URL the page has no host for, on this document's
 * proxy host (ws/wss for sockets, which do not follow redirects: the proxy relays them
 * there); null for URLs already on a proxy host and for other schemes.
 */
export function goUrl(url: URL, proxyOrigin: string, go: string, suffix: string | null): string | null {
  if (onProxyHost(url, suffix)) return null;
  const proxy = parse(proxyOrigin);
  if (!proxy) return null;
  const target = encodeURIComponent(url.href);
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      return `${proxy.origin}${go}${target}`;
    case 'ws:':
    case 'wss:':
      return `${proxy.protocol === 'https:' ? 'wss:' : 'ws:'}//${proxy.host}${go}${target}`;
    default:
      return null;
  }
}

/**
 * The URL a proxy host's `go` URL stands for (`goUrl` reversed), or null when `url` is
 * not one. Pure.
 */
export function fromGo(url: string, go: string, suffix: string | null): string | null {
  if (typeof url !== 'string' || !isAbsolute(url)) return null;
  const parsed = parse(clean(url));
  if (!parsed || !onProxyHost(parsed, suffix)) return null;
  const rest = parsed.pathname + parsed.search;
  if (!rest.startsWith(go)) return null;
  try {
    const target = decodeURIComponent(rest.slice(go.length));
    return isAbsolute(target) && parse(target) ? target : null;
  } catch {
    return null;
  }
}

/** The reverse map: proxy origin → upstream origin. */
export function invert(origins: OriginMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [upstream, proxy] of Object.entries(origins)) out[proxy] = upstream;
  return out;
}

/**
 * Map a proxy URL (or a bare origin) back to the upstream one; anything else unchanged.
 * `reverse` is `invert(origins)`. Never throws.
 */
export function toUpstream(url: string, reverse: OriginMap): string {
  if (typeof url !== 'string' || !isAbsolute(url)) return url;
  const u = clean(url);
  const parsed = parse(u);
  if (!parsed) return url;
  const key = lookupOrigin(parsed);
  const upstream =
    key !== null && Object.prototype.hasOwnProperty.call(reverse, key) ? reverse[key] : undefined;
  if (!upstream) return url;
  if (BARE_ORIGIN.test(u)) {
    const mapped = parse(upstream);
    if (!mapped) return url;
    if (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') {
      return `${mapped.protocol === 'https:' ? 'wss:' : 'ws:'}//${mapped.host}`;
    }
    return mapped.origin;
  }
  return withOrigin(parsed, upstream);
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
}

/** Apply `map` to every URL of a srcset value, keeping descriptors and separators. */
export function mapSrcset(value: string, map: (url: string) => string): string {
  let out = '';
  let i = 0;
  const n = value.length;
  while (i < n) {
    const sepStart = i;
    while (i < n && (isSpace(value[i]!) || value[i] === ',')) i++;
    out += value.slice(sepStart, i);
    if (i >= n) break;
    const urlStart = i;
    while (i < n && !isSpace(value[i]!)) i++;
    let url = value.slice(urlStart, i);
    const commas = /,+$/.exec(url);
    if (commas) {
      url = url.slice(0, url.length - commas[0].length);
      out += map(url) + commas[0];
      continue;
    }
    out += map(url);
    const descStart = i;
    let depth = 0;
    while (i < n) {
      const c = value[i]!;
      if (c === '(') depth++;
      else if (c === ')') depth = Math.max(0, depth - 1);
      else if (c === ',' && depth === 0) break;
      i++;
    }
    out += value.slice(descStart, i);
  }
  return out;
}

/** Whether a URL is http(s) (for navigations that may go through `/__cobrowse/go`). */
export function isHttp(url: string): boolean {
  const parsed = parse(url);
  return !!parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:');
}

/** The maps for one page. */
export interface UrlMapper {
  /** Upstream URL → proxy URL for the site's (allowed) origins; anything else unchanged. */
  toProxy(url: string): string;
  /**
   * What the page loads or navigates to: any known origin → its proxy URL; any other
   * absolute http(s)/ws(s) URL → this host's `go` URL; relative URLs unchanged.
   */
  toLoad(url: string): string;
  /** Proxy URL or origin → upstream one. */
  toUpstream(url: string): string;
  /** Whether this absolute URL is on a proxy host (this session's, or any under the proxy domain). */
  isProxyOrigin(url: string): boolean;
}

/** Where the page's proxy host is, and its `go` path (the runtime config's). */
export interface GoOptions {
  readonly proxyOrigin: string;
  readonly go: string;
  /** Upstream origins of `origins` that are not allowed (never the site's: `toProxy` skips them). */
  readonly others?: readonly string[];
}

export function makeMapper(origins: OriginMap, base: () => string, options?: GoOptions): UrlMapper {
  const reverse = invert(origins);
  const others = new Set(options?.others ?? []);
  const allowed: Record<string, string> = {};
  for (const [upstream, proxy] of Object.entries(origins)) if (!others.has(upstream)) allowed[upstream] = proxy;
  const suffix = options ? proxySuffix(options.proxyOrigin) : null;
  const fallback = options
    ? (url: URL): string | null => goUrl(url, options.proxyOrigin, options.go, suffix)
    : undefined;
  return {
    toProxy(url: string): string {
      try {
        return toProxy(url, base(), allowed);
      } catch {
        return url;
      }
    },
    toLoad(url: string): string {
      try {
        return toProxy(url, base(), origins, fallback);
      } catch {
        return url;
      }
    },
    toUpstream(url: string): string {
      try {
        const gone = options ? fromGo(url, options.go, suffix) : null;
        return gone ?? toUpstream(url, reverse);
      } catch {
        return url;
      }
    },
    isProxyOrigin(url: string): boolean {
      const parsed = parse(url);
      if (!parsed) return false;
      const key = lookupOrigin(parsed);
      return (key !== null && Object.prototype.hasOwnProperty.call(reverse, key)) || onProxyHost(parsed, suffix);
    },
  };
}
