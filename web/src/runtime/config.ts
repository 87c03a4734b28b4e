/**
 * The runtime's configuration, injected by the proxy before it in `<head>` as
 * `<script id="__cobrowse_config" type="application/json">` (docs/proxy.md). Pure parse.
 */
import type { OriginMap } from './urls';
import { type MaskRules, parseMaskRules } from '../masking/rules';

export const CONFIG_ID = '__cobrowse_config';

export interface RuntimeConfig {
  readonly upstreamOrigin: string;
  readonly proxyOrigin: string;
  /** upstream origin → proxy origin; always holds upstreamOrigin → proxyOrigin. */
  readonly origins: OriginMap;
  /** Upstream origins of `origins` that are not allowed (CDNs...: loads only, never pages). */
  readonly otherOrigins: readonly string[];
  /** This host's path for absolute URLs without a proxy host: `go + encodeURIComponent(url)`. */
  readonly go: string;
  /** The top page's origin (the widget), for postMessage. */
  readonly parentOrigin: string;
  readonly selectors: readonly string[];
  /** The site's masking rules (src/cobrowse/core/masking.py browser_rules). */
  readonly masking: MaskRules;
  /** Non-HttpOnly cookies of the server-side jar for this URL, `document.cookie` style. */
  readonly cookies: string;
  /** This host's token for cookie writes (`__cobrowse_w*`), which the server checks. */
  readonly cookieToken: string;
  readonly storage: 'native' | 'emulated';
  /** The proxy's "outside co-browsing" page: bridge only, patch nothing. */
  readonly outside: boolean;
}

function origin(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse the config JSON; null if it is missing or unusable (the runtime then does nothing). */
export function parseConfig(text: string | null | undefined): RuntimeConfig | null {
  if (!text) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(raw)) return null;
  const upstreamOrigin = origin(raw.upstream_origin);
  const proxyOrigin = origin(raw.proxy_origin);
  if (!upstreamOrigin || !proxyOrigin) return null;
  const origins: Record<string, string> = {};
  if (isObject(raw.origins)) {
    for (const [from, to] of Object.entries(raw.origins)) {
      const a = origin(from);
      const b = origin(to);
      if (a && b) origins[a] = b;
    }
  }
  origins[upstreamOrigin] = proxyOrigin;
  const otherOrigins = Array.isArray(raw.other_origins)
    ? raw.other_origins
        .map((o) => origin(o))
        .filter((o): o is string => o !== null && o !== upstreamOrigin && o in origins)
    : [];
  const masking = raw.masking;
  const selectors =
    isObject(masking) && Array.isArray(masking.selectors)
      ? masking.selectors.filter((s): s is string => typeof s === 'string' && s !== '')
      : [];
  const parentOrigin = origin(raw.parent_origin) ?? '';
  return {
    upstreamOrigin,
    proxyOrigin,
    origins,
    otherOrigins,
    go: typeof raw.go === 'string' && raw.go.startsWith('/') ? raw.go : '/__cobrowse/go?url=',
    parentOrigin,
    selectors,
    masking: isObject(masking) ? parseMaskRules(masking) : parseMaskRules(null),
    cookies: typeof raw.cookies === 'string' ? raw.cookies : '',
    cookieToken:
      typeof raw.cookie_token === 'string' && /^[0-9a-f]{1,64}$/.test(raw.cookie_token) ? raw.cookie_token : '',
    storage: raw.storage === 'emulated' ? 'emulated' : 'native',
    outside: raw.outside === true,
  };
}
