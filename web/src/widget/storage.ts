/**
 * The visitor's session, kept in sessionStorage so it survives full page navigations
 * within the tab. One key per cobrowse server origin. Storage may be unavailable
 * (blocked third-party storage, private modes): then it degrades to this page only.
 */
import type { AgentInfo, SessionMode } from '../protocol';
import { type MaskRules, parseMaskRules, selectorsOnly } from '../masking/rules';

export interface StoredSession {
  readonly session_id: string;
  readonly visitor_token: string;
  readonly ws_url: string;
  readonly selectors: readonly string[];
  /** The site's masking rules (older stored sessions: built from `selectors`). */
  readonly masking?: MaskRules;
  readonly agent: AgentInfo | null;
  readonly mode: SessionMode;
  /** The session is recorded (the site's setting), as the create answer said. */
  readonly recording?: boolean;
}

export function storageKey(serverOrigin: string): string {
  return `cobrowse:visitor:${serverOrigin}`;
}

/** Parse stored text; null for anything that is not a complete session. Pure. */
export function decodeStored(text: string | null): StoredSession | null {
  if (!text) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null) return null;
  const o = obj as Record<string, unknown>;
  if (
    typeof o.session_id !== 'string' ||
    typeof o.visitor_token !== 'string' ||
    typeof o.ws_url !== 'string' ||
    !Array.isArray(o.selectors)
  ) {
    return null;
  }
  const agent =
    typeof o.agent === 'object' && o.agent !== null && typeof (o.agent as AgentInfo).name === 'string'
      ? { name: (o.agent as AgentInfo).name }
      : null;
  const selectors = o.selectors.filter((s): s is string => typeof s === 'string');
  return {
    session_id: o.session_id,
    visitor_token: o.visitor_token,
    ws_url: o.ws_url,
    selectors,
    masking: typeof o.masking === 'object' && o.masking !== null ? parseMaskRules(o.masking) : selectorsOnly(selectors),
    agent,
    mode: o.mode === 'proxy' ? 'proxy' : 'inline',
    ...(o.recording === true ? { recording: true } : {}),
  };
}

export class SessionStore {
  private readonly key: string;

  constructor(
    serverOrigin: string,
    private readonly storage: Storage | null = safeSessionStorage(),
  ) {
    this.key = storageKey(serverOrigin);
  }

  load(): StoredSession | null {
    try {
      return decodeStored(this.storage?.getItem(this.key) ?? null);
    } catch {
      return null;
    }
  }

  save(session: StoredSession): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify(session));
    } catch {
      /* storage full or blocked: the session then lasts for this page only */
    }
  }

  clear(): void {
    try {
      this.storage?.removeItem(this.key);
    } catch {
      /* nothing stored */
    }
  }
}

export function overlayKey(serverOrigin: string): string {
  return `cobrowse:overlay:${serverOrigin}`;
}

/**
 * The last upstream URL shown in the proxy overlay, per session: a reload of the top
 * page reopens the overlay there, and Stop takes the visitor to it.
 */
export class OverlayHrefStore {
  private readonly key: string;

  constructor(
    serverOrigin: string,
    private readonly storage: Storage | null = safeSessionStorage(),
  ) {
    this.key = overlayKey(serverOrigin);
  }

  load(sessionId: string): string | null {
    try {
      const obj: unknown = JSON.parse(this.storage?.getItem(this.key) ?? 'null');
      if (typeof obj !== 'object' || obj === null) return null;
      const o = obj as Record<string, unknown>;
      return o.session_id === sessionId && typeof o.href === 'string' ? o.href : null;
    } catch {
      return null;
    }
  }

  save(sessionId: string, href: string): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify({ session_id: sessionId, href }));
    } catch {
      /* the overlay then restarts at the top page's URL after a reload */
    }
  }

  clear(): void {
    try {
      this.storage?.removeItem(this.key);
    } catch {
      /* nothing stored */
    }
  }
}

export function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
