/**
 * Where the widget's panels live: the chat, the control request and the file offer,
 * one at a time (a control request first, then an offer, then the chat), in one box
 * that places itself away from the field the visitor is working in and from the bar
 * (layout.ts `placePanel`). The field is the page's last focused element; in proxy mode
 * the overlay frame reports its focused element's box instead (bridge `focus`).
 */
import { type Rect, placePanel } from './layout';
import { WIDGET_ATTRIBUTE } from './recorder';

export class Dock {
  readonly root: HTMLDivElement;
  readonly chatBox: HTMLDivElement;
  readonly controlBox: HTMLDivElement;
  readonly offerBox: HTMLDivElement;
  private chatWanted = false;
  private lastField: Element | null = null;
  /** The overlay frame's focused element (proxy mode); undefined: use the page's. */
  private frameField: Rect | null | undefined = undefined;
  private frame = 0;
  private watching: Window | null = null;

  constructor(
    private readonly doc: Document,
    /** The session bar's box, if it is shown. */
    private readonly barRect: () => Rect | null,
  ) {
    const box = (cls: string): HTMLDivElement => {
      const node = doc.createElement('div');
      node.className = cls;
      node.hidden = true;
      return node;
    };
    this.root = box('cb-dock');
    this.chatBox = box('cb-chat-box');
    this.chatBox.id = 'cb-chat-box';
    this.controlBox = box('cb-control-box');
    this.offerBox = box('cb-offer-box');
    this.root.append(this.controlBox, this.offerBox, this.chatBox);
  }

  /** Follow the page's focus, scrolling and resizing (once; idempotent). */
  watch(win: Window): void {
    if (this.watching) return;
    this.watching = win;
    this.doc.addEventListener(
      'focusin',
      (event) => {
        const target = event.target;
        if (!(target instanceof Element) || target.hasAttribute(WIDGET_ATTRIBUTE)) return;
        if (target === this.doc.body || target === this.doc.documentElement) return;
        this.lastField = target;
        this.schedule();
      },
      true,
    );
    win.addEventListener('scroll', () => this.schedule(), { capture: true, passive: true });
    win.addEventListener('resize', () => this.schedule(), { passive: true });
  }

  /** The overlay frame's focused element (null: none; undefined: no frame). */
  setFrameField(rect: Rect | null | undefined): void {
    this.frameField = rect;
    this.schedule();
  }

  /** Whether the chat is wanted (it shows when no dialog is up). */
  setChat(open: boolean): void {
    this.chatWanted = open;
    this.sync();
  }

  /** Whether a dialog (control request, file offer) is up. */
  get dialogUp(): boolean {
    return this.controlBox.childElementCount > 0 || this.offerBox.childElementCount > 0;
  }

  /** One panel at a time: the control request, else the offer, else the chat. */
  sync(): void {
    const control = this.controlBox.childElementCount > 0;
    const offer = !control && this.offerBox.childElementCount > 0;
    const chat = !control && !offer && this.chatWanted && this.chatBox.childElementCount > 0;
    this.controlBox.hidden = !control;
    this.offerBox.hidden = !offer;
    this.chatBox.hidden = !chat;
    this.root.hidden = !(control || offer || chat);
    this.place();
  }

  /** The field the visitor is working in, in viewport coordinates. */
  field(): Rect | null {
    if (this.frameField !== undefined) return this.frameField;
    const el = this.lastField;
    if (!el || !el.isConnected) return null;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return null;
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  }

  place(): void {
    if (this.root.hidden) return;
    const win = this.doc.defaultView;
    const viewport = {
      width: win?.innerWidth || this.doc.documentElement.clientWidth,
      height: win?.innerHeight || this.doc.documentElement.clientHeight,
    };
    this.root.style.maxHeight = ''; // measure the height it wants
    const box = this.root.getBoundingClientRect();
    const p = placePanel(viewport, { width: box.width, height: box.height }, this.field(), this.barRect());
    this.root.style.left = `${p.x}px`;
    this.root.style.top = `${p.y}px`;
    if (p.maxHeight !== undefined) this.root.style.maxHeight = `${p.maxHeight}px`;
  }

  private schedule(): void {
    const win = this.watching;
    if (!win || this.frame) return;
    this.frame = win.requestAnimationFrame(() => {
      this.frame = 0;
      this.place();
    });
  }
}
