/**
 * document.cookie, emulated over the proxy host's native cookies (../cookies.ts,
 * docs/proxy.md "Cookies"):
 *
 * - read: the server's mirror of the jar (`__cobrowse_js*`, read through the native
 *   getter, so a fetch's or an image's Set-Cookie shows as soon as its response is in),
 *   with the writes still waiting applied on top, filtered by this document's upstream
 *   path; our native cookies are never shown.
 * - write: recorded at once in a native `__cobrowse_w<seq>_<id>` cookie, which the
 *   browser attaches to the very next request to this host; the server applies it to the
 *   jar before forwarding that request, and clears it. A write too long for a cookie, or
 *   one the browser does not keep, goes by `POST /__cobrowse/cookie` instead (fetch
 *   keepalive), and so does every write when the page came without the mirror (a browser
 *   that keeps no cookies for the proxy host): then the view is the config's snapshot
 *   plus this page's own writes. Writes still waiting at `pagehide` are posted too.
 */
import type { RuntimeContext } from '../context';
import {
  type CookieEntry,
  CookieView,
  MAX_PENDING,
  MAX_WRITE_COOKIE,
  NATIVE_ATTRIBUTES,
  WRITE_PREFIX,
  applySet,
  decodeMirror,
  encodeWrite,
  parseNative,
  pendingWrites,
  serialize,
  writeIdentity,
} from '../cookies';
import { attempt, findAccessor } from '../patch';
import { patchCookieStore } from './cookie-store';

export const COOKIE_ENDPOINT = '/__cobrowse/cookie';

/** The page's cookies, as the cookie patches share them. */
export interface PageCookies {
  /** Every cookie of this host the page may see (unfiltered by path). */
  entries(): CookieEntry[];
  /** `document.cookie = text`; false when a browser would ignore it. */
  write(text: string): boolean;
  /** The document's upstream URL. */
  url(): string;
}

export function patchCookie(ctx: RuntimeContext, nativeFetch: typeof fetch | null): void {
  const { win, map, cfg } = ctx;
  const found = findAccessor(win.Document?.prototype, 'cookie');
  if (!found || !found.desc.configurable || !found.desc.get || !found.desc.set) return;
  const nativeGet = found.desc.get;
  const nativeSet = found.desc.set;
  const readNative = (): string => String(nativeGet.call(win.document) ?? '');
  const upstreamHref = (): string => map.toUpstream(win.location.href);
  const pathname = (): string => new URL(upstreamHref()).pathname;

  // Whether the server set the mirror on this page's response: read on the page's first
  // use of its cookies, not as the runtime starts (a native cookie read is a round trip
  // to the browser's network process, which a page that never reads cookies is spared).
  let mirror: CookieEntry[] | null = null;
  let mirrored: boolean | null = null;
  const viaNative = (): boolean => {
    if (mirrored === null) {
      mirror = decodeMirror(parseNative(readNative()));
      mirrored = mirror !== null;
    }
    return mirrored;
  };
  const snapshot = new CookieView(cfg.cookies);
  let posting: Array<{ text: string; url: string }> = []; // POSTed, not answered yet
  let memo: { raw: string; entries: CookieEntry[] } | null = null;
  let seq = 0;

  const post = (text: string, name: string | null, path?: string): void => {
    const body = JSON.stringify({ cookie: text, path: path ?? attempt(pathname, '/'), name });
    const item = { text, url: upstreamHref() };
    try {
      if (nativeFetch) {
        if (viaNative()) posting.push(item);
        const done = (): void => {
          posting = posting.filter((p) => p !== item);
        };
        nativeFetch
          .call(win, win.location.origin + COOKIE_ENDPOINT, {
            method: 'POST',
            keepalive: true,
            credentials: 'same-origin',
            cache: 'no-store',
            headers: { 'Content-Type': 'application/json' },
            body,
          })
          .then(done, done);
      } else {
        win.navigator.sendBeacon(win.location.origin + COOKIE_ENDPOINT, new Blob([body], { type: 'application/json' }));
      }
    } catch {
      /* the jar misses this write; this page still sees it */
    }
  };

  const entries = (): CookieEntry[] => {
    if (!viaNative()) return snapshot.list().slice();
    const raw = readNative();
    if (memo && memo.raw === raw && posting.length === 0) return memo.entries;
    const native = parseNative(raw);
    mirror = decodeMirror(native) ?? mirror;
    const now = Date.now();
    const origin = cfg.upstreamOrigin;
    let list: CookieEntry[] = (mirror ?? []).slice();
    for (const w of pendingWrites(native)) list = applySet(list, w.text, origin + w.path, now).entries;
    for (const p of posting) list = applySet(list, p.text, p.url, now).entries;
    memo = { raw, entries: list };
    return list;
  };

  /** Into a native write cookie; false when the browser did not keep it. */
  const record = (text: string, path: string): boolean => {
    const value = encodeWrite(cfg.cookieToken, path, text);
    if (value === null) return false;
    const now = Date.now();
    const pending = pendingWrites(parseNative(readNative()));
    const identity = writeIdentity(text, path, now);
    // One waiting write per cookie: the newer replaces the older.
    for (const p of pending) {
      if (identity !== null && writeIdentity(p.text, p.path, now) === identity) {
        nativeSet.call(win.document, `${p.name}=; Max-Age=0; ${NATIVE_ATTRIBUTES}`);
      }
    }
    const others = pending.filter((p) => writeIdentity(p.text, p.path, now) !== identity);
    if (others.length >= MAX_PENDING) return false;
    seq = Math.max(seq, ...pending.map((p) => p.seq)) + 1;
    const name = `${WRITE_PREFIX}${seq}_${Math.random().toString(36).slice(2, 10) || '0'}`;
    if (name.length + value.length > MAX_WRITE_COOKIE) return false;
    nativeSet.call(win.document, `${name}=${value}; ${NATIVE_ATTRIBUTES}`);
    return parseNative(readNative()).get(name) === value;
  };

  const cookies: PageCookies = {
    entries,
    url: upstreamHref,
    write(text: string): boolean {
      const url = upstreamHref();
      const now = Date.now();
      if (!viaNative()) {
        if (snapshot.set(text, url, now) === 'ignored') return false;
        post(text, null);
        return true;
      }
      if (applySet(entries(), text, url, now).result === 'ignored') return false;
      if (!record(text, new URL(url).pathname)) post(text, null);
      memo = null;
      return true;
    },
  };

  // A write still waiting when the page goes (the overlay closed, no request after it)
  // goes by POST, under its name: applied once, whichever of the two arrives first.
  // (Only a page that used its cookies can have left writes waiting.)
  attempt(
    () =>
      win.addEventListener('pagehide', () => {
        if (mirrored !== true) return;
        attempt(() => {
          for (const w of pendingWrites(parseNative(readNative()))) post(w.text, w.name, w.path);
        }, undefined);
      }),
    undefined,
  );

  try {
    Object.defineProperty(found.owner, 'cookie', {
      configurable: true,
      enumerable: found.desc.enumerable ?? true,
      get(this: Document): string {
        if (this !== win.document) return String(nativeGet.call(this) ?? '');
        return attempt(() => serialize(entries(), pathname(), Date.now()), '');
      },
      set(this: Document, value: unknown) {
        if (this !== win.document) {
          nativeSet.call(this, value);
          return;
        }
        attempt(() => cookies.write(String(value)), false);
      },
    });
  } catch {
    return; /* native cookies (the proxy origin's, not the upstream's) */
  }
  attempt(() => patchCookieStore(ctx, cookies), undefined);
}
