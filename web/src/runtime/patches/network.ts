/** fetch (strings, URLs and Request objects), XMLHttpRequest.open, WebSocket, EventSource, sendBeacon. */
import type { RuntimeContext } from '../context';
import { attempt, findAccessor, patchConstructor, patchMethod, proxyValue } from '../patch';

export function patchNetwork(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const mapUrl = (value: unknown): unknown => proxyValue(map, value);
  // The native Request.url (patches/getters.ts shows it upstream).
  const requestUrl = findAccessor(win.Request?.prototype, 'url')?.desc.get;
  const urlOf = (req: Request): string => (requestUrl ? String(requestUrl.call(req)) : req.url);

  patchMethod(win, 'fetch', (orig) =>
    function fetch(this: unknown, input: unknown, init?: unknown) {
      const mapped = attempt((): unknown => {
        if (typeof Request !== 'undefined' && input instanceof Request) {
          const current = urlOf(input);
          const url = map.toLoad(current);
          return url === current ? input : rebuildRequest(input, url);
        }
        return mapUrl(input);
      }, input);
      const withInit = arguments.length > 1;
      const call = (target: unknown): unknown =>
        withInit ? orig.call(this, target, init) : orig.call(this, target);
      if (mapped instanceof Promise) {
        return mapped.then(call, () => call(input));
      }
      return call(mapped);
    },
  );

  patchMethod(win.XMLHttpRequest?.prototype, 'open', (orig) =>
    function open(this: unknown, ...args: unknown[]) {
      if (args.length > 1) args[1] = mapUrl(args[1]);
      return orig.apply(this, args);
    },
  );

  const firstArg = (args: unknown[]): unknown[] => {
    if (args.length > 0) args[0] = mapUrl(args[0]);
    return args;
  };
  patchConstructor(win, 'WebSocket', firstArg);
  patchConstructor(win, 'EventSource', firstArg);

  patchMethod(win.Navigator?.prototype, 'sendBeacon', (orig) =>
    function sendBeacon(this: unknown, ...args: unknown[]) {
      return orig.apply(this, firstArg(args));
    },
  );
}

/**
 * The same request at another URL. `new Request(url, request)` would read the body as a
 * stream (which needs `duplex` and HTTP/2), so a body is buffered first.
 */
export function rebuildRequest(req: Request, url: string): Request | Promise<Request> {
  const init: RequestInit = {
    method: req.method,
    headers: req.headers,
    credentials: req.credentials,
    cache: req.cache,
    redirect: req.redirect,
    referrer: req.referrer,
    referrerPolicy: req.referrerPolicy,
    integrity: req.integrity,
    keepalive: req.keepalive,
    signal: req.signal,
  };
  if (req.mode !== 'navigate') init.mode = req.mode;
  if (req.method === 'GET' || req.method === 'HEAD' || req.body === null) return new Request(url, init);
  return req.arrayBuffer().then((body) => new Request(url, { ...init, body }));
}
