/**
 * Glue between the pure state machine, the widget's DOM, the REST call, the
 * WebSocket and the recorder. Every decision lives in state.ts; this file performs
 * the I/O that each transition implies.
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
  type ActFields,
  type ClientMessage,
  type ControlState,
  type CreatedSession,
  type GuideKind,
  type OfferMessage,
  type Point,
  type RecordedEvent,
  type RevokeReason,
  type ServerMessage,
  type Target,
  actResult,
  chat,
  consent,
  control,
  end,
  events,
  offerAnswer,
  resolveWsUrl,
} from '../protocol';
import { type Translator, translator } from '../i18n';
import { ChatLog, newChatId } from '../chat';
import { GuideLayer } from '../guidance/layer';
import { DEFAULT_REFUSE_SELECTORS, type Win, applyAct, describeAct } from '../guidance/act';
import { SessionSocket } from '../socket';
import type { FrameMessage } from '../bridge';
import type { OverlayAnswer } from '../protocol';
import { ApiFailure, createSession, requestOverlay } from './api';
import { OverlayFrame } from './overlay';
import {
  OVERLAY_OFF,
  type OverlayAction,
  type OverlayState,
  relayable,
  returnUrl,
  stepOverlay,
} from './overlay-state';
import { FALLBACK_MASK_SELECTORS, Recorder, maskerFor } from './recorder';
import type { Masker } from '../masking/masker';
import { type MaskRules, selectorsOnly } from '../masking/rules';
import { IDLE, type WidgetAction, type WidgetState, inSession, mayRecord, reduce } from './state';
import { OverlayHrefStore, SessionStore, type StoredSession } from './storage';
import { TOAST_MS, WidgetUi } from './ui';

const NOTICE_MS = 6000;
/** A proxied page that has not said `ready` by then is not coming: record inline instead. */
export const OVERLAY_READY_TIMEOUT_MS = 20000;

/** An act the overlay frame has not answered by then failed (e.g. the page was loading). */
export const ACT_TIMEOUT_MS = 5000;
const READ_KEY = 'cobrowse:chat-read:';
const TOAST_KEY = 'cobrowse:act-toast';

export interface ControllerOptions {
  /** Selectors of elements the agent may not press (default `[data-cobrowse-no-agent]`). */
  readonly refuse?: readonly string[];
  /** The visitor's language (see i18n.chooseLang); default English. */
  readonly tr?: Translator;
}

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
  private readonly hrefs: OverlayHrefStore;
  private overlayState: OverlayState = OVERLAY_OFF;
  private overlay: OverlayFrame | null = null;
  private overlayAnswer: OverlayAnswer | null = null;
  private overlayTimer: ReturnType<typeof setTimeout> | null = null;
  private chatLog: ChatLog | null = null;
  private maskerCache: { rules: MaskRules; href: string; masker: Masker } | null = null;
  private chatOpen = false;
  private controlState: ControlState = 'view';
  private layer: GuideLayer | null = null;
  private readonly pendingActs = new Map<string, { act: ActFields; timer: ReturnType<typeof setTimeout> }>();
  private readonly refuse: readonly string[];
  private readonly tr: Translator;
  /** File offers waiting for the visitor's answer (the first one is shown). */
  private offers: OfferMessage[] = [];

  constructor(
    private readonly base: string,
    private readonly doc: Document,
    /** Proxy mode: the page to overlay when it is not this one (the server's /start page). */
    private readonly startUrl: string | null = null,
    options: ControllerOptions = {},
  ) {
    this.refuse = [...DEFAULT_REFUSE_SELECTORS, ...(options.refuse ?? [])];
    this.tr = options.tr ?? translator('en');
    this.store = new SessionStore(new URL(base).origin);
    this.hrefs = new OverlayHrefStore(new URL(base).origin);
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
      chatSend: (text) => this.sendChat(text),
      chatToggle: (open) => {
        this.chatOpen = open;
        if (open) this.markRead();
        this.renderExtras();
      },
      allowControl: () => this.socket?.send(control('grant')),
      denyControl: () => this.socket?.send(control('deny')),
      takeBack: () => this.takeBack(),
      offerAnswer: (fileId, accept) => this.answerOffer(fileId, accept),
    }, this.tr);
    doc.addEventListener(
      'keydown',
      (event) => {
        if (event.key === 'Escape' && this.controlState === 'control') this.takeBack('escape');
      },
      true,
    );
    // A hidden tab drops control; a page being unloaded (a navigation, inline mode) does not:
    // pagehide comes before that visibilitychange.
    let unloading = false;
    (doc.defaultView ?? window).addEventListener('pagehide', () => {
      unloading = true;
    });
    (doc.defaultView ?? window).addEventListener('pageshow', () => {
      unloading = false;
    });
    doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'hidden' && !unloading && this.controlState !== 'view') this.takeBack('hidden');
    });
  }

  // --- chat, guidance, control ---------------------------------------------------

  private takeBack(why: RevokeReason = 'button'): void {
    if (this.controlState === 'view') return;
    this.socket?.send(control('revoke', why));
    this.setControl('view'); // at once; the server confirms
  }

  private setControl(state: ControlState): void {
    this.controlState = state;
    this.renderExtras();
  }

  private renderExtras(): void {
    const log = this.chatLog;
    if (this.chatOpen && log && log.unread > 0) this.markRead();
    this.ui.setExtras({
      unread: log ? log.unread : 0,
      control: this.controlState,
      chatOpen: this.chatOpen,
    });
  }

  private markRead(): void {
    const log = this.chatLog;
    const session = this.session;
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
      read = Number(sessionStorage.getItem(READ_KEY + (this.session?.session_id ?? ''))) || 0;
    } catch {
      read = 0;
    }
    this.chatLog = new ChatLog('visitor', read);
    return this.chatLog;
  }

  /** The site's masking rules for this session. */
  private maskRules(): MaskRules {
    return this.session?.masking ?? selectorsOnly(this.session?.selectors ?? FALLBACK_MASK_SELECTORS);
  }

  /** The masker of the page the visitor is on now (kept while rules and URL stay). */
  private pageMasker(): Masker {
    const win = this.doc.defaultView ?? window;
    const rules = this.maskRules();
    const href = win.location.href;
    const cached = this.maskerCache;
    if (cached && cached.rules === rules && cached.href === href) return cached.masker;
    const masker = maskerFor(rules, win);
    this.maskerCache = { rules, href, masker };
    return masker;
  }

  private sendChat(text: string): void {
    // What the visitor types in the chat goes through the same value patterns.
    const pending = this.ensureChat().send(newChatId('v'), this.pageMasker().text(text, null));
    if (pending) this.socket?.send(chat(pending.id, pending.text));
  }

  private agentName(fromFrame: { name: string } | null): string {
    return fromFrame?.name ?? this.session?.agent?.name ?? this.tr.s.theAgent;
  }

  // --- documents -------------------------------------------------------------------

  private onOffer(offer: OfferMessage): void {
    if (this.state.kind !== 'active') return;
    if (!this.offers.some((o) => o.file_id === offer.file_id)) this.offers.push(offer);
    this.ui.showOffer(this.offers[0] ?? null);
  }

  private answerOffer(fileId: string, accept: boolean): void {
    this.offers = this.offers.filter((o) => o.file_id !== fileId);
    this.socket?.send(offerAnswer(fileId, accept));
    this.ui.showOffer(this.offers[0] ?? null);
    if (!accept) this.ui.toast(this.tr.s.declined);
  }

  private onOfferReady(url: string): void {
    if (this.state.kind !== 'active') return;
    this.ui.toast(this.tr.s.downloading);
    try {
      this.ui.download(url);
    } catch {
      /* the browser refused; the visitor can ask the agent again */
    }
  }

  /** Whether the overlay's runtime records (guides and acts go to the frame). */
  private framed(): boolean {
    return this.session?.mode === 'proxy' && this.overlayState.phase !== 'failed';
  }

  private guideLayer(): GuideLayer {
    if (!this.layer) {
      this.layer = new GuideLayer(this.doc.defaultView ?? window, this.ui.guideRoot, (id) => {
        const node = this.recorder?.node(id) ?? null;
        if (!node) return null;
        return node.nodeType === 1 ? (node as Element) : node.parentElement;
      });
    }
    return this.layer;
  }

  private onGuide(kind: GuideKind, target: Target | null, points: readonly Point[], name: string): void {
    if (this.state.kind !== 'active') return;
    if (this.framed()) {
      if (this.overlayState.phase === 'ready') {
        const label = this.tr.t('pointerLabel', { name });
        this.overlay?.post({ cobrowse: 1, type: 'guide', guide: { kind, target, points, name, label } });
      }
      return;
    }
    this.guideLayer().apply(kind, target, points, name, this.tr.t('pointerLabel', { name }));
  }

  private onAct(act: ActFields): void {
    if (this.state.kind !== 'active' || this.controlState !== 'control') {
      this.socket?.send(actResult(act.ref, false, 'refused'));
      return;
    }
    if (this.framed()) {
      if (this.overlayState.phase !== 'ready' || !this.overlay) {
        this.finishAct(act, { ok: false, reason: 'failed', label: '', description: '' });
        return;
      }
      const timer = setTimeout(() => {
        this.pendingActs.delete(act.ref);
        this.finishAct(act, { ok: false, reason: 'failed', label: '', description: '' });
      }, ACT_TIMEOUT_MS);
      this.pendingActs.set(act.ref, { act, timer });
      this.overlay.post({ cobrowse: 1, type: 'act', act, refuse: this.refuse });
      return;
    }
    const win = (this.doc.defaultView ?? window) as Win;
    const outcome = applyAct(win, act, (id) => this.recorder?.node(id) ?? null, {
      mask: this.session?.selectors ?? FALLBACK_MASK_SELECTORS,
      masker: this.recorder?.recording ? this.recorder.masker() : this.pageMasker(),
      refuse: this.refuse,
    });
    if (outcome.element) this.guideLayer().flash(outcome.element);
    // A file input: only the visitor can choose the file; show them where.
    if (outcome.reason === 'file_input' && outcome.element) this.guideLayer().highlightElement(outcome.element);
    this.finishAct(act, outcome);
  }

  /** Report an act to the agent and show it to the visitor. */
  private finishAct(
    act: ActFields,
    outcome: { ok: boolean; reason: string | null; label: string; description: string },
  ): void {
    this.socket?.send(actResult(act.ref, outcome.ok, outcome.reason, outcome.description || undefined));
    const message = describeAct(this.agentName(null), act, outcome, this.tr);
    this.ui.toast(message);
    // A click may load a new page (inline mode): show the toast there too.
    try {
      sessionStorage.setItem(TOAST_KEY, JSON.stringify({ message, at: Date.now() }));
    } catch {
      /* shown on this page only */
    }
  }

  /** The toast of an agent's action that loaded this page (inline mode). */
  private restoreToast(): void {
    try {
      const raw = sessionStorage.getItem(TOAST_KEY);
      sessionStorage.removeItem(TOAST_KEY);
      const saved = raw ? (JSON.parse(raw) as { message?: unknown; at?: unknown }) : null;
      if (saved && typeof saved.message === 'string' && typeof saved.at === 'number' && Date.now() - saved.at < TOAST_MS) {
        this.ui.toast(saved.message);
      }
    } catch {
      /* nothing to show */
    }
  }

  /** Show the widget; resume a session stored by a previous page of this tab. */
  start(): void {
    const stored = this.store.load();
    if (stored) {
      this.dispatch({ type: 'resume' });
      this.connect(stored);
      this.restoreToast();
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
    if (this.session?.mode === 'proxy' && this.overlayState.phase !== 'failed') {
      // The overlay's runtime records; the page under it never is.
      if (this.recorder?.recording) this.recorder.stop();
      if (should || this.overlayState.want) this.overlayDispatch({ type: 'want', value: should });
      return;
    }
    if (should && !this.recorder?.recording) {
      this.recorder ??= new Recorder(
        this.maskRules(),
        (batch) => this.sendEvents(batch),
        this.doc.defaultView ?? window,
      );
      this.recorder.start();
    } else if (!should && this.recorder?.recording) {
      this.recorder.stop();
    }
  }

  private sendEvents(batch: readonly RecordedEvent[]): boolean {
    if (!mayRecord(this.state) || !this.welcomed) return false;
    if (!this.socket?.send(events(batch))) {
      // Not deliverable in order any more: drop, and re-snapshot after the reconnect.
      this.recorder?.stop();
      return false;
    }
    return true;
  }

  // --- proxy mode: the overlay -------------------------------------------------

  private overlayDispatch(action: OverlayAction): void {
    const { state, effects } = stepOverlay(this.overlayState, action);
    this.overlayState = state;
    for (const effect of effects) {
      switch (effect.type) {
        case 'request':
          void this.requestOverlay();
          break;
        case 'create':
          this.createOverlay();
          break;
        case 'post':
          this.overlay?.post(effect.message);
          break;
        case 'remove':
          this.removeOverlay();
          break;
        case 'inline':
          try {
            this.syncRecording();
          } catch {
            /* recording this page failed too: the agent sees nothing, the page works */
          }
          break;
      }
    }
  }

  private async requestOverlay(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const win = this.doc.defaultView ?? window;
    const url = this.hrefs.load(session.session_id) ?? this.startUrl ?? win.location.href;
    let answer: OverlayAnswer;
    try {
      answer = await requestOverlay(this.base, session.session_id, session.visitor_token, url);
    } catch {
      // not_proxyable, or any failure: record this page inline.
      if (this.session === session) this.overlayDispatch({ type: 'refused' });
      return;
    }
    if (this.session !== session) return;
    this.overlayAnswer = answer;
    this.overlayDispatch({ type: 'granted' });
  }

  private createOverlay(): void {
    const answer = this.overlayAnswer;
    if (!answer) return;
    this.ui.mount();
    try {
      this.overlay = new OverlayFrame(
        this.doc.defaultView ?? window,
        answer.src,
        answer.proxy_origin,
        this.ui.host,
        (message) => this.onFrame(message),
      );
      const win = this.doc.defaultView ?? window;
      this.overlay.iframe.setAttribute('title', this.tr.t('overlayTitle', { page: this.doc.title || win.location.hostname }));
    } catch {
      this.overlayDispatch({ type: 'timeout' });
      return;
    }
    this.overlayTimer = setTimeout(() => {
      this.overlayTimer = null;
      this.overlayDispatch({ type: 'timeout' });
    }, OVERLAY_READY_TIMEOUT_MS);
  }

  private removeOverlay(): void {
    if (this.overlayTimer !== null) clearTimeout(this.overlayTimer);
    this.overlayTimer = null;
    this.overlay?.remove();
    this.overlay = null;
  }

  private onFrame(message: FrameMessage): void {
    switch (message.type) {
      case 'ready':
        if (this.overlayTimer !== null) clearTimeout(this.overlayTimer);
        this.overlayTimer = null;
        if (this.session) this.hrefs.save(this.session.session_id, message.href);
        this.overlayDispatch({ type: 'ready' });
        return;
      case 'location':
        if (this.session) this.hrefs.save(this.session.session_id, message.href);
        return;
      case 'events': {
        if (!relayable(this.overlayState, message.id)) return;
        // Masked in the overlay already; the value patterns once more, here, before sending.
        const masker = this.pageMasker();
        const batch = message.events.map((e) => masker.event(e, () => null));
        if (!this.sendEvents(batch)) this.overlayDispatch({ type: 'send_failed' });
        return;
      }
      case 'act_result': {
        const pending = this.pendingActs.get(message.ref);
        if (!pending) return;
        clearTimeout(pending.timer);
        this.pendingActs.delete(message.ref);
        this.finishAct(pending.act, message);
        return;
      }
      case 'escape':
        if (this.controlState === 'control') this.takeBack('escape');
        return;
    }
  }

  /** Close the overlay (Stop, ended, lost) and leave the visitor on the page they reached in it. */
  private closeOverlay(): void {
    const shown = this.overlay !== null;
    const sessionId = this.session?.session_id ?? null;
    const last = sessionId ? this.hrefs.load(sessionId) : null;
    this.overlayDispatch({ type: 'close' });
    this.removeOverlay();
    this.overlayAnswer = null;
    if (sessionId) this.hrefs.clear();
    if (!shown) return;
    const win = this.doc.defaultView ?? window;
    const target = returnUrl(last, win.location.href);
    if (target) {
      try {
        win.location.assign(target);
      } catch {
        /* stay on this page */
      }
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
    this.removeOverlay();
    this.overlayState = OVERLAY_OFF;
    this.overlayAnswer = null;
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
        for (const p of this.chatLog?.pending ?? []) this.socket?.send(chat(p.id, p.text));
        return;
      case 'state':
        this.remember(message.agent);
        this.dispatch({ type: 'server_state', state: message.state, agent: message.agent });
        return;
      case 'snapshot_request':
        if (this.overlayState.phase === 'ready') this.overlayDispatch({ type: 'snapshot_request' });
        else this.recorder?.snapshot();
        return;
      case 'ended':
        this.dispatch({ type: 'ended', reason: message.reason });
        this.teardown();
        this.render();
        return;
      case 'guide':
        this.onGuide(message.kind, message.target, message.points, this.agentName(message.agent));
        return;
      case 'chat':
      case 'chat_history': {
        const log = this.ensureChat();
        const added = log.add(message.t === 'chat' ? [message] : message.messages);
        if (added.length) this.ui.chatEntries(log.entries);
        this.renderExtras();
        return;
      }
      case 'control':
        this.setControl(message.state);
        return;
      case 'act':
        this.onAct(message);
        return;
      case 'offer':
        this.onOffer(message);
        return;
      case 'offer_ready':
        this.onOfferReady(message.url);
        return;
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
    this.closeOverlay();
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.welcomed = false;
    this.session = null;
    this.store.clear();
    for (const p of this.pendingActs.values()) clearTimeout(p.timer);
    this.pendingActs.clear();
    this.layer?.destroy();
    this.layer = null;
    this.chatLog = null;
    this.chatOpen = false;
    this.controlState = 'view';
    this.offers = [];
    this.ui.showOffer(null);
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
