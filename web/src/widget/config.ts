/**
 * Where the cobrowse server is, derived from how the embed script was loaded. Pure.
 * Priority: `CoBrowse.options.server`, then `data-cobrowse-server` on the script tag,
 * then the script's own URL (`https://server/cobrowse.js` → `https://server/`).
 */
export interface ScriptInfo {
  readonly src: string | null;
  readonly dataServer: string | null;
}

export interface WidgetOptions {
  readonly server?: string;
  /** Proxy mode: overlay this URL instead of the current page (the server's /start page). */
  readonly startUrl?: string;
  /** Extra selectors of elements the agent may not press (beside `[data-cobrowse-no-agent]`). */
  readonly refuse?: readonly string[];
  /** Visitor-facing language: "en" or "hi" (default: the page's lang, then the browser's). */
  readonly lang?: string;
  /** `false`: no canvas content reaches the agent (canvases stay empty in the mirror). */
  readonly canvas?: boolean;
}

/** Whether the site lets canvas content reach the agent (`CoBrowse.options.canvas`, default yes). Pure. */
export function canvasAllowed(options: WidgetOptions): boolean {
  return (options as { canvas?: unknown }).canvas !== false;
}

/** The site's refuse list from `CoBrowse.options.refuse` (strings only). Pure. */
export function refuseSelectors(options: WidgetOptions): string[] {
  const list = (options as { refuse?: unknown }).refuse;
  if (typeof list === 'string') return list ? [list] : [];
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string' && s !== '').slice(0, 50) : [];
}

/** The base URL of the server, ending in "/", or null if it cannot be known. */
export function serverBase(
  script: ScriptInfo,
  options: WidgetOptions,
  pageUrl: string,
): string | null {
  const explicit = options.server ?? script.dataServer;
  if (explicit) return withSlash(explicit, pageUrl);
  if (!script.src) return null;
  let url: URL;
  try {
    url = new URL(script.src, pageUrl);
  } catch {
    return null;
  }
  url.search = '';
  url.hash = '';
  // The server serves the script at /cobrowse.js and at /static/dist/cobrowse.js.
  url.pathname = url.pathname.replace(/(static\/dist\/)?cobrowse(\.min)?\.js$/, '');
  if (!url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/[^/]*$/, '');
  return url.toString();
}

function withSlash(base: string, pageUrl: string): string | null {
  try {
    const url = new URL(base, pageUrl);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return null;
  }
}

/** Join an API path (no leading slash) to the server base. */
export function apiUrl(base: string, path: string): string {
  return new URL(path, base).toString();
}
