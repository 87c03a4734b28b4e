/**
 * The embed script: `<script src="https://SERVER/cobrowse.js" async></script>`.
 * Adds the "Co-browse" button and the visitor runtime. Creates one global,
 * `window.CoBrowse` ({version, options}); a site may set `window.CoBrowse =
 * {options: {server: "https://..."}}` before the script loads. Does nothing in a page
 * served by the co-browsing proxy (`window.CoBrowse.frame === true`).
 */
import { VERSION } from '../version';
import { type WidgetOptions, canvasAllowed, refuseSelectors, serverBase } from './config';
import { canvasText } from './canvas-text';
import { WidgetController } from './controller';
import { restoreForms } from './continuation';
import { safeSessionStorage } from './storage';
import { chooseLang, translator } from '../i18n';

interface CoBrowseNamespace {
  version: string;
  options: WidgetOptions;
}

type CoBrowseWindow = Window & { CoBrowse?: Partial<CoBrowseNamespace> & { frame?: unknown } };

// Only valid while this script runs for the first time (also for async scripts).
const currentScript = document.currentScript as HTMLScriptElement | null;

function findScript(): HTMLScriptElement | null {
  if (currentScript) return currentScript;
  const scripts = document.querySelectorAll<HTMLScriptElement>('script[src*="cobrowse"]');
  return scripts.length ? scripts[scripts.length - 1]! : null;
}

function main(): void {
  const win = window as CoBrowseWindow;
  const existing = win.CoBrowse;
  // Inside the co-browsing overlay (the proxy's runtime set frame: true): the widget of
  // the top page is in charge; no second button.
  if (existing && existing.frame === true) return;
  if (existing && typeof existing.version === 'string') return; // loaded twice: keep the first
  const options: WidgetOptions = { ...(existing?.options ?? {}) };
  win.CoBrowse = { version: VERSION, options };

  const script = findScript();
  const base = serverBase(
    { src: script?.src || null, dataServer: script?.getAttribute('data-cobrowse-server') ?? null },
    options,
    location.href,
  );
  if (!base) return;
  // Text drawn into canvases from now on, so that one that drew a value is never sent
  // (canvas-text.ts): as early as the widget runs.
  try {
    canvasText(window).install();
  } catch {
    /* never break the page */
  }

  const start = (): void => {
    try {
      restoreForms(document, safeSessionStorage(), Date.now());
    } catch {
      /* never break the page */
    }
    try {
      const startUrl = options.startUrl ?? script?.getAttribute('data-cobrowse-start-url') ?? null;
      const lang = chooseLang(options.lang, document.documentElement.getAttribute('lang'), navigator.language);
      new WidgetController(base, document, startUrl, {
        refuse: refuseSelectors(options),
        tr: translator(lang),
        canvas: canvasAllowed(options),
        invite: script?.getAttribute('data-cobrowse-invite') ?? null,
      }).start();
    } catch {
      /* never break the page */
    }
  };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start, { once: true });
  } else {
    start();
  }
}

try {
  main();
} catch {
  /* never break the page */
}
