/**
 * Navigations the server could not rewrite (location.href = "https://upstream/...",
 * links and forms changed in ways the setters do not see): with the Navigation API
 * (Chromium), a cancelable cross-document navigation of this frame to a known upstream
 * origin is cancelled and re-started at its proxy URL; to another http(s) origin it goes
 * through `/__cobrowse/go?url=` (the server gives allowed origins a label and answers the
 * rest with the "outside co-browsing" page, never fetching them). Form POSTs are left
 * alone (their body cannot be replayed; the submit patch maps their action, and the
 * proxy's `form-action` policy refuses any other); without the Navigation API nothing is
 * caught here.
 */
import type { RuntimeContext } from '../context';
import type { UrlMapper } from '../urls';
import { isHttp } from '../urls';

interface NavigateEventLike extends Event {
  readonly cancelable: boolean;
  readonly hashChange: boolean;
  readonly downloadRequest: string | null;
  readonly formData: unknown;
  readonly navigationType: string;
  readonly destination: { readonly url: string; readonly sameDocument?: boolean };
}

/** Where a navigation to `url` should go instead, or null to let it be. Pure. */
export function redirectNavigation(url: string, map: UrlMapper, go: string): string | null {
  if (!isHttp(url) || map.isProxyOrigin(url)) return null;
  const mapped = map.toLoad(url);
  if (mapped !== url) return mapped;
  return go + encodeURIComponent(url);
}

export function patchNavigation(ctx: RuntimeContext): void {
  const { win, map, cfg } = ctx;
  const nav = (win as unknown as { navigation?: EventTarget }).navigation;
  if (!nav || typeof nav.addEventListener !== 'function') return;
  const location = win.location;
  nav.addEventListener('navigate', (e) => {
    try {
      const event = e as NavigateEventLike;
      if (!event.cancelable || event.hashChange || event.downloadRequest !== null) return;
      if (event.formData || event.destination.sameDocument) return;
      if (event.navigationType === 'traverse' || event.navigationType === 'reload') return;
      const target = redirectNavigation(event.destination.url, map, cfg.go);
      if (target === null || target === event.destination.url) return;
      event.preventDefault();
      if (event.navigationType === 'replace') location.replace(target);
      else location.assign(target);
    } catch {
      /* let the navigation happen */
    }
  });
}
