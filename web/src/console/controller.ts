/**
 * The agent console: sign-in check, Join by PIN, the live mirror, Leave, the end.
 * A reload during a session rejoins with the stored agent token; the server then
 * sends the last full snapshot and everything since, so the mirror is back at once.
 */
import { type ServerMessage, end, resolveWsUrl } from '../protocol';
import { SessionSocket } from '../socket';
import { fetchMe, join } from './api';
import { normalizePin, sessionEndedMessage } from './errors';
import { LiveMirror } from './mirror';
import { type AgentSession, agentStore } from './storage';
import { ConsoleUi } from './ui';

const WAITING = 'Waiting for the visitor to allow…';
const LOADING_MIRROR = 'Connected. Waiting for the visitor’s page…';

export class ConsoleController {
  private readonly ui = new ConsoleUi();
  private socket: SessionSocket | null = null;
  private mirror: LiveMirror | null = null;
  private joining = false;

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
    this.ui.session('Connecting…', WAITING);
    const socket = new SessionSocket(session.ws_url, session.agent_token, {
      message: (message) => this.onMessage(message),
      down: () => {
        this.ui.status.textContent = 'Connection lost. Reconnecting…';
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
        if (message.state === 'ended') {
          this.finish(sessionEndedMessage(''));
          return;
        }
        this.showState(message.state);
        return;
      case 'events':
        this.ensureMirror().add(message.events);
        if (this.mirror?.started) this.ui.session(this.activeStatus(), null);
        return;
      case 'ended':
        this.finish(sessionEndedMessage(message.reason));
        return;
      case 'snapshot_request':
      case 'error':
        return;
    }
  }

  private showState(state: 'created' | 'pending' | 'active'): void {
    if (state === 'active') {
      const live = this.mirror?.started ?? false;
      this.ui.session(this.activeStatus(), live ? null : LOADING_MIRROR);
    } else {
      this.ui.session('Waiting for the visitor to allow…', WAITING);
    }
  }

  private activeStatus(): string {
    return 'Live: you are viewing the visitor’s tab.';
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
    agentStore.clear();
    this.ui.visitorUrl(null);
    this.ui.joinForm({ notice: message, focus: true });
  }
}
