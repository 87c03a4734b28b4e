/**
 * The agent's guidance and control over the mirror: a toolbar (Pointer, Highlight,
 * Laser, Draw, Clear; Request/Release control; Back, Forward, Reload), a transparent
 * capture layer over the mirror (which runs no script and takes no pointer events),
 * and a small local editor for typing into the visitor's fields while in control.
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
  type Point,
  type Target,
  act,
  control,
  guide,
} from '../protocol';
import { Throttle, relative, targetAt } from '../guidance/geometry';
import { reasonText } from '../guidance/act';
import { PendingActs } from './acts';
import type { LiveMirror } from './mirror';
import { FILE_ATTRIBUTE, MASKED_ATTRIBUTE } from './mirror';

export type Tool = 'pointer' | 'highlight' | 'laser' | 'draw';
export const TOOLS: readonly { tool: Tool; label: string; hint: string }[] = [
  { tool: 'pointer', label: 'Pointer', hint: 'Your pointer shows on the visitor’s page' },
  { tool: 'highlight', label: 'Highlight', hint: 'Click an element to outline it' },
  { tool: 'laser', label: 'Laser', hint: 'Drag: a stroke that fades' },
  { tool: 'draw', label: 'Draw', hint: 'Drag: marks that stay until Clear' },
];

/** ~30 pointer frames a second. */
export const POINTER_INTERVAL_MS = 33;
/** Strokes are streamed in chunks this often. */
export const STROKE_INTERVAL_MS = 50;
export const SCROLL_INTERVAL_MS = 50;
const MAX_CHUNK = 400;

/** Keys sent as `key` acts (text goes as `input` with the field's full value). */
export const ACT_KEYS = new Set([
  'Enter', 'Tab', 'Escape', 'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End', ' ',
]);

const TEXT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'number', 'password', '', 'date', 'time', 'month', 'week', 'datetime-local']);

/** What the agent reads when an action got no answer in time. */
export const UNANSWERED_TEXT = 'No answer from the visitor’s page: an action may not have been done.';

/** What the agent reads when an action was not done. Pure. */
export function refusedText(reason: string | null): string {
  if (reason === 'visitor away') return 'Not done: the visitor’s page is loading or offline. Try again in a moment.';
  if (reason === 'no control') return 'Not done: you do not have control of the visitor’s page.';
  return `Refused on the visitor’s side: ${reasonText(reason)}.`;
}

/** How the agent edits an element of the mirror: a text field, a text area, a list, or not at all. Pure on the element. */
export function editorKind(el: Element): 'input' | 'textarea' | 'select' | null {
  const tag = el.tagName.toLowerCase();
  if (el.hasAttribute(FILE_ATTRIBUTE)) return null; // a file input showing the chosen file's name
  if (tag === 'input') return TEXT_TYPES.has((el.getAttribute('type') ?? '').toLowerCase()) ? 'input' : null;
  if (tag === 'textarea') return 'textarea';
  if (tag === 'select') return 'select';
  const ce = el.getAttribute('contenteditable');
  if (ce === '' || ce === 'true' || ce === 'plaintext-only') return 'textarea';
  return null;
}

/** Split a stroke into chunks, each starting where the previous one ended. Pure. */
export function chunkStroke(points: readonly Point[], size = MAX_CHUNK): Point[][] {
  const out: Point[][] = [];
  for (let i = 0; i < points.length; i += size - 1) {
    out.push(points.slice(i, i + size) as Point[]);
    if (i + size >= points.length) break;
  }
  return out;
}

function button(doc: Document, label: string, cls = 'tool'): HTMLButtonElement {
  const b = doc.createElement('button');
  b.type = 'button';
  b.className = `button ${cls}`;
  b.textContent = label;
  return b;
}

interface Stroke {
  readonly kind: 'laser' | 'draw';
  readonly target: Target;
  readonly box: DOMRect;
  readonly points: Point[];
  sent: number;
  readonly local: SVGPolylineElement;
  readonly localPoints: string[];
}

interface Editor {
  readonly id: number;
  readonly node: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
}

export class AgentTools {
  readonly toolbar: HTMLElement;
  readonly notice: HTMLElement;
  private tool: Tool = 'pointer';
  private readonly toolButtons = new Map<Tool, HTMLButtonElement>();
  private readonly requestButton: HTMLButtonElement;
  private readonly releaseButton: HTMLButtonElement;
  private readonly waitingText: HTMLElement;
  private readonly navButtons: HTMLElement;
  private controlState: ControlState = 'view';
  private mirror: LiveMirror | null = null;
  private stroke: Stroke | null = null;
  private strokeTimer: ReturnType<typeof setInterval> | null = null;
  private editor: Editor | null = null;
  private svg: SVGSVGElement | null = null;
  private refCounter = 0;
  private readonly refPrefix = Math.random().toString(36).slice(2, 8);
  private readonly pointer = new Throttle<Target | null>(POINTER_INTERVAL_MS, (t) => this.send(guide('pointer', t)));
  private scrollDelta: { dx: number; dy: number; target: Target | null } | null = null;
  private readonly scroller = new Throttle<true>(SCROLL_INTERVAL_MS, () => this.flushScroll());
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  /** Acts sent without a result yet (resent after a reconnect, given up after a while). */
  private readonly pending = new PendingActs();
  private pendingTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly doc: Document,
    private readonly send: (message: ClientMessage) => boolean,
  ) {
    const bar = doc.createElement('div');
    bar.className = 'agent-toolbar';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', 'Guidance and control');
    const tools = doc.createElement('div');
    tools.className = 'tool-group';
    tools.setAttribute('role', 'group');
    tools.setAttribute('aria-label', 'Guidance tools');
    for (const { tool, label, hint } of TOOLS) {
      const b = button(doc, label);
      b.title = hint;
      b.setAttribute('aria-pressed', String(tool === this.tool));
      b.addEventListener('click', () => this.setTool(tool));
      this.toolButtons.set(tool, b);
      tools.append(b);
    }
    const clear = button(doc, 'Clear');
    clear.title = 'Remove highlights and drawings from the visitor’s page';
    clear.addEventListener('click', () => {
      this.send(guide('clear'));
      this.svg?.replaceChildren();
    });
    tools.append(clear);

    const ctl = doc.createElement('div');
    ctl.className = 'tool-group';
    ctl.setAttribute('role', 'group');
    ctl.setAttribute('aria-label', 'Control');
    this.requestButton = button(doc, 'Request control', 'primary');
    this.requestButton.addEventListener('click', () => {
      if (this.send(control('request'))) this.setControl('requested');
    });
    this.waitingText = doc.createElement('span');
    this.waitingText.className = 'control-waiting';
    this.waitingText.textContent = 'Waiting for the visitor…';
    this.releaseButton = button(doc, 'Release control', 'secondary');
    this.releaseButton.addEventListener('click', () => {
      this.send(control('release'));
      this.setControl('view');
    });
    this.navButtons = doc.createElement('span');
    this.navButtons.className = 'tool-nav';
    for (const [label, value] of [['Back', 'back'], ['Forward', 'forward'], ['Reload', 'reload']] as const) {
      const b = button(doc, label);
      b.addEventListener('click', () => this.act('navigate', null, value));
      this.navButtons.append(b);
    }
    this.navButtons.append(this.addressForm(doc));
    ctl.append(this.requestButton, this.waitingText, this.releaseButton, this.navButtons);
    this.notice = doc.createElement('p');
    this.notice.className = 'agent-notice';
    this.notice.setAttribute('role', 'status');
    bar.append(tools, ctl, this.notice);
    this.toolbar = bar;
    this.renderControl();
  }

  /** "Address" + "Open": the visitor's tab opens a page of the site (relative or absolute). */
  private addressForm(doc: Document): HTMLFormElement {
    const form = doc.createElement('form');
    form.className = 'tool-address';
    const label = doc.createElement('label');
    label.textContent = 'Address';
    const input = doc.createElement('input');
    input.type = 'text';
    input.name = 'address';
    input.placeholder = '/path or https://…';
    input.autocomplete = 'off';
    input.spellcheck = false;
    label.append(input);
    const open = button(doc, 'Open');
    open.type = 'submit';
    form.append(label, open);
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

  setTool(tool: Tool): void {
    this.tool = tool;
    for (const [t, b] of this.toolButtons) b.setAttribute('aria-pressed', String(t === tool));
    if (this.mirror) this.mirror.layer.dataset.tool = tool;
  }

  /** The server's control state. */
  setControl(state: ControlState): void {
    const before = this.controlState;
    this.controlState = state;
    if (before === 'requested' && state === 'view') this.say('The visitor did not give control.');
    if (before !== 'control' && state === 'control') this.say('You have control: click, type and scroll in the visitor’s page.');
    if (before === 'control' && state === 'view') this.say('Control ended: you are viewing again.');
    if (state !== 'control') this.closeEditor();
    this.renderControl();
  }

  /** What became of an act: refusals are shown. */
  actResult(message: Pick<ActResultMessage, 'ref' | 'ok' | 'reason'>): void {
    this.pending.answered(message.ref);
    this.schedulePending();
    if (!message.ok) this.say(refusedText(message.reason));
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
    if (this.pending.expire(performance.now()).length > 0) this.say(UNANSWERED_TEXT);
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
    this.endStroke();
    this.closeEditor();
    this.mirror = null;
    this.svg = null;
    this.controlState = 'view';
    this.notice.textContent = '';
    this.pending.clear();
    this.schedulePending();
    this.renderControl();
  }

  private renderControl(): void {
    const s = this.controlState;
    this.requestButton.hidden = s !== 'view';
    this.waitingText.hidden = s !== 'requested';
    this.releaseButton.hidden = s === 'view';
    this.releaseButton.textContent = s === 'requested' ? 'Cancel request' : 'Release control';
    this.navButtons.hidden = s !== 'control';
    if (this.mirror) this.mirror.layer.dataset.control = s;
  }

  say(text: string): void {
    this.notice.textContent = text;
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.notice.textContent = '';
      this.noticeTimer = null;
    }, 8000);
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
    if (this.stroke && hit) {
      this.addPoint(hit.x, hit.y);
    }
    this.pointer.push(hit ? targetAt(hit.id, hit.box, hit.x, hit.y) : null);
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const hit = this.hit(e);
    if (!hit) return;
    const layer = this.mirror!.layer;
    if (!this.editor || e.target === layer) layer.focus({ preventScroll: true });
    const target = targetAt(hit.id, hit.box, hit.x, hit.y);
    switch (this.tool) {
      case 'highlight':
        this.send(guide('highlight', target));
        e.preventDefault();
        return;
      case 'laser':
      case 'draw': {
        e.preventDefault();
        try {
          layer.setPointerCapture(e.pointerId);
        } catch {
          /* synthetic events */
        }
        this.startStroke(this.tool, target, hit.box, hit.x, hit.y);
        return;
      }
      case 'pointer':
        if (this.controlState !== 'control') return;
        e.preventDefault();
        this.closeEditor();
        this.act('click', target);
        if (!hit.element.hasAttribute(MASKED_ATTRIBUTE)) this.openEditor(hit.id, hit.element, hit.box);
        return;
    }
  }

  private onUp(_e: PointerEvent): void {
    this.endStroke();
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
    if (this.controlState !== 'control' || e.target !== this.mirror?.layer) return;
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
    this.openEditor(focus.id, focus.element, focus.box);
    const node = this.editor?.node;
    if (!(node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement)) return false;
    node.setRangeText(char, node.selectionStart ?? node.value.length, node.selectionEnd ?? node.value.length, 'end');
    node.dispatchEvent(new Event('input'));
    return true;
  }

  // --- strokes ----------------------------------------------------------------

  private startStroke(kind: 'laser' | 'draw', target: Target, box: DOMRect, x: number, y: number): void {
    this.endStroke();
    const local = this.doc.createElementNS('http://www.w3.org/2000/svg', 'polyline') as SVGPolylineElement;
    local.setAttribute('class', kind === 'laser' ? 'local-laser' : 'local-draw');
    this.svg?.append(local);
    this.stroke = { kind, target, box, points: [], sent: 0, local, localPoints: [] };
    this.addPoint(x, y);
    this.strokeTimer = setInterval(() => this.flushStroke(), STROKE_INTERVAL_MS);
  }

  private addPoint(x: number, y: number): void {
    const s = this.stroke;
    if (!s) return;
    s.points.push(relative(s.box, x, y));
    const scale = this.mirror?.currentScale ?? 1;
    s.localPoints.push(`${(x * scale).toFixed(1)},${(y * scale).toFixed(1)}`);
    s.local.setAttribute('points', s.localPoints.join(' '));
    if (s.points.length - s.sent >= MAX_CHUNK) this.flushStroke();
  }

  private flushStroke(): void {
    const s = this.stroke;
    if (!s) return;
    // Each chunk starts at the last point already sent, so the visitor sees one line.
    const from = Math.max(0, s.sent - 1);
    if (s.points.length - from < 2 && !(s.sent === 0 && s.points.length === 1)) return;
    const chunk = s.points.slice(from);
    if (chunk.length === 0) return;
    this.send(guide(s.kind, s.target, chunk));
    s.sent = s.points.length;
  }

  private endStroke(): void {
    if (this.strokeTimer !== null) clearInterval(this.strokeTimer);
    this.strokeTimer = null;
    const s = this.stroke;
    if (!s) return;
    this.flushStroke();
    this.stroke = null;
    if (s.kind === 'laser') {
      s.local.classList.add('fading');
      setTimeout(() => s.local.remove(), 3000);
    }
  }

  // --- typing -----------------------------------------------------------------

  /** A local field over the mirror's element: each change goes out as `input` with the full value. */
  private openEditor(id: number, el: Element, box: DOMRect): void {
    const kind = editorKind(el);
    const mirror = this.mirror;
    if (!kind || !mirror) return;
    const doc = this.doc;
    let node: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (kind === 'select') {
      const select = doc.createElement('select');
      const source = el as HTMLSelectElement;
      for (const option of Array.from(source.options ?? [])) {
        const o = doc.createElement('option');
        o.value = option.value;
        o.textContent = option.textContent;
        select.append(o);
      }
      select.value = source.value;
      select.size = Math.min(8, Math.max(2, select.options.length));
      node = select;
    } else {
      node = doc.createElement(kind);
      const tag = el.tagName.toLowerCase();
      node.value = tag === 'input' || tag === 'textarea' ? ((el as HTMLInputElement).value ?? '') : (el.textContent ?? '');
      if (node instanceof HTMLInputElement) {
        const type = (el.getAttribute('type') ?? 'text').toLowerCase();
        node.type = type === 'password' ? 'password' : 'text';
      }
    }
    node.className = 'mirror-editor';
    node.setAttribute('aria-label', `Type into the visitor’s field`);
    const scale = mirror.currentScale;
    node.style.left = `${box.left * scale}px`;
    node.style.top = `${box.top * scale}px`;
    node.style.width = `${Math.max(40, box.width * scale)}px`;
    if (kind !== 'select') node.style.height = `${Math.max(18, box.height * scale)}px`;
    const fontSize = parseFloat(el.ownerDocument.defaultView?.getComputedStyle(el).fontSize ?? '16') || 16;
    node.style.fontSize = `${Math.max(9, fontSize * scale)}px`;
    const target: Target = { id, x: 0.5, y: 0.5 };
    const sendValue = (): void => this.act('input', target, node.value);
    node.addEventListener(kind === 'select' ? 'change' : 'input', sendValue);
    node.addEventListener('keydown', (e) => {
      const k = (e as KeyboardEvent).key;
      if (k === 'Escape') {
        e.preventDefault();
        this.closeEditor();
        mirror.layer.focus({ preventScroll: true });
      } else if (k === 'Enter' && kind !== 'textarea') {
        e.preventDefault();
        if (kind === 'select') sendValue();
        this.act('key', target, 'Enter');
        this.closeEditor();
        mirror.layer.focus({ preventScroll: true });
      } else if (k === 'Tab') {
        e.preventDefault();
        this.act('key', target, 'Tab');
        this.closeEditor();
        mirror.layer.focus({ preventScroll: true });
      }
    });
    node.addEventListener('blur', () => {
      if (this.editor?.node === node) setTimeout(() => this.editor?.node === node && this.closeEditor(), 0);
    });
    node.addEventListener('pointerdown', (e) => e.stopPropagation());
    mirror.layer.append(node);
    this.editor = { id, node };
    node.focus({ preventScroll: true });
    if (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) {
      const end = node.value.length;
      node.setSelectionRange(end, end);
    }
  }

  private closeEditor(): void {
    const editor = this.editor;
    this.editor = null;
    editor?.node.remove();
  }
}
