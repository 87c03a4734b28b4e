/**
 * The runtime the proxy injects first into every HTML page it serves
 * (`/__cobrowse/runtime.js`, docs/proxy.md "In the proxied page"). Runs before any page
 * script: reads its config, patches what the server cannot rewrite, and bridges to the
 * widget in the top page. Defines one global, `window.CoBrowse` ({version, frame: true}),
 * which also tells an embedded cobrowse.js in the proxied page to do nothing.
 */
import { VERSION } from '../version';
import { FrameBridge, isOverlayFrame } from './bridge';
import { CONFIG_ID, parseConfig } from './config';
import type { RuntimeContext } from './context';
import { attempt } from './patch';
import { patchCookie } from './patches/cookie';
import { patchElements } from './patches/elements';
import { patchForms } from './patches/forms';
import { patchHistory } from './patches/history';
import { patchNavigation } from './patches/navigation';
import { patchNetwork } from './patches/network';
import { patchStorage } from './patches/storage';
import { watchMutations } from './patches/mutations';
import { patchWindows } from './patches/windows';
import { installHooks, makeHooks } from './hooks';
import { makeMapper } from './urls';
import { webglCapture } from '../widget/webgl';
import { canvasText } from '../widget/canvas-text';

type RuntimeWindow = Window & typeof globalThis & { CoBrowse?: { frame?: unknown } };

function defineGlobal(win: RuntimeWindow, api: object): void {
  // Not assignable: a page that sets `window.CoBrowse = {options: ...}` before embedding
  // cobrowse.js must not undo the "this is a frame" marker.
  Object.defineProperty(win, 'CoBrowse', {
    configurable: true, // a page's own `let CoBrowse` must not become a SyntaxError
    enumerable: false,
    get: () => api,
    set: () => undefined,
  });
}

function main(): void {
  const win = window as RuntimeWindow;
  if (win.CoBrowse && win.CoBrowse.frame === true) return; // injected twice
  const el = win.document.getElementById(CONFIG_ID);
  const cfg = parseConfig(el ? el.textContent : null);
  const nativeFetch = typeof win.fetch === 'function' ? win.fetch : null;
  const upstreamBase = (): string => (map ? map.toUpstream(win.document.baseURI) : '');
  const map = cfg
    ? makeMapper(cfg.origins, () => attempt(upstreamBase, `${cfg.upstreamOrigin}/`), {
        proxyOrigin: cfg.proxyOrigin,
        go: cfg.go,
        others: cfg.otherOrigins,
      })
    : null;
  defineGlobal(
    win,
    Object.freeze({
      version: VERSION,
      frame: true,
      toProxy: (url: string): string => (map ? map.toProxy(String(url)) : String(url)),
      toUpstream: (url: string): string => (map ? map.toUpstream(String(url)) : String(url)),
    }),
  );
  installHooks(win, makeHooks({ win, map: cfg && !cfg.outside ? map : null }));
  if (!cfg || !map) return;

  let bridge: FrameBridge | null = null;
  const ctx: RuntimeContext = {
    cfg,
    map,
    win,
    overlay: isOverlayFrame(win, cfg.parentOrigin),
    locationChanged: () => bridge?.locationChanged(),
  };
  if (ctx.overlay) {
    bridge = new FrameBridge(ctx, win.parent);
    attempt(() => bridge?.start(), undefined);
    // What canvases draw from the start, for the agent's mirror (widget/webgl.ts, canvas-text.ts).
    attempt(() => webglCapture(win).keep(), undefined);
    attempt(() => canvasText(win).install(), undefined);
  }
  // The outside page is ours, with a link out that must stay as it is: no site runs there.
  if (cfg.outside) return;
  for (const install of [
    patchNetwork,
    patchWindows,
    patchHistory,
    patchForms,
    patchElements,
    patchNavigation,
    patchStorage,
    watchMutations,
  ]) {
    attempt(() => install(ctx), undefined);
  }
  attempt(() => patchCookie(ctx, nativeFetch), undefined);
}

try {
  main();
} catch {
  /* never break the page */
}
