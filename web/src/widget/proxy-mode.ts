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
import { OverlayHrefStore, safeSessionStorage } from './storage';
import { RestoreStore, handBack, handIn } from './continuation';
import type { FormState } from '../formstate';

/** A proxied page that has not said `ready` by then is not coming: record inline instead. */
export const OVERLAY_READY_TIMEOUT_MS = 20000;

/** How long the end waits for the frame's unsaved form values. */
export const COLLECT_TIMEOUT_MS = 1500;

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
  /** The continuation point: where it is, and the return ticket once the login came in. */
  private handoffPath: string | null = null;
  private returnTicket: string | null = null;
  private handoffFailed = false;
  private collected: ((state: FormState | null) => void) | null = null;

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
    if (answer.handoff) {
      // The visitor's login on the site, carried into the overlay before it loads.
      const ticket = await handIn(win.location.origin, answer.handoff, readCookie(this.ctx.doc));
      if (this.ctx.session() !== session) return;
      this.handoffPath = answer.handoff.path;
      this.returnTicket = ticket ?? this.returnTicket;
      this.handoffFailed = ticket === null && this.returnTicket === null;
    }
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
    this.ctx.ui.setFrameField(undefined);
  }

  private onFrame(message: FrameMessage): void {
    const session = this.ctx.session();
    switch (message.type) {
      case 'ready':
        if (this.overlayTimer !== null) clearTimeout(this.overlayTimer);
        this.overlayTimer = null;
        // The outside page is never where the visitor is left: the last site page is.
        if (session && !message.outside) this.hrefs.save(session.session_id, message.href);
        this.dispatch({ type: 'ready' });
        return;
      case 'location':
        if (session && !message.outside) this.hrefs.save(session.session_id, message.href);
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
      case 'form_state':
        this.collected?.(message);
        return;
      case 'focus':
        this.ctx.ui.setFrameField(message.rect);
        return;
    }
  }

  /**
   * Close the overlay (Stop, ended, lost) and leave the visitor on the page they reached
   * in it, in the state it reached: the site's cookies written back through the
   * continuation point, unsaved form values put back after the page loads. Whatever
   * cannot be carried back is said before the overlay goes.
   */
  close(): void {
    const frame = this.overlay;
    const sessionId = this.ctx.session()?.session_id ?? null;
    const last = sessionId ? this.hrefs.load(sessionId) : null;
    this.overlay = null; // kept below until the hand-back is done
    this.dispatch({ type: 'close' });
    this.removeOverlay();
    frame?.post({ cobrowse: 1, type: 'stop' });
    this.overlayAnswer = null;
    if (sessionId) this.hrefs.clear();
    const path = this.handoffPath;
    const ticket = this.returnTicket;
    const failed = this.handoffFailed;
    this.handoffPath = null;
    this.returnTicket = null;
    this.handoffFailed = false;
    if (!frame) return;
    void this.handBack(frame, last, path, ticket, failed);
  }

  private async handBack(
    frame: OverlayFrame,
    last: string | null,
    path: string | null,
    ticket: string | null,
    failed: boolean,
  ): Promise<void> {
    const { doc, ui, tr } = this.ctx;
    const win = windowOf(doc);
    const form = await this.collect(frame);
    const problems: string[] = [];
    let carried = 0;
    if (path && ticket) {
      const result = await handBack(win.location.origin, path, ticket);
      if (result === null) problems.push(tr.s.carryFailed);
      else {
        carried = result.carried;
        if (result.elsewhere.length) problems.push(tr.t('carryElsewhere', { hosts: result.elsewhere.join(', ') }));
      }
    } else if (failed) {
      problems.push(tr.s.carryFailed);
    }
    if (problems.length) await ui.carryNotice(problems);
    frame.remove();
    const fields = form?.fields ?? [];
    if (form && fields.length) new RestoreStore(safeSessionStorage()).save(form.href, fields, Date.now());
    const target = returnUrl(last, win.location.href);
    try {
      if (target) win.location.assign(target);
      else if (carried > 0 || fields.length) win.location.reload();
    } catch {
      /* stay on this page */
    }
  }

  /** The frame's unsaved form values (null if it does not answer in time). */
  private collect(frame: OverlayFrame): Promise<FormState | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), COLLECT_TIMEOUT_MS);
      const finish = (state: FormState | null): void => {
        clearTimeout(timer);
        if (this.collected === finish) this.collected = null;
        resolve(state);
      };
      this.collected = finish;
      frame.post({ cobrowse: 1, type: 'collect' });
    });
  }
}

function readCookie(doc: Document): string {
  try {
    return doc.cookie;
  } catch {
    return '';
  }
}
