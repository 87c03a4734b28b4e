/**
 * The supervision family: private notes between the agent and the supervisors watching
 * (`note` both ways, `note_history`), who else is in the session (`participants`), a
 * supervisor asking the visitor to watch (`watch_answer`), a new agent (`handed_over`)
 * and an offered transfer (`transfer`). The visitor never receives notes.
 */
import {
  type AgentInfo,
  type JsonObject,
  ProtocolError,
  VERSION,
  choice,
  ident,
  isObject,
  str,
} from './common';
import { chatText } from './guidance';

export type NoteSender = 'agent' | 'watcher';

export interface NoteEntry {
  readonly seq: number;
  readonly id: string;
  readonly from: NoteSender;
  readonly name: string;
  readonly text: string;
  readonly at: number;
}

// --- client -> server --------------------------------------------------------

export interface NoteMessage {
  readonly v: 1;
  readonly t: 'note';
  readonly id: string;
  readonly text: string;
}
export interface WatchAnswerMessage {
  readonly v: 1;
  readonly t: 'watch_answer';
  readonly watcher: string;
  readonly allow: boolean;
}

export const note = (id: string, text: string): NoteMessage => ({ v: VERSION, t: 'note', id, text });
export const watchAnswer = (watcher: string, allow: boolean): WatchAnswerMessage => ({
  v: VERSION,
  t: 'watch_answer',
  watcher,
  allow,
});

// --- server -> client --------------------------------------------------------

export interface ServerNoteMessage extends NoteEntry {
  readonly v: 1;
  readonly t: 'note';
}
export interface NoteHistoryMessage {
  readonly v: 1;
  readonly t: 'note_history';
  readonly notes: readonly NoteEntry[];
}
export interface Asking {
  readonly id: string;
  readonly name: string;
}
export interface ParticipantsMessage {
  readonly v: 1;
  readonly t: 'participants';
  /** Supervisors watching (the visitor allowed them, or the site needs no Allow). */
  readonly watching: readonly AgentInfo[];
  /** Supervisors asking the visitor to watch, until the visitor answers. */
  readonly asking: readonly Asking[];
}
export type HandOver = 'taken_over' | 'transferred';
export const HAND_OVERS: readonly HandOver[] = ['taken_over', 'transferred'];
export interface HandedOverMessage {
  readonly v: 1;
  readonly t: 'handed_over';
  readonly agent: AgentInfo;
  readonly how: HandOver;
}
export type TransferState = 'offered' | 'declined' | 'lapsed';
export const TRANSFER_STATES: readonly TransferState[] = ['offered', 'declined', 'lapsed'];
export interface TransferMessage {
  readonly v: 1;
  readonly t: 'transfer';
  readonly state: TransferState;
  readonly to: AgentInfo;
}

// --- parsing (internal) ----------------------------------------------------------

function named(value: unknown, kind: string): AgentInfo {
  if (!isObject(value)) throw new ProtocolError(`${kind} needs {name}`);
  return { name: str(value, 'name', kind) };
}

export function noteEntry(value: unknown): NoteEntry {
  if (!isObject(value)) throw new ProtocolError('a note must be an object');
  const { seq, from, at } = value;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
    throw new ProtocolError('note needs a positive integer seq');
  }
  if (from !== 'agent' && from !== 'watcher') throw new ProtocolError('note from must be agent or watcher');
  if (typeof at !== 'number' || !Number.isFinite(at)) throw new ProtocolError('note needs a numeric at');
  return { seq, id: ident(value, 'id', 'note'), from, name: str(value, 'name', 'note'), text: chatText(value, 'note'), at };
}

export function noteHistoryOf(obj: JsonObject): NoteHistoryMessage {
  if (!Array.isArray(obj.notes)) throw new ProtocolError('note_history needs a list of notes');
  return { v: VERSION, t: 'note_history', notes: obj.notes.map(noteEntry) };
}

export function participantsOf(obj: JsonObject): ParticipantsMessage {
  const t = 'participants';
  const { watching, asking } = obj;
  if (!Array.isArray(watching) || !Array.isArray(asking)) {
    throw new ProtocolError('participants needs watching and asking lists');
  }
  return {
    v: VERSION,
    t,
    watching: watching.map((w) => named(w, t)),
    asking: asking.map((a) => {
      if (!isObject(a)) throw new ProtocolError('participants asking needs {id, name}');
      return { id: ident(a, 'id', t), name: str(a, 'name', t) };
    }),
  };
}

export function handedOverOf(obj: JsonObject): HandedOverMessage {
  const t = 'handed_over';
  return { v: VERSION, t, agent: named(obj.agent, t), how: choice(obj, 'how', HAND_OVERS, t) };
}

export function transferOf(obj: JsonObject): TransferMessage {
  const t = 'transfer';
  return { v: VERSION, t, state: choice(obj, 'state', TRANSFER_STATES, t), to: named(obj.to, t) };
}

export function watchAnswerOf(obj: JsonObject): WatchAnswerMessage {
  if (typeof obj.allow !== 'boolean') throw new ProtocolError('watch_answer needs allow: true or false');
  return watchAnswer(ident(obj, 'watcher', 'watch_answer'), obj.allow);
}
