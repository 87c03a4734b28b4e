/**
 * The runtime the proxy injects first into every HTML page it serves
 * (`/__cobrowse/runtime.js`, docs/proxy.md "In the proxied page"). Runs before any page
 * script: reads its config, patches what the server cannot rewrite, and bridges to the
 * widget in the top page. Defines one global, `window.CoBrowse` ({version, frame: true}),
 * which also tells an embedded cobrowse.js in the proxied page to do nothing.
 */
import { VERSION } from '../version';
import { CONFIG_ID, parseConfig } from './config';
import type { RuntimeContext } from './context';
import { attempt } from './patch';
import { patchCookie } from './patches/cookie';
import { patchElements } from './patches/elements';
import { patchErrors } from './patches/errors';
import { patchCode } from './patches/code';
import { patchForms } from './patches/forms';
import { patchGetters } from './patches/getters';
import { patchMarkup } from './patches/markup';
import { patchStyles } from './patches/styles';
import { patchExceptions } from './patches/exceptions';
import { patchHistory } from './patches/history';
import { patchNavigation } from './patches/navigation';
import { patchNetwork } from './patches/network';
import { patchStorage } from './patches/storage';
import { watchMutations } from './patches/mutations';
import { patchWindows } from './patches/windows';
import { installHooks, makeHooks } from './hooks';
import { type BridgeModule, BridgeShell, bridgeUrl, isOverlayFrame } from './shell';
import { makeMapper } from './urls';
import { makeGate } from './gate';
import { rewriteJs, rewriteScriptUrl } from './jsrewrite';
import { loadParserFrom } from './parser';
import { emulateLocation, frameChain, patchWindowProperties } from './location';
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
  // What the proxy injected leaves the DOM as the runtime starts: the page's
  // `document.scripts` and selectors find only its own elements.
  const script = win.document.currentScript;
  const runtimeSrc = script && 'src' in script ? String(script.src) : '';
  const el = win.document.getElementById(CONFIG_ID);
  const text = el ? el.textContent : null;
  attempt(() => el?.remove(), undefined);
  attempt(() => script?.remove(), undefined);
  if (win.CoBrowse && win.CoBrowse.frame === true) return; // injected twice
  attempt(() => loadParserFrom(new URL('runtime-parser.js', runtimeSrc || `${win.location.origin}/__cobrowse/`).href), undefined);
  const cfg = parseConfig(text);
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
  const overlay = cfg ? isOverlayFrame(win, cfg.parentOrigin) : false;
  const chain = attempt(
    () => (cfg && map ? frameChain(win, cfg.parentOrigin, (o) => map.isProxyOrigin(o), overlay) : null),
    null,
  );
  const emulation =
    cfg && map && !cfg.outside && chain
      ? attempt(
          () =>
            emulateLocation({
              win,
              map,
              hidden: () => chain.hidden,
              root: () => chain.root,
              ancestorOrigins: () => chain.ancestors.map((o) => map.toUpstream(o)),
              rewriteScriptUrl,
            }),
          null,
        )
      : null;
  installHooks(
    win,
    makeHooks({
      win,
      map: cfg && !cfg.outside ? map : null,
      wrap: emulation?.wrap,
      rewriteCode: (code) => rewriteJs(code, 'script'),
      rewriteScriptUrl,
    }),
  );
  if (!cfg || !map) return;

  let bridge: BridgeShell | null = null;
  const ctx: RuntimeContext = {
    cfg,
    map,
    win,
    overlay,
    gate: makeGate(),
    locationChanged: () => bridge?.locationChanged(),
  };
  if (ctx.overlay) {
    // What canvases draw from the start, for the agent's mirror (widget/webgl.ts,
    // canvas-text.ts); the bridge's module adopts these watches (bridge-entry.ts).
    const webgl = attempt(() => webglCapture(win), null);
    const text = attempt(() => canvasText(win), null);
    attempt(() => webgl?.keep(), undefined);
    attempt(() => text?.install(), undefined);
    ctx.canvasWatch = { webgl, text };
    const shell = new BridgeShell(ctx, win.parent);
    bridge = shell;
    const url = bridgeUrl(runtimeSrc || `${win.location.origin}/__cobrowse/runtime.js`);
    attempt(() => shell.start(() => import(url) as Promise<BridgeModule>), undefined);
  }
  // The outside page is ours, with a link out that must stay as it is: no site runs there.
  if (cfg.outside) return;
  if (chain) attempt(() => patchWindowProperties(win, map, () => chain.hidden, () => chain.root), undefined);
  for (const install of [
    patchNetwork,
    patchWindows,
    patchHistory,
    patchForms,
    patchElements,
    patchNavigation,
    patchStorage,
    watchMutations,
    patchMarkup,
    patchGetters,
    patchStyles,
    patchExceptions,
    patchCode,
    patchErrors,
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
