/**
 * The agent console: sign-in check, Join by PIN, the live mirror, Leave, the end.
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
import { LIVE, type Link, type VisibleState, sessionView } from './status';

const WATCHING = 'Watching, view only: the visitor and the agent see that you are here.';
const WATCH_ASKED = 'Waiting for the visitor to allow you to watch…';
import { type AgentSession, agentStore } from './storage';
import { ConsoleUi } from './ui';
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
  private readonly chatView: ChatView;
  private readonly chatAside: HTMLElement;
  private readonly chatToggle: HTMLButtonElement;
  private readonly chatBadge: HTMLElement;
  private chatLog = new ChatLog('agent');
  private chatOpen = true;
  /** The connection (paused mirror until `synced`) and the session's state. */
  private link: Link = 'connecting';
  private state: VisibleState = null;
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
    this.tools = new AgentTools(doc, (m) => this.send(m));
    this.chatView = new ChatView(doc, {
      self: 'agent',
      idPrefix: 'agent-chat',
      send: (text) => {
        const pending = this.chatLog.send(newChatId('a'), text);
        if (pending) this.send(chat(pending.id, pending.text));
      },
    });
    this.chatAside = doc.createElement('aside');
    this.chatAside.className = 'chat-aside';
    this.chatAside.id = 'chat-aside';
    this.chatAside.append(this.chatView.root);
    this.chatAside.addEventListener('focusin', () => this.readChat());
    this.chatAside.addEventListener('pointerdown', () => this.readChat());
    this.chatToggle = doc.createElement('button');
    this.chatToggle.type = 'button';
    this.chatToggle.className = 'button tool chat-toggle';
    this.chatToggle.textContent = 'Chat';
    this.chatToggle.setAttribute('aria-controls', 'chat-aside');
    this.chatBadge = doc.createElement('span');
    this.chatBadge.className = 'chat-badge';
    this.chatToggle.append(this.chatBadge);
    this.chatToggle.addEventListener('click', () => {
      this.chatOpen = !this.chatOpen;
      if (this.chatOpen) {
        this.readChat();
        this.chatView.input.focus();
      }
      this.renderChat();
    });
    this.tools.toolbar.insertBefore(this.chatToggle, this.tools.notice);
    this.files = new FileOffers(doc);
    this.tools.toolbar.insertBefore(this.files.root, this.tools.notice);
    const bar = this.ui.views.session.querySelector('.session-bar');
    bar?.after(this.tools.toolbar);
    const body = doc.createElement('div');
    body.className = 'session-body';
    this.ui.area.replaceWith(body);
    body.append(this.ui.area, this.chatAside);
    this.notes = new Notes(doc, (m) => this.send(m));
    this.chatAside.append(this.notes.root);
    this.ui.status.after(this.notes.watchingLine);
    this.takeOverButton = this.barButton('Take over', () => void this.takeOverWatched());
    this.transferButton = this.barButton('Transfer', () => void this.offerTransfer(this.current?.session_id));
    this.sessions = new SessionsList(doc, { act: (action, row, button) => void this.rowAction(action, row, button) });
    this.ui.views.join.append(this.sessions.root);
    this.renderChat();
  }

  private barButton(label: string, onClick: () => void): HTMLButtonElement {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'button secondary';
    b.textContent = label;
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
      this.tools.say(got.message);
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
    const text = got.ok ? `Offered to ${to.name}. Waiting for them to accept…` : got.message;
    if (this.socket) this.tools.say(text);
    else this.ui.notice.textContent = text;
  }

  private readChat(): void {
    if (this.chatLog.unread === 0) return;
    this.chatLog.markRead();
    this.renderChat();
  }

  private renderChat(): void {
    const n = this.chatOpen && this.doc().hasFocus() && this.chatAside.contains(document.activeElement)
      ? 0
      : this.chatLog.unread;
    this.chatBadge.textContent = n > 0 ? String(n) : '';
    this.chatBadge.hidden = n === 0;
    this.chatToggle.setAttribute('aria-expanded', String(this.chatOpen));
    this.chatToggle.setAttribute('aria-label', n > 0 ? `Chat, ${n} unread` : 'Chat');
    this.chatAside.hidden = !this.chatOpen;
  }

  private doc(): Document {
    return document;
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
      this.ui.signedOutMessage.textContent = me.message;
      this.ui.show('signed-out');
      return;
    }
    this.ui.signedIn(me.agent.name);
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
      this.ui.joinFailed('That PIN is not valid. Enter the 6 digits the caller reads to you.');
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
    this.ui.leave.textContent = this.role === 'watcher' ? 'Stop watching' : 'Leave';
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
          this.finish(this.handedOver ?? 'Someone else now helps this visitor.');
        } else if (code === CLOSE_WATCH_ENDED) {
          this.finish(this.askingVisitor ? 'The visitor did not allow you to watch.' : 'You stopped watching.');
        } else {
          this.finish(code === 4410 ? sessionEndedMessage('') : 'The session has ended: the connection was closed.');
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
          this.handedOver =
            message.how === 'taken_over'
              ? `${message.agent.name} took over this session.`
              : `The session was transferred to ${message.agent.name}.`;
        } else {
          this.tools.say(`${message.agent.name} now helps the visitor.`);
        }
        return;
      case 'transfer':
        this.tools.say(
          message.state === 'offered'
            ? `Offered to ${message.to.name}. Waiting for them to accept…`
            : message.state === 'declined'
              ? `${message.to.name} declined the transfer.`
              : `${message.to.name} did not accept in time; the session stays with you.`,
        );
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
          if (this.chatOpen && this.chatAside.contains(document.activeElement)) this.chatLog.markRead();
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
        if (message.reason === 'watch_ended') {
          this.finish(this.askingVisitor ? 'The visitor did not allow you to watch.' : 'Your watch has ended.');
        } else {
          this.finish(sessionEndedMessage(message.reason));
        }
        return;
      case 'snapshot_request':
      case 'error':
        return;
    }
  }

  /** The session view: status, placeholder, and the mirror paused unless the stream is live. */
  private render(): void {
    const m = this.mirror;
    const view = sessionView(this.link, this.state, !m?.started ? 'none' : m.live ? 'live' : 'stale');
    if (this.role === 'watcher' && this.askingVisitor) {
      this.ui.session(WATCH_ASKED, WATCH_ASKED);
      this.ui.pause(null);
      return;
    }
    const status = this.role === 'watcher' && view.status === LIVE ? WATCHING : view.status;
    this.ui.session(status, view.waiting);
    this.ui.pause(view.paused);
  }

  private ensureMirror(): LiveMirror {
    if (!this.mirror) {
      this.mirror = new LiveMirror(this.ui.area, this.ui.stage, (info) => this.ui.visitorUrl(info.href));
    }
    return this.mirror;
  }

  private leave(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.close(end());
    this.finish(this.role === 'watcher' ? 'You stopped watching.' : sessionEndedMessage('agent_left'));
  }

  /** The end: the mirror is destroyed and removed, storage cleared, back to the form. */
  private finish(message: string): void {
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.mirror?.destroy();
    this.mirror = null;
    this.tools.reset();
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
    this.ui.joinForm({ notice: message, focus: true });
    this.sessions.start();
  }
}
