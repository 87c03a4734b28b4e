/**
 * The widget's chat and file offers: the chat log with its unread count (kept per
 * session in sessionStorage), the visitor's messages (masked like the page), and the
 * agent's file offers waiting for an answer.
 */
import { type ChatHistoryMessage, type ControlState, type OfferMessage, type ServerChatMessage, chat, offerAnswer } from '../protocol';
import { ChatLog, newChatId } from '../chat';
import type { WidgetContext } from './context';

const READ_KEY = 'cobrowse:chat-read:';

export class Conversation {
  private chatLog: ChatLog | null = null;
  private chatOpen = false;
  /** File offers waiting for the visitor's answer (the first one is shown). */
  private offers: OfferMessage[] = [];

  constructor(
    private readonly ctx: WidgetContext,
    /** The control state shown next to the chat button. */
    private readonly controlState: () => ControlState,
  ) {}

  // --- chat ------------------------------------------------------------------------

  /** The visitor opened or closed the chat panel. */
  toggle(open: boolean): void {
    this.chatOpen = open;
    if (open) this.markRead();
    this.renderExtras();
  }

  /** Show the unread count, the control state and whether the chat is open. */
  renderExtras(): void {
    const log = this.chatLog;
    if (this.chatOpen && log && log.unread > 0) this.markRead();
    this.ctx.ui.setExtras({
      unread: log ? log.unread : 0,
      control: this.controlState(),
      chatOpen: this.chatOpen,
    });
  }

  private markRead(): void {
    const log = this.chatLog;
    const session = this.ctx.session();
    if (!log || !session) return;
    const seq = log.markRead();
    try {
      sessionStorage.setItem(READ_KEY + session.session_id, String(seq));
    } catch {
      /* unread counts restart after a page load */
    }
  }

  private ensureChat(): ChatLog {
    if (this.chatLog) return this.chatLog;
    let read = 0;
    try {
      read = Number(sessionStorage.getItem(READ_KEY + (this.ctx.session()?.session_id ?? ''))) || 0;
    } catch {
      read = 0;
    }
    this.chatLog = new ChatLog('visitor', read);
    return this.chatLog;
  }

  /** The visitor sends a chat message. */
  send(text: string): void {
    // What the visitor types in the chat goes through the same value patterns.
    const pending = this.ensureChat().send(newChatId('v'), this.ctx.pageMasker().text(text, null));
    if (pending) this.ctx.send(chat(pending.id, pending.text));
  }

  /** Send again what the server has not numbered yet (after a welcome). */
  resendPending(): void {
    for (const p of this.chatLog?.pending ?? []) this.ctx.send(chat(p.id, p.text));
  }

  /** A chat message or the history from the server. */
  onChat(message: ServerChatMessage | ChatHistoryMessage): void {
    const log = this.ensureChat();
    const added = log.add(message.t === 'chat' ? [message] : message.messages);
    if (added.length) this.ctx.ui.chatEntries(log.entries);
    this.renderExtras();
    // A message arriving now (not the history after a reload) shows for a while by the bar.
    if (message.t === 'chat' && !this.chatOpen) {
      for (const entry of added) if (entry.from !== 'visitor') this.ctx.ui.chatMessage(entry.name, entry.text);
    }
  }

  // --- documents -------------------------------------------------------------------

  onOffer(offer: OfferMessage): void {
    if (!this.ctx.active()) return;
    if (!this.offers.some((o) => o.file_id === offer.file_id)) this.offers.push(offer);
    this.ctx.ui.showOffer(this.offers[0] ?? null);
  }

  /** The visitor accepted or declined an offer. */
  answerOffer(fileId: string, accept: boolean): void {
    this.offers = this.offers.filter((o) => o.file_id !== fileId);
    this.ctx.send(offerAnswer(fileId, accept));
    this.ctx.ui.showOffer(this.offers[0] ?? null);
    if (!accept) this.ctx.ui.toast(this.ctx.tr.s.declined);
  }

  onOfferReady(url: string): void {
    if (!this.ctx.active()) return;
    this.ctx.ui.toast(this.ctx.tr.s.downloading);
    try {
      this.ctx.ui.download(url);
    } catch {
      /* the browser refused; the visitor can ask the agent again */
    }
  }

  /** Forget the chat and the offers (the session is over). */
  reset(): void {
    this.chatLog = null;
    this.chatOpen = false;
    this.offers = [];
    this.ctx.ui.showOffer(null);
  }
}
