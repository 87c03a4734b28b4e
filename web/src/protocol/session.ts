/**
 * The session family: hello, consent and end (client), welcome, state, ended and
 * error (server).
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

export const hello = (token: string): HelloMessage => ({ v: VERSION, t: 'hello', token });
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
  return hello(token);
}

export function consentOf(obj: JsonObject): ConsentMessage {
  if (typeof obj.allow !== 'boolean') throw new ProtocolError('consent needs allow: true or false');
  return consent(obj.allow);
}

export function welcomeOf(obj: JsonObject): WelcomeMessage {
  const t = 'welcome';
  const role = obj.role;
  if (role !== 'visitor' && role !== 'agent') {
    throw new ProtocolError(`welcome has an unknown role ${JSON.stringify(role)}`);
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
  };
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
