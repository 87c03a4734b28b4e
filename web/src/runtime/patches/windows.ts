/**
 * window.open, postMessage target origins, MessageEvent.origin, workers, service workers
 * and the source of `new FontFace`.
 *
 * Partial by nature: `otherWindow.postMessage` on a cross-origin window (another proxy
 * host) uses that window's own function, which no script can patch; only calls on
 * windows of this realm (this one, same-origin frames running this runtime) are mapped.
 */
import type { RuntimeContext } from '../context';
import { mapCssUrls } from '../css';
import { mapTargetOrigin } from '../hooks';
import { attempt, disguiseAccessor, findAccessor, patchConstructor, patchMethod, proxyValue } from '../patch';

const NO_SERVICE_WORKERS = 'Service workers are not available while co-browsing.';

/** `_top` / `_parent` in the overlay frame mean this frame: the page was top-level upstream. */
export function frameTarget(target: unknown, overlay: boolean): unknown {
  if (!overlay || typeof target !== 'string') return target;
  const t = target.trim().toLowerCase();
  return t === '_top' || t === '_parent' ? '_self' : target;
}

export function patchWindows(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const mapUrl = (value: unknown): unknown => proxyValue(map, value);

  patchMethod(win, 'open', (orig) =>
    function open(this: unknown, ...args: unknown[]) {
      if (args.length > 0) args[0] = mapUrl(args[0]);
      if (args.length > 1) args[1] = attempt(() => frameTarget(args[1], ctx.overlay), args[1]);
      return orig.apply(this, args);
    },
  );

  // targetOrigin: an upstream origin means that origin's proxy host.
  const mapTarget = (value: unknown): unknown => mapTargetOrigin(map, value);
  // Window is [Global]: its operations are own properties of the window object.
  patchMethod(win, 'postMessage', (orig) =>
    function postMessage(this: unknown, ...args: unknown[]) {
      if (args.length > 1) {
        const options = args[1];
        if (typeof options === 'object' && options !== null && 'targetOrigin' in options) {
          const o = options as { targetOrigin?: unknown };
          args[1] = { ...o, targetOrigin: mapTarget(o.targetOrigin) };
        } else {
          args[1] = mapTarget(options);
        }
      }
      return orig.apply(this, args);
    },
  );

  // MessageEvent.origin: a proxy origin reads as its upstream origin.
  const found = findAccessor(win.MessageEvent?.prototype, 'origin');
  if (found && found.desc.get && found.desc.configurable) {
    const get = found.desc.get;
    try {
      Object.defineProperty(found.owner, 'origin', {
        ...found.desc,
        get(this: unknown) {
          const value = get.call(this) as unknown;
          return typeof value === 'string' ? map.toUpstream(value) : value;
        },
      });
      disguiseAccessor(found.owner, 'origin', found.desc);
    } catch {
      /* keep the native getter */
    }
  }

  const firstArg = (args: unknown[]): unknown[] => {
    if (args.length > 0) args[0] = mapUrl(args[0]);
    return args;
  };
  patchConstructor(win, 'Worker', firstArg);
  // new FontFace(family, 'url(...)'): a string source is CSS (an ArrayBuffer is the font).
  patchConstructor(win, 'FontFace', (args) => {
    if (args.length > 1 && typeof args[1] === 'string') args[1] = mapCssUrls(args[1], (u) => map.toLoad(u));
    return args;
  });
  patchConstructor(win, 'SharedWorker', firstArg);

  const Container = (win as unknown as { ServiceWorkerContainer?: { prototype: object } })
    .ServiceWorkerContainer;
  patchMethod(Container?.prototype, 'register', () =>
    function register(): Promise<never> {
      return Promise.reject(new DOMException(NO_SERVICE_WORKERS, 'SecurityError'));
    },
  );
}
