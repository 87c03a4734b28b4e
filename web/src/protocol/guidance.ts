/**
 * The guidance family: guide (pointer, highlight, laser, draw), chat and chat_history,
 * control (requests and grants), act and act_result.
 */
import {
  type AgentInfo,
  type JsonObject,
  ProtocolError,
  type Role,
  VERSION,
  choice,
  ident,
  isObject,
  num,
  str,
  unit,
} from './common';

/** A point relative to an element's box: rrweb node id, x and y in 0..1. */
export interface Target {
  readonly id: number;
  readonly x: number;
  readonly y: number;
}
export type Point = readonly [number, number];

export type GuideKind = 'pointer' | 'highlight' | 'laser' | 'draw' | 'clear';
export const GUIDE_KINDS: readonly GuideKind[] = ['pointer', 'highlight', 'laser', 'draw', 'clear'];
export type ActKind = 'click' | 'input' | 'scroll' | 'key' | 'navigate';
export const ACT_KINDS: readonly ActKind[] = ['click', 'input', 'scroll', 'key', 'navigate'];
export type ControlAction = 'request' | 'release' | 'grant' | 'deny' | 'revoke';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['request', 'release', 'grant', 'deny', 'revoke'];
/** Why the visitor took control back (kept in the audit log). */
export type RevokeReason = 'button' | 'escape' | 'hidden';
export const REVOKE_REASONS: readonly RevokeReason[] = ['button', 'escape', 'hidden'];
export type ControlState = 'view' | 'requested' | 'control';
export const CONTROL_STATES: readonly ControlState[] = ['view', 'requested', 'control'];
export type ChatSender = Role;

export const MAX_POINTS = 500;
export const MAX_CHAT = 2000;
export const MAX_VALUE = 10_000;
export const MAX_REASON = 200;
/** An act_result's element description (the server refuses longer ones). */
export const MAX_DESCRIPTION = 120;

// --- client -> server --------------------------------------------------------

export interface GuideMessage {
  readonly v: 1;
  readonly t: 'guide';
  readonly kind: GuideKind;
  readonly target: Target | null;
  readonly points: readonly Point[];
}
export interface ChatMessage {
  readonly v: 1;
  readonly t: 'chat';
  readonly id: string;
  readonly text: string;
}
export interface ControlMessage {
  readonly v: 1;
  readonly t: 'control';
  readonly action: ControlAction;
  /** Only on a revoke: why (for the audit log). */
  readonly reason?: RevokeReason;
}
export interface ActFields {
  readonly ref: string;
  readonly kind: ActKind;
  readonly target: Target | null;
  readonly value: string;
  readonly dx: number;
  readonly dy: number;
}
export interface ActMessage extends ActFields {
  readonly v: 1;
  readonly t: 'act';
}
export interface ActResultMessage {
  readonly v: 1;
  readonly t: 'act_result';
  readonly ref: string;
  readonly ok: boolean;
  readonly reason: string | null;
  /**
   * The element acted on, from its role and label ("button “Save”", "masked field"),
   * never a value: for the audit log (the server keeps it and does not relay it).
   */
  readonly description?: string;
}

export const guide = (
  kind: GuideKind,
  target: Target | null = null,
  points: readonly Point[] = [],
): GuideMessage => ({ v: VERSION, t: 'guide', kind, target, points });
export const chat = (id: string, text: string): ChatMessage => ({ v: VERSION, t: 'chat', id, text });
export const control = (action: ControlAction, reason?: RevokeReason): ControlMessage =>
  reason === undefined ? { v: VERSION, t: 'control', action } : { v: VERSION, t: 'control', action, reason };
export const act = (
  ref: string,
  kind: ActKind,
  target: Target | null = null,
  value = '',
  dx = 0,
  dy = 0,
): ActMessage => ({ v: VERSION, t: 'act', ref, kind, target, value, dx, dy });
export const actResult = (
  ref: string,
  ok: boolean,
  reason: string | null = null,
  description?: string,
): ActResultMessage =>
  description === undefined
    ? { v: VERSION, t: 'act_result', ref, ok, reason }
    : { v: VERSION, t: 'act_result', ref, ok, reason, description };

// --- server -> client --------------------------------------------------------

export interface ServerGuideMessage {
  readonly v: 1;
  readonly t: 'guide';
  readonly kind: GuideKind;
  readonly target: Target | null;
  readonly points: readonly Point[];
  readonly agent: AgentInfo | null;
}
/** One chat message as the server numbers it (also an entry of `chat_history`). */
export interface ChatEntry {
  readonly seq: number;
  readonly id: string;
  readonly from: ChatSender;
  readonly name: string;
  readonly text: string;
  readonly at: number;
}
export interface ServerChatMessage extends ChatEntry {
  readonly v: 1;
  readonly t: 'chat';
}
export interface ChatHistoryMessage {
  readonly v: 1;
  readonly t: 'chat_history';
  readonly messages: readonly ChatEntry[];
}
export interface ControlStateMessage {
  readonly v: 1;
  readonly t: 'control';
  readonly state: ControlState;
}

// --- validation ----------------------------------------------------------------

/** Validate a `target` ({id, x, y} in 0..1, or null). */
export function checkTarget(value: unknown): Target | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw new ProtocolError('target must be an object or null');
  const id = value.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
    throw new ProtocolError('target.id must be a node id');
  }
  return { id, x: unit(value.x, 'target.x'), y: unit(value.y, 'target.y') };
}

/** Validate `points`: at most 500 [x, y] number pairs. */
export function checkPoints(value: unknown): Point[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_POINTS) {
    throw new ProtocolError(`points must be a list of at most ${MAX_POINTS} pairs`);
  }
  return value.map((point: unknown) => {
    if (!Array.isArray(point) || point.length !== 2) throw new ProtocolError('each point is an [x, y] pair');
    return [num(point[0], 'point x'), num(point[1], 'point y')] as const;
  });
}

/** A chat message's text: 1-MAX_CHAT characters, not only blanks (internal). */
export function chatText(obj: JsonObject, kind: string): string {
  const text = obj.text;
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_CHAT) {
    throw new ProtocolError(`${kind} text must be 1-${MAX_CHAT} characters`);
  }
  return text;
}

/** Validate the fields of an `act` (ref, kind, target, value, dx, dy). */
export function checkActFields(obj: Record<string, unknown>): ActFields {
  const value = obj.value ?? '';
  if (typeof value !== 'string' || value.length > MAX_VALUE) {
    throw new ProtocolError(`act value must be a string of at most ${MAX_VALUE} characters`);
  }
  return {
    ref: ident(obj, 'ref', 'act'),
    kind: choice(obj, 'kind', ACT_KINDS, 'act'),
    target: checkTarget(obj.target),
    value,
    dx: num(obj.dx ?? 0, 'dx'),
    dy: num(obj.dy ?? 0, 'dy'),
  };
}

/** Validate an `act_result` (either direction; internal). */
export function actResultOf(obj: JsonObject): ActResultMessage {
  const { ok, reason } = obj;
  if (typeof ok !== 'boolean' || !(reason === null || reason === undefined || typeof reason === 'string')) {
    throw new ProtocolError('act_result needs ok (bool) and reason (string or null)');
  }
  const { description } = obj;
  if (description !== undefined && description !== null &&
    (typeof description !== 'string' || description.length > MAX_DESCRIPTION)) {
    throw new ProtocolError(`act_result description: a string of at most ${MAX_DESCRIPTION}`);
  }
  return actResult(
    ident(obj, 'ref', 'act_result'),
    ok,
    typeof reason === 'string' ? reason : null,
    typeof description === 'string' ? description : undefined,
  );
}

/** Validate one numbered chat entry (a `chat` frame or an entry of `chat_history`; internal). */
export function chatEntry(value: unknown): ChatEntry {
  if (!isObject(value)) throw new ProtocolError('a chat entry must be an object');
  const seq = value.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
    throw new ProtocolError('chat needs a positive integer seq');
  }
  const from = value.from;
  if (from !== 'visitor' && from !== 'agent') throw new ProtocolError('chat from must be visitor or agent');
  const at = value.at;
  if (typeof at !== 'number' || !Number.isFinite(at)) throw new ProtocolError('chat needs a numeric at');
  return {
    seq,
    id: ident(value, 'id', 'chat'),
    from,
    name: str(value, 'name', 'chat'),
    text: chatText(value, 'chat'),
    at,
  };
}
