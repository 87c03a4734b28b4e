/**
 * The agent's own highlight, drawn in their mirror as the visitor sees it on their page
 * (an outline 4 px outside the element, as ../guidance/layer.ts draws it there). It
 * follows the element while the page scrolls or reflows, and goes when the visitor's
 * does: on Clear, on the next highlight, when the element leaves the page, and when a
 * new page (a new snapshot) starts, whose elements the old highlight never named.
 */

/** What the highlight needs of the mirror. */
export interface HighlightHost {
  readonly layer: HTMLElement;
  readonly currentScale: number;
  /** Bumped whenever the mirror's document is rebuilt from a snapshot. */
  readonly generation: number;
  /** The mirror's element with this rrweb id, or null. */
  elementOf(id: number): Element | null;
}

/** The outline's offset outside the element, in the visitor's pixels (layer.ts `place`). */
export const HIGHLIGHT_PAD = 4;

export class OwnHighlight {
  private box: HTMLElement | null = null;
  private target: { host: HighlightHost; id: number; generation: number } | null = null;
  private frame: number | null = null;

  constructor(private readonly doc: Document) {}

  /** Outline the element `id` of `host`'s mirror (replacing any other). */
  show(host: HighlightHost, id: number): void {
    this.target = { host, id, generation: host.generation };
    if (!this.box || this.box.parentNode !== host.layer) {
      this.box?.remove();
      this.box = this.doc.createElement('div');
      this.box.className = 'own-highlight';
      this.box.setAttribute('aria-hidden', 'true');
      host.layer.append(this.box);
    }
    this.place();
  }

  /** Whether an outline is on (the visitor's highlight is there too). */
  get shown(): boolean {
    return this.target !== null;
  }

  clear(): void {
    this.target = null;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.box?.remove();
    this.box = null;
  }

  /** Position the outline, then again on the next frame while it is on. */
  private place(): void {
    this.frame = null;
    const target = this.target;
    const box = this.box;
    if (!target || !box) return;
    const { host, id } = target;
    const el = host.generation === target.generation ? host.elementOf(id) : null;
    if (!el || !el.isConnected) {
      this.clear();
      return;
    }
    const r = el.getBoundingClientRect();
    const s = host.currentScale;
    box.style.left = `${(r.left - HIGHLIGHT_PAD) * s}px`;
    box.style.top = `${(r.top - HIGHLIGHT_PAD) * s}px`;
    box.style.width = `${(r.width + 2 * HIGHLIGHT_PAD) * s}px`;
    box.style.height = `${(r.height + 2 * HIGHLIGHT_PAD) * s}px`;
    this.frame = requestAnimationFrame(() => this.place());
  }
}
