/** The REST answers the browser code reads (besides a file upload's: files.ts). */
import { type MaskRules, parseMaskRules } from '../masking/rules';
import { type AgentInfo, ProtocolError, agent, isObject, nullableNumber, str } from './common';

export interface CreatedSession {
  readonly session_id: string;
  readonly pin: string;
  readonly pin_display: string;
  readonly expires_at: number;
  readonly visitor_token: string;
  readonly ws_url: string;
  /** The site's masking rules (src/cobrowse/core/masking.py browser_rules). */
  readonly masking: MaskRules;
  readonly grace_seconds: number;
  /** proxy: show the page through the co-browsing proxy in an overlay; inline: record the page. */
  readonly mode: SessionMode;
  /** The site records its sessions: the visitor is told (consent dialog, session bar). */
  readonly recording: boolean;
}

export type SessionMode = 'proxy' | 'inline';

export interface JoinedSession {
  readonly session_id: string;
  readonly agent_token: string;
  readonly ws_url: string;
  readonly agent: AgentInfo | null;
}

export interface ApiError {
  readonly code: string;
  readonly message: string;
}

/** Validate the answer of `POST /api/v1/sessions`. */
export function parseCreatedSession(body: unknown): CreatedSession {
  if (!isObject(body)) throw new ProtocolError('session answer is not an object');
  const kind = 'session answer';
  const expires = nullableNumber(body, 'expires_at', kind);
  if (expires === null) throw new ProtocolError(`${kind} needs expires_at`);
  const grace = body.grace_seconds;
  return {
    session_id: str(body, 'session_id', kind),
    pin: str(body, 'pin', kind),
    pin_display: str(body, 'pin_display', kind),
    expires_at: expires,
    visitor_token: str(body, 'visitor_token', kind),
    ws_url: str(body, 'ws_url', kind),
    masking: parseMaskRules(body.masking),
    grace_seconds: typeof grace === 'number' && Number.isFinite(grace) ? grace : 0,
    mode: body.mode === 'proxy' ? 'proxy' : 'inline',
    recording: body.recording === true,
  };
}

export interface OverlayAnswer {
  /** Absolute http(s) URL the overlay iframe starts at. */
  readonly src: string;
  /** The origin of `src` (a proxy host). */
  readonly proxy_origin: string;
  /** The continuation point's path on this page's origin and a one-time ticket, or null. */
  readonly handoff: { readonly path: string; readonly ticket: string } | null;
}

/** Validate the answer of `POST /api/v1/sessions/{id}/overlay`. */
export function parseOverlayAnswer(body: unknown): OverlayAnswer {
  if (!isObject(body)) throw new ProtocolError('overlay answer is not an object');
  const kind = 'overlay answer';
  const src = str(body, 'src', kind);
  const proxyOrigin = str(body, 'proxy_origin', kind);
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    throw new ProtocolError(`${kind}: src is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProtocolError(`${kind}: src is not http(s)`);
  }
  if (url.origin !== proxyOrigin) throw new ProtocolError(`${kind}: src is not on proxy_origin`);
  let handoff: OverlayAnswer['handoff'] = null;
  const h = body.handoff;
  if (h !== undefined && h !== null) {
    if (!isObject(h)) throw new ProtocolError(`${kind}: handoff is not an object`);
    const path = str(h, 'path', kind);
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) throw new ProtocolError(`${kind}: handoff.path is not a path`);
    handoff = { path, ticket: str(h, 'ticket', kind) };
  }
  return { src: url.href, proxy_origin: proxyOrigin, handoff };
}

/** Validate the answer of `POST /api/v1/join`. */
export function parseJoinedSession(body: unknown): JoinedSession {
  if (!isObject(body)) throw new ProtocolError('join answer is not an object');
  const kind = 'join answer';
  return {
    session_id: str(body, 'session_id', kind),
    agent_token: str(body, 'agent_token', kind),
    ws_url: str(body, 'ws_url', kind),
    agent: agent(body, kind),
  };
}

/** The `{error: {code, message}}` body of a failed REST call, or null if it is not one. */
export function parseApiError(body: unknown): ApiError | null {
  if (!isObject(body) || !isObject(body.error)) return null;
  const { code, message } = body.error;
  if (typeof code !== 'string') return null;
  return { code, message: typeof message === 'string' ? message : '' };
}

/** Resolve a `ws_url` from the server (absolute or relative) against the server's base URL. */
export function resolveWsUrl(wsUrl: string, base: string): string {
  const url = new URL(wsUrl, base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}
