/**
 * The widget's side of the continuation point (docs/proxy.md): calls to the path the
 * site's reverse proxy mounts on the site's own origin, so the browser sends the site's
 * cookies with them (HttpOnly ones too) and applies the Set-Cookie of the answer.
 *
 * - `handIn`, at Allow, before the overlay loads: the one-time ticket from the overlay
 *   answer, and the names (never the values) of the cookies a script of this page can
 *   read, so those stay readable inside the overlay; answers the return ticket.
 * - `handBack`, at the end: the return ticket; the answer's Set-Cookie puts the site's
 *   cookies in the state the overlay reached.
 *
 * Also keeps the overlay's unsaved form values for the one page load that follows
 * (`RestoreStore`, sessionStorage of the site's origin; formstate.ts).
 */
import type { Field } from '../formstate';
import { applyFields, parseFields, samePage } from '../formstate';

/** A continuation point that does not answer within this long is taken as missing. */
export const CONTINUATION_TIMEOUT_MS = 8000;
export const RESTORE_KEY = 'cobrowse:restore';
/** Values not put back within this long after the end are dropped. */
export const RESTORE_TTL_MS = 120000;

export interface Handoff {
  readonly path: string;
  readonly ticket: string;
}

export interface HandBackResult {
  /** Cookies set, changed or deleted inside the overlay and written back. */
  readonly carried: number;
  /** Other sites (hosts) whose changes could not be written back from here. */
  readonly elsewhere: readonly string[];
}

/** The names of the cookies `document.cookie` shows (values are never sent). */
export function cookieNames(cookie: string): string[] {
  const names: string[] = [];
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq >= 0 ? part.slice(0, eq) : '').trim();
    if (name && !names.includes(name) && names.length < 200) names.push(name);
  }
  return names;
}

function endpoint(pageOrigin: string, path: string, step: 'in' | 'out'): string | null {
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) return null;
  return `${pageOrigin}${path}/${step}`;
}

async function post(url: string, body: unknown): Promise<unknown> {
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = setTimeout(() => controller?.abort(), CONTINUATION_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      ...(controller ? { signal: controller.signal } : {}),
    });
    if (!response.ok) return null;
    return (await response.json()) as unknown;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Hand the site's login over; the return ticket, or null if the site has no continuation point. */
export async function handIn(pageOrigin: string, handoff: Handoff, documentCookie: string): Promise<string | null> {
  const url = endpoint(pageOrigin, handoff.path, 'in');
  if (!url) return null;
  const answer = await post(url, { ticket: handoff.ticket, visible: cookieNames(documentCookie) });
  if (typeof answer !== 'object' || answer === null) return null;
  const ticket = (answer as Record<string, unknown>).return_ticket;
  return typeof ticket === 'string' && ticket.length > 0 && ticket.length <= 100 ? ticket : null;
}

/** Write the overlay's cookies back; null if that failed. */
export async function handBack(pageOrigin: string, path: string, ticket: string): Promise<HandBackResult | null> {
  const url = endpoint(pageOrigin, path, 'out');
  if (!url) return null;
  const answer = await post(url, { ticket });
  if (typeof answer !== 'object' || answer === null) return null;
  const { carried, elsewhere } = answer as Record<string, unknown>;
  if (typeof carried !== 'number' || !Array.isArray(elsewhere)) return null;
  return {
    carried,
    elsewhere: elsewhere.filter((h): h is string => typeof h === 'string' && h.length <= 253).slice(0, 20),
  };
}

interface Stored {
  readonly href: string;
  readonly fields: readonly Field[];
  readonly at: number;
}

/** The overlay's unsaved form values, kept across the one navigation back to the site. */
export class RestoreStore {
  constructor(private readonly storage: Storage | null) {}

  save(href: string, fields: readonly Field[], now: number): boolean {
    try {
      if (!this.storage) return false;
      this.storage.setItem(RESTORE_KEY, JSON.stringify({ href, fields, at: now }));
      return true;
    } catch {
      return false;
    }
  }

  /** The fields kept for `href` (and forget them, whatever page this is). */
  take(href: string, now: number): Field[] | null {
    let text: string | null = null;
    try {
      text = this.storage?.getItem(RESTORE_KEY) ?? null;
      if (text !== null) this.storage?.removeItem(RESTORE_KEY);
    } catch {
      return null;
    }
    if (!text) return null;
    let stored: Stored;
    try {
      stored = JSON.parse(text) as Stored;
    } catch {
      return null;
    }
    if (typeof stored !== 'object' || stored === null || typeof stored.href !== 'string') return null;
    if (typeof stored.at !== 'number' || now - stored.at > RESTORE_TTL_MS || now < stored.at - 1000) return null;
    if (!samePage(stored.href, href)) return null;
    return parseFields(stored.fields);
  }
}

/** On a page load after co-browsing ended: put the overlay's unsaved values back. */
export function restoreForms(doc: Document, storage: Storage | null, now: number): number {
  const href = doc.location?.href ?? '';
  const fields = new RestoreStore(storage).take(href, now);
  return fields && fields.length ? applyFields(doc, fields).applied : 0;
}
