/**
 * Live chat, shared by the widget and the console. `ChatLog` (pure) keeps the server's
 * numbered messages (deduplicated by `seq`, so a reconnect's `chat_history` never
 * doubles anything), this side's unconfirmed sends (resent after a reconnect: the
 * server ignores repeated ids) and the unread count. `ChatView` is the DOM: a log
 * (role=log), a field labelled "Message" and a "Send" button.
 */
import type { ChatEntry, Role } from './protocol';
import { MAX_CHAT } from './protocol';

export interface PendingChat {
  readonly id: string;
  readonly text: string;
}

export function newChatId(prefix: string): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  const rand =
    c && typeof c.randomUUID === 'function'
      ? c.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
  return `${prefix}-${rand}`.slice(0, 64);
}

export class ChatLog {
  private readonly bySeq = new Map<number, ChatEntry>();
  private readonly pendingById = new Map<string, PendingChat>();
  private sorted: ChatEntry[] = [];

  constructor(
    /** Whose messages are "mine" (never unread). */
    readonly self: Role,
    /** The highest seq already read (e.g. restored after a page load). */
    private lastRead = 0,
  ) {}

  /** Add server entries; returns the ones not seen before, in seq order. */
  add(entries: readonly ChatEntry[]): ChatEntry[] {
    const added: ChatEntry[] = [];
    for (const entry of entries) {
      if (entry.from === this.self) this.pendingById.delete(entry.id);
      if (this.bySeq.has(entry.seq)) continue;
      this.bySeq.set(entry.seq, entry);
      added.push(entry);
    }
    if (added.length) {
      this.sorted = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
      added.sort((a, b) => a.seq - b.seq);
    }
    return added;
  }

  get entries(): readonly ChatEntry[] {
    return this.sorted;
  }

  /** A message typed here: remember it until the server confirms it. */
  send(id: string, text: string): PendingChat | null {
    const clean = text.trim() === '' ? '' : text.slice(0, MAX_CHAT);
    if (!clean) return null;
    const pending = { id, text: clean };
    this.pendingById.set(id, pending);
    return pending;
  }

  /** Sent messages the server has not echoed yet (resend these after a reconnect). */
  get pending(): PendingChat[] {
    return [...this.pendingById.values()];
  }

  get unread(): number {
    let n = 0;
    for (const e of this.sorted) if (e.from !== this.self && e.seq > this.lastRead) n += 1;
    return n;
  }

  get readUpTo(): number {
    return this.lastRead;
  }

  /** Everything so far has been seen; returns the new read mark. */
  markRead(): number {
    const last = this.sorted.length ? this.sorted[this.sorted.length - 1]!.seq : 0;
    this.lastRead = Math.max(this.lastRead, last);
    return this.lastRead;
  }
}

export interface ChatViewOptions {
  readonly self: Role;
  /** Unique among the page's ids (the field's label points at it). */
  readonly idPrefix: string;
  readonly send: (text: string) => void;
  readonly strings?: Partial<ChatStrings>;
}

export interface ChatStrings {
  readonly title: string;
  readonly log: string;
  readonly message: string;
  readonly send: string;
  readonly you: string;
  readonly empty: string;
}

export const CHAT_STRINGS_EN: ChatStrings = {
  title: 'Chat',
  log: 'Conversation',
  message: 'Message',
  send: 'Send',
  you: 'You',
  empty: 'No messages yet.',
};

export class ChatView {
  readonly root: HTMLElement;
  readonly log: HTMLElement;
  readonly input: HTMLInputElement;
  readonly button: HTMLButtonElement;
  private readonly empty: HTMLElement;
  private readonly shown = new Set<number>();
  private strings: ChatStrings;

  constructor(
    private readonly doc: Document,
    private readonly opts: ChatViewOptions,
  ) {
    const s = (this.strings = { ...CHAT_STRINGS_EN, ...(opts.strings ?? {}) });
    const id = opts.idPrefix;
    this.root = doc.createElement('section');
    this.root.className = 'cb-chat';
    this.root.setAttribute('aria-labelledby', `${id}-title`);
    const title = doc.createElement('h2');
    title.className = 'cb-chat-title';
    title.id = `${id}-title`;
    title.textContent = s.title;
    this.log = doc.createElement('div');
    this.log.className = 'cb-chat-log';
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-live', 'polite');
    this.log.setAttribute('aria-label', s.log);
    this.log.tabIndex = 0;
    this.empty = doc.createElement('p');
    this.empty.className = 'cb-chat-empty';
    this.empty.textContent = s.empty;
    this.log.append(this.empty);
    const form = doc.createElement('form');
    form.className = 'cb-chat-form';
    const label = doc.createElement('label');
    label.htmlFor = `${id}-input`;
    label.className = 'cb-chat-label';
    label.textContent = s.message;
    this.input = doc.createElement('input');
    this.input.id = `${id}-input`;
    this.input.type = 'text';
    this.input.autocomplete = 'off';
    this.input.maxLength = MAX_CHAT;
    this.button = doc.createElement('button');
    this.button.type = 'submit';
    this.button.className = 'cb-chat-send';
    this.button.textContent = s.send;
    form.append(label, this.input, this.button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = this.input.value;
      if (text.trim() === '') return;
      this.input.value = '';
      opts.send(text);
    });
    this.root.append(title, this.log, form);
  }

  /** Forget what is shown (a new session). */
  reset(): void {
    this.shown.clear();
    this.log.querySelectorAll('.cb-chat-msg').forEach((n) => n.remove());
    this.empty.hidden = false;
  }

  /** Show `entries` (server order); entries already shown are skipped. */
  render(entries: readonly ChatEntry[]): void {
    let appended = false;
    for (const e of entries) {
      if (this.shown.has(e.seq)) continue;
      this.shown.add(e.seq);
      const p = this.doc.createElement('p');
      p.className = 'cb-chat-msg';
      p.dataset.from = e.from;
      p.dataset.seq = String(e.seq);
      const who = this.doc.createElement('span');
      who.className = 'cb-chat-name';
      who.textContent = e.from === this.opts.self ? this.strings.you : e.name;
      const text = this.doc.createElement('span');
      text.className = 'cb-chat-text';
      text.textContent = e.text;
      p.append(who, text);
      // keep seq order even if an older entry arrives late
      const after = [...this.log.querySelectorAll<HTMLElement>('.cb-chat-msg')].find(
        (n) => Number(n.dataset.seq) > e.seq,
      );
      this.log.insertBefore(p, after ?? null);
      appended = true;
    }
    this.empty.hidden = this.shown.size > 0;
    if (appended) this.log.scrollTop = this.log.scrollHeight;
  }
}
