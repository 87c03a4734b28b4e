/**
 * document.cookie, emulated (see ../cookies.ts). Writes go to the server's jar with
 * `POST /__cobrowse/cookie {cookie, url}` (fetch keepalive, so a write right before a
 * navigation still arrives). Limitation: cookies the server's jar learns later (from
 * fetch/XHR responses) show up in `document.cookie` only after the next page load.
 */
import type { RuntimeContext } from '../context';
import { CookieView } from '../cookies';
import { attempt, findAccessor } from '../patch';

export const COOKIE_ENDPOINT = '/__cobrowse/cookie';

export function patchCookie(ctx: RuntimeContext, nativeFetch: typeof fetch | null): void {
  const { win, map, cfg } = ctx;
  const view = new CookieView(cfg.cookies);
  const found = findAccessor(win.Document?.prototype, 'cookie');
  if (!found || !found.desc.configurable) return;
  const upstreamHref = (): string => map.toUpstream(win.location.href);
  const send = (cookie: string): void => {
    const body = JSON.stringify({ cookie, url: upstreamHref() });
    try {
      if (nativeFetch) {
        nativeFetch
          .call(win, win.location.origin + COOKIE_ENDPOINT, {
            method: 'POST',
            keepalive: true,
            credentials: 'same-origin',
            cache: 'no-store',
            headers: { 'Content-Type': 'application/json' },
            body,
          })
          .catch(() => undefined);
      } else {
        win.navigator.sendBeacon(win.location.origin + COOKIE_ENDPOINT, new Blob([body], { type: 'application/json' }));
      }
    } catch {
      /* the jar misses this write; this page still sees it */
    }
  };
  try {
    Object.defineProperty(found.owner, 'cookie', {
      configurable: true,
      enumerable: found.desc.enumerable ?? true,
      get(this: Document): string {
        if (this !== win.document) return found.desc.get ? (found.desc.get.call(this) as string) : '';
        return attempt(() => view.get(new URL(upstreamHref()).pathname, Date.now()), '');
      },
      set(this: Document, value: unknown) {
        if (this !== win.document) {
          found.desc.set?.call(this, value);
          return;
        }
        attempt(() => {
          const text = String(value);
          if (view.set(text, upstreamHref(), Date.now()) !== 'ignored') send(text);
        }, undefined);
      },
    });
  } catch {
    /* native cookies (the proxy origin's, not the upstream's) */
  }
}
