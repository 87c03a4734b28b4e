/**
 * Supervision in the console: the REST calls behind Watch, Take over and Transfer,
 * the transfer dialog, the private notes between the agent and the supervisors
 * watching (never the visitor's), and the session bar's line naming who else watches.
 */
import { ChatLog, ChatView, newChatId } from '../chat';
import { attr, label, t } from './i18n';
import {
  type ChatEntry,
  type ClientMessage,
  type JoinedSession,
  type NoteEntry,
  type ServerMessage,
  note,
  parseApiError,
  parseJoinedSession,
} from '../protocol';

export type ConsoleRole = 'agent' | 'watcher';

export interface Answer<T> {
  readonly ok: boolean;
  readonly status: number;
  readonly message: string;
  readonly body: T | null;
}

async function call<T>(method: string, url: string, body?: unknown, parse?: (b: unknown) => T): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'include',
      cache: 'no-store',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, message: 'The co-browse server cannot be reached.', body: null };
  }
  const json: unknown = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = parseApiError(json)?.message || `The co-browse server answered ${response.status}.`;
    return { ok: false, status: response.status, message, body: null };
  }
  try {
    return { ok: true, status: response.status, message: '', body: parse ? parse(json) : (json as T) };
  } catch {
    return { ok: false, status: 500, message: 'The co-browse server sent an answer the console cannot read.', body: null };
  }
}

export interface Watching {
  readonly watcher_id: string;
  readonly token: string;
  readonly ws_url: string;
  readonly asks_visitor: boolean;
}

function parseWatching(b: unknown): Watching {
  const o = b as Partial<Watching> | null;
  if (!o || typeof o.token !== 'string' || typeof o.ws_url !== 'string' || typeof o.watcher_id !== 'string') {
    throw new Error('not a watch');
  }
  return { watcher_id: o.watcher_id, token: o.token, ws_url: o.ws_url, asks_visitor: o.asks_visitor === true };
}

export interface ConsoleAgent {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly team: string | null;
}

const base = (id: string): string => `/api/v1/sessions/${encodeURIComponent(id)}`;

export const supervision = {
  watch: (id: string) => call('POST', `${base(id)}/watch`, undefined, parseWatching),
  unwatch: (id: string) => call<null>('DELETE', `${base(id)}/watch`),
  takeOver: (id: string) => call<JoinedSession>('POST', `${base(id)}/take-over`, undefined, parseJoinedSession),
  accept: (id: string) => call<JoinedSession>('POST', `${base(id)}/transfer/accept`, undefined, parseJoinedSession),
  decline: (id: string) => call<null>('POST', `${base(id)}/transfer/decline`),
  transfer: (id: string, to: string) => call<{ to: string; expires_at: number }>('POST', `${base(id)}/transfer`, { to }),
  agents: () =>
    call('GET', '/api/v1/console/agents', undefined, (b) => {
      const list = (b as { agents?: unknown } | null)?.agents;
      if (!Array.isArray(list)) throw new Error('no agents');
      return list as ConsoleAgent[];
    }),
};

/** A note as the chat view shows it: one's own notes as "You", the others by name. */
function asChat(entry: NoteEntry, role: ConsoleRole): ChatEntry {
  return { ...entry, from: entry.from === role ? 'agent' : 'visitor' };
}

/**
 * The private notes panel and the "also watching" line; fed the server's frames.
 * Shown to a watcher always, to the agent once someone watches or a note exists.
 */
export class Notes {
  readonly root: HTMLElement;
  readonly watchingLine: HTMLElement;
  private readonly view: ChatView;
  private log = new ChatLog('agent');
  private role: ConsoleRole = 'agent';
  private watching: readonly string[] = [];

  constructor(
    private readonly doc: Document,
    private readonly send: (message: ClientMessage) => boolean,
  ) {
    this.view = new ChatView(doc, {
      self: 'agent',
      idPrefix: 'notes',
      send: (text) => {
        const pending = this.log.send(newChatId('n'), text);
        if (pending) this.send(note(pending.id, pending.text));
      },
      strings: {
        title: t('notesTitle'),
        log: t('notesTitle'),
        message: t('notesMessage'),
        send: t('chatSend'),
        you: t('chatYou'),
        empty: t('notesEmpty'),
      },
    });
    const root = this.view.root;
    const tag = (selector: string, key: 'notesTitle' | 'notesMessage' | 'notesEmpty' | 'chatSend'): void => {
      const el = root.querySelector<HTMLElement>(selector);
      if (el) label(el, key);
    };
    tag('.cb-chat-title', 'notesTitle');
    tag('.cb-chat-label', 'notesMessage');
    tag('.cb-chat-empty', 'notesEmpty');
    tag('.cb-chat-send', 'chatSend');
    const log = root.querySelector('.cb-chat-log');
    if (log) attr(log, 'aria-label', 'notesTitle');
    this.root = doc.createElement('div');
    this.root.className = 'notes-panel';
    this.root.append(this.view.root);
    this.watchingLine = doc.createElement('p');
    this.watchingLine.className = 'watching-line';
    this.watchingLine.setAttribute('role', 'status');
    this.render();
  }

  relabel(): void {
    this.render();
  }

  setRole(role: ConsoleRole): void {
    this.role = role;
    this.render();
  }

  /** Handle a supervision frame; false for any other frame. */
  onMessage(message: ServerMessage): boolean {
    switch (message.t) {
      case 'note':
      case 'note_history': {
        const entries = message.t === 'note' ? [message] : message.notes;
        this.log.add(entries.map((e) => asChat(e, this.role)));
        this.view.render(this.log.entries);
        this.render();
        return true;
      }
      case 'participants':
        this.watching = message.watching.map((w) => w.name);
        this.render();
        return true;
      default:
        return false;
    }
  }

  /** Notes typed while away are sent again once the socket is back. */
  resend(): void {
    for (const p of this.log.pending) this.send(note(p.id, p.text));
  }

  reset(): void {
    this.log = new ChatLog('agent');
    this.view.reset();
    this.watching = [];
    this.render();
  }

  private render(): void {
    this.root.hidden = this.role === 'agent' && this.watching.length === 0 && this.log.entries.length === 0;
    const names = this.watching.join(', ');
    this.watchingLine.textContent = names ? t('alsoWatching', { names }) : '';
    this.watchingLine.hidden = !names;
  }
}

/** The dialog to pick whom to transfer a session to; resolves with their id or null. */
export async function chooseAgent(doc: Document): Promise<ConsoleAgent | null> {
  const answer = await supervision.agents();
  const dialog = doc.createElement('dialog');
  dialog.className = 'transfer-dialog';
  dialog.setAttribute('aria-labelledby', 'transfer-title');
  const title = doc.createElement('h2');
  title.id = 'transfer-title';
  label(title, 'transferTitle');
  const form = doc.createElement('form');
  form.method = 'dialog';
  const agents = answer.body ?? [];
  const list = doc.createElement('fieldset');
  const legend = doc.createElement('legend');
  label(legend, agents.length ? 'transferTo' : 'transferNobody');
  list.append(legend);
  agents.forEach((a, i) => {
    const label = doc.createElement('label');
    label.className = 'transfer-choice';
    const radio = doc.createElement('input');
    radio.type = 'radio';
    radio.name = 'transfer-to';
    radio.value = a.id;
    radio.checked = i === 0;
    label.append(radio, ` ${a.name}${a.team ? ` (${a.team})` : ''}`);
    list.append(label);
  });
  const buttons = doc.createElement('div');
  buttons.className = 'dialog-actions';
  const cancel = doc.createElement('button');
  cancel.type = 'submit';
  cancel.value = '';
  cancel.className = 'button secondary';
  label(cancel, 'transferCancel');
  const ok = doc.createElement('button');
  ok.type = 'submit';
  ok.value = 'ok';
  ok.className = 'button primary';
  label(ok, 'transferSubmit');
  ok.disabled = agents.length === 0;
  buttons.append(cancel, ok);
  form.append(list, buttons);
  dialog.append(title, form);
  doc.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const picked = form.querySelector<HTMLInputElement>('input[name="transfer-to"]:checked');
      const chosen = dialog.returnValue === 'ok' && picked ? agents.find((a) => a.id === picked.value) ?? null : null;
      dialog.remove();
      resolve(chosen);
    });
    dialog.showModal();
  });
}
