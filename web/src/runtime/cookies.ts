/**
 * The emulated cookies of a proxied page, pure. The upstream's cookies live in the
 * proxy's server-side jar; the proxy host's own cookies carry the page's view both ways
 * (docs/proxy.md, "Cookies"): the server mirrors the jar's script-visible cookies into
 * `__cobrowse_js*` cookies, and a write made here waits in a `__cobrowse_w*` cookie that
 * the browser attaches to the next request. Without them (a browser that keeps none) the
 * view is the server's snapshot in the config plus this page's own writes.
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

/** One cookie as the page sees it (`document.cookie`, `cookieStore`). */
export interface CookieEntry {
  readonly name: string;
  readonly value: string;
  /** null: from the server's `document.cookie` snapshot (already filtered for this URL). */
  readonly path: string | null;
  /** Absolute expiry in ms since the epoch, or null for a session cookie. */
  readonly expires: number | null;
  /** null: host-only. */
  readonly domain: string | null;
  readonly secure: boolean;
  /** 'strict', 'lax', 'none' or '' (unset). */
  readonly sameSite: string;
}

export type SetResult = 'ignored' | 'set' | 'deleted';

function sameSiteOf(text: string): string {
  const m = /;\s*samesite\s*=\s*(strict|lax|none)\s*(?:;|$)/i.exec(text);
  return m?.[1] ? m[1].toLowerCase() : '';
}

/**
 * `document.cookie = text` on a page at `url` (the upstream URL), applied to `entries`
 * (a new list; an overwritten cookie keeps its place, as browsers keep its creation
 * time). 'ignored' writes change nothing and must not be sent to the server.
 */
export function applySet(
  entries: readonly CookieEntry[],
  text: string,
  url: string,
  now: number,
): { entries: CookieEntry[]; result: SetResult } {
  const unchanged = { entries: entries.slice(), result: 'ignored' as SetResult };
  const cookie = parseSetCookie(text, now);
  if (!cookie || cookie.httpOnly) return unchanged;
  let page: URL;
  try {
    page = new URL(url);
  } catch {
    return unchanged;
  }
  if (cookie.domain !== null && !domainMatches(page.hostname, cookie.domain)) return unchanged;
  if (cookie.secure && page.protocol !== 'https:' && !isLocalhost(page.hostname)) return unchanged;
  const path = cookie.path ?? defaultPath(page.pathname);
  // An explicit Domain makes a domain cookie (host-only on an IP address, as the server).
  const domain = cookie.domain === null || /^[\d.]+$|:/.test(page.hostname) ? null : cookie.domain;
  const same = (e: CookieEntry): boolean => e.name === cookie.name && (e.path === null || e.path === path);
  const at = entries.findIndex(same);
  const rest = entries.filter((e) => !same(e));
  if (cookie.expires !== null && cookie.expires <= now) return { entries: rest, result: 'deleted' };
  const entry: CookieEntry = {
    name: cookie.name,
    value: cookie.value,
    path,
    expires: cookie.expires,
    domain,
    secure: cookie.secure,
    sameSite: sameSiteOf(text),
  };
  if (at < 0) rest.push(entry);
  else rest.splice(Math.min(at, rest.length), 0, entry);
  return { entries: rest, result: 'set' };
}

/** The entries a document at `pathname` sees, in `document.cookie` order: longer paths
 * first, then oldest first. */
export function visibleEntries(entries: readonly CookieEntry[], pathname: string, now: number): CookieEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => (e.expires === null || e.expires > now) && (e.path === null || pathMatches(pathname, e.path)))
    .sort((a, b) => (b.e.path ?? '/').length - (a.e.path ?? '/').length || a.i - b.i)
    .map(({ e }) => e);
}

/** The `document.cookie` string of `entries` for a document at `pathname`. */
export function serialize(entries: readonly CookieEntry[], pathname: string, now: number): string {
  return visibleEntries(entries, pathname, now)
    .map((e) => (e.name === '' ? e.value : `${e.name}=${e.value}`))
    .join('; ');
}

/** This page's view of its cookies, without native cookies to carry it (the fallback:
 * the server's snapshot and this page's own writes). */
export class CookieView {
  private entries: CookieEntry[] = [];

  constructor(initial: string) {
    for (const [name, value] of parseCookieList(initial)) {
      this.entries = this.entries.filter((e) => e.name !== name);
      this.entries.push({ name, value, path: null, expires: null, domain: null, secure: false, sameSite: '' });
    }
  }

  set(text: string, url: string, now: number): SetResult {
    const next = applySet(this.entries, text, url, now);
    this.entries = next.entries;
    return next.result;
  }

  get(pathname: string, now: number): string {
    return serialize(this.entries, pathname, now);
  }

  list(): readonly CookieEntry[] {
    return this.entries;
  }
}

// --- native cookies of the proxy host (src/cobrowse/core/page_cookies.py) ---------------

export const NATIVE_PREFIX = '__cobrowse_';
export const MIRROR_PREFIX = '__cobrowse_js';
export const WRITE_PREFIX = '__cobrowse_w';
export const NATIVE_ATTRIBUTES = 'Path=/; Secure; SameSite=None; Partitioned';
/** A write cookie's name + value, at most (browsers keep 4096). */
export const MAX_WRITE_COOKIE = 4000;
/** Pending writes kept in native cookies at once (browsers keep ~180 per host). */
export const MAX_PENDING = 60;

/** Our native cookies in a native `document.cookie` string (the first of a name wins). */
export function parseNative(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name.startsWith(NATIVE_PREFIX) && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** A native `document.cookie` string without our cookies. */
export function withoutNative(text: string): string {
  return text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !p.startsWith(NATIVE_PREFIX))
    .join('; ');
}

function base64urlDecode(text: string): string | null {
  try {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** The entries the mirror cookies carry; null when missing, mixed or unreadable. */
export function decodeMirror(native: ReadonlyMap<string, string>): CookieEntry[] | null {
  const first = (native.get(`${MIRROR_PREFIX}0`) ?? '').split('.');
  const [gen, count] = first;
  if (first.length !== 3 || count === undefined || !/^\d+$/.test(count)) return null;
  const n = Number(count);
  if (n < 1 || n > 64) return null;
  let payload = '';
  for (let i = 0; i < n; i++) {
    const piece = (native.get(`${MIRROR_PREFIX}${i}`) ?? '').split('.');
    if (piece.length !== 3 || piece[0] !== gen || piece[1] !== count) return null;
    payload += piece[2];
  }
  const json = base64urlDecode(payload);
  if (json === null) return null;
  try {
    const raw: unknown = JSON.parse(json);
    if (!Array.isArray(raw)) return null;
    const out: CookieEntry[] = [];
    for (const item of raw) {
      if (!Array.isArray(item) || item.length < 7) return null;
      const [name, value, path, expires, domain, secure, sameSite] = item as unknown[];
      if (typeof name !== 'string' || typeof value !== 'string' || typeof path !== 'string') return null;
      out.push({
        name,
        value,
        path,
        expires: typeof expires === 'number' ? expires : null,
        domain: typeof domain === 'string' ? domain : null,
        secure: secure === true,
        sameSite: typeof sameSite === 'string' ? sameSite : '',
      });
    }
    return out;
  } catch {
    return null;
  }
}

const WRITE_SAFE = /[A-Za-z0-9!#$&'()*+,\-./:<=>?@[\]^_`{}~]/;

/** Percent-escape every character outside the cookie-safe set (UTF-8); null for text
 * that is not well-formed (a lone surrogate). */
export function escapeWrite(text: string): string | null {
  let out = '';
  for (const ch of text) {
    if (WRITE_SAFE.test(ch)) out += ch;
    else {
      try {
        out += encodeURIComponent(ch);
      } catch {
        return null;
      }
    }
  }
  return out;
}

/** A write cookie's value: this host's token (from the config), the page's path and
 * the assignment. */
export function encodeWrite(token: string, path: string, text: string): string | null {
  const p = escapeWrite(path);
  const t = escapeWrite(text);
  return p === null || t === null ? null : `${token}|${p}|${t}`;
}

export interface PendingWrite {
  /** The native cookie's name, `__cobrowse_w<seq>_<id>`. */
  readonly name: string;
  readonly seq: number;
  readonly path: string;
  readonly text: string;
}

/** The writes waiting in native cookies for the next request, oldest first. */
export function pendingWrites(native: ReadonlyMap<string, string>): PendingWrite[] {
  const out: PendingWrite[] = [];
  for (const [name, value] of native) {
    const m = /^__cobrowse_w(\d{1,9})_([a-z0-9]{1,16})$/.exec(name);
    if (!m) continue;
    const parts = value.split('|');
    if (parts.length !== 3) continue;
    try {
      const path = decodeURIComponent(parts[1] ?? '');
      const text = decodeURIComponent(parts[2] ?? '');
      if (path.startsWith('/')) out.push({ name, seq: Number(m[1] ?? 0), path, text });
    } catch {
      /* not ours to read: the server refuses and clears it */
    }
  }
  return out.sort((a, b) => a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The identity a write replaces: name, path (default: the page's directory), domain. */
export function writeIdentity(text: string, pagePath: string, now: number): string | null {
  const c = parseSetCookie(text, now);
  if (!c) return null;
  return JSON.stringify([c.name, c.path ?? defaultPath(pagePath), c.domain ?? '']);
}

function isLocalhost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]';
}
