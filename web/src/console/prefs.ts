/**
 * How the agent likes the session view (zoom, chat shown or hidden), remembered in
 * localStorage across sessions and reloads, like the language (./i18n.ts).
 */
import { FIT_PAGE, type Zoom, decodeZoom, encodeZoom } from './scale';

export interface ViewPrefs {
  readonly zoom: Zoom;
  readonly chat: boolean;
}

export const DEFAULT_PREFS: ViewPrefs = { zoom: FIT_PAGE, chat: true };
const KEY = 'cobrowse:console-view';

/** Stored text → prefs; anything unreadable falls back to the default, field by field. Pure. */
export function decodePrefs(text: string | null): ViewPrefs {
  let o: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) o = parsed as Record<string, unknown>;
  } catch {
    /* not ours */
  }
  return {
    zoom: decodeZoom(o.zoom) ?? DEFAULT_PREFS.zoom,
    chat: typeof o.chat === 'boolean' ? o.chat : DEFAULT_PREFS.chat,
  };
}

export function encodePrefs(prefs: ViewPrefs): string {
  return JSON.stringify({ zoom: encodeZoom(prefs.zoom), chat: prefs.chat });
}

export const prefsStore = {
  load(): ViewPrefs {
    try {
      return decodePrefs(localStorage.getItem(KEY));
    } catch {
      return DEFAULT_PREFS;
    }
  },
  save(prefs: ViewPrefs): void {
    try {
      localStorage.setItem(KEY, encodePrefs(prefs));
    } catch {
      /* not remembered */
    }
  },
};
