/**
 * The agent's guidance and control over the mirror: a toolbar (Pointer, Highlight,
 * Laser, Draw, Clear; Request/Release control; Back, Forward, Reload, Address), a
 * transparent capture layer over the mirror (which runs no script and takes no pointer
 * events), and a small local editor (./editor.ts) for typing into the visitor's fields
 * while in control.
 *
 * The toolbar is one row of fixed height whatever the control state: every control
 * keeps its place (navigation is disabled, not removed, without control), so the mirror
 * below never moves under the agent's aim. Highlight, Laser and Draw are one-shot: after
 * one use (or Escape) the tool is Pointer again; the tool on is pressed (aria-pressed)
 * and named over the mirror.
 *
 * Every target is the rrweb node id under the agent's mouse in the mirror plus the
 * point relative to that element's box, so it lands on the same spot on the visitor's
 * page whatever its viewport.
 */
import {
  type ActKind,
  type ActResultMessage,
  type ClientMessage,
  type ControlState,
  type Target,
  act,
  control,
  guide,
} from '../protocol';
import { Throttle, targetAt } from '../guidance/geometry';
import { reasonText } from '../guidance/act';
import { reasonKey, translator } from '../i18n';
import { PendingActs } from './acts';
import type { LiveMirror } from './mirror';
import { MASKED_ATTRIBUTE } from './mirror';
import { MirrorEditor, editorKind } from './editor';
import { OwnHighlight } from './highlight';
import { Strokes } from './strokes';
import { type Key, attr, currentLang, label, t } from './i18n';
import type { NoticeKind } from './notices';

export { editorKind };
export { STROKE_INTERVAL_MS, chunkStroke } from './strokes';

export type Tool = 'pointer' | 'highlight' | 'laser' | 'draw';
export const TOOLS: readonly { tool: Tool; label: Key; hint: Key; icon: string }[] = [
  { tool: 'pointer', label: 'pointer', hint: 'pointerHint', icon: '➚' },
  { tool: 'highlight', label: 'highlight', hint: 'highlightHint', icon: '▢' },
  { tool: 'laser', label: 'laser', hint: 'laserHint', icon: '✦' },
  { tool: 'draw', label: 'draw', hint: 'drawHint', icon: '✎' },
];

/** ~30 pointer frames a second. */
export const POINTER_INTERVAL_MS = 33;
export const SCROLL_INTERVAL_MS = 50;

/** Keys sent as `key` acts (text goes as `input` with the field's full value). */
export const ACT_KEYS = new Set([
  'Enter', 'Tab', 'Escape', 'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End', ' ',
]);

/** What the agent reads when an action got no answer in time. */
export function unansweredText(): string {
  return t('unanswered');
}

/** What the agent reads when an action was not done. Pure. */
export function refusedText(reason: string | null): string {
  if (reason === 'visitor away') return t('refusedAway');
  if (reason === 'no control') return t('refusedNoControl');
  const key = reasonKey(reason);
  return t('refused', { reason: key ? translator(currentLang()).t(key) : reasonText(reason) });
}

function button(doc: Document, key: Key, cls = 'tool'): HTMLButtonElement {
  const b = doc.createElement('button');
  b.type = 'button';
  b.className = `button ${cls}`;
  label(b, key);
  return b;
}

/** A button with an icon and its name (the name hides, still read, when the bar is narrow). */
function iconButton(doc: Document, key: Key, icon: string, cls = 'tool'): HTMLButtonElement {
  const b = doc.createElement('button');
  b.type = 'button';
  b.className = `button ${cls} icon-button`;
  const i = doc.createElement('span');
  i.className = 'icon';
  i.setAttribute('aria-hidden', 'true');
  i.textContent = icon;
  const name = label(doc.createElement('span'), key);
  name.className = 'tool-label';
  b.append(i, name);
  return b;
}

export class AgentTools {
  readonly toolbar: HTMLElement;
  /** Over the mirror while a tool other than Pointer is on: which, and how to leave it. */
  readonly toolBadge: HTMLElement;
  private tool: Tool = 'pointer';
  private readonly toolButtons = new Map<Tool, HTMLButtonElement>();
  private readonly requestButton: HTMLButtonElement;
  private readonly releaseButton: HTMLButtonElement;
  private readonly waitingText: HTMLElement;
  private readonly navButtons: HTMLElement;
  private controlState: ControlState = 'view';
  private mirror: LiveMirror | null = null;
  private readonly strokes: Strokes;
  private readonly editor: MirrorEditor;
  private readonly highlight: OwnHighlight;
  private svg: SVGSVGElement | null = null;
  private refCounter = 0;
  private readonly refPrefix = Math.random().toString(36).slice(2, 8);
  private readonly pointer = new Throttle<Target | null>(POINTER_INTERVAL_MS, (t) => this.send(guide('pointer', t)));
  private scrollDelta: { dx: number; dy: number; target: Target | null } | null = null;
  private readonly scroller = new Throttle<true>(SCROLL_INTERVAL_MS, () => this.flushScroll());
  /** Acts sent without a result yet (resent after a reconnect, given up after a while). */
  private readonly pending = new PendingActs();
  private pendingTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly doc: Document,
    private readonly send: (message: ClientMessage) => boolean,
    private readonly say: (kind: NoticeKind, text: string) => void = () => undefined,
    /** Called when control changes (the status line says it). */
    private readonly onControl: (state: ControlState) => void = () => undefined,
  ) {
    this.editor = new MirrorEditor(doc, (kind, target, value) => this.act(kind, target, value));
    this.highlight = new OwnHighlight(doc);
    this.strokes = new Strokes(doc, send, () => this.svg, () => this.mirror?.currentScale ?? 1);
    const bar = doc.createElement('div');
    bar.className = 'agent-toolbar';
    bar.setAttribute('role', 'toolbar');
    attr(bar, 'aria-label', 'toolbar');
    const tools = doc.createElement('div');
    tools.className = 'tool-group';
    tools.setAttribute('role', 'group');
    attr(tools, 'aria-label', 'tools');
    for (const { tool, label: key, hint, icon } of TOOLS) {
      const b = iconButton(doc, key, icon);
      attr(b, 'title', hint);
      b.dataset.tool = tool;
      b.setAttribute('aria-pressed', String(tool === this.tool));
      b.addEventListener('click', () => this.setTool(tool));
      this.toolButtons.set(tool, b);
      tools.append(b);
    }
    const clear = iconButton(doc, 'clear', '⌫');
    attr(clear, 'title', 'clearHint');
    clear.addEventListener('click', () => {
      this.send(guide('clear'));
      this.svg?.replaceChildren();
      this.highlight.clear();
    });
    tools.append(clear);

    const ctl = doc.createElement('div');
    ctl.className = 'tool-group control-group';
    ctl.setAttribute('role', 'group');
    attr(ctl, 'aria-label', 'control');
    this.requestButton = button(doc, 'requestControl', 'primary');
    this.requestButton.addEventListener('click', () => {
      if (this.send(control('request'))) this.setControl('requested');
    });
    this.waitingText = label(doc.createElement('span'), 'waitingVisitor');
    this.waitingText.className = 'control-waiting';
    this.releaseButton = button(doc, 'releaseControl', 'secondary');
    this.releaseButton.addEventListener('click', () => {
      this.send(control('release'));
      this.setControl('view');
    });
    ctl.append(this.requestButton, this.waitingText, this.releaseButton);

    this.navButtons = doc.createElement('div');
    this.navButtons.className = 'tool-group tool-nav';
    this.navButtons.setAttribute('role', 'group');
    attr(this.navButtons, 'aria-label', 'navigation');
    for (const [key, value, icon] of [['back', 'back', '←'], ['forward', 'forward', '→'], ['reload', 'reload', '↻']] as const) {
      const b = iconButton(doc, key, icon);
      b.addEventListener('click', () => this.act('navigate', null, value));
      this.navButtons.append(b);
    }
    this.navButtons.append(this.addressForm(doc));
    bar.append(tools, ctl, this.navButtons);
    this.toolbar = bar;
    this.toolBadge = doc.createElement('p');
    this.toolBadge.className = 'tool-badge';
    this.toolBadge.hidden = true;
    this.renderControl();
  }

  /** "Address" + "Open": the visitor's tab opens a page of the site (relative or absolute). */
  private addressForm(doc: Document): HTMLFormElement {
    const form = doc.createElement('form');
    form.className = 'tool-address';
    const field = doc.createElement('label');
    const name = label(doc.createElement('span'), 'address');
    name.className = 'tool-label';
    const input = doc.createElement('input');
    input.type = 'text';
    input.name = 'address';
    attr(input, 'placeholder', 'addressPlaceholder');
    input.autocomplete = 'off';
    input.spellcheck = false;
    field.append(name, input);
    const open = button(doc, 'open');
    open.type = 'submit';
    form.append(field, open);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      this.act('navigate', null, value);
      input.value = '';
    });
    return form;
  }

  get control(): ControlState {
    return this.controlState;
  }

  get currentTool(): Tool {
    return this.tool;
  }

  /** Whether the agent's own highlight is shown in the mirror. */
  get highlighting(): boolean {
    return this.highlight.shown;
  }

  setTool(tool: Tool): void {
    this.tool = tool;
    for (const [t, b] of this.toolButtons) b.setAttribute('aria-pressed', String(t === tool));
    if (this.mirror) this.mirror.layer.dataset.tool = tool;
    this.renderBadge();
  }

  /** The tool badge's text in the language in use (again after a language switch). */
  renderBadge(): void {
    const entry = TOOLS.find((e) => e.tool === this.tool);
    this.toolBadge.hidden = this.tool === 'pointer' || !entry;
    this.toolBadge.dataset.tool = this.tool;
    if (entry) this.toolBadge.textContent = t('toolOn', { tool: t(entry.label) });
  }

  /** The server's control state. */
  setControl(state: ControlState): void {
    const before = this.controlState;
    this.controlState = state;
    if (before === 'requested' && state === 'view') this.say('warning', t('didNotGive'));
    if (before !== 'control' && state === 'control') this.say('success', t('youHaveControl'));
    if (before === 'control' && state === 'view') this.say('info', t('controlEnded'));
    if (state !== 'control') this.editor.close();
    this.renderControl();
    if (state !== before) this.onControl(state);
  }

  /** What became of an act: refusals are shown. */
  actResult(message: Pick<ActResultMessage, 'ref' | 'ok' | 'reason'>): void {
    this.pending.answered(message.ref);
    this.schedulePending();
    if (!message.ok) this.say('error', refusedText(message.reason));
  }

  /** Acts sent and not answered yet (their refs). */
  get unansweredActs(): string[] {
    return this.pending.unanswered().map((m) => m.ref);
  }

  /**
   * After a reconnect's catch-up (`synced`): send again, with the same ref, the acts
   * that have no result yet (the server runs each ref once). Without control any more,
   * they are dropped: the server would only refuse them.
   */
  resendPending(): void {
    this.expirePending();
    const acts = this.pending.unanswered();
    if (this.controlState !== 'control') {
      this.pending.clear();
    } else {
      for (const message of acts) this.send(message);
    }
    this.schedulePending();
  }

  private expirePending(): void {
    if (this.pending.expire(performance.now()).length > 0) this.say('warning', unansweredText());
  }

  /** One timer, for the oldest waiting act. */
  private schedulePending(): void {
    if (this.pendingTimer !== null) clearTimeout(this.pendingTimer);
    this.pendingTimer = null;
    const deadline = this.pending.nextDeadline;
    if (deadline === null) return;
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = null;
      this.expirePending();
      this.schedulePending();
    }, Math.max(0, deadline - performance.now()) + 1);
  }

  /** Bind to a (new) mirror: its capture layer takes the agent's input. */
  attach(mirror: LiveMirror): void {
    if (this.mirror === mirror) return;
    this.mirror = mirror;
    const layer = mirror.layer;
    layer.dataset.tool = this.tool;
    layer.dataset.control = this.controlState;
    const svg = this.doc.createElementNS('http://www.w3.org/2000/svg', 'svg') as SVGSVGElement;
    svg.setAttribute('class', 'capture-marks');
    svg.setAttribute('aria-hidden', 'true');
    layer.append(svg);
    this.svg = svg;
    layer.addEventListener('pointermove', (e) => this.onMove(e));
    layer.addEventListener('pointerleave', () => this.pointer.push(null));
    layer.addEventListener('pointerdown', (e) => this.onDown(e));
    layer.addEventListener('pointerup', (e) => this.onUp(e));
    layer.addEventListener('pointercancel', (e) => this.onUp(e));
    layer.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    layer.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** The session is over: forget the mirror and any state. */
  reset(): void {
    this.pointer.cancel();
    this.scroller.cancel();
    this.strokes.end();
    this.editor.close();
    this.highlight.clear();
    this.mirror = null;
    this.svg = null;
    this.controlState = 'view';
    this.setTool('pointer');
    this.pending.clear();
    this.schedulePending();
    this.renderControl();
  }

  /** Every control keeps its place: only which of the request/wait/release shows, and whether navigation is enabled. */
  private renderControl(): void {
    const s = this.controlState;
    this.requestButton.hidden = s !== 'view';
    this.waitingText.hidden = s !== 'requested';
    this.releaseButton.hidden = s === 'view';
    label(this.releaseButton, s === 'requested' ? 'cancelRequest' : 'releaseControl');
    const enabled = s === 'control';
    for (const el of Array.from(this.navButtons.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input'))) {
      el.disabled = !enabled;
    }
    if (enabled) this.navButtons.removeAttribute('title');
    else attr(this.navButtons, 'title', 'withControl');
    this.navButtons.dataset.enabled = String(enabled);
    if (this.mirror) this.mirror.layer.dataset.control = s;
  }

  private nextRef(): string {
    this.refCounter += 1;
    return `${this.refPrefix}-${this.refCounter}`;
  }

  private act(kind: ActKind, target: Target | null, value = '', dx = 0, dy = 0): void {
    if (this.controlState !== 'control') return;
    const message = act(this.nextRef(), kind, target, value, dx, dy);
    if (!this.send(message)) return;
    this.pending.sent(message, performance.now());
    if (this.pendingTimer === null) this.schedulePending();
  }

  private hit(e: { clientX: number; clientY: number }) {
    return this.mirror?.pick(e.clientX, e.clientY) ?? null;
  }

  private onMove(e: PointerEvent): void {
    const hit = this.hit(e);
    if (this.strokes.active && hit) this.strokes.add(hit.x, hit.y);
    this.pointer.push(hit ? targetAt(hit.id, hit.box, hit.x, hit.y) : null);
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const hit = this.hit(e);
    if (!hit) return;
    const layer = this.mirror!.layer;
    if (!this.editor.node || e.target === layer) layer.focus({ preventScroll: true });
    const target = targetAt(hit.id, hit.box, hit.x, hit.y);
    switch (this.tool) {
      case 'highlight':
        this.send(guide('highlight', target));
        this.highlight.show(this.mirror!, hit.id);
        e.preventDefault();
        this.setTool('pointer'); // one-shot
        return;
      case 'laser':
      case 'draw': {
        e.preventDefault();
        try {
          layer.setPointerCapture(e.pointerId);
        } catch {
          /* synthetic events */
        }
        this.strokes.start(this.tool, target, hit.box, hit.x, hit.y);
        return;
      }
      case 'pointer':
        if (this.controlState !== 'control') return;
        e.preventDefault();
        this.editor.close();
        this.act('click', target);
        if (!hit.element.hasAttribute(MASKED_ATTRIBUTE)) this.editor.open(this.mirror!, hit.id, hit.element, hit.box);
        return;
    }
  }

  private onUp(_e: PointerEvent): void {
    if (this.strokes.active) this.setTool('pointer'); // one-shot: the stroke is done
    this.strokes.end();
  }

  private onWheel(e: WheelEvent): void {
    if (this.controlState !== 'control') return;
    e.preventDefault();
    const hit = this.hit(e);
    const scale = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? 800 : 1;
    const prev = this.scrollDelta;
    this.scrollDelta = {
      dx: (prev?.dx ?? 0) + e.deltaX * scale,
      dy: (prev?.dy ?? 0) + e.deltaY * scale,
      target: hit ? targetAt(hit.id, hit.box, hit.x, hit.y) : (prev?.target ?? null),
    };
    this.scroller.push(true);
  }

  private flushScroll(): void {
    const d = this.scrollDelta;
    this.scrollDelta = null;
    if (!d || (d.dx === 0 && d.dy === 0)) return;
    this.act('scroll', d.target, '', Math.round(d.dx), Math.round(d.dy));
  }

  private onKey(e: KeyboardEvent): void {
    if (e.target !== this.mirror?.layer) return;
    if (e.key === 'Escape' && this.tool !== 'pointer') {
      e.preventDefault();
      this.strokes.end();
      this.setTool('pointer');
      return;
    }
    if (this.controlState !== 'control') return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key.length === 1 && this.typeAtVisitorFocus(e.key)) {
      e.preventDefault();
      return;
    }
    if (!ACT_KEYS.has(e.key)) return;
    e.preventDefault();
    this.act('key', null, e.key);
  }

  /**
   * A character typed on the mirror while the visitor's focus is in a text field (the
   * agent reached it with Tab): open the field's editor there and type into it, so the
   * keyboard alone can fill a form. False if the focus is not in such a field.
   */
  private typeAtVisitorFocus(char: string): boolean {
    const focus = this.mirror?.visitorFocus;
    if (!focus || focus.element.hasAttribute(MASKED_ATTRIBUTE)) return false;
    const kind = editorKind(focus.element);
    if (kind !== 'input' && kind !== 'textarea') return false;
    this.editor.open(this.mirror!, focus.id, focus.element, focus.box);
    const node = this.editor.node;
    if (!(node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement)) return false;
    node.setRangeText(char, node.selectionStart ?? node.value.length, node.selectionEnd ?? node.value.length, 'end');
    node.dispatchEvent(new Event('input'));
    return true;
  }
}
