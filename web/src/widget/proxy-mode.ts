/**
 * Proxy mode (the session answer's `mode`): once active, the page is shown through the
 * co-browsing proxy in an overlay iframe (overlay.ts) and the runtime in it records;
 * this page relays its batches. The decisions live in overlay-state.ts; this class
 * performs their effects: asking the server for the overlay, creating and removing the
 * iframe, relaying the frame's messages, leaving the visitor where they got to.
 */
import type { FrameMessage, TopMessage } from '../bridge';
import type { OverlayAnswer, RecordedEvent } from '../protocol';
import { requestOverlay } from './api';
import { type WidgetContext, windowOf } from './context';
import { OverlayFrame } from './overlay';
import {
  OVERLAY_OFF,
  type OverlayAction,
  type OverlayState,
  relayable,
  returnUrl,
  stepOverlay,
} from './overlay-state';
import { OverlayHrefStore } from './storage';

/** A proxied page that has not said `ready` by then is not coming: record inline instead. */
export const OVERLAY_READY_TIMEOUT_MS = 20000;

/** The frame's answer to an act. */
export type FrameActResult = Extract<FrameMessage, { type: 'act_result' }>;

export interface OverlayContext extends WidgetContext {
  /** The server's base URL. */
  readonly base: string;
  /** The page to overlay when it is not this one (the server's /start page). */
  readonly startUrl: string | null;
  /** Send a batch of events for the session (false if it could not be). */
  sendEvents(batch: readonly RecordedEvent[]): boolean;
  /** The overlay is not to be had: record this page as in inline mode. */
  recordInline(): void;
  /** The frame answered an act. */
  actResult(message: FrameActResult): void;
  /** The visitor pressed Escape inside the frame. */
  escape(): void;
}

export class OverlayCoordinator {
  private overlayState: OverlayState = OVERLAY_OFF;
  private overlay: OverlayFrame | null = null;
  private overlayAnswer: OverlayAnswer | null = null;
  private overlayTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly hrefs: OverlayHrefStore;

  constructor(private readonly ctx: OverlayContext) {
    this.hrefs = new OverlayHrefStore(new URL(ctx.base).origin);
  }

  get state(): OverlayState {
    return this.overlayState;
  }

  /** Whether the overlay's runtime records (guides and acts go to the frame). */
  framed(): boolean {
    return this.ctx.session()?.mode === 'proxy' && this.overlayState.phase !== 'failed';
  }

  /** Whether the frame is there and ready for guides and acts. */
  get postable(): boolean {
    return this.overlayState.phase === 'ready' && this.overlay !== null;
  }

  /** Post a message to the frame, if there is one. */
  post(message: TopMessage): void {
    this.overlay?.post(message);
  }

  /** A new session (or the same one on a new socket): no overlay yet. */
  reset(): void {
    this.removeOverlay();
    this.overlayState = OVERLAY_OFF;
    this.overlayAnswer = null;
  }

  dispatch(action: OverlayAction): void {
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
            this.ctx.recordInline();
          } catch {
            /* recording this page failed too: the agent sees nothing, the page works */
          }
          break;
      }
    }
  }

  private async requestOverlay(): Promise<void> {
    const session = this.ctx.session();
    if (!session) return;
    const win = windowOf(this.ctx.doc);
    const url = this.hrefs.load(session.session_id) ?? this.ctx.startUrl ?? win.location.href;
    let answer: OverlayAnswer;
    try {
      answer = await requestOverlay(this.ctx.base, session.session_id, session.visitor_token, url);
    } catch {
      // not_proxyable, or any failure: record this page inline.
      if (this.ctx.session() === session) this.dispatch({ type: 'refused' });
      return;
    }
    if (this.ctx.session() !== session) return;
    this.overlayAnswer = answer;
    this.dispatch({ type: 'granted' });
  }

  private createOverlay(): void {
    const answer = this.overlayAnswer;
    if (!answer) return;
    const { doc, ui, tr } = this.ctx;
    ui.mount();
    try {
      this.overlay = new OverlayFrame(
        windowOf(doc),
        answer.src,
        answer.proxy_origin,
        ui.host,
        (message) => this.onFrame(message),
      );
      const win = windowOf(doc);
      this.overlay.iframe.setAttribute('title', tr.t('overlayTitle', { page: doc.title || win.location.hostname }));
    } catch {
      this.dispatch({ type: 'timeout' });
      return;
    }
    this.overlayTimer = setTimeout(() => {
      this.overlayTimer = null;
      this.dispatch({ type: 'timeout' });
    }, OVERLAY_READY_TIMEOUT_MS);
  }

  private removeOverlay(): void {
    if (this.overlayTimer !== null) clearTimeout(this.overlayTimer);
    this.overlayTimer = null;
    this.overlay?.remove();
    this.overlay = null;
  }

  private onFrame(message: FrameMessage): void {
    const session = this.ctx.session();
    switch (message.type) {
      case 'ready':
        if (this.overlayTimer !== null) clearTimeout(this.overlayTimer);
        this.overlayTimer = null;
        if (session) this.hrefs.save(session.session_id, message.href);
        this.dispatch({ type: 'ready' });
        return;
      case 'location':
        if (session) this.hrefs.save(session.session_id, message.href);
        return;
      case 'events': {
        if (!relayable(this.overlayState, message.id)) return;
        // Masked in the overlay already; the value patterns once more, here, before sending.
        const masker = this.ctx.pageMasker();
        const batch = message.events.map((e) => masker.event(e, () => null));
        if (!this.ctx.sendEvents(batch)) this.dispatch({ type: 'send_failed' });
        return;
      }
      case 'act_result':
        this.ctx.actResult(message);
        return;
      case 'escape':
        this.ctx.escape();
        return;
    }
  }

  /** Close the overlay (Stop, ended, lost) and leave the visitor on the page they reached in it. */
  close(): void {
    const shown = this.overlay !== null;
    const sessionId = this.ctx.session()?.session_id ?? null;
    const last = sessionId ? this.hrefs.load(sessionId) : null;
    this.dispatch({ type: 'close' });
    this.removeOverlay();
    this.overlayAnswer = null;
    if (sessionId) this.hrefs.clear();
    if (!shown) return;
    const win = windowOf(this.ctx.doc);
    const target = returnUrl(last, win.location.href);
    if (target) {
      try {
        win.location.assign(target);
      } catch {
        /* stay on this page */
      }
    }
  }
}
