/**
 * URL mapping between the upstream site and the proxy hosts, pure (the client-side twin
 * of `cobrowse.rewrite.urls.rewrite_url`). One rule everywhere:
 *
 * - absolute and protocol-relative URLs whose origin is a known upstream origin become
 *   the same URL on that origin's proxy host (ws/wss follow http/https);
 * - relative and root-relative URLs stay as they are (the proxy host serves the same paths);
 * - URLs of any other origin stay as they are (the client cannot know labels for
 *   allowed-but-unmapped origins; navigations to them go through `/__cobrowse/go`).
 */

/** upstream origin → proxy origin, e.g. {"https://site.example": "http://pab.cobrowse.localhost"}. */
export type OriginMap = Readonly<Record<string, string>>;

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
const TAB_NL = /[\t\n\r]/g;
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

function withOrigin(url: URL, origin: string): string {
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
  return `${protocol}//${target.host}${url.pathname}${url.search}${url.hash}`;
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
 * (it decides the scheme of protocol-relative URLs). Never throws.
 */
export function toProxy(url: string, base: string, origins: OriginMap): string {
  if (typeof url !== 'string' || !isAbsolute(url)) return url;
  const u = clean(url);
  const parsed = (SCHEME.test(u) ? parse(u) : null) ?? parse(u, base);
  if (!parsed) return url;
  const key = lookupOrigin(parsed);
  const proxy = key !== null && Object.prototype.hasOwnProperty.call(origins, key) ? origins[key] : undefined;
  return proxy ? withOrigin(parsed, proxy) : url;
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

/** A bound pair of the two maps for one page. */
export interface UrlMapper {
  /** Upstream URL → proxy URL, against the document's upstream base. */
  toProxy(url: string): string;
  /** Proxy URL or origin → upstream one. */
  toUpstream(url: string): string;
  /** Whether the origin of this absolute URL is one of the session's proxy origins. */
  isProxyOrigin(url: string): boolean;
}

export function makeMapper(origins: OriginMap, base: () => string): UrlMapper {
  const reverse = invert(origins);
  return {
    toProxy(url: string): string {
      try {
        return toProxy(url, base(), origins);
      } catch {
        return url;
      }
    },
    toUpstream(url: string): string {
      try {
        return toUpstream(url, reverse);
      } catch {
        return url;
      }
    },
    isProxyOrigin(url: string): boolean {
      const parsed = parse(url);
      const key = parsed ? lookupOrigin(parsed) : null;
      return key !== null && Object.prototype.hasOwnProperty.call(reverse, key);
    },
  };
}
