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
import { type ClientMessage, type ServerMessage, chat, end, resolveWsUrl } from '../protocol';
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
    this.renderChat();
  }

  private send(message: ClientMessage): boolean {
    return this.socket?.send(message) ?? false;
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
    else this.ui.joinForm({ focus: true });
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
    const session: AgentSession = {
      session_id: result.session.session_id,
      agent_token: result.session.agent_token,
      ws_url: resolveWsUrl(result.session.ws_url, location.href),
    };
    agentStore.save(session);
    this.connect(session);
  }

  private connect(session: AgentSession): void {
    this.ui.notice.textContent = '';
    this.link = 'connecting';
    this.state = null;
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
        this.finish(code === 4410 ? sessionEndedMessage('') : 'The session has ended: the connection was closed.');
      },
    });
    this.socket = socket;
    socket.open();
  }

  private onMessage(message: ServerMessage): void {
    switch (message.t) {
      case 'welcome':
      case 'state':
        if (message.t === 'welcome') {
          // Not resumed: what follows starts the stream afresh (the page from its history).
          if (!message.resumed) this.mirror?.restart();
          for (const p of this.chatLog.pending) this.send(chat(p.id, p.text));
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
        this.finish(sessionEndedMessage(message.reason));
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
    this.ui.session(view.status, view.waiting);
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
    this.finish(sessionEndedMessage('agent_left'));
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
    this.ui.joinForm({ notice: message, focus: true });
  }
}
