/**
 * The emulated `document.cookie` of a proxied page, pure. The page never sees the
 * upstream's cookies natively (the proxy keeps them in a server-side jar); the server
 * hands the runtime the jar's non-HttpOnly cookies for this URL, and writes made here are
 * applied to this page's view and sent to the jar.
 *
 * Rules (RFC 6265bis, as browsers apply them to `document.cookie = ...`): a string
 * with HttpOnly is ignored entirely; Max-Age wins over Expires; an expiry in the past
 * deletes; Path defaults to the directory of the page's path; a Domain that does not
 * domain-match the page's host is rejected.
 */

export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Absolute expiry in ms since the epoch, or null for a session cookie. */
  readonly expires: number | null;
  readonly path: string | null;
  readonly domain: string | null;
  readonly httpOnly: boolean;
  readonly secure: boolean;
}

/** Parse a `document.cookie` assignment (a Set-Cookie-like string). Null if unusable. */
export function parseSetCookie(text: string, now: number): SetCookie | null {
  if (typeof text !== 'string') return null;
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) return null;
  const parts = text.split(';');
  const pair = parts.shift() ?? '';
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
  const value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
  if (name === '' && value === '') return null;
  if (name.length + value.length > 4096) return null;
  let expires: number | null = null;
  let maxAge: number | null = null;
  let path: string | null = null;
  let domain: string | null = null;
  let httpOnly = false;
  let secure = false;
  for (const part of parts) {
    const i = part.indexOf('=');
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    const val = (i < 0 ? '' : part.slice(i + 1)).trim();
    switch (key) {
      case 'expires': {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) expires = t;
        break;
      }
      case 'max-age':
        if (/^-?\d+$/.test(val)) maxAge = Number(val);
        break;
      case 'path':
        path = val.startsWith('/') ? val : null;
        break;
      case 'domain':
        domain = val.replace(/^\./, '').toLowerCase() || null;
        break;
      case 'httponly':
        httpOnly = true;
        break;
      case 'secure':
        secure = true;
        break;
      default:
        break;
    }
  }
  if (maxAge !== null) expires = maxAge <= 0 ? 0 : now + maxAge * 1000;
  return { name, value, expires, path, domain, httpOnly, secure };
}

/** The default cookie path for a request path (RFC 6265 5.1.4). */
export function defaultPath(pathname: string): string {
  if (!pathname.startsWith('/')) return '/';
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

/** RFC 6265 5.1.4 path-match. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 5.1.3 domain-match (host names only). */
export function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase();
  return h === domain || (h.endsWith(`.${domain}`) && !/^[\d.]+$/.test(h));
}

/** Parse a `document.cookie`-style "a=1; b=2" string into pairs. */
export function parseCookieList(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of text.split(';')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    out.push(eq < 0 ? ['', trimmed] : [trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim()]);
  }
  return out;
}

interface Entry {
  readonly name: string;
  readonly value: string;
  /** null: from the server's snapshot (already filtered for this URL). */
  readonly path: string | null;
  readonly expires: number | null;
  readonly seq: number;
}

export type SetResult = 'ignored' | 'set' | 'deleted';

/** This page's view of its cookies. */
export class CookieView {
  private entries: Entry[] = [];
  private seq = 0;

  constructor(initial: string) {
    for (const [name, value] of parseCookieList(initial)) {
      this.entries = this.entries.filter((e) => e.name !== name);
      this.entries.push({ name, value, path: null, expires: null, seq: this.seq++ });
    }
  }

  /**
   * Apply `document.cookie = text` for a page at `url` (the upstream URL). Returns what
   * happened; 'ignored' strings must not be sent to the server.
   */
  set(text: string, url: string, now: number): SetResult {
    const cookie = parseSetCookie(text, now);
    if (!cookie || cookie.httpOnly) return 'ignored';
    let page: URL;
    try {
      page = new URL(url);
    } catch {
      return 'ignored';
    }
    if (cookie.domain !== null && !domainMatches(page.hostname, cookie.domain)) return 'ignored';
    if (cookie.secure && page.protocol !== 'https:' && !isLocalhost(page.hostname)) return 'ignored';
    const path = cookie.path ?? defaultPath(page.pathname);
    const same = (e: Entry): boolean => e.name === cookie.name && (e.path === null || e.path === path);
    const existing = this.entries.find(same);
    this.entries = this.entries.filter((e) => !same(e));
    if (cookie.expires !== null && cookie.expires <= now) return 'deleted';
    this.entries.push({
      name: cookie.name,
      value: cookie.value,
      path,
      expires: cookie.expires,
      seq: existing ? existing.seq : this.seq++,
    });
    return 'set';
  }

  /** The `document.cookie` string for a page at path `pathname`. */
  get(pathname: string, now: number): string {
    this.entries = this.entries.filter((e) => e.expires === null || e.expires > now);
    return this.entries
      .filter((e) => e.path === null || pathMatches(pathname, e.path))
      .sort((a, b) => (b.path ?? '/').length - (a.path ?? '/').length || a.seq - b.seq)
      .map((e) => (e.name === '' ? e.value : `${e.name}=${e.value}`))
      .join('; ');
  }
}

function isLocalhost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]';
}
