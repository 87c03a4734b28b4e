/**
 * What the controller's helpers (conversation.ts, guidance.ts, proxy-mode.ts) may
 * see of it: the DOM, the widget UI, the session, the state machine's verdict and
 * the socket. The controller owns all of these; the helpers only read or send.
 */
import type { ClientMessage } from '../protocol';
import type { Translator } from '../i18n';
import type { Masker } from '../masking/masker';
import type { StoredSession } from './storage';
import type { WidgetUi } from './ui';

export interface WidgetContext {
  readonly doc: Document;
  readonly ui: WidgetUi;
  readonly tr: Translator;
  /** The session this page is in, or null. */
  session(): StoredSession | null;
  /** Whether the state machine is in `active`. */
  active(): boolean;
  /** Send a frame on the session's socket, if there is one (false if not sent). */
  send(message: ClientMessage): boolean;
  /** The masker of the page the visitor is on now. */
  pageMasker(): Masker;
}

/** The window of the widget's document. */
export function windowOf(doc: Document): Window {
  return doc.defaultView ?? window;
}
