/**
 * The Cookie Store API (`cookieStore`, Chromium), emulated over the same view as
 * document.cookie (./cookie.ts): get, getAll, set and delete work on the page's
 * upstream cookies, and `change` events report changes of that view. The native store
 * of the proxy host holds only our `__cobrowse_` cookies: its own change events are
 * stopped before any page listener sees them, and stand for "the view may have changed"
 * (a fetch's response updated the mirror, a write was recorded or applied).
 *
 * Differences left: our change events are dispatched by script (`isTrusted` false), and
 * a change by a same-site sibling host shows on its next response here.
 */
import type { RuntimeContext } from '../context';
import { type CookieEntry, visibleEntries } from '../cookies';
import { attempt, findAccessor, mapGetter, patchMethod } from '../patch';
import type { PageCookies } from './cookie';

interface CookieListItem {
  domain: string | null;
  expires: number | null;
  name: string;
  partitioned: boolean;
  path: string;
  sameSite: string;
  secure: boolean;
  value: string;
}

interface StoreWindow {
  cookieStore?: EventTarget;
  CookieStore?: { prototype: object };
  CookieChangeEvent?: new (type: string, init: { changed: CookieListItem[]; deleted: CookieListItem[] }) => Event;
}

function item(e: CookieEntry): CookieListItem {
  return {
    domain: e.domain,
    expires: e.expires,
    name: e.name,
    partitioned: false,
    path: e.path ?? '/',
    sameSite: e.sameSite || 'lax',
    secure: e.secure,
    value: e.value,
  };
}

/** `{name, value, ...}` of cookieStore.set as a `document.cookie` string; or an error. */
export function setText(options: Record<string, unknown>): string | Error {
  const name = String(options.name ?? '');
  const value = String(options.value ?? '');
  if (/[\u0000-\u001f\u007f;]/.test(name + value) || name.includes('=')) {
    return new TypeError('Cookie name or value contains forbidden characters.');
  }
  if (name === '' && (value === '' || value.includes('='))) {
    return new TypeError('Cookie name and value both cannot be empty.');
  }
  const path = options.path === undefined || options.path === null ? '/' : String(options.path);
  if (!path.startsWith('/')) return new TypeError("Cookie path must start with '/'.");
  let text = `${name}=${value}; Path=${path}`;
  if (options.domain !== undefined && options.domain !== null) {
    const domain = String(options.domain);
    if (domain.startsWith('.')) return new TypeError("Cookie domain cannot start with '.'.");
    text += `; Domain=${domain}`;
  }
  if (options.expires !== undefined && options.expires !== null) {
    const when = Number(options.expires);
    if (!Number.isFinite(when)) return new TypeError('Invalid expires.');
    text += `; Expires=${new Date(when).toUTCString()}`;
  }
  const sameSite = options.sameSite === undefined ? 'strict' : String(options.sameSite);
  if (!['strict', 'lax', 'none'].includes(sameSite)) return new TypeError('Invalid sameSite.');
  return `${text}; Secure; SameSite=${sameSite}`;
}

export function patchCookieStore(ctx: RuntimeContext, cookies: PageCookies): void {
  const win = ctx.win as unknown as Window & typeof globalThis & StoreWindow;
  const proto = win.CookieStore?.prototype;
  const found = findAccessor(win, 'cookieStore');
  if (!proto || !found?.desc.get || !found.desc.configurable) return;
  // The native store as the page first reads `cookieStore` (not before: reading it and
  // listening to its changes costs round trips to the browser, which a page that never
  // uses it is spared). The page cannot hold the store without that read.
  let store: EventTarget | null = null;
  const P = win.Promise;
  const TypeErr = win.TypeError;

  const pathOf = (url: unknown): string | Error => {
    const here = cookies.url();
    if (url === undefined) return new URL(here).pathname;
    let wanted: URL;
    try {
      wanted = new URL(String(url), here);
    } catch {
      return new TypeErr('Invalid URL.');
    }
    const mine = new URL(here);
    if (wanted.origin !== mine.origin || wanted.pathname + wanted.search !== mine.pathname + mine.search) {
      return new TypeErr('URL must match the document URL');
    }
    return wanted.pathname;
  };
  const query = (args: unknown[]): { name: string | null; path: string } | Error => {
    const [first] = args;
    if (first === undefined) return { name: null, path: new URL(cookies.url()).pathname };
    if (typeof first === 'object' && first !== null) {
      const o = first as Record<string, unknown>;
      const path = pathOf(o.url);
      if (path instanceof Error) return path;
      return { name: o.name === undefined ? null : String(o.name), path };
    }
    return { name: String(first), path: new URL(cookies.url()).pathname };
  };
  const matching = (q: { name: string | null; path: string }): CookieListItem[] =>
    visibleEntries(cookies.entries(), q.path, Date.now())
      .filter((e) => q.name === null || e.name === q.name)
      .map(item);
  const mine = (self: unknown): boolean => store !== null && self === store;

  patchMethod(proto, 'get', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      if (!mine(this)) return orig.apply(this, args);
      return new P((resolve, reject) => {
        const q = attempt(() => query(args), new TypeErr('Invalid argument.'));
        if (q instanceof Error) reject(q);
        else resolve(attempt(() => matching(q)[0] ?? null, null));
      });
    },
  );
  patchMethod(proto, 'getAll', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      if (!mine(this)) return orig.apply(this, args);
      return new P((resolve, reject) => {
        const q = attempt(() => query(args), new TypeErr('Invalid argument.'));
        if (q instanceof Error) reject(q);
        else resolve(attempt(() => matching(q), []));
      });
    },
  );
  const write = (text: string | Error): Promise<undefined> =>
    new P((resolve, reject) => {
      if (text instanceof Error) {
        reject(new TypeErr(text.message));
        return;
      }
      if (attempt(() => cookies.write(text), false)) resolve(undefined);
      else reject(new TypeErr('The cookie could not be set.'));
    });
  patchMethod(proto, 'set', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      if (!mine(this)) return orig.apply(this, args);
      const [first, second] = args;
      const options =
        typeof first === 'object' && first !== null
          ? (first as Record<string, unknown>)
          : { name: first, value: second };
      return write(attempt(() => setText(options), new TypeErr('Invalid argument.')));
    },
  );
  patchMethod(proto, 'delete', (orig) =>
    function (this: unknown, ...args: unknown[]) {
      if (!mine(this)) return orig.apply(this, args);
      const [first] = args;
      const o = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : { name: first };
      return write(attempt(() => setText({ ...o, value: '', expires: 0 }), new TypeErr('Invalid argument.')));
    },
  );

  // Change events: ours, in place of the native store's (which are about our cookies).
  const Change = win.CookieChangeEvent;
  const add = win.EventTarget.prototype.addEventListener;
  const dispatch = win.EventTarget.prototype.dispatchEvent;
  const key = (i: CookieListItem): string => JSON.stringify([i.name, i.path, i.domain]);
  const current = (): Map<string, CookieListItem> =>
    new Map(attempt(() => matching({ name: null, path: new URL(cookies.url()).pathname }), []).map((i) => [key(i), i]));
  const listen = (target: EventTarget): void => {
    if (typeof Change !== 'function') return;
    let last = current();
    add.call(
      target,
      'change',
      (event: Event) => {
        if (!event.isTrusted) return; // ours, or the page's own
        event.stopImmediatePropagation();
        attempt(() => {
          const now = current();
          const events: Event[] = [];
          for (const [k, i] of now) {
            const before = last.get(k);
            if (!before || before.value !== i.value || before.expires !== i.expires) {
              events.push(new Change('change', { changed: [i], deleted: [] }));
            }
          }
          for (const [k, i] of last) {
            if (!now.has(k)) events.push(new Change('change', { changed: [], deleted: [{ ...i, value: '' }] }));
          }
          last = now;
          for (const e of events) dispatch.call(target, e);
        }, undefined);
      },
      { capture: true },
    );
  };

  mapGetter(win, 'cookieStore', (got, self) => {
    if (store === null && got && (self === win || self === undefined || self === null)) {
      const target = got as EventTarget;
      store = target;
      attempt(() => listen(target), undefined);
    }
    return got;
  });
}
