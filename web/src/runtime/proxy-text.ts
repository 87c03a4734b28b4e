/**
 * Proxy URLs inside text the browser made (serialised markup, CSS text, computed style
 * values, exception messages), mapped back upstream. Pure.
 *
 * What such text holds is what the browser wrote: absolute URLs with lower-case hosts,
 * e.g. `href="http://pabc.cobrowse.example:8000/a?x=1&amp;y"`. Only the origin of a
 * URL on a proxy host changes (so whatever escaping surrounds it stays right), except a
 * `go` URL (`<proxy origin><go><encoded URL>`), which becomes the URL it stands for,
 * escaped with `escape` (the context's escaping, e.g. `&` → `&amp;` in markup).
 * Text without any of the needles (the proxy domain) is returned as it is, unscanned
 * beyond that search.
 */

export interface ProxyText {
  /** Substrings every proxy URL contains (the proxy domain, `.cobrowse.example`); empty: none. */
  readonly needles: readonly string[];
  /** The proxy's `go` path and query up to the encoded URL (`/__cobrowse/go?url=`). */
  readonly go: string;
  /** Proxy URL or bare proxy origin → upstream (`UrlMapper.toUpstream`); anything else unchanged. */
  toUpstream(url: string): string;
}

const ORIGIN = String.raw`\b(?:https?|wss?):\/\/[A-Za-z0-9.-]+(?::\d{1,5})?`;
// What encodeURIComponent leaves, without `'()`: in the text around them they may end
// the URL, and they decode to themselves, so a go URL cut before one maps the same.
const ENCODED = "[A-Za-z0-9\\-_.!~*%]*";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const patterns = new Map<string, RegExp>();

function pattern(go: string): RegExp {
  let re = patterns.get(go);
  if (!re) {
    re = new RegExp(`(${ORIGIN})(${escapeRegExp(go)}${ENCODED})?`, 'g');
    patterns.set(go, re);
  }
  return re;
}

/** Whether `text` may hold a proxy URL (holds one of the needles). */
export function mentionsProxy(text: string, needles: readonly string[]): boolean {
  for (const needle of needles) if (needle !== '' && text.includes(needle)) return true;
  return false;
}

/** `text` with every URL on a proxy host mapped upstream. Never throws. */
export function mapProxyText(text: string, p: ProxyText, escape: (url: string) => string = (u) => u): string {
  if (typeof text !== 'string' || !mentionsProxy(text, p.needles)) return text;
  try {
    return text.replace(pattern(p.go), (whole, origin: string, gone: string | undefined) => {
      if (!mentionsProxy(origin, p.needles)) return whole;
      if (gone) {
        const target = p.toUpstream(origin + gone);
        if (target !== origin + gone) return escape(target);
      }
      const mapped = p.toUpstream(origin);
      return mapped === origin ? whole : mapped + (gone ?? '');
    });
  } catch {
    return text;
  }
}

/** Escaping of a URL written into serialised markup (an attribute value or text). */
export function escapeMarkup(url: string): string {
  return url.replace(/[&"<>\u00a0]/g, (c) =>
    c === '&' ? '&amp;' : c === '"' ? '&quot;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&nbsp;',
  );
}

/** The needles of a page: its proxy domain (`.cobrowse.example`), else its proxy hosts. */
export function proxyNeedles(suffix: string | null, proxyOrigins: readonly string[]): string[] {
  if (suffix) return [suffix];
  const hosts: string[] = [];
  for (const origin of proxyOrigins) {
    try {
      hosts.push(new URL(origin).host);
    } catch {
      /* not an origin */
    }
  }
  return hosts;
}
