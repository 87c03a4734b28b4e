/**
 * The session family: hello, consent and end (client), welcome, synced, state, ended
 * and error (server).
 */
import {
  type AgentInfo,
  type JsonObject,
  MAX_TOKEN_LENGTH,
  ProtocolError,
  type Role,
  SESSION_STATES,
  type SessionState,
  VERSION,
  agent,
  isFrameNumber,
  nullableNumber,
  nullableStr,
  str,
} from './common';

/** Reasons documented for `ended`; the parser accepts any string for forward compatibility. */
export type EndReason =
  | 'visitor_stopped'
  | 'agent_left'
  | 'denied'
  | 'pin_expired'
  | 'consent_timeout'
  | 'visitor_gone'
  | 'agent_gone'
  | 'max_duration'
  | 'admin';

// --- client -> server --------------------------------------------------------

export interface HelloMessage {
  readonly v: 1;
  readonly t: 'hello';
  readonly token: string;
  /** The last frame number `n` this client has from an earlier connection: resume from there. */
  readonly n?: number;
}
export interface ConsentMessage {
  readonly v: 1;
  readonly t: 'consent';
  readonly allow: boolean;
}
export interface EndMessage {
  readonly v: 1;
  readonly t: 'end';
}

/** `hello`; with `n` (the last frame number received) after a drop, to get only what was missed. */
export const hello = (token: string, n?: number | null): HelloMessage =>
  n === undefined || n === null ? { v: VERSION, t: 'hello', token } : { v: VERSION, t: 'hello', token, n };
export const consent = (allow: boolean): ConsentMessage => ({ v: VERSION, t: 'consent', allow });
export const end = (): EndMessage => ({ v: VERSION, t: 'end' });

// --- server -> client --------------------------------------------------------

export interface WelcomeMessage {
  readonly v: 1;
  readonly t: 'welcome';
  readonly role: Role;
  readonly session_id: string;
  readonly state: SessionState;
  readonly agent: AgentInfo | null;
  readonly pin_display: string | null;
  readonly expires_at: number | null;
  /** The server's position in this participant's log (0 if absent). */
  readonly n: number;
  /**
   * True: the frames this connection missed follow (with their numbers), then `synced`.
   * False (or absent): a fresh start follows (chat history, control, offers, page
   * history), then `synced`.
   */
  readonly resumed: boolean;
}
/** The catch-up after `welcome` is complete; after a drop, resume from `n`. */
export interface SyncedMessage {
  readonly v: 1;
  readonly t: 'synced';
  readonly n: number;
}
export interface StateMessage {
  readonly v: 1;
  readonly t: 'state';
  readonly state: SessionState;
  readonly agent: AgentInfo | null;
}
export interface EndedMessage {
  readonly v: 1;
  readonly t: 'ended';
  readonly reason: string;
}
export interface ErrorMessage {
  readonly v: 1;
  readonly t: 'error';
  readonly code: string;
  readonly message: string;
}

// --- parsing (internal) ----------------------------------------------------------

function state(obj: JsonObject, kind: string): SessionState {
  const value = obj.state;
  if (typeof value !== 'string' || !(SESSION_STATES as readonly string[]).includes(value)) {
    throw new ProtocolError(`${kind} has an unknown state ${JSON.stringify(value)}`);
  }
  return value as SessionState;
}

export function helloOf(obj: JsonObject): HelloMessage {
  const token = obj.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new ProtocolError('hello needs a token string');
  }
  const n = obj.n;
  if (n !== undefined && n !== null && !isFrameNumber(n)) {
    throw new ProtocolError("hello's n must be a whole number");
  }
  return hello(token, n);
}

export function consentOf(obj: JsonObject): ConsentMessage {
  if (typeof obj.allow !== 'boolean') throw new ProtocolError('consent needs allow: true or false');
  return consent(obj.allow);
}

export function welcomeOf(obj: JsonObject): WelcomeMessage {
  const t = 'welcome';
  const role = obj.role;
  if (role !== 'visitor' && role !== 'agent' && role !== 'watcher') {
    throw new ProtocolError(`welcome has an unknown role ${JSON.stringify(role)}`);
  }
  const { n, resumed } = obj;
  if (n !== undefined && !isFrameNumber(n)) throw new ProtocolError('welcome n must be a whole number');
  if (resumed !== undefined && typeof resumed !== 'boolean') {
    throw new ProtocolError('welcome resumed must be true or false');
  }
  return {
    v: VERSION,
    t,
    role,
    session_id: str(obj, 'session_id', t),
    state: state(obj, t),
    agent: agent(obj, t),
    pin_display: nullableStr(obj, 'pin_display', t),
    expires_at: nullableNumber(obj, 'expires_at', t),
    n: n ?? 0,
    resumed: resumed ?? false,
  };
}

export function syncedOf(obj: JsonObject): SyncedMessage {
  if (!isFrameNumber(obj.n)) throw new ProtocolError('synced needs a whole number n');
  return { v: VERSION, t: 'synced', n: obj.n };
}

export function stateOf(obj: JsonObject): StateMessage {
  const t = 'state';
  return { v: VERSION, t, state: state(obj, t), agent: agent(obj, t) };
}

export function endedOf(obj: JsonObject): EndedMessage {
  const t = 'ended';
  return { v: VERSION, t, reason: str(obj, 'reason', t) };
}

export function errorOf(obj: JsonObject): ErrorMessage {
  const t = 'error';
  return { v: VERSION, t, code: str(obj, 'code', t), message: str(obj, 'message', t) };
}
