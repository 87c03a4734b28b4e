/**
 * Values split across elements within one block (`<p>PAN <b>ABCDE</b>1234F</p>`): the
 * text nodes of a block's inline content are joined, the value patterns run on the
 * joined text, and each text node loses exactly the characters of a match that fall in
 * it (patterns.ts maskPieces; core/masking_text.py mask_pieces is the reference).
 *
 * A block is the nearest ancestor whose computed display is not `inline` or `contents`;
 * its inline content runs from one block-level child (a nested block, an inline-block,
 * a flex or grid item...) to the next, through inline elements of any depth. `<br>`
 * counts as a line break; elements that are not displayed (`display: none`, scripts,
 * styles, templates) add nothing and split nothing. A value split across blocks is not
 * seen (docs/masking.md, "Known limits").
 *
 * rrweb asks for one text node at a time while it serializes a snapshot or a batch of
 * mutations, synchronously: each block is worked out once per task, then forgotten.
 */
import { type CompiledPattern, maskPieces } from './patterns';

const TRANSPARENT = new Set(['inline', 'contents']);
const NOT_RENDERED = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'HEAD', 'TITLE']);
const TEXT_NODE = 3;
const ELEMENT_NODE = 1;
const FRAGMENT_NODE = 11;

type Container = Element | DocumentFragment;
/** A text node, or a line break (`<br>`) between them. */
type Piece = Text | '\n';

export class SplitText {
  private displays = new Map<Element, string>();
  private containers = new Map<Element, Container>();
  private masked = new Map<Text, string>();
  private done = new Set<Container>();
  private byParent = new Map<Element, Map<string, Text[]>>();
  private scheduled = false;

  constructor(private readonly patterns: readonly CompiledPattern[]) {}

  /** Forget what was worked out at the end of the task (the page changes after it). */
  private touch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.displays.clear();
      this.containers.clear();
      this.masked.clear();
      this.done.clear();
      this.byParent.clear();
    });
  }

  private display(el: Element): string {
    let d = this.displays.get(el);
    if (d === undefined) {
      d = 'block';
      try {
        const view = el.ownerDocument?.defaultView;
        // '' (not computed): the initial value, inline
        if (view && el.isConnected) d = view.getComputedStyle(el).display || 'inline';
      } catch {
        /* not styleable: a block of its own */
      }
      this.displays.set(el, d);
    }
    return d;
  }

  /** The block whose inline content holds `el`'s text. */
  private container(el: Element): Container {
    const known = this.containers.get(el);
    if (known) return known;
    let at: Element = el;
    let found: Container = el;
    for (;;) {
      if (!TRANSPARENT.has(this.display(at))) {
        found = at;
        break;
      }
      const up = at.parentElement;
      if (!up) {
        const root = at.parentNode;
        found = root && root.nodeType === FRAGMENT_NODE ? (root as DocumentFragment) : at;
        break;
      }
      at = up;
    }
    this.containers.set(el, found);
    return found;
  }

  private runs(container: Container): Piece[][] {
    const runs: Piece[][] = [[]];
    const walk = (parent: Node): void => {
      for (let child = parent.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === TEXT_NODE) {
          runs[runs.length - 1]!.push(child as Text);
          continue;
        }
        if (child.nodeType !== ELEMENT_NODE) continue;
        const el = child as Element;
        if (NOT_RENDERED.has(el.tagName.toUpperCase())) continue;
        const d = this.display(el);
        if (d === 'none') continue;
        if (el.tagName.toUpperCase() === 'BR') runs[runs.length - 1]!.push('\n');
        else if (TRANSPARENT.has(d)) walk(el);
        else runs.push([]); // a block-level box ends the run
      }
    };
    walk(container);
    return runs.filter((run) => run.some((p) => p !== '\n'));
  }

  /** Work out every text node of `container`'s inline content. */
  private fill(container: Container): void {
    if (this.done.has(container)) return;
    this.done.add(container);
    for (const run of this.runs(container)) {
      const texts = run.map((p) => (p === '\n' ? p : p.data));
      const out = maskPieces(texts, this.patterns);
      run.forEach((p, i) => {
        if (p !== '\n') this.masked.set(p, out[i]!);
      });
    }
  }

  /** Text node `node` masked with the values of its block, or null if it is in none. */
  node(node: Text): string | null {
    const parent = node.parentElement;
    if (!parent || this.patterns.length === 0) return null;
    this.touch();
    this.fill(this.container(parent));
    return this.masked.get(node) ?? null;
  }

  /**
   * rrweb's maskTextFn names a text node by its text and its parent element: the text
   * nodes of `parent` holding `text`, masked with the values of their block (if several
   * hold the same text, what any of them hides is hidden). Null: no such text node, or
   * it is its block's only text (its own text decides).
   */
  in(text: string, parent: Element): string | null {
    if (this.patterns.length === 0) return null;
    this.touch();
    // The common case: the only child of a block is its whole inline content.
    const only = parent.firstChild;
    if (only && only === parent.lastChild && !TRANSPARENT.has(this.display(parent))) return null;
    let index = this.byParent.get(parent);
    if (!index) {
      index = new Map();
      for (let c = parent.firstChild; c; c = c.nextSibling) {
        if (c.nodeType !== TEXT_NODE) continue;
        const t = c as Text;
        const list = index.get(t.data);
        if (list) list.push(t);
        else index.set(t.data, [t]);
      }
      this.byParent.set(parent, index);
    }
    const nodes = index.get(text);
    if (!nodes) return null;
    const outs = nodes.map((n) => this.node(n)).filter((o): o is string => o !== null);
    if (outs.length === 0) return null;
    if (outs.every((o) => o === outs[0])) return outs[0]!;
    const chars = outs.map((o) => Array.from(o));
    return chars[0]!.map((ch, i) => (chars.some((c) => c[i] === '*') ? '*' : ch)).join('');
  }

  /** The other text nodes of the block(s) holding `nodes` (for a mutation's neighbours). */
  neighbours(nodes: readonly Node[]): Text[] {
    if (this.patterns.length === 0) return [];
    this.touch();
    const out = new Set<Text>();
    const seen = new Set<Container>();
    for (const n of nodes) {
      const el = n.nodeType === ELEMENT_NODE ? (n as Element) : n.parentElement;
      if (!el) continue;
      const container = this.container(el);
      if (seen.has(container)) continue;
      seen.add(container);
      for (const run of this.runs(container)) {
        for (const p of run) if (p !== '\n') out.add(p);
      }
    }
    for (const n of nodes) out.delete(n as Text);
    return [...out];
  }
}
