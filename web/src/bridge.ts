/**
 * The postMessage bridge between the proxied page in the overlay iframe (runtime) and
 * the widget in the top page (docs/proxy.md, "In the proxied page"). Pure: message
 * shapes, their validation, and the origin rules both sides apply. No DOM.
 *
 * frame → top: `ready` / `location` (upstream href), `events` (rrweb batch, with the
 * `id` of the `record` it answers). top → frame: `record` (with a fresh `id`),
 * `snapshot`, `stop`. Every message carries `cobrowse: 1`.
 */
import { type RecordedEvent, checkEvents } from './protocol';

export type FrameMessage =
  | { readonly cobrowse: 1; readonly type: 'ready'; readonly href: string }
  | { readonly cobrowse: 1; readonly type: 'location'; readonly href: string }
  | {
      readonly cobrowse: 1;
      readonly type: 'events';
      readonly id: number;
      readonly events: readonly RecordedEvent[];
    };

export type TopMessage =
  | { readonly cobrowse: 1; readonly type: 'record'; readonly id: number }
  | { readonly cobrowse: 1; readonly type: 'snapshot' }
  | { readonly cobrowse: 1; readonly type: 'stop' };

export const MAX_HREF_LENGTH = 8192;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** An absolute http(s) URL, or null. */
export function httpHref(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_HREF_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/** Validate a message the widget received from the overlay frame; null if it is not one. */
export function parseFrameMessage(data: unknown): FrameMessage | null {
  if (!isObject(data) || data.cobrowse !== 1) return null;
  switch (data.type) {
    case 'ready':
    case 'location': {
      const href = httpHref(data.href);
      return href ? { cobrowse: 1, type: data.type, href } : null;
    }
    case 'events': {
      if (!isId(data.id)) return null;
      try {
        return { cobrowse: 1, type: 'events', id: data.id, events: checkEvents(data.events) };
      } catch {
        return null;
      }
    }
    default:
      return null;
  }
}

/** Validate a message the runtime received from the top page; null if it is not one. */
export function parseTopMessage(data: unknown): TopMessage | null {
  if (!isObject(data) || data.cobrowse !== 1) return null;
  switch (data.type) {
    case 'record':
      return isId(data.id) ? { cobrowse: 1, type: 'record', id: data.id } : null;
    case 'snapshot':
    case 'stop':
      return { cobrowse: 1, type: data.type };
    default:
      return null;
  }
}

function parseOrigin(origin: string): URL | null {
  try {
    const url = new URL(origin);
    return url.origin === origin && (url.protocol === 'http:' || url.protocol === 'https:')
      ? url
      : null;
  } catch {
    return null;
  }
}

/**
 * Whether the widget accepts a message from `origin` as coming from the overlay: the
 * server's `proxy_origin`, or another host under the same proxy domain (the proxy
 * origin's host minus its first label), with the same scheme and port.
 */
export function acceptFrameOrigin(origin: string, proxyOrigin: string): boolean {
  if (origin === proxyOrigin) return true;
  const proxy = parseOrigin(proxyOrigin);
  const from = parseOrigin(origin);
  if (!proxy || !from) return false;
  if (from.protocol !== proxy.protocol || from.port !== proxy.port) return false;
  const dot = proxy.hostname.indexOf('.');
  if (dot <= 0) return false;
  const domain = proxy.hostname.slice(dot + 1);
  if (!domain.includes('.') && domain !== 'localhost') return false; // never a bare TLD
  const host = from.hostname;
  return host.endsWith(`.${domain}`) && !host.slice(0, -domain.length - 1).includes('.');
}

/** Whether a message event comes from the expected window and origin (the runtime's check). */
export function fromWindow(
  event: { readonly source: unknown; readonly origin: string },
  expected: unknown,
  origin: string,
): boolean {
  return expected != null && event.source === expected && event.origin === origin;
}
