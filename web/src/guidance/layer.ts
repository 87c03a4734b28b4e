/**
 * The agent's guidance drawn on the visitor's page: the pointer with the agent's name,
 * a highlight outline, laser strokes that fade after ~3 s, drawings that stay until
 * Clear, and a brief flash on the target of each agent action. Everything is placed
 * relative to the element the agent pointed at (by rrweb node id, resolved with the
 * recorder's mirror), so it follows the element when the page scrolls or reflows and
 * lands on the same spot whatever the visitor's viewport.
 *
 * The layer lives inside a container the caller owns (the widget's shadow root in the
 * top page, or a blocked host inside the overlay frame): rrweb never records it.
 */
import type { GuideKind, Point, Target } from '../protocol';
import { type Box, absolute } from './geometry';

export const LASER_MS = 3000;
export const FLASH_MS = 1200;
const SVG_NS = 'http://www.w3.org/2000/svg';
const REFLOW_CHECK_MS = 300;

export const LAYER_CSS = `
.cbg-layer { position: fixed; inset: 0; pointer-events: none; overflow: hidden; z-index: 0; }
.cbg-svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; overflow: visible; }
.cbg-svg polyline { fill: none; stroke-linecap: round; stroke-linejoin: round; }
.cbg-laser { stroke: #ff1f4b; stroke-width: 4; filter: drop-shadow(0 0 3px rgba(255,31,75,.7));
  transition: opacity ${LASER_MS}ms ease-in; }
.cbg-draw { stroke: #d9480f; stroke-width: 3.5; }
.cbg-pointer { position: absolute; left: 0; top: 0; display: flex; align-items: flex-start; gap: 2px;
  transition: transform 60ms linear; will-change: transform; }
.cbg-pointer svg { width: 22px; height: 22px; flex: none; filter: drop-shadow(0 1px 2px rgba(0,0,0,.45)); }
.cbg-name { margin-top: 16px; background: #d9480f; color: #fff; border-radius: 6px; padding: 2px 8px;
  font: 600 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; white-space: nowrap;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.cbg-box { position: absolute; left: 0; top: 0; border: 3px solid #d9480f; border-radius: 6px;
  box-shadow: 0 0 0 4px rgba(217,72,15,.25); }
.cbg-flash { position: absolute; left: 0; top: 0; border: 3px solid #0b57d0; border-radius: 6px;
  background: rgba(11,87,208,.12); transition: opacity ${FLASH_MS}ms ease-in; }
.cbg-hidden { display: none !important; }
@media (prefers-reduced-motion: reduce) { .cbg-pointer { transition: none; } }
`;

const ARROW =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M3 2l7.5 19 2.6-7.9L21 10.5z" ' +
  'fill="#d9480f" stroke="#fff" stroke-width="1.6" stroke-linejoin="round"/></svg>';

interface Stroke {
  readonly id: number;
  readonly points: readonly Point[];
  readonly node: SVGPolylineElement;
}

export type Resolve = (id: number) => Element | null;

function boxOf(el: Element | null): Box | null {
  if (!el || !el.isConnected) return null;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0 && r.left === 0 && r.top === 0) return null;
  return { left: r.left, top: r.top, width: r.width, height: r.height };
}

export class GuideLayer {
  readonly root: HTMLDivElement;
  private readonly svg: SVGSVGElement;
  private readonly pointer: HTMLDivElement;
  private readonly pointerName: HTMLSpanElement;
  private readonly box: HTMLDivElement;
  private pointerTarget: Target | null = null;
  private highlight: number | null = null;
  /** An element outlined by the visitor's own page (a file input the agent pointed at). */
  private highlightEl: Element | null = null;
  private strokes: Stroke[] = [];
  private flashes: { el: Element; node: HTMLDivElement }[] = [];
  private frame: number | null = null;
  private interval: ReturnType<typeof setInterval> | null = null;
  private readonly onMove = (): void => this.schedule();

  constructor(
    private readonly win: Window,
    parent: Node,
    private readonly resolve: Resolve,
  ) {
    const doc = win.document;
    const style = doc.createElement('style');
    style.textContent = LAYER_CSS;
    this.root = doc.createElement('div');
    this.root.className = 'cbg-layer';
    this.svg = doc.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
    this.svg.setAttribute('class', 'cbg-svg');
    this.svg.setAttribute('aria-hidden', 'true');
    this.box = doc.createElement('div');
    this.box.className = 'cbg-box cbg-hidden';
    this.pointer = doc.createElement('div');
    this.pointer.className = 'cbg-pointer cbg-hidden';
    this.pointer.setAttribute('role', 'img');
    this.pointer.insertAdjacentHTML('afterbegin', ARROW);
    this.pointerName = doc.createElement('span');
    this.pointerName.className = 'cbg-name';
    this.pointer.append(this.pointerName);
    this.root.append(style, this.svg, this.box, this.pointer);
    parent.appendChild(this.root);
    win.addEventListener('scroll', this.onMove, { capture: true, passive: true });
    win.addEventListener('resize', this.onMove, { passive: true });
  }

  /**
   * Apply one guide frame from the agent named `name`; `label` is the pointer's
   * accessible name in the visitor's language (default "Asha's pointer").
   */
  apply(kind: GuideKind, target: Target | null, points: readonly Point[], name: string, label?: string): void {
    switch (kind) {
      case 'pointer':
        this.pointerTarget = target;
        this.pointerName.textContent = name;
        this.pointer.setAttribute('aria-label', label || `${name}'s pointer`);
        break;
      case 'highlight':
        this.highlight = target ? target.id : null;
        this.highlightEl = null;
        break;
      case 'laser':
      case 'draw':
        if (target && points.length > 0) this.addStroke(kind, target.id, points);
        break;
      case 'clear':
        this.clear();
        break;
    }
    this.render();
    this.watch();
  }

  /** Briefly outline `el` (an agent's action on it). */
  flash(el: Element): void {
    const node = this.win.document.createElement('div');
    node.className = 'cbg-flash';
    this.root.append(node);
    const entry = { el, node };
    this.flashes.push(entry);
    this.render();
    this.watch();
    this.win.requestAnimationFrame(() => {
      node.style.opacity = '0';
    });
    this.win.setTimeout(() => {
      node.remove();
      this.flashes = this.flashes.filter((f) => f !== entry);
    }, FLASH_MS);
  }

  /** Outline `el` until the next highlight or Clear (e.g. the file input the visitor should use). */
  highlightElement(el: Element): void {
    this.highlight = null;
    this.highlightEl = el;
    this.render();
    this.watch();
  }

  /** Remove highlight and strokes (the pointer stays). */
  clear(): void {
    this.highlight = null;
    this.highlightEl = null;
    for (const s of this.strokes) s.node.remove();
    this.strokes = [];
    this.render();
  }

  /** Hide the pointer (e.g. control ended or the agent's mouse left the mirror). */
  hidePointer(): void {
    this.pointerTarget = null;
    this.render();
  }

  destroy(): void {
    this.win.removeEventListener('scroll', this.onMove, { capture: true });
    this.win.removeEventListener('resize', this.onMove);
    if (this.frame !== null) this.win.cancelAnimationFrame(this.frame);
    if (this.interval !== null) clearInterval(this.interval);
    this.frame = null;
    this.interval = null;
    this.root.remove();
  }

  /** Whether anything is on screen (tests and the reflow check). */
  get busy(): boolean {
    return this.pointerTarget !== null || this.highlight !== null || this.highlightEl !== null || this.strokes.length > 0 || this.flashes.length > 0;
  }

  private addStroke(kind: 'laser' | 'draw', id: number, points: readonly Point[]): void {
    const node = this.win.document.createElementNS(SVG_NS, 'polyline') as SVGPolylineElement;
    node.setAttribute('class', kind === 'laser' ? 'cbg-laser' : 'cbg-draw');
    this.svg.append(node);
    const stroke: Stroke = { id, points, node };
    this.strokes.push(stroke);
    if (kind === 'laser') {
      this.win.requestAnimationFrame(() => {
        node.style.opacity = '0';
      });
      this.win.setTimeout(() => {
        node.remove();
        this.strokes = this.strokes.filter((s) => s !== stroke);
      }, LASER_MS);
    }
  }

  /** Reposition on the next animation frame (scroll, resize, reflow). */
  private schedule(): void {
    if (this.frame !== null || !this.busy) return;
    this.frame = this.win.requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  /** While anything is shown, check for reflows a few times a second. */
  private watch(): void {
    if (this.busy && this.interval === null) {
      this.interval = setInterval(() => {
        if (!this.busy) {
          if (this.interval !== null) clearInterval(this.interval);
          this.interval = null;
          return;
        }
        this.schedule();
      }, REFLOW_CHECK_MS);
    }
  }

  private render(): void {
    const p = this.pointerTarget;
    const pBox = p ? boxOf(this.resolve(p.id)) : null;
    if (p && pBox) {
      const at = absolute(pBox, p.x, p.y);
      // the arrow's tip is at (3, 2) of its 22px box
      this.pointer.style.transform = `translate(${Math.round(at.x - 3)}px, ${Math.round(at.y - 2)}px)`;
      this.pointer.classList.remove('cbg-hidden');
    } else {
      this.pointer.classList.add('cbg-hidden');
    }
    const hBox = this.highlight !== null ? boxOf(this.resolve(this.highlight)) : boxOf(this.highlightEl);
    this.place(this.box, hBox);
    for (const s of this.strokes) {
      const box = boxOf(this.resolve(s.id));
      if (!box) {
        s.node.setAttribute('points', '');
        continue;
      }
      s.node.setAttribute(
        'points',
        s.points
          .map(([x, y]) => {
            const at = absolute(box, x, y);
            return `${at.x.toFixed(1)},${at.y.toFixed(1)}`;
          })
          .join(' '),
      );
    }
    for (const f of this.flashes) this.place(f.node, boxOf(f.el));
  }

  private place(node: HTMLElement, box: Box | null): void {
    if (!box) {
      node.classList.add('cbg-hidden');
      return;
    }
    const pad = 4;
    node.classList.remove('cbg-hidden');
    node.style.transform = `translate(${Math.round(box.left - pad)}px, ${Math.round(box.top - pad)}px)`;
    node.style.width = `${Math.round(box.width + 2 * pad)}px`;
    node.style.height = `${Math.round(box.height + 2 * pad)}px`;
  }
}
