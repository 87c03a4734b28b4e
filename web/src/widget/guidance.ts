/**
 * The agent's guidance and control on the visitor's side: guides drawn on this page
 * (or relayed to the proxy-mode overlay), the control state with the visitor's ways to
 * take it back (button, Escape, hiding the tab), and the agent's acts with their
 * results and toasts.
 */
import {
  type ActFields,
  type ControlState,
  type GuideKind,
  type Point,
  type RevokeReason,
  type Target,
  actResult,
  control,
} from '../protocol';
import { GuideLayer } from '../guidance/layer';
import { DEFAULT_REFUSE_SELECTORS, type Win, applyAct, describeAct } from '../guidance/act';
import { blankData } from '../guidance/describe';
import { type WidgetContext, windowOf } from './context';
import type { FrameActResult, OverlayCoordinator } from './proxy-mode';
import { FALLBACK_MASK_SELECTORS, type Recorder } from './recorder';
import { TOAST_MS } from './ui';

/** An act the overlay frame has not answered by then failed (e.g. the page was loading). */
export const ACT_TIMEOUT_MS = 5000;
const TOAST_KEY = 'cobrowse:act-toast';

export interface GuidanceContext extends WidgetContext {
  /** The recorder of this page (inline mode), if any. */
  recorder(): Recorder | null;
  /** Show the control state (with the chat's unread count). */
  renderExtras(): void;
}

interface ActOutcome {
  ok: boolean;
  reason: string | null;
  label: string;
  description: string;
}

export class GuidanceHandler {
  private controlState: ControlState = 'view';
  private layer: GuideLayer | null = null;
  private readonly pendingActs = new Map<string, { act: ActFields; timer: ReturnType<typeof setTimeout> }>();
  private readonly refuse: readonly string[];

  constructor(
    private readonly ctx: GuidanceContext,
    private readonly overlay: OverlayCoordinator,
    /** Selectors of elements the agent may not press, besides the defaults. */
    refuse: readonly string[] = [],
  ) {
    this.refuse = [...DEFAULT_REFUSE_SELECTORS, ...refuse];
  }

  /** Take control back on Escape, and when the tab is hidden. */
  listen(): void {
    const doc = this.ctx.doc;
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
    windowOf(doc).addEventListener('pagehide', () => {
      unloading = true;
    });
    windowOf(doc).addEventListener('pageshow', () => {
      unloading = false;
    });
    doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'hidden' && !unloading && this.controlState !== 'view') this.takeBack('hidden');
    });
  }

  get control(): ControlState {
    return this.controlState;
  }

  // --- control -----------------------------------------------------------------------

  takeBack(why: RevokeReason = 'button'): void {
    if (this.controlState === 'view') return;
    this.ctx.send(control('revoke', why));
    this.setControl('view'); // at once; the server confirms
  }

  /** The visitor pressed Escape (here or in the overlay). */
  escape(): void {
    if (this.controlState === 'control') this.takeBack('escape');
  }

  setControl(state: ControlState): void {
    this.controlState = state;
    this.ctx.renderExtras();
  }

  agentName(fromFrame: { name: string } | null): string {
    return fromFrame?.name ?? this.ctx.session()?.agent?.name ?? this.ctx.tr.s.theAgent;
  }

  // --- guides ------------------------------------------------------------------------

  private guideLayer(): GuideLayer {
    if (!this.layer) {
      this.layer = new GuideLayer(windowOf(this.ctx.doc), this.ctx.ui.guideRoot, (id) => {
        const node = this.ctx.recorder()?.node(id) ?? null;
        if (!node) return null;
        return node.nodeType === 1 ? (node as Element) : node.parentElement;
      });
    }
    return this.layer;
  }

  onGuide(kind: GuideKind, target: Target | null, points: readonly Point[], name: string): void {
    if (!this.ctx.active()) return;
    if (this.overlay.framed()) {
      if (this.overlay.state.phase === 'ready') {
        const label = this.ctx.tr.t('pointerLabel', { name });
        this.overlay.post({ cobrowse: 1, type: 'guide', guide: { kind, target, points, name, label } });
      }
      return;
    }
    this.guideLayer().apply(kind, target, points, name, this.ctx.tr.t('pointerLabel', { name }));
  }

  // --- acts --------------------------------------------------------------------------

  onAct(act: ActFields): void {
    if (!this.ctx.active() || this.controlState !== 'control') {
      this.ctx.send(actResult(act.ref, false, 'refused'));
      return;
    }
    if (this.overlay.framed()) {
      if (!this.overlay.postable) {
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
    const win = windowOf(this.ctx.doc) as Win;
    const recorder = this.ctx.recorder();
    const outcome = applyAct(win, act, (id) => this.ctx.recorder()?.node(id) ?? null, {
      mask: this.ctx.session()?.selectors ?? FALLBACK_MASK_SELECTORS,
      masker: recorder?.recording ? recorder.masker() : this.ctx.pageMasker(),
      refuse: this.refuse,
    });
    if (outcome.element) this.guideLayer().flash(outcome.element);
    // A file input: only the visitor can choose the file; show them where.
    if (outcome.reason === 'file_input' && outcome.element) this.guideLayer().highlightElement(outcome.element);
    this.finishAct(act, outcome);
  }

  /** The overlay frame answered an act it was sent. */
  onFrameResult(message: FrameActResult): void {
    const pending = this.pendingActs.get(message.ref);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingActs.delete(message.ref);
    this.finishAct(pending.act, message);
  }

  /**
   * Report an act to the agent and show it to the visitor. The description (for the
   * audit log) gets the value patterns once more here: in proxy mode it comes from the
   * overlay's frame, like its events.
   */
  private finishAct(act: ActFields, outcome: ActOutcome): void {
    const description = outcome.description ? blankData(this.ctx.pageMasker().string(outcome.description)) : '';
    this.ctx.send(actResult(act.ref, outcome.ok, outcome.reason, description || undefined));
    const message = describeAct(this.agentName(null), act, outcome, this.ctx.tr);
    this.ctx.ui.toast(message);
    // A click may load a new page (inline mode): show the toast there too.
    try {
      sessionStorage.setItem(TOAST_KEY, JSON.stringify({ message, at: Date.now() }));
    } catch {
      /* shown on this page only */
    }
  }

  /** The toast of an agent's action that loaded this page (inline mode). */
  restoreToast(): void {
    try {
      const raw = sessionStorage.getItem(TOAST_KEY);
      sessionStorage.removeItem(TOAST_KEY);
      const saved = raw ? (JSON.parse(raw) as { message?: unknown; at?: unknown }) : null;
      if (saved && typeof saved.message === 'string' && typeof saved.at === 'number' && Date.now() - saved.at < TOAST_MS) {
        this.ctx.ui.toast(saved.message);
      }
    } catch {
      /* nothing to show */
    }
  }

  /** Forget acts in flight, guides and control (the session is over). */
  reset(): void {
    for (const p of this.pendingActs.values()) clearTimeout(p.timer);
    this.pendingActs.clear();
    this.layer?.destroy();
    this.layer = null;
    this.controlState = 'view';
  }
}
