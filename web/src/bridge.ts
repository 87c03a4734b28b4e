/**
 * The postMessage bridge between the proxied page in the overlay iframe (runtime) and
 * the widget in the top page (docs/proxy.md, "In the proxied page"). Pure: message
 * shapes, their validation, and the origin rules both sides apply. No DOM.
 *
 * frame → top: `ready` / `location` (upstream href), `events` (rrweb batch, with the
 * `id` of the `record` it answers). top → frame: `record` (with a fresh `id`),
 * `snapshot`, `stop`; at the end, `collect`, answered by `form_state`. Every message
 * carries `cobrowse: 1`.
 */
import {
  type ActFields,
  type GuideKind,
  type Point,
  type RecordedEvent,
  type Target,
  GUIDE_KINDS,
  MAX_REASON,
  checkActFields,
  checkEvents,
  checkPoints,
  checkTarget,
} from './protocol';
import { type Field, parseFields } from './formstate';

/** The agent's guidance, as relayed to the frame (with the agent's name). */
export interface GuideFields {
  readonly kind: GuideKind;
  readonly target: Target | null;
  readonly points: readonly Point[];
  readonly name: string;
  /** The pointer's accessible name in the visitor's language. */
  readonly label?: string;
}

export const MAX_SELECTORS = 50;
export const MAX_NAME = 200;

export type FrameMessage =
  /** `outside`: the proxy's "outside co-browsing" page, never a place to return to. */
  | { readonly cobrowse: 1; readonly type: 'ready'; readonly href: string; readonly outside?: true }
  | { readonly cobrowse: 1; readonly type: 'location'; readonly href: string; readonly outside?: true }
  | {
      readonly cobrowse: 1;
      readonly type: 'events';
      readonly id: number;
      readonly events: readonly RecordedEvent[];
    }
  /** What became of an `act`; `label` names the element for the visitor's toast. */
  | {
      readonly cobrowse: 1;
      readonly type: 'act_result';
      readonly ref: string;
      readonly ok: boolean;
      readonly reason: string | null;
      readonly label: string;
      /** For the audit log: the element's role and label, never a value. */
      readonly description: string;
    }
  /** The visitor pressed Escape inside the frame (takes back control). */
  | { readonly cobrowse: 1; readonly type: 'escape' }
  /** The answer to `collect`: the page's unsaved, carriable form values (formstate.ts). */
  | { readonly cobrowse: 1; readonly type: 'form_state'; readonly href: string; readonly fields: readonly Field[] }
  /** The box of the frame's focused element (null: none), so the widget's panels keep off it. */
  | { readonly cobrowse: 1; readonly type: 'focus'; readonly rect: FocusRect | null };

/** A box in the frame's viewport, CSS pixels (the overlay frame fills the window). */
export interface FocusRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const MAX_PX = 1_000_000;

function focusRect(value: unknown): FocusRect | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) return undefined;
  const { left, top, width, height } = value;
  const nums = [left, top, width, height];
  if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= MAX_PX)) return undefined;
  if ((width as number) < 0 || (height as number) < 0) return undefined;
  return { left: left as number, top: top as number, width: width as number, height: height as number };
}

export type TopMessage =
  | { readonly cobrowse: 1; readonly type: 'record'; readonly id: number }
  | { readonly cobrowse: 1; readonly type: 'snapshot' }
  | { readonly cobrowse: 1; readonly type: 'stop' }
  /** Co-browsing ends: answer `form_state` (the values to put back on the real page). */
  | { readonly cobrowse: 1; readonly type: 'collect' }
  | { readonly cobrowse: 1; readonly type: 'guide'; readonly guide: GuideFields }
  | {
      readonly cobrowse: 1;
      readonly type: 'act';
      readonly act: ActFields;
      /** Selectors of elements the agent may not use (the site's refuse list). */
      readonly refuse: readonly string[];
    };

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
      if (!href) return null;
      return data.outside === true ? { cobrowse: 1, type: data.type, href, outside: true } : { cobrowse: 1, type: data.type, href };
    }
    case 'events': {
      if (!isId(data.id)) return null;
      try {
        return { cobrowse: 1, type: 'events', id: data.id, events: checkEvents(data.events) };
      } catch {
        return null;
      }
    }
    case 'act_result': {
      const { ref, ok, reason, label, description } = data;
      if (typeof ref !== 'string' || ref.length === 0 || ref.length > 64 || typeof ok !== 'boolean') return null;
      if (reason !== null && typeof reason !== 'string') return null;
      return {
        cobrowse: 1,
        type: 'act_result',
        ref,
        ok,
        reason: reason === null ? null : reason.slice(0, MAX_REASON),
        label: typeof label === 'string' ? label.slice(0, 80) : '',
        description: typeof description === 'string' ? description.slice(0, 80) : '',
      };
    }
    case 'escape':
      return { cobrowse: 1, type: 'escape' };
    case 'focus': {
      const rect = focusRect(data.rect);
      return rect === undefined ? null : { cobrowse: 1, type: 'focus', rect };
    }
    case 'form_state': {
      const href = httpHref(data.href);
      const fields = parseFields(data.fields);
      return href && fields ? { cobrowse: 1, type: 'form_state', href, fields } : null;
    }
    default:
      return null;
  }
}

function selectors(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length > MAX_SELECTORS) return null;
  return value.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 500) ? (value as string[]) : null;
}

/** Validate a message the runtime received from the top page; null if it is not one. */
export function parseTopMessage(data: unknown): TopMessage | null {
  if (!isObject(data) || data.cobrowse !== 1) return null;
  switch (data.type) {
    case 'record':
      return isId(data.id) ? { cobrowse: 1, type: 'record', id: data.id } : null;
    case 'snapshot':
    case 'stop':
    case 'collect':
      return { cobrowse: 1, type: data.type };
    case 'guide': {
      const g = data.guide;
      if (!isObject(g) || typeof g.name !== 'string' || g.name.length > MAX_NAME) return null;
      if (typeof g.kind !== 'string' || !(GUIDE_KINDS as readonly string[]).includes(g.kind)) return null;
      try {
        const guide: GuideFields = {
          kind: g.kind as GuideKind,
          target: checkTarget(g.target),
          points: checkPoints(g.points),
          name: g.name,
          ...(typeof g.label === 'string' && g.label.length <= MAX_NAME ? { label: g.label } : {}),
        };
        return { cobrowse: 1, type: 'guide', guide };
      } catch {
        return null;
      }
    }
    case 'act': {
      const refuse = selectors(data.refuse);
      if (!refuse || !isObject(data.act)) return null;
      try {
        return { cobrowse: 1, type: 'act', act: checkActFields(data.act), refuse };
      } catch {
        return null;
      }
    }
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
