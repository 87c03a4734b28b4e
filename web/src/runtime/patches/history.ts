/**
 * history.pushState/replaceState: an absolute upstream URL becomes its proxy URL (it
 * would otherwise throw a SecurityError); every in-page URL change is reported to the
 * widget (push/replace, popstate, hashchange, Navigation API same-document navigations).
 */
import type { RuntimeContext } from '../context';
import { patchMethod, urlString } from '../patch';

export function patchHistory(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const proto = win.History?.prototype;
  for (const name of ['pushState', 'replaceState']) {
    patchMethod(proto, name, (orig) =>
      function (this: unknown, ...args: unknown[]) {
        if (args.length > 2) {
          const s = urlString(args[2]);
          if (s !== null) {
            const mapped = map.toProxy(s);
            if (mapped !== s) args[2] = mapped;
          }
        }
        const result: unknown = orig.apply(this, args);
        ctx.locationChanged();
        return result;
      },
    );
  }
  const changed = (): void => ctx.locationChanged();
  try {
    win.addEventListener('popstate', changed, true);
    win.addEventListener('hashchange', changed, true);
    const nav = (win as unknown as { navigation?: EventTarget }).navigation;
    nav?.addEventListener?.('navigatesuccess', changed);
  } catch {
    /* no listeners: the widget only learns about full loads */
  }
}
