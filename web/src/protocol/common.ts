/**
 * What every message family shares: the version, close codes, roles and session
 * states, the error type, and the field readers the parsers are built from.
 *
 * The readers (isObject, envelope, str, ...) are internal to the protocol folder:
 * index.ts does not re-export them.
 */

export const VERSION = 1 as const;
export const MAX_TOKEN_LENGTH = 256;

export const CLOSE_NORMAL = 1000;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_BAD_MESSAGE = 4400;
export const CLOSE_BAD_TOKEN = 4401;
export const CLOSE_NOT_ALLOWED = 4403;
export const CLOSE_HELLO_TIMEOUT = 4408;
export const CLOSE_REPLACED = 4409;
export const CLOSE_ENDED = 4410;

export const CLOSE_HANDED_OVER = 4411;
export const CLOSE_WATCH_ENDED = 4412;

export type Role = 'visitor' | 'agent' | 'watcher';
export type SessionState = 'created' | 'pending' | 'active' | 'ended';
export const SESSION_STATES: readonly SessionState[] = ['created', 'pending', 'active', 'ended'];

export interface AgentInfo {
  readonly name: string;
}

/** The envelope of an rrweb event; structurally compatible with rrweb's `eventWithTime`. */
export interface RecordedEvent {
  readonly type: number;
  readonly timestamp: number;
  readonly [key: string]: unknown;
}

export const MAX_ID = 64;
/** The largest frame number `n` (what a JavaScript number holds exactly; the server's MAX_SEQ). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * A server frame from a participant's session log carries `n`, its number in that
 * log (increasing per participant; gaps are possible). Connection-scoped frames
 * (chat_history, error, ended, and those of a fresh start) carry none; `welcome` and
 * `synced` carry the log's position as their `n`.
 */
export interface Numbered {
  readonly n?: number;
}

/** A frame that does not follow the protocol. */
export class ProtocolError extends Error {
  constructor(detail: string) {
    super(`bad message: ${detail}`);
    this.name = 'ProtocolError';
  }
}

// --- field readers (internal) ----------------------------------------------------

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse a frame's JSON and check its envelope: an object with `v` 1 and a string `t`. */
export function envelope(text: string): JsonObject {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new ProtocolError('not valid JSON');
  }
  if (!isObject(obj)) throw new ProtocolError('a message must be a JSON object');
  if (obj.v !== VERSION) {
    throw new ProtocolError(`unsupported protocol version ${JSON.stringify(obj.v)}, expected 1`);
  }
  if (typeof obj.t !== 'string') throw new ProtocolError('missing message type t');
  return obj;
}

export function str(obj: JsonObject, field: string, kind: string): string {
  const value = obj[field];
  if (typeof value !== 'string') throw new ProtocolError(`${kind} needs a string ${field}`);
  return value;
}

export function nullableStr(obj: JsonObject, field: string, kind: string): string | null {
  const value = obj[field];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new ProtocolError(`${kind} needs ${field}: string or null`);
  return value;
}

export function nullableNumber(obj: JsonObject, field: string, kind: string): number | null {
  const value = obj[field];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError(`${kind} needs ${field}: number or null`);
  }
  return value;
}

export function agent(obj: JsonObject, kind: string): AgentInfo | null {
  const value = obj.agent;
  if (value === null || value === undefined) return null;
  if (!isObject(value) || typeof value.name !== 'string') {
    throw new ProtocolError(`${kind} needs agent: {name} or null`);
  }
  return { name: value.name };
}

export function choice<T extends string>(obj: JsonObject, field: string, allowed: readonly T[], kind: string): T {
  const value = obj[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ProtocolError(`${kind} ${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function ident(obj: JsonObject, field: string, kind: string): string {
  const value = obj[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
    throw new ProtocolError(`${kind} ${field} must be a string of 1-${MAX_ID} characters`);
  }
  return value;
}

/** A finite number within the server's range (booleans are not numbers). */
export function num(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError(`${name} must be a number`);
  }
  if (Math.abs(value) > 1e7) throw new ProtocolError(`${name} is out of range`);
  return value;
}

/** Whether `value` is a valid frame number: a whole number in 0..MAX_SEQ. */
export function isFrameNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEQ;
}

/** The optional frame number `n` of a frame: absent (undefined or null) or a whole number. */
export function frameNumber(obj: JsonObject, kind: string): number | undefined {
  const value = obj.n;
  if (value === undefined || value === null) return undefined;
  if (!isFrameNumber(value)) throw new ProtocolError(`${kind} n must be a whole number`);
  return value;
}

export function unit(value: unknown, name: string): number {
  const n = num(value, name);
  if (n < 0 || n > 1) throw new ProtocolError(`${name} must be within 0..1`);
  return n;
}
