/**
 * The session bar (region "Co-browsing"): who is looking, who else is watching, Chat,
 * Take back control and Stop. The visitor can move it (drag its grip, or press the grip
 * "Move bar" to cycle through the corners and edges) and minimise it to a small chip
 * that still says the tab is shared and keeps Stop one click away. Where it is and
 * whether it is minimised is kept for the tab (layout.ts, sessionStorage). It lives in
 * the widget's shadow root: moving it changes nothing in the page's DOM.
 */
import type { Translator, Key } from '../i18n';
import { type BarLayout, type Point, type Preset, type Rect, barPosition, clampPoint, nextPreset } from './layout';

export interface BarHandlers {
  stop(): void;
  takeBack(): void;
  toggleChat(): void;
  /** The bar moved or changed size: panels and toasts place themselves again. */
  changed(layout: BarLayout): void;
  /** Say something to screen readers (politely). */
  announce(text: string): void;
}

const PLACE_KEYS: Record<Preset, Key> = {
  bottom: 'placeBottom',
  'bottom-left': 'placeBottomLeft',
  'top-left': 'placeTopLeft',
  top: 'placeTop',
  'top-right': 'placeTopRight',
  'bottom-right': 'placeBottomRight',
};

const GRIP =
  '<svg viewBox="0 0 12 20" aria-hidden="true" focusable="false" fill="currentColor">' +
  '<circle cx="3" cy="4" r="1.6"/><circle cx="9" cy="4" r="1.6"/><circle cx="3" cy="10" r="1.6"/>' +
  '<circle cx="9" cy="10" r="1.6"/><circle cx="3" cy="16" r="1.6"/><circle cx="9" cy="16" r="1.6"/></svg>';

/** A pointer that moved less than this (CSS px) clicked rather than dragged. */
const DRAG_SLOP = 4;

export class SessionBar {
  readonly root: HTMLElement;
  readonly status: HTMLElement;
  readonly chatButton: HTMLButtonElement;
  readonly takeBackButton: HTMLButtonElement;
  readonly stopButton: HTMLButtonElement;
  private readonly unreadBadge: HTMLElement;
  private readonly unreadText: HTMLElement;
  private readonly participantsLine: HTMLElement;
  private readonly chipText: HTMLElement;
  private readonly grip: HTMLButtonElement;
  private readonly minimiseButton: HTMLButtonElement;
  private readonly expandButton: HTMLButtonElement;
  private drag: { id: number; start: Point; from: Point; moved: boolean } | null = null;
  private suppressClick = false;

  constructor(
    private readonly doc: Document,
    private readonly tr: Translator,
    private layout: BarLayout,
    private readonly handlers: BarHandlers,
  ) {
    const make = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = ''): HTMLElementTagNameMap[K] => {
      const node = doc.createElement(tag);
      if (cls) node.className = cls;
      if (text) node.textContent = text;
      return node;
    };
    const button = (label: string, cls: string, onClick: () => void): HTMLButtonElement => {
      const b = make('button', cls, label);
      b.type = 'button';
      b.addEventListener('click', (event) => {
        event.preventDefault();
        onClick();
      });
      return b;
    };
    this.grip = button('', 'cb-grip', () => this.cycle());
    this.grip.setAttribute('aria-label', tr.s.moveBar);
    this.grip.title = tr.s.moveBar;
    this.grip.insertAdjacentHTML('afterbegin', GRIP);
    this.grip.addEventListener('pointerdown', (e) => this.onDown(e));
    this.grip.addEventListener('pointermove', (e) => this.onMove(e));
    this.grip.addEventListener('pointerup', (e) => this.onUp(e));
    this.grip.addEventListener('pointercancel', (e) => this.onUp(e));
    this.grip.addEventListener('keydown', () => {
      this.suppressClick = false;
    });
    this.grip.addEventListener('click', (e) => {
      if (!this.suppressClick) return;
      this.suppressClick = false;
      e.stopImmediatePropagation();
    }, true);
    // A status: "Reconnecting…" and back, control taken and given, are announced.
    this.status = make('p', 'cb-status');
    this.status.setAttribute('role', 'status');
    this.chipText = make('p', 'cb-chip-text', tr.s.sharingOn);
    this.participantsLine = make('p', 'cb-participants');
    this.participantsLine.hidden = true;
    const texts = make('div', 'cb-texts');
    texts.append(this.status, this.chipText, this.participantsLine);
    this.unreadBadge = make('span', 'cb-badge');
    this.unreadBadge.setAttribute('aria-hidden', 'true');
    this.unreadBadge.hidden = true;
    this.unreadText = make('span', 'cb-sr');
    this.unreadText.id = 'cb-unread';
    this.chatButton = button(tr.s.chat, 'cb-ghost cb-chat-button', () => handlers.toggleChat());
    this.chatButton.setAttribute('aria-controls', 'cb-chat-box');
    this.chatButton.setAttribute('aria-describedby', 'cb-unread');
    this.chatButton.setAttribute('aria-expanded', 'false');
    this.chatButton.append(this.unreadBadge);
    this.takeBackButton = button(tr.s.takeBack, 'cb-warn', () => handlers.takeBack());
    this.takeBackButton.hidden = true;
    this.minimiseButton = button(tr.s.minimise, 'cb-ghost cb-min', () => this.setMinimised(true));
    this.expandButton = button(tr.s.expand, 'cb-ghost cb-expand', () => this.setMinimised(false));
    this.stopButton = button(tr.s.stop, 'cb-danger', () => handlers.stop());
    this.stopButton.setAttribute('data-autofocus', '');
    const dot = make('span', 'cb-dot');
    dot.setAttribute('aria-hidden', 'true');
    this.root = make('div', 'cb-bar');
    this.root.setAttribute('role', 'region');
    this.root.setAttribute('aria-label', tr.s.barLabel);
    this.root.append(
      this.grip,
      dot,
      texts,
      this.chatButton,
      this.unreadText,
      this.takeBackButton,
      this.minimiseButton,
      this.expandButton,
      this.stopButton,
    );
    this.applyMinimised();
  }

  get current(): BarLayout {
    return this.layout;
  }

  setStatus(text: string): void {
    if (this.status.textContent === text) return;
    this.status.textContent = text;
    this.place(); // a longer text: a centred or right-hand bar stays put
  }

  setReconnecting(on: boolean): void {
    this.root.toggleAttribute('data-reconnecting', on);
  }

  setUnread(n: number): void {
    this.unreadBadge.textContent = n > 0 ? String(n) : '';
    const was = this.unreadBadge.hidden;
    this.unreadBadge.hidden = n === 0;
    this.unreadText.textContent = n > 0 ? this.tr.t('unread', { n }) : '';
    if (was !== this.unreadBadge.hidden) this.place();
  }

  setChatOpen(open: boolean): void {
    this.chatButton.setAttribute('aria-expanded', String(open));
  }

  setControl(control: boolean): void {
    if (this.takeBackButton.hidden === !control) return;
    this.takeBackButton.hidden = !control;
    this.place();
  }

  /** "Also watching: Ravi Kumar (supervisor)"; nothing when `names` is empty. */
  setParticipants(names: readonly string[]): void {
    const clean = names.map((n) => n.trim()).filter((n) => n !== '');
    this.participantsLine.textContent = clean.length ? this.tr.t('participants', { names: clean.join(', ') }) : '';
    this.participantsLine.hidden = clean.length === 0;
    this.place();
  }

  /** Focus the Chat button (Expand when minimised: Chat is not shown then). */
  focusChat(): void {
    (this.layout.minimised ? this.expandButton : this.chatButton).focus();
  }

  setMinimised(on: boolean): void {
    if (on === this.layout.minimised) return;
    this.layout = { ...this.layout, minimised: on };
    this.applyMinimised();
    (on ? this.expandButton : this.minimiseButton).focus();
    this.handlers.changed(this.layout);
  }

  private applyMinimised(): void {
    const on = this.layout.minimised;
    this.root.toggleAttribute('data-minimised', on);
    this.minimiseButton.hidden = on;
    this.expandButton.hidden = !on;
    this.chatButton.hidden = on;
    this.place();
  }

  /** Put the bar where its layout says (again: after a resize, or a change of size). */
  place(): void {
    const view = this.viewport();
    // Measured at the top left corner: a fixed box narrows (and wraps) near the right edge.
    this.root.style.left = '0px';
    this.root.style.top = '0px';
    const box = this.root.getBoundingClientRect();
    const size = { width: box.width, height: box.height };
    const p = barPosition(this.layout.place, view, size);
    this.root.style.left = `${p.x}px`;
    this.root.style.top = `${p.y}px`;
  }

  rect(): Rect | null {
    if (!this.root.isConnected) return null;
    const r = this.root.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  }

  private viewport(): { width: number; height: number } {
    const root = this.doc.documentElement;
    const win = this.doc.defaultView;
    return { width: win?.innerWidth || root.clientWidth, height: win?.innerHeight || root.clientHeight };
  }

  /** The keyboard's way (and a plain click's): the next corner or edge. */
  private cycle(): void {
    const place = nextPreset(this.layout.place);
    this.setPlace(place);
    this.handlers.announce(this.tr.t('barMoved', { place: this.tr.s[PLACE_KEYS[place]] }));
  }

  private setPlace(place: Preset | Point): void {
    this.layout = { ...this.layout, place };
    this.place();
    this.handlers.changed(this.layout);
  }

  private onDown(event: PointerEvent): void {
    this.suppressClick = false;
    if (event.button !== 0 || !event.isPrimary) return;
    const r = this.root.getBoundingClientRect();
    this.drag = { id: event.pointerId, start: { x: event.clientX, y: event.clientY }, from: { x: r.left, y: r.top }, moved: false };
    try {
      this.grip.setPointerCapture(event.pointerId);
    } catch {
      /* capture is a nicety */
    }
  }

  private onMove(event: PointerEvent): void {
    const d = this.drag;
    if (!d || event.pointerId !== d.id) return;
    const dx = event.clientX - d.start.x;
    const dy = event.clientY - d.start.y;
    if (!d.moved && Math.hypot(dx, dy) < DRAG_SLOP) return;
    d.moved = true;
    const r = this.root.getBoundingClientRect();
    const p = clampPoint({ x: d.from.x + dx, y: d.from.y + dy }, this.viewport(), { width: r.width, height: r.height });
    this.root.style.left = `${p.x}px`;
    this.root.style.top = `${p.y}px`;
    event.preventDefault();
  }

  private onUp(event: PointerEvent): void {
    const d = this.drag;
    if (!d || event.pointerId !== d.id) return;
    this.drag = null;
    if (!d.moved) return;
    this.suppressClick = event.type === 'pointerup';
    const r = this.root.getBoundingClientRect();
    this.setPlace({ x: Math.round(r.left), y: Math.round(r.top) });
  }
}
