/**
 * The v1 wire protocol (docs/protocol.md): one typed union of WebSocket messages
 * in each direction, plus the REST answers the browser code reads.
 *
 * Pure: no DOM, no I/O. Validation mirrors the server (src/cobrowse/core/messages.py):
 * `v` must be 1, `t` must be known, fields must have the documented types. rrweb
 * events are checked only for their envelope (object, integer `type`, numeric
 * `timestamp`); their payload is passed on as is.
 */
import { type MaskRules, parseMaskRules } from './masking/rules';

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

export type Role = 'visitor' | 'agent';
export type SessionState = 'created' | 'pending' | 'active' | 'ended';
export const SESSION_STATES: readonly SessionState[] = ['created', 'pending', 'active', 'ended'];

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

export interface AgentInfo {
  readonly name: string;
}

/** The envelope of an rrweb event; structurally compatible with rrweb's `eventWithTime`. */
export interface RecordedEvent {
  readonly type: number;
  readonly timestamp: number;
  readonly [key: string]: unknown;
}

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
export interface ClientEventsMessage {
  readonly v: 1;
  readonly t: 'events';
  readonly events: readonly RecordedEvent[];
}
export interface EndMessage {
  readonly v: 1;
  readonly t: 'end';
}

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
export const MAX_ID = 64;
export const MAX_VALUE = 10_000;
export const MAX_REASON = 200;
/** An act_result's element description (the server refuses longer ones). */
export const MAX_DESCRIPTION = 120;

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

/** The visitor's answer to a file offer (also relayed to the agent as is). */
export interface OfferAnswerMessage {
  readonly v: 1;
  readonly t: 'offer_answer';
  readonly file_id: string;
  readonly accept: boolean;
}

export type ClientMessage =
  | OfferAnswerMessage
  | HelloMessage
  | ConsentMessage
  | ClientEventsMessage
  | EndMessage
  | GuideMessage
  | ChatMessage
  | ControlMessage
  | ActMessage
  | ActResultMessage;

export const hello = (token: string): HelloMessage => ({ v: VERSION, t: 'hello', token });
export const consent = (allow: boolean): ConsentMessage => ({ v: VERSION, t: 'consent', allow });
export const events = (list: readonly RecordedEvent[]): ClientEventsMessage => ({
  v: VERSION,
  t: 'events',
  events: list,
});
export const end = (): EndMessage => ({ v: VERSION, t: 'end' });
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

export const offerAnswer = (fileId: string, accept: boolean): OfferAnswerMessage => ({
  v: VERSION,
  t: 'offer_answer',
  file_id: fileId,
  accept,
});

/** The text of one WebSocket frame for a client message. */
export function encode(message: ClientMessage): string {
  return JSON.stringify(message);
}

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
export interface ServerEventsMessage {
  readonly v: 1;
  readonly t: 'events';
  readonly events: readonly RecordedEvent[];
}
export interface SnapshotRequestMessage {
  readonly v: 1;
  readonly t: 'snapshot_request';
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
/** The agent offers a file to the visitor. */
export interface OfferMessage {
  readonly v: 1;
  readonly t: 'offer';
  readonly file_id: string;
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly agent: AgentInfo | null;
}
/** After the visitor accepted: where to download the file (absolute, single use). */
export interface OfferReadyMessage {
  readonly v: 1;
  readonly t: 'offer_ready';
  readonly file_id: string;
  readonly url: string;
}
export type ServerMessage =
  | OfferMessage
  | OfferAnswerMessage
  | OfferReadyMessage
  | WelcomeMessage
  | StateMessage
  | ServerEventsMessage
  | SnapshotRequestMessage
  | EndedMessage
  | ErrorMessage
  | ServerGuideMessage
  | ServerChatMessage
  | ChatHistoryMessage
  | ControlStateMessage
  | ActMessage
  | ActResultMessage;

/** A frame that does not follow the protocol. */
export class ProtocolError extends Error {
  constructor(detail: string) {
    super(`bad message: ${detail}`);
    this.name = 'ProtocolError';
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function envelope(text: string): JsonObject {
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

function str(obj: JsonObject, field: string, kind: string): string {
  const value = obj[field];
  if (typeof value !== 'string') throw new ProtocolError(`${kind} needs a string ${field}`);
  return value;
}

function nullableStr(obj: JsonObject, field: string, kind: string): string | null {
  const value = obj[field];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new ProtocolError(`${kind} needs ${field}: string or null`);
  return value;
}

function nullableNumber(obj: JsonObject, field: string, kind: string): number | null {
  const value = obj[field];
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError(`${kind} needs ${field}: number or null`);
  }
  return value;
}

function state(obj: JsonObject, kind: string): SessionState {
  const value = obj.state;
  if (typeof value !== 'string' || !(SESSION_STATES as readonly string[]).includes(value)) {
    throw new ProtocolError(`${kind} has an unknown state ${JSON.stringify(value)}`);
  }
  return value as SessionState;
}

function agent(obj: JsonObject, kind: string): AgentInfo | null {
  const value = obj.agent;
  if (value === null || value === undefined) return null;
  if (!isObject(value) || typeof value.name !== 'string') {
    throw new ProtocolError(`${kind} needs agent: {name} or null`);
  }
  return { name: value.name };
}

function choice<T extends string>(obj: JsonObject, field: string, allowed: readonly T[], kind: string): T {
  const value = obj[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ProtocolError(`${kind} ${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function ident(obj: JsonObject, field: string, kind: string): string {
  const value = obj[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
    throw new ProtocolError(`${kind} ${field} must be a string of 1-${MAX_ID} characters`);
  }
  return value;
}

/** A finite number within the server's range (booleans are not numbers). */
function num(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError(`${name} must be a number`);
  }
  if (Math.abs(value) > 1e7) throw new ProtocolError(`${name} is out of range`);
  return value;
}

function unit(value: unknown, name: string): number {
  const n = num(value, name);
  if (n < 0 || n > 1) throw new ProtocolError(`${name} must be within 0..1`);
  return n;
}

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

function chatText(obj: JsonObject, kind: string): string {
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

function actResultOf(obj: JsonObject): ActResultMessage {
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

function chatEntry(value: unknown): ChatEntry {
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

function offerAnswerOf(obj: JsonObject): OfferAnswerMessage {
  if (typeof obj.accept !== 'boolean') throw new ProtocolError('offer_answer needs accept: true or false');
  return offerAnswer(ident(obj, 'file_id', 'offer_answer'), obj.accept);
}

function offerOf(obj: JsonObject): OfferMessage {
  const size = obj.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw new ProtocolError('offer needs a non-negative integer size');
  }
  const name = str(obj, 'name', 'offer');
  if (name === '') throw new ProtocolError('offer needs a file name');
  return {
    v: VERSION,
    t: 'offer',
    file_id: ident(obj, 'file_id', 'offer'),
    name,
    size,
    type: str(obj, 'type', 'offer'),
    agent: agent(obj, 'offer'),
  };
}

function offerReadyOf(obj: JsonObject): OfferReadyMessage {
  const url = str(obj, 'url', 'offer_ready');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProtocolError('offer_ready url must be an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ProtocolError('offer_ready url must be http(s)');
  }
  return { v: VERSION, t: 'offer_ready', file_id: ident(obj, 'file_id', 'offer_ready'), url };
}

/** Check a list of rrweb events: objects with an integer `type` and a numeric `timestamp`. */
export function checkEvents(value: unknown): RecordedEvent[] {
  if (!Array.isArray(value)) throw new ProtocolError('events must be a list');
  value.forEach((event: unknown, index) => {
    if (!isObject(event)) throw new ProtocolError(`event ${index} is not an object`);
    if (typeof event.type !== 'number' || !Number.isInteger(event.type)) {
      throw new ProtocolError(`event ${index} has no integer type`);
    }
    if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
      throw new ProtocolError(`event ${index} has no numeric timestamp`);
    }
  });
  return value as RecordedEvent[];
}

/** Parse and validate one frame from the server; throws ProtocolError on anything malformed. */
export function parseServerMessage(text: string): ServerMessage {
  const obj = envelope(text);
  const t = obj.t as string;
  switch (t) {
    case 'welcome': {
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
    case 'state':
      return { v: VERSION, t, state: state(obj, t), agent: agent(obj, t) };
    case 'events':
      return { v: VERSION, t, events: checkEvents(obj.events) };
    case 'snapshot_request':
      return { v: VERSION, t };
    case 'ended':
      return { v: VERSION, t, reason: str(obj, 'reason', t) };
    case 'error':
      return { v: VERSION, t, code: str(obj, 'code', t), message: str(obj, 'message', t) };
    case 'guide':
      return {
        v: VERSION,
        t,
        kind: choice(obj, 'kind', GUIDE_KINDS, t),
        target: checkTarget(obj.target),
        points: checkPoints(obj.points),
        agent: agent(obj, t),
      };
    case 'chat':
      return { v: VERSION, t, ...chatEntry(obj) };
    case 'chat_history': {
      if (!Array.isArray(obj.messages)) throw new ProtocolError('chat_history needs a list of messages');
      return { v: VERSION, t, messages: obj.messages.map(chatEntry) };
    }
    case 'control':
      return { v: VERSION, t, state: choice(obj, 'state', CONTROL_STATES, t) };
    case 'act':
      return { v: VERSION, t, ...checkActFields(obj) };
    case 'act_result':
      return actResultOf(obj);
    case 'offer':
      return offerOf(obj);
    case 'offer_answer':
      return offerAnswerOf(obj);
    case 'offer_ready':
      return offerReadyOf(obj);
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(t.slice(0, 40))}`);
  }
}

/** Parse and validate one client frame exactly as the server does (used by tests and tools). */
export function parseClientMessage(text: string): ClientMessage {
  const obj = envelope(text);
  const t = obj.t as string;
  switch (t) {
    case 'hello': {
      const token = obj.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new ProtocolError('hello needs a token string');
      }
      return hello(token);
    }
    case 'consent':
      if (typeof obj.allow !== 'boolean') throw new ProtocolError('consent needs allow: true or false');
      return consent(obj.allow);
    case 'events':
      return events(checkEvents(obj.events));
    case 'end':
      return end();
    case 'guide':
      return guide(choice(obj, 'kind', GUIDE_KINDS, t), checkTarget(obj.target), checkPoints(obj.points));
    case 'chat':
      return chat(ident(obj, 'id', t), chatText(obj, t));
    case 'control': {
      const action = choice(obj, 'action', CONTROL_ACTIONS, t);
      if (obj.reason === undefined || obj.reason === null) return control(action);
      if (action !== 'revoke') throw new ProtocolError('only a revoke carries a reason');
      return control(action, choice(obj, 'reason', REVOKE_REASONS, t));
    }
    case 'act':
      return { v: VERSION, t, ...checkActFields(obj) };
    case 'act_result':
      return actResultOf(obj);
    case 'offer_answer':
      return offerAnswerOf(obj);
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(t.slice(0, 40))}`);
  }
}

// --- REST answers -------------------------------------------------------------

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
}

export type SessionMode = 'proxy' | 'inline';

export interface JoinedSession {
  readonly session_id: string;
  readonly agent_token: string;
  readonly ws_url: string;
  readonly agent: AgentInfo | null;
}

/** The answer of `POST /api/v1/sessions/{id}/files`. */
export interface OfferedFile {
  readonly file_id: string;
  readonly name: string;
  readonly size: number;
  readonly type: string;
}

/** Validate the answer of `POST /api/v1/sessions/{id}/files`. */
export function parseOfferedFile(body: unknown): OfferedFile {
  if (!isObject(body)) throw new ProtocolError('file answer is not an object');
  const kind = 'file answer';
  const size = body.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw new ProtocolError(`${kind} needs a non-negative integer size`);
  }
  return {
    file_id: ident(body, 'file_id', kind),
    name: str(body, 'name', kind),
    size,
    type: str(body, 'type', kind),
  };
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
  };
}

export interface OverlayAnswer {
  /** Absolute http(s) URL the overlay iframe starts at. */
  readonly src: string;
  /** The origin of `src` (a proxy host). */
  readonly proxy_origin: string;
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
  return { src: url.href, proxy_origin: proxyOrigin };
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
