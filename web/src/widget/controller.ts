/**
 * Glue between the pure state machine, the widget's DOM, the REST call, the
 * WebSocket and the recorder. Every decision lives in state.ts; this file performs
 * the I/O that each transition implies.
 *
 * Nothing about the page is sent before the visitor pressed Allow and the server
 * said `active`: the recorder runs only in state active, on an open, welcomed socket.
 */
import {
  type ClientMessage,
  type CreatedSession,
  type RecordedEvent,
  type ServerMessage,
  consent,
  end,
  events,
  resolveWsUrl,
} from '../protocol';
import { SessionSocket } from '../socket';
import { ApiFailure, createSession } from './api';
import { FALLBACK_MASK_SELECTORS, Recorder } from './recorder';
import { IDLE, type WidgetAction, type WidgetState, inSession, mayRecord, reduce } from './state';
import { SessionStore, type StoredSession } from './storage';
import { WidgetUi } from './ui';

const NOTICE_MS = 6000;

export class WidgetController {
  private state: WidgetState = IDLE;
  private readonly ui: WidgetUi;
  private readonly store: SessionStore;
  private session: StoredSession | null = null;
  private socket: SessionSocket | null = null;
  private welcomed = false;
  private recorder: Recorder | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly base: string,
    doc: Document,
  ) {
    this.store = new SessionStore(new URL(base).origin);
    this.ui = new WidgetUi(doc, {
      press: () => void this.create(),
      newPin: () => void this.create(),
      cancel: () => this.finish({ type: 'cancel' }, end()),
      allow: () => {
        this.socket?.send(consent(true));
        this.dispatch({ type: 'allow' });
      },
      deny: () => this.finish({ type: 'deny' }, consent(false)),
      stop: () => this.finish({ type: 'stop' }, end()),
      dismiss: () => this.dispatch({ type: 'dismiss' }),
    });
  }

  /** Show the widget; resume a session stored by a previous page of this tab. */
  start(): void {
    const stored = this.store.load();
    if (stored) {
      this.dispatch({ type: 'resume' });
      this.connect(stored);
    } else {
      this.render();
    }
  }

  private dispatch(action: WidgetAction): void {
    const before = this.state;
    this.state = reduce(before, action);
    if (this.state !== before) this.afterChange(before);
    this.render();
  }

  private render(): void {
    this.ui.render(this.state, Date.now());
  }

  private afterChange(before: WidgetState): void {
    const now = this.state;
    if (now.kind === 'pin' && this.ticker === null) {
      this.ticker = setInterval(() => this.dispatch({ type: 'tick', now: Date.now() }), 1000);
    } else if (now.kind !== 'pin' && this.ticker !== null) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
    if (this.noticeTimer !== null) {
      clearTimeout(this.noticeTimer);
      this.noticeTimer = null;
    }
    if (now.kind === 'ended') {
      this.noticeTimer = setTimeout(() => this.dispatch({ type: 'dismiss' }), NOTICE_MS);
    }
    if (inSession(before) && !inSession(now) && now.kind !== 'expired') this.teardown();
    this.syncRecording();
  }

  /** Record exactly while the session is active on a welcomed, open socket. */
  private syncRecording(): void {
    const should = mayRecord(this.state) && this.welcomed && !!this.socket?.isOpen;
    if (should && !this.recorder?.recording) {
      this.recorder ??= new Recorder(this.session?.selectors ?? FALLBACK_MASK_SELECTORS, (batch) =>
        this.sendEvents(batch),
      );
      this.recorder.start();
    } else if (!should && this.recorder?.recording) {
      this.recorder.stop();
    }
  }

  private sendEvents(batch: RecordedEvent[]): void {
    if (!mayRecord(this.state) || !this.welcomed) return;
    if (!this.socket?.send(events(batch))) {
      // Not deliverable in order any more: drop, and re-snapshot after the reconnect.
      this.recorder?.stop();
    }
  }

  private async create(): Promise<void> {
    if (this.state.kind === 'expired') this.teardown();
    this.dispatch({ type: 'press' });
    if (this.state.kind !== 'creating') return;
    let created: CreatedSession;
    try {
      created = await createSession(this.base);
    } catch (error) {
      const message = error instanceof ApiFailure ? error.message : 'Co-browsing failed to start.';
      this.dispatch({ type: 'create_failed', message });
      return;
    }
    const stored: StoredSession = {
      session_id: created.session_id,
      visitor_token: created.visitor_token,
      ws_url: resolveWsUrl(created.ws_url, this.base),
      selectors: created.masking.selectors.length
        ? created.masking.selectors
        : FALLBACK_MASK_SELECTORS,
      agent: null,
    };
    if (this.state.kind !== 'creating') {
      // Cancelled while the PIN was being made: end that session right away.
      this.endOrphan(stored);
      return;
    }
    this.store.save(stored);
    this.dispatch({ type: 'created', pinDisplay: created.pin_display, expiresAt: created.expires_at });
    this.connect(stored);
  }

  private connect(stored: StoredSession): void {
    this.session = stored;
    this.welcomed = false;
    this.recorder?.stop();
    this.recorder = null;
    const socket = new SessionSocket(stored.ws_url, stored.visitor_token, {
      message: (message) => this.onMessage(message),
      down: () => {
        this.welcomed = false;
        this.syncRecording();
      },
      closed: () => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.dispatch({ type: 'lost' });
        this.teardown();
        this.render();
      },
    });
    this.socket = socket;
    socket.open();
  }

  private onMessage(message: ServerMessage): void {
    switch (message.t) {
      case 'welcome':
        this.welcomed = true;
        if (message.state === 'ended') {
          this.dispatch({ type: 'ended', reason: '' });
          return;
        }
        this.remember(message.agent);
        this.dispatch({
          type: 'server_state',
          state: message.state,
          agent: message.agent,
          pinDisplay: message.pin_display,
          expiresAt: message.expires_at,
        });
        this.syncRecording();
        return;
      case 'state':
        this.remember(message.agent);
        this.dispatch({ type: 'server_state', state: message.state, agent: message.agent });
        return;
      case 'snapshot_request':
        this.recorder?.snapshot();
        return;
      case 'ended':
        this.dispatch({ type: 'ended', reason: message.reason });
        this.teardown();
        this.render();
        return;
      case 'events':
      case 'error':
        return;
    }
  }

  private remember(agent: { name: string } | null): void {
    if (!this.session || !agent || this.session.agent?.name === agent.name) return;
    this.session = { ...this.session, agent };
    this.store.save(this.session);
  }

  /** A visitor action that ends the session: send its frame, then leave. */
  private finish(action: WidgetAction, frame: ClientMessage): void {
    this.recorder?.stop();
    const socket = this.socket;
    this.socket = null;
    socket?.close(frame);
    this.dispatch(action);
    this.teardown();
    this.render();
  }

  /** Forget the session: stop recording, close the socket, clear storage. */
  private teardown(): void {
    this.recorder?.stop();
    this.recorder = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.welcomed = false;
    this.session = null;
    this.store.clear();
  }

  private endOrphan(stored: StoredSession): void {
    const socket = new SessionSocket(stored.ws_url, stored.visitor_token, {
      message: () => undefined,
      down: () => socket.close(),
      closed: () => undefined,
    });
    socket.open();
    socket.close(end());
  }
}
