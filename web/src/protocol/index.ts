/**
 * The v1 wire protocol (docs/protocol.md): one typed union of WebSocket messages
 * in each direction, plus the REST answers the browser code reads.
 *
 * Pure: no DOM, no I/O. Validation mirrors the server (src/cobrowse/core/messages.py):
 * `v` must be 1, `t` must be known, fields must have the documented types. rrweb
 * events are checked only for their envelope (object, integer `type`, numeric
 * `timestamp`); their payload is passed on as is.
 *
 * One module per message family; this file re-exports their public names (the
 * field readers of common.ts and the families' `...Of` parsers stay internal):
 *   common.ts    version, close codes, roles, session states, frame numbers, ProtocolError
 *   session.ts   hello, consent, end; welcome, synced, state, ended, error
 *   events.ts    events (both directions), snapshot_request
 *   guidance.ts  guide, chat, chat_history, control, act, act_result
 *   files.ts     offer, offer_answer, offer_ready; the upload answer
 *   people.ts    note, note_history, participants, watch_answer, handed_over, transfer
 *   frames.ts    the message unions, encode, parseServerMessage, parseClientMessage
 *   rest.ts      the other REST answers, resolveWsUrl
 */
export {
  type AgentInfo,
  CLOSE_BAD_MESSAGE,
  CLOSE_BAD_TOKEN,
  CLOSE_ENDED,
  CLOSE_HANDED_OVER,
  CLOSE_WATCH_ENDED,
  CLOSE_HELLO_TIMEOUT,
  CLOSE_NORMAL,
  CLOSE_NOT_ALLOWED,
  CLOSE_REPLACED,
  CLOSE_TOO_BIG,
  MAX_ID,
  MAX_SEQ,
  MAX_TOKEN_LENGTH,
  type Numbered,
  ProtocolError,
  type RecordedEvent,
  type Role,
  SESSION_STATES,
  type SessionState,
  VERSION,
} from './common';
export {
  type ConsentMessage,
  type EndMessage,
  type EndReason,
  type EndedMessage,
  type ErrorMessage,
  type HelloMessage,
  type StateMessage,
  type SyncedMessage,
  type WelcomeMessage,
  consent,
  end,
  hello,
} from './session';
export {
  type ClientEventsMessage,
  type ServerEventsMessage,
  type SnapshotRequestMessage,
  checkEvents,
  events,
} from './events';
export {
  ACT_KINDS,
  type ActFields,
  type ActKind,
  type ActMessage,
  type ActResultMessage,
  CONTROL_ACTIONS,
  CONTROL_STATES,
  type ChatEntry,
  type ChatHistoryMessage,
  type ChatMessage,
  type ChatSender,
  type ControlAction,
  type ControlMessage,
  type ControlState,
  type ControlStateMessage,
  GUIDE_KINDS,
  type GuideKind,
  type GuideMessage,
  MAX_CHAT,
  MAX_DESCRIPTION,
  MAX_POINTS,
  MAX_REASON,
  MAX_VALUE,
  type Point,
  REVOKE_REASONS,
  type RevokeReason,
  type ServerChatMessage,
  type ServerGuideMessage,
  type Target,
  act,
  actResult,
  chat,
  checkActFields,
  checkPoints,
  checkTarget,
  control,
  guide,
} from './guidance';
export {
  type OfferAnswerMessage,
  type OfferMessage,
  type OfferReadyMessage,
  type OfferedFile,
  offerAnswer,
  parseOfferedFile,
} from './files';
export {
  type Asking,
  type HandOver,
  type HandedOverMessage,
  type NoteEntry,
  type NoteHistoryMessage,
  type NoteMessage,
  type NoteSender,
  type ParticipantsMessage,
  type ServerNoteMessage,
  type TransferMessage,
  type TransferState,
  type WatchAnswerMessage,
  note,
  watchAnswer,
} from './people';
export {
  type ClientMessage,
  type NumberedMessage,
  type ServerMessage,
  encode,
  parseClientMessage,
  parseServerMessage,
} from './frames';
export {
  type ApiError,
  type CreatedSession,
  type JoinedSession,
  type OverlayAnswer,
  type SessionMode,
  parseApiError,
  parseCreatedSession,
  parseJoinedSession,
  parseOverlayAnswer,
  resolveWsUrl,
} from './rest';
