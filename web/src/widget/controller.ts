/**
 * Glue between the pure state machine, the widget's DOM, the REST call, the
 * WebSocket and the recorder. Every decision lives in state.ts; this file performs
 * the I/O that each transition implies: the session's lifecycle (create, connect,
 * resume, finish, teardown) and recording. It delegates the rest:
 *   conversation.ts  chat and file offers
 *   guidance.ts      guides, control and the agent's acts
 *   proxy-mode.ts    the proxy-mode overlay
 *
 * Nothing about the page is sent before the visitor pressed Allow and the server
 * said `active`: the recorder runs only in state active, on an open, welcomed socket.
 *
 * Proxy mode (the session answer's `mode`): once active, the page is shown through the
 * co-browsing proxy in an overlay iframe (overlay.ts, overlay-state.ts) and the runtime
 * in it records; this page relays its batches. If the overlay cannot be had, the top
 * page is recorded inline as in inline mode.
 */
import {
  CLOSE_TOO_BIG,
  type ClientMessage,
  type CreatedSession,
  type RecordedEvent,
  type ServerMessage,
  consent,
  control,
  end,
  events,
  resolveWsUrl,
  watchAnswer,
} from '../protocol';
import { type Translator, translator } from '../i18n';
import { SessionSocket } from '../socket';
import { ApiFailure, createSession } from './api';
import { type WidgetContext, windowOf } from './context';
import { Conversation } from './conversation';
import { GuidanceHandler } from './guidance';
import { OverlayCoordinator } from './proxy-mode';
import { FALLBACK_MASK_SELECTORS, Recorder, maskerFor } from './recorder';
import { CANVAS_DEFAULTS, isCanvasEvent } from './canvas';
import type { Masker } from '../masking/masker';
import { type MaskRules, selectorsOnly } from '../masking/rules';
import { IDLE, type WidgetAction, type WidgetState, inSession, mayRecord, reduce } from './state';
import { SessionStore, type StoredSession } from './storage';
import { WidgetUi } from './ui';

export { OVERLAY_READY_TIMEOUT_MS } from './proxy-mode';
export { ACT_TIMEOUT_MS } from './guidance';

const NOTICE_MS = 6000;

export interface ControllerOptions {
  /** Selectors of elements the agent may not press (default `[data-cobrowse-no-agent]`). */
  readonly refuse?: readonly string[];
  /** The visitor's language (see i18n.chooseLang); default English. */
  readonly tr?: Translator;
  /** false: no canvas content is sent, in either mode (`CoBrowse.options.canvas`). */
  readonly canvas?: boolean;
  /** Click to start: a CRM's invitation to a session made for this visitor (the /start page). */
  readonly invite?: string | null;
}

export class WidgetController {
  private state: WidgetState = IDLE;
  private invite: string | null = null;
  private readonly ui: WidgetUi;
  private readonly store: SessionStore;
  private session: StoredSession | null = null;
  private socket: SessionSocket | null = null;
  private welcomed = false;
  private recorder: Recorder | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private maskerCache: { rules: MaskRules; href: string; masker: Masker } | null = null;
  private readonly tr: Translator;
  private readonly canvas: boolean;
  private readonly overlay: OverlayCoordinator;
  private readonly guidance: GuidanceHandler;
  private readonly conversation: Conversation;

  constructor(
    private readonly base: string,
    private readonly doc: Document,
    /** Proxy mode: the page to overlay when it is not this one (the server's /start page). */
    private readonly startUrl: string | null = null,
    options: ControllerOptions = {},
  ) {
    this.tr = options.tr ?? translator('en');
    this.canvas = options.canvas !== false;
    this.invite = options.invite ?? null;
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
      chatSend: (text) => this.conversation.send(text),
      chatToggle: (open) => this.conversation.toggle(open),
      allowControl: () => this.socket?.send(control('grant')),
      denyControl: () => this.socket?.send(control('deny')),
      takeBack: () => this.guidance.takeBack(),
      offerAnswer: (fileId, accept) => this.conversation.answerOffer(fileId, accept),
      watchAnswer: (watcherId, allow) => {
        this.socket?.send(watchAnswer(watcherId, allow));
        this.ui.showWatchRequest(null);
      },
    }, this.tr);
    const ctx: WidgetContext = {
      doc,
      ui: this.ui,
      tr: this.tr,
      session: () => this.session,
      active: () => this.state.kind === 'active',
      send: (message) => this.socket?.send(message) ?? false,
      pageMasker: () => this.pageMasker(),
    };
    this.overlay = new OverlayCoordinator({
      ...ctx,
      base,
      startUrl,
      sendEvents: (batch) => this.sendEvents(batch),
      recordInline: () => this.syncRecording(),
      actResult: (message) => this.guidance.onFrameResult(message),
      escape: () => this.guidance.escape(),
    });
    this.guidance = new GuidanceHandler(
      { ...ctx, recorder: () => this.recorder, renderExtras: () => this.conversation.renderExtras() },
      this.overlay,
      options.refuse ?? [],
    );
    this.conversation = new Conversation(ctx, () => this.guidance.control);
    this.guidance.listen();
  }

  /** The site's masking rules for this session. */
  private maskRules(): MaskRules {
    return this.session?.masking ?? selectorsOnly(this.session?.selectors ?? FALLBACK_MASK_SELECTORS);
  }

  /** The masker of the page the visitor is on now (kept while rules and URL stay). */
  private pageMasker(): Masker {
    const win = windowOf(this.doc);
    const rules = this.maskRules();
    const href = win.location.href;
    const cached = this.maskerCache;
    if (cached && cached.rules === rules && cached.href === href) return cached.masker;
    const masker = maskerFor(rules, win);
    this.maskerCache = { rules, href, masker };
    return masker;
  }

  /** Show the widget; resume a session stored by a previous page of this tab. */
  start(): void {
    const stored = this.store.load();
    if (stored) {
      this.dispatch({ type: 'resume' });
      this.connect(stored);
      this.guidance.restoreToast();
    } else if (this.invite) {
      void this.create();
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
    if (this.overlay.framed()) {
      // The overlay's runtime records; the page under it never is.
      if (this.recorder?.recording) this.recorder.stop();
      if (should || this.overlay.state.want) this.overlay.dispatch({ type: 'want', value: should });
      return;
    }
    if (should && !this.recorder?.recording) {
      this.recorder ??= new Recorder(
        this.maskRules(),
        (batch) => this.sendEvents(batch),
        windowOf(this.doc),
        { canvas: this.canvas ? CANVAS_DEFAULTS : { ...CANVAS_DEFAULTS, fps: 0 } },
      );
      this.recorder.start();
    } else if (!should && this.recorder?.recording) {
      this.recorder.stop();
    }
  }

  private sendEvents(all: readonly RecordedEvent[]): boolean {
    if (!mayRecord(this.state) || !this.welcomed) return false;
    // The site said no canvas: also none from the overlay's runtime (proxy mode).
    const batch = this.canvas ? all : all.filter((e) => !isCanvasEvent(e));
    if (!this.socket?.send(events(batch))) {
      // Not deliverable in order any more: drop, and re-snapshot after the reconnect.
      this.recorder?.stop();
      return false;
    }
    return true;
  }

  // --- the session's lifecycle -------------------------------------------------------

  private async create(): Promise<void> {
    if (this.state.kind === 'expired') this.teardown();
    this.dispatch({ type: 'press' });
    if (this.state.kind !== 'creating') return;
    let created: CreatedSession;
    try {
      const invite = this.invite;
      this.invite = null; // once: a new session after this one is the visitor's own
      created = await createSession(this.base, invite);
    } catch (error) {
      const message = this.tr.local(error instanceof ApiFailure ? error.message : this.tr.s.startFailed);
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
      masking: created.masking,
      agent: null,
      mode: created.mode,
      recording: created.recording,
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
    this.ui.recorded = stored.recording === true;
    this.welcomed = false;
    this.recorder?.stop();
    this.recorder = null;
    this.overlay.reset();
    const socket = new SessionSocket(stored.ws_url, stored.visitor_token, {
      message: (message) => this.onMessage(message),
      down: () => {
        this.welcomed = false;
        this.ui.setReconnecting(true);
        this.syncRecording();
      },
      closed: (code) => {
        if (this.socket !== socket) return;
        this.socket = null;
        if (code === CLOSE_TOO_BIG) {
          // This page's snapshot is over the server's limit: retrying would send it
          // again. Say so, and end the session for the agent at once.
          this.dispatch({ type: 'ended', reason: 'page_too_large' });
          this.endOrphan(stored);
        } else {
          this.dispatch({ type: 'lost' });
        }
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
        this.conversation.resendPending();
        return;
      case 'synced':
        this.ui.setReconnecting(false);
        return;
      case 'state':
        this.remember(message.agent);
        this.dispatch({ type: 'server_state', state: message.state, agent: message.agent });
        return;
      case 'snapshot_request':
        if (this.overlay.state.phase === 'ready') this.overlay.dispatch({ type: 'snapshot_request' });
        else this.recorder?.snapshot();
        return;
      case 'ended':
        this.dispatch({ type: 'ended', reason: message.reason });
        this.teardown();
        this.render();
        return;
      case 'guide':
        this.guidance.onGuide(message.kind, message.target, message.points, this.guidance.agentName(message.agent));
        return;
      case 'chat':
      case 'chat_history':
        this.conversation.onChat(message);
        return;
      case 'control':
        this.guidance.setControl(message.state);
        return;
      case 'act':
        this.guidance.onAct(message);
        return;
      case 'offer':
        this.conversation.onOffer(message);
        return;
      case 'offer_ready':
        this.conversation.onOfferReady(message.url);
        return;
      case 'participants':
        this.ui.showParticipants(message.watching.map((w) => w.name));
        this.ui.showWatchRequest(message.asking[0] ?? null);
        return;
      case 'handed_over':
        this.ui.toast(this.tr.t('handedOver', { name: message.agent.name }));
        return;
      case 'note':
      case 'note_history':
      case 'transfer':
        return; // the helpdesk's own: never sent to a visitor
      case 'offer_answer':
      case 'act_result':
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
    this.overlay.close();
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.welcomed = false;
    this.ui.setReconnecting(false);
    this.session = null;
    this.store.clear();
    this.guidance.reset();
    this.conversation.reset();
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
