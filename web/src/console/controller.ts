/**
 * The agent console: sign-in check, Join by PIN, the live mirror, Leave, the end; the
 * view controls (zoom, fit, full screen, chat shown or hidden), notices by kind, and
 * the language switch (English, Hindi: ./i18n.ts).
 * A reload during a session rejoins with the stored agent token; the server then
 * sends the last full snapshot and everything since, so the mirror is back at once.
 *
 * After a drop the socket resumes (docs/protocol.md, "Resume after a drop"): until
 * `synced` the mirror is paused under "Reconnecting…"; a fresh start instead of a
 * resume restarts the mirror from the history's snapshot; acts without a result are
 * sent again once synced.
 */
import {
  CLOSE_HANDED_OVER,
  CLOSE_WATCH_ENDED,
  type ClientMessage,
  type JoinedSession,
  type ServerMessage,
  chat,
  end,
  resolveWsUrl,
} from '../protocol';
import { ChatLog, ChatView, newChatId } from '../chat';
import { AgentTools } from './tools';
import { FileOffers } from './files';
import { SessionSocket } from '../socket';
import { fetchMe, join } from './api';
import { normalizePin, sessionEndedMessage } from './errors';
import { LiveMirror } from './mirror';
import { type Link, type VisibleState, sessionView } from './status';
import { type AgentSession, agentStore } from './storage';
import { ConsoleUi } from './ui';
import { Notices } from './notices';
import { ViewControls } from './view';
import { type Lang, applyLang, attr, label, langStore, t } from './i18n';
import type { ControlState } from '../protocol';
import { type RowAction, type SessionRow, SessionsList } from './sessions';
import { type ConsoleRole, Notes, chooseAgent, supervision } from './supervise';

/** What a watcher may send: notes, and End (stop watching). */
const WATCHER_SENDS = new Set(['note', 'end', 'hello']);

export class ConsoleController {
  private readonly ui = new ConsoleUi();
  private socket: SessionSocket | null = null;
  private mirror: LiveMirror | null = null;
  private joining = false;
  private readonly tools: AgentTools;
  private readonly files: FileOffers;
  private readonly notices: Notices;
  private readonly view: ViewControls;
  private readonly chatView: ChatView;
  private readonly chatAside: HTMLElement;
  private chatLog = new ChatLog('agent');
  /** The connection (paused mirror until `synced`) and the session's state. */
  private link: Link = 'connecting';
  private state: VisibleState = null;
  private controlState: ControlState = 'view';
  private readonly sessions: SessionsList;
  private readonly notes: Notes;
  private readonly takeOverButton: HTMLButtonElement;
  private readonly transferButton: HTMLButtonElement;
  private role: ConsoleRole = 'agent';
  private current: AgentSession | null = null;
  /** A watcher the visitor has not allowed yet: nothing of the page is shown. */
  private askingVisitor = false;
  /** How the session was handed over, told just before the server closes (4411). */
  private handedOver: string | null = null;

  constructor() {
    const doc = document;
    this.notices = new Notices(doc);
    this.tools = new AgentTools(
      doc,
      (m) => this.send(m),
      (kind, text) => this.notices.say(kind, text),
      (state) => {
        this.controlState = state;
        this.render();
      },
    );
    this.chatView = new ChatView(doc, {
      self: 'agent',
      idPrefix: 'agent-chat',
      strings: {
        title: t('chatTitle'),
        log: t('chatLog'),
        message: t('chatMessage'),
        send: t('chatSend'),
        you: t('chatYou'),
        empty: t('chatEmpty'),
      },
      send: (text) => {
        const pending = this.chatLog.send(newChatId('a'), text);
        if (pending) this.send(chat(pending.id, pending.text));
      },
    });
    tagChat(this.chatView.root);
    this.chatAside = doc.createElement('aside');
    this.chatAside.className = 'chat-aside';
    this.chatAside.id = 'chat-aside';
    this.files = new FileOffers(doc);
    this.chatAside.append(this.chatView.root, this.files.root);
    this.chatAside.addEventListener('focusin', () => this.readChat());
    this.chatAside.addEventListener('pointerdown', () => this.readChat());
    const session = this.ui.views.session;
    this.view = new ViewControls(doc, session, {
      zoom: (zoom) => this.mirror?.setZoom(zoom),
      scale: () => this.mirror?.shownScale ?? null,
      chat: (shown) => {
        this.chatAside.hidden = !shown;
        if (shown) this.readChat();
        this.renderChat();
      },
    });
    this.ui.viewControls.append(this.view.root);
    const bar = session.querySelector('.session-bar');
    bar?.after(this.tools.toolbar);
    const body = doc.createElement('div');
    body.className = 'session-body';
    const column = doc.createElement('div');
    column.className = 'mirror-column';
    this.ui.area.replaceWith(body);
    column.append(this.ui.area, this.tools.toolBadge, this.notices.root);
    body.append(column, this.chatAside);
    this.notes = new Notes(doc, (m) => this.send(m));
    this.chatAside.append(this.notes.root);
    this.ui.status.after(this.notes.watchingLine);
    this.takeOverButton = this.barButton('takeOver', () => void this.takeOverWatched());
    this.transferButton = this.barButton('transfer', () => void this.offerTransfer(this.current?.session_id));
    this.sessions = new SessionsList(doc, { act: (action, row, button) => void this.rowAction(action, row, button) });
    this.ui.views.join.after(this.sessions.root);
    this.view.apply();
    this.ui.langSelect.addEventListener('change', () => {
      const lang = this.ui.langSelect.value === 'hi' ? 'hi' : 'en';
      this.setLang(lang);
    });
    this.ui.langSelect.value = doc.documentElement.lang === 'hi' ? 'hi' : 'en';
  }

  /** Switch the language: every labelled element, the status line and the view controls. */
  setLang(lang: Lang): void {
    langStore.save(lang);
    applyLang(document, lang);
    this.ui.langSelect.value = lang;
    this.tools.renderBadge();
    this.view.render();
    this.sessions.relabel();
    this.notes.relabel();
    if (!this.ui.views.session.hidden) this.render();
  }

  private barButton(key: 'takeOver' | 'transfer', onClick: () => void): HTMLButtonElement {
    const b = label(document.createElement('button'), key);
    b.type = 'button';
    b.className = 'button secondary';
    b.hidden = true;
    b.addEventListener('click', onClick);
    this.ui.leave.before(b);
    return b;
  }

  private send(message: ClientMessage): boolean {
    if (this.role === 'watcher' && !WATCHER_SENDS.has(message.t)) return false;
    return this.socket?.send(message) ?? false;
  }

  // --- supervision -------------------------------------------------------------------

  private async rowAction(action: RowAction, row: SessionRow, button: HTMLButtonElement): Promise<void> {
    if (this.socket) return;
    button.disabled = true;
    try {
      if (action === 'watch') {
        const got = await supervision.watch(row.session_id);
        if (!got.body) return this.rowFailed(got.message);
        const w = got.body;
        this.begin({
          session_id: row.session_id,
          agent_token: w.token,
          ws_url: resolveWsUrl(w.ws_url, location.href),
          role: 'watcher',
          watcher_id: w.watcher_id,
        });
      } else if (action === 'take-over' || action === 'accept') {
        const got = await (action === 'accept' ? supervision.accept(row.session_id) : supervision.takeOver(row.session_id));
        if (!got.body) return this.rowFailed(got.message);
        this.beginAgent(got.body);
      } else if (action === 'decline') {
        const got = await supervision.decline(row.session_id);
        if (!got.ok) this.rowFailed(got.message);
      } else {
        await this.offerTransfer(row.session_id);
      }
    } finally {
      button.disabled = false;
    }
  }

  private rowFailed(message: string): void {
    this.ui.notice.textContent = message;
  }

  private beginAgent(joined: JoinedSession): void {
    this.begin({
      session_id: joined.session_id,
      agent_token: joined.agent_token,
      ws_url: resolveWsUrl(joined.ws_url, location.href),
    });
  }

  private begin(session: AgentSession): void {
    agentStore.save(session);
    this.connect(session);
  }

  /** A watching supervisor takes the session over: the watch ends, the agent's begins. */
  private async takeOverWatched(): Promise<void> {
    const id = this.current?.session_id;
    if (!id || this.role !== 'watcher') return;
    this.takeOverButton.disabled = true;
    const got = await supervision.takeOver(id);
    this.takeOverButton.disabled = false;
    if (!got.body) {
      this.notices.say('error', got.message);
      return;
    }
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.mirror?.destroy();
    this.mirror = null;
    this.beginAgent(got.body);
  }

  private async offerTransfer(sessionId: string | undefined): Promise<void> {
    if (!sessionId) return;
    const to = await chooseAgent(document);
    if (!to) return;
    const got = await supervision.transfer(sessionId, to.id);
    const text = got.ok ? t('transferOffered', { name: to.name }) : got.message;
    if (this.socket) this.notices.say(got.ok ? 'info' : 'error', text);
    else this.ui.notice.textContent = text;
  }

  private readChat(): void {
    if (this.chatLog.unread === 0) return;
    this.chatLog.markRead();
    this.renderChat();
  }

  private renderChat(): void {
    const seen = this.view.chatShown && document.hasFocus() && this.chatAside.contains(document.activeElement);
    this.view.setUnread(seen ? 0 : this.chatLog.unread);
  }

  async start(): Promise<void> {
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.ui.leave.addEventListener('click', () => this.leave());
    const me = await fetchMe();
    if (me.kind === 'signed_out') {
      agentStore.clear();
      this.ui.show('signed-out');
      return;
    }
    if (me.kind === 'unavailable') {
      this.ui.signedOutWith(me.message);
      this.ui.show('signed-out');
      return;
    }
    this.ui.signedIn(me.agent.name);
    const invited = /^#invite=([A-Za-z0-9_-]{1,64})$/.exec(location.hash)?.[1];
    if (invited) {
      // Click to start: the CRM's link was made for this session; join it, no PIN.
      history.replaceState(null, '', location.pathname);
      const got = await supervision.joinInvited(invited);
      if (got.body) {
        this.beginAgent(got.body);
        return;
      }
      this.ui.joinForm({ notice: got.message, focus: true });
      this.sessions.start();
      return;
    }
    const stored = agentStore.load();
    if (stored) this.connect(stored);
    else {
      this.ui.joinForm({ focus: true });
      this.sessions.start();
    }
  }

  private async submit(): Promise<void> {
    if (this.joining || this.socket) return;
    const pin = normalizePin(this.ui.pin.value);
    if (pin === null) {
      this.ui.joinFailed(t('pinMalformed'));
      return;
    }
    this.joining = true;
    this.ui.busy(true);
    this.ui.joinError.textContent = '';
    const result = await join(pin);
    this.joining = false;
    if (!result.ok) {
      this.ui.joinFailed(result.message);
      return;
    }
    this.beginAgent(result.session);
  }

  private connect(session: AgentSession): void {
    this.sessions.stop();
    this.ui.notice.textContent = '';
    this.link = 'connecting';
    this.state = null;
    this.current = session;
    this.role = session.role ?? 'agent';
    this.handedOver = null;
    this.askingVisitor = false;
    this.notes.setRole(this.role);
    this.ui.views.session.dataset.role = this.role;
    this.takeOverButton.hidden = this.role !== 'watcher';
    this.transferButton.hidden = this.role !== 'agent';
    label(this.ui.leave, this.role === 'watcher' ? 'stopWatching' : 'leave');
    this.render();
    this.files.setSession(session.session_id);
    const socket = new SessionSocket(session.ws_url, session.agent_token, {
      message: (message) => this.onMessage(message),
      down: () => {
        if (this.socket !== socket) return;
        this.link = 'reconnecting';
        this.render();
      },
      closed: (code) => {
        if (this.socket !== socket) return;
        if (code === CLOSE_HANDED_OVER) {
          this.finish(this.handedOver ?? t('handedOverSomeone'));
        } else if (code === CLOSE_WATCH_ENDED) {
          this.finish(t(this.askingVisitor ? 'watchRefused' : 'watchEnded'));
        } else {
          this.finish(code === 4410 ? sessionEndedMessage('') : t('endedClosed'));
        }
      },
    });
    this.socket = socket;
    socket.open();
  }

  private onMessage(message: ServerMessage): void {
    if (message.t === 'participants') {
      const me = this.current?.watcher_id;
      this.askingVisitor = this.role === 'watcher' && message.asking.some((a) => a.id === me);
      this.render();
    }
    if (this.notes.onMessage(message)) return;
    switch (message.t) {
      case 'handed_over':
        if (this.role === 'agent') {
          this.handedOver = t(message.how === 'taken_over' ? 'tookOver' : 'transferredTo', { name: message.agent.name });
        } else {
          this.notices.say('info', t('nowHelps', { name: message.agent.name }));
        }
        return;
      case 'transfer':
        if (message.state === 'offered') this.notices.say('info', t('transferOffered', { name: message.to.name }));
        else if (message.state === 'declined') this.notices.say('warning', t('transferDeclined', { name: message.to.name }));
        else this.notices.say('warning', t('transferLapsed', { name: message.to.name }));
        return;
      case 'welcome':
      case 'state':
        if (message.t === 'welcome') {
          // Not resumed: what follows starts the stream afresh (the page from its history).
          if (!message.resumed) this.mirror?.restart();
          for (const p of this.chatLog.pending) this.send(chat(p.id, p.text));
          this.notes.resend();
        }
        if (message.state === 'ended') {
          this.finish(sessionEndedMessage(''));
          return;
        }
        this.state = message.state;
        this.render();
        return;
      case 'synced':
        this.link = 'synced';
        this.tools.resendPending();
        this.render();
        return;
      case 'events':
        this.ensureMirror().add(message.events);
        this.view.render();
        if (this.mirror?.started) this.tools.attach(this.mirror);
        this.render();
        return;
      case 'control':
        this.tools.setControl(message.state);
        return;
      case 'act_result':
        this.tools.actResult(message);
        return;
      case 'chat':
      case 'chat_history': {
        const added = this.chatLog.add(message.t === 'chat' ? [message] : message.messages);
        if (added.length) {
          this.chatView.render(this.chatLog.entries);
          if (this.view.chatShown && this.chatAside.contains(document.activeElement)) this.chatLog.markRead();
          // With the chat hidden, the visitor's words still reach the agent (a notice).
          const last = added.filter((e) => e.from !== 'agent').pop();
          if (last && !this.view.chatShown && message.t === 'chat') {
            this.notices.say('info', t('newMessage', { name: last.name, text: last.text }));
          }
        }
        this.renderChat();
        return;
      }
      case 'offer_answer':
        this.files.answer(message.file_id, message.accept);
        return;
      case 'guide':
      case 'act':
      case 'offer':
      case 'offer_ready':
        return;
      case 'ended':
        if (message.reason === 'watch_ended') this.finish(t(this.askingVisitor ? 'watchRefused' : 'watchEnded'));
        else this.finish(sessionEndedMessage(message.reason));
        return;
      case 'snapshot_request':
      case 'error':
        return;
    }
  }

  /** The session view: status, placeholder, and the mirror paused unless the stream is live. */
  private render(): void {
    const m = this.mirror;
    const view = sessionView(this.link, this.state, !m?.started ? 'none' : m.live ? 'live' : 'stale', this.controlState);
    if (this.role === 'watcher' && this.askingVisitor) {
      this.ui.session(t('watchAsked'), t('watchAsked'));
      this.ui.status.dataset.state = 'watchAsked';
      this.ui.pause(null);
      return;
    }
    const watching = this.role === 'watcher' && view.key === 'live';
    this.ui.session(watching ? t('watchingLive') : view.status, view.waiting);
    this.ui.status.dataset.state = watching ? 'watchingLive' : view.key;
    this.ui.pause(view.paused);
  }

  private ensureMirror(): LiveMirror {
    if (!this.mirror) {
      this.mirror = new LiveMirror(this.ui.area, this.ui.stage, (info) => this.ui.visitorUrl(info.href));
      this.mirror.onScale = () => this.view.render();
      this.mirror.setZoom(this.view.zoom);
    }
    return this.mirror;
  }

  private leave(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.close(end());
    this.finish(this.role === 'watcher' ? t('watchEnded') : sessionEndedMessage('agent_left'));
  }

  /** The end: the mirror is destroyed and removed, storage cleared, back to the form. */
  private finish(message: string): void {
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.mirror?.destroy();
    this.mirror = null;
    this.tools.reset();
    this.controlState = 'view';
    this.notices.clear();
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    this.files.reset();
    this.chatLog = new ChatLog('agent');
    this.chatView.log.querySelectorAll('.cb-chat-msg').forEach((n) => n.remove());
    this.chatView.reset();
    this.renderChat();
    this.ui.pause(null);
    this.link = 'connecting';
    this.state = null;
    agentStore.clear();
    this.ui.visitorUrl(null);
    this.notes.reset();
    this.current = null;
    this.role = 'agent';
    this.askingVisitor = false;
    this.takeOverButton.hidden = true;
    this.transferButton.hidden = true;
    label(this.ui.leave, 'leave');
    this.ui.joinForm({ notice: message, focus: true });
    this.sessions.start();
  }
}

/** The chat panel's own labels, tagged so a language switch relabels them. */
function tagChat(root: HTMLElement): void {
  const title = root.querySelector<HTMLElement>('.cb-chat-title');
  if (title) label(title, 'chatTitle');
  const log = root.querySelector('.cb-chat-log');
  if (log) attr(log, 'aria-label', 'chatLog');
  const empty = root.querySelector<HTMLElement>('.cb-chat-empty');
  if (empty) label(empty, 'chatEmpty');
  const field = root.querySelector<HTMLElement>('.cb-chat-label');
  if (field) label(field, 'chatMessage');
  const send = root.querySelector<HTMLElement>('.cb-chat-send');
  if (send) label(send, 'chatSend');
}
