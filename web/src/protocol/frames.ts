/**
 * Whole frames: the union of messages in each direction, encoding, and the two
 * parsers that dispatch on `t` to each family's validation.
 */
import { type JsonObject, type Numbered, ProtocolError, VERSION, agent, choice, envelope, frameNumber, ident } from './common';
import { type ClientEventsMessage, type ServerEventsMessage, type SnapshotRequestMessage, checkEvents, events } from './events';
import {
  type OfferAnswerMessage,
  type OfferMessage,
  type OfferReadyMessage,
  offerAnswerOf,
  offerOf,
  offerReadyOf,
} from './files';
import {
  type ActMessage,
  type ActResultMessage,
  CONTROL_ACTIONS,
  CONTROL_STATES,
  type ChatHistoryMessage,
  type ChatMessage,
  type ControlMessage,
  type ControlStateMessage,
  GUIDE_KINDS,
  type GuideMessage,
  REVOKE_REASONS,
  type ServerChatMessage,
  type ServerGuideMessage,
  actResultOf,
  chat,
  chatEntry,
  chatText,
  checkActFields,
  checkPoints,
  checkTarget,
  control,
  guide,
} from './guidance';
import {
  type HandedOverMessage,
  type NoteHistoryMessage,
  type NoteMessage,
  type ParticipantsMessage,
  type ServerNoteMessage,
  type TransferMessage,
  type WatchAnswerMessage,
  handedOverOf,
  note,
  noteEntry,
  noteHistoryOf,
  participantsOf,
  transferOf,
  watchAnswerOf,
} from './people';
import {
  type ConsentMessage,
  type EndMessage,
  type EndedMessage,
  type ErrorMessage,
  type HelloMessage,
  type StateMessage,
  type SyncedMessage,
  type WelcomeMessage,
  consentOf,
  end,
  endedOf,
  errorOf,
  helloOf,
  stateOf,
  syncedOf,
  welcomeOf,
} from './session';

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
  | ActResultMessage
  | NoteMessage
  | WatchAnswerMessage;

/**
 * Frames from a participant's session log, which may carry `n` (their number in that
 * log; a `chat`'s `seq` is the chat message's own number). `welcome` and `synced`
 * carry the log position as their `n`; the rest are connection-scoped.
 */
export type NumberedMessage =
  | ServerChatMessage
  | OfferMessage
  | OfferAnswerMessage
  | OfferReadyMessage
  | StateMessage
  | ServerEventsMessage
  | SnapshotRequestMessage
  | ServerGuideMessage
  | ControlStateMessage
  | ActMessage
  | ActResultMessage
  | ServerNoteMessage
  | ParticipantsMessage
  | HandedOverMessage
  | TransferMessage;

export type ServerMessage =
  | (NumberedMessage & Numbered)
  | WelcomeMessage
  | SyncedMessage
  | EndedMessage
  | ErrorMessage
  | ChatHistoryMessage
  | NoteHistoryMessage;

/** The text of one WebSocket frame for a client message. */
export function encode(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** Parse and validate one frame from the server; throws ProtocolError on anything malformed. */
export function parseServerMessage(text: string): ServerMessage {
  const obj = envelope(text);
  const message = serverBody(obj);
  switch (message.t) {
    case 'welcome':
    case 'synced':
    case 'chat_history':
    case 'note_history':
    case 'ended':
    case 'error':
      return message;
    default: {
      const n = frameNumber(obj, message.t);
      return n === undefined ? message : { ...message, n };
    }
  }
}

function serverBody(obj: JsonObject): ServerMessage {
  const t = obj.t as string;
  switch (t) {
    case 'welcome':
      return welcomeOf(obj);
    case 'synced':
      return syncedOf(obj);
    case 'state':
      return stateOf(obj);
    case 'events':
      return { v: VERSION, t, events: checkEvents(obj.events) };
    case 'snapshot_request':
      return { v: VERSION, t };
    case 'ended':
      return endedOf(obj);
    case 'error':
      return errorOf(obj);
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
    case 'note':
      return { v: VERSION, t, ...noteEntry(obj) };
    case 'note_history':
      return noteHistoryOf(obj);
    case 'participants':
      return participantsOf(obj);
    case 'handed_over':
      return handedOverOf(obj);
    case 'transfer':
      return transferOf(obj);
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(t.slice(0, 40))}`);
  }
}

/** Parse and validate one client frame exactly as the server does (used by tests and tools). */
export function parseClientMessage(text: string): ClientMessage {
  const obj = envelope(text);
  const t = obj.t as string;
  switch (t) {
    case 'hello':
      return helloOf(obj);
    case 'consent':
      return consentOf(obj);
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
    case 'note':
      return note(ident(obj, 'id', t), chatText(obj, t));
    case 'watch_answer':
      return watchAnswerOf(obj);
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(t.slice(0, 40))}`);
  }
}
