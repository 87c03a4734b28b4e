/**
 * The files family: offer (agent -> visitor), offer_answer (the visitor's answer,
 * relayed to the agent as is), offer_ready (where to download), and the REST answer
 * of an upload.
 */
import { type AgentInfo, type JsonObject, ProtocolError, VERSION, agent, ident, isObject, str } from './common';

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

/** The visitor's answer to a file offer (also relayed to the agent as is). */
export interface OfferAnswerMessage {
  readonly v: 1;
  readonly t: 'offer_answer';
  readonly file_id: string;
  readonly accept: boolean;
}

/** After the visitor accepted: where to download the file (absolute, single use). */
export interface OfferReadyMessage {
  readonly v: 1;
  readonly t: 'offer_ready';
  readonly file_id: string;
  readonly url: string;
}

export const offerAnswer = (fileId: string, accept: boolean): OfferAnswerMessage => ({
  v: VERSION,
  t: 'offer_answer',
  file_id: fileId,
  accept,
});

// --- parsing (internal) ----------------------------------------------------------

export function offerAnswerOf(obj: JsonObject): OfferAnswerMessage {
  if (typeof obj.accept !== 'boolean') throw new ProtocolError('offer_answer needs accept: true or false');
  return offerAnswer(ident(obj, 'file_id', 'offer_answer'), obj.accept);
}

export function offerOf(obj: JsonObject): OfferMessage {
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

export function offerReadyOf(obj: JsonObject): OfferReadyMessage {
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

// --- REST ------------------------------------------------------------------------

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
