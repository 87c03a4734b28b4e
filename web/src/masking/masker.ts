/**
 * Applies the masking rules of one page in the visitor's browser, before anything is
 * sent: the recorder's rrweb options (blocked elements, text, input values), a last
 * pass over every recorded event (attributes, styles, URLs, anything a string can
 * carry), the agent's actions (act.ts) and the visitor's chat.
 *
 * - selector-masked elements are blocked: rrweb records a same-size empty box, and an
 *   inline one is recorded as an inline-block so that the box keeps its size in the
 *   agent's mirror (`blockedStyle`);
 * - text and values matching a value pattern are replaced by `*` (one per character),
 *   also where the value is written with other spaces, dashes or digits, or split across
 *   the inline elements of one block (fold.ts, blocks.ts);
 * - private by default: all text, values and text-bearing attributes outside the
 *   `allow` selectors are replaced by `*`;
 * - a password field stays masked after a "show password" toggle makes it type=text.
 */
import { type Effective, FALLBACK_MASK_SELECTORS } from './rules';
import { maskAll, maskText } from './patterns';
import { SplitText } from './blocks';

/** The attribute on the widget's host and root; always blocked from recording. */
export const WIDGET_ATTRIBUTE = 'data-cobrowse-ui';
export const WIDGET_SELECTOR = `[${WIDGET_ATTRIBUTE}]`;
/** A canvas in or under an element with this attribute never has its content sent. */
export const NO_CANVAS_ATTRIBUTE = 'data-cobrowse-no-canvas';
/** rrweb marks an input whose type changed from password (a "show password" toggle). */
export const WAS_PASSWORD_SELECTOR = '[data-rr-is-password]';

/** Attributes that carry words a person reads (masked in full when private). */
const TEXT_ATTRIBUTES = new Set([
  'value', 'title', 'alt', 'placeholder', 'label', 'content', 'summary', 'abbr', 'download',
]);
const DATA_BASE64 = /data:[^,\s"')]{0,100};base64,[A-Za-z0-9+/=]+/g;
const URL_PIECE = /[^?&#=/;,\s"'()<>]+/g;

function closestSafe(el: Element, selector: string): boolean {
  try {
    return el.closest(selector) !== null;
  } catch {
    return true; // an unreadable selector masks (fails closed)
  }
}

function decodePiece(piece: string): string | null {
  try {
    return decodeURIComponent(piece.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

export interface ElementLookup {
  (id: number): Node | null;
}

/** The recorder's id of a node (-1 or below: not recorded). */
export interface IdLookup {
  (node: Node): number;
}

const INCREMENTAL_SNAPSHOT = 3;
const MUTATION = 0;

interface MutationData {
  source: number;
  texts?: Array<{ id: number; value: string | null }>;
  adds?: Array<{ parentId: number; node: { type: number; id: number } }>;
  removes?: Array<{ parentId: number; id: number }>;
}

/**
 * The style a blocked element gets in the recording, so that its placeholder in the
 * agent's mirror keeps the size rrweb measured (`rr_width`, `rr_height`: the border
 * box) and its place: the size includes padding and border, and an inline element
 * becomes an inline-block (width and height do not apply to an inline box) that sits
 * where the text did, its padding and border reaching out of the line as an inline
 * box's do (negative vertical margins) instead of making the line taller. Its other
 * attributes (id, style) are not recorded, so this is all the mirror has.
 */
export function blockedStyle(el: Element): string {
  let style: CSSStyleDeclaration | null = null;
  try {
    style = el.ownerDocument?.defaultView?.getComputedStyle(el) ?? null;
  } catch {
    /* not styleable */
  }
  const box = 'box-sizing:border-box;';
  // '' (not computed): the initial value, inline
  if (!style || (style.display || 'inline') !== 'inline') return box;
  const px = (...values: string[]): number =>
    values.reduce((sum, v) => sum + (Number.parseFloat(v) || 0), 0);
  const above = px(style.paddingTop, style.borderTopWidth);
  const below = px(style.paddingBottom, style.borderBottomWidth);
  return (
    `${box}display:inline-block;vertical-align:text-bottom;` +
    `margin-top:${-above}px;margin-bottom:${-below}px;`
  );
}

export class Masker {
  private readonly selector: string;
  private readonly allowSelector: string;
  private readonly split: SplitText;

  /** Equal for two maskers that mask the same way. */
  readonly key: string;

  constructor(readonly rules: Effective) {
    const base = rules.selectors.length ? rules.selectors : FALLBACK_MASK_SELECTORS;
    this.selector = [...base, WAS_PASSWORD_SELECTOR].join(',');
    this.allowSelector = rules.allow.join(',');
    this.split = new SplitText(rules.broken ? [] : rules.patterns);
    this.key = JSON.stringify([
      this.selector,
      rules.private,
      this.allowSelector,
      rules.patterns.map((p) => p.name),
      rules.broken,
    ]);
  }

  /** The masked elements (without the widget). */
  get maskSelector(): string {
    return this.selector;
  }

  /** rrweb's blockSelector: the masked elements and the widget. */
  get blockSelector(): string {
    return `${this.selector},${WIDGET_SELECTOR}`;
  }

  /** Whether `el` is inside a selector-masked element (or a field that was a password). */
  blocked(el: Element): boolean {
    if (el.tagName === 'INPUT' && (el as HTMLInputElement).type === 'password') return true;
    return closestSafe(el, this.selector);
  }

  /** Whether `el` is outside every allowed area of a private-by-default page. */
  private(el: Element | null): boolean {
    if (!this.rules.private) return false;
    if (!el || !this.allowSelector) return true;
    return !closestSafe(el, this.allowSelector);
  }

  /** Whether the agent may neither read nor type into `el`. */
  masked(el: Element): boolean {
    return this.blocked(el) || this.private(el);
  }

  /**
   * Whether a canvas's content may be sent: not in (or itself) a masked element or the
   * widget, not outside the allowed areas of a private page, not opted out.
   */
  canvas(el: Element): boolean {
    if (this.masked(el)) return false;
    return !closestSafe(el, `${WIDGET_SELECTOR},[${NO_CANVAS_ATTRIBUTE}]`);
  }

  /** Whether `el`'s current value or text would be masked by a value pattern. */
  holdsPattern(el: Element): boolean {
    const value = (el as HTMLInputElement).value;
    const text = typeof value === 'string' ? value : el.textContent ?? '';
    return text !== '' && this.text(text, null) !== text;
  }

  /** rrweb maskTextFn: a text node's content under `el` (with the values of its block). */
  textIn(text: string, el: HTMLElement | null): string {
    if (el && (this.blocked(el) || this.private(el))) return maskAll(text);
    if (el && text && !this.rules.broken) {
      const split = this.split.in(text, el);
      if (split !== null) return split;
    }
    return this.text(text, el);
  }

  /**
   * A mutation can join or split a value across text nodes rrweb does not send again
   * (`<b>ABCDE</b>` was sent, then `1234F` is appended after it): the other text nodes
   * of the blocks it touched go out once more, masked with the values of their block,
   * where that masks more than their own text does.
   */
  private neighbours<T>(event: T, lookup: ElementLookup, idOf: IdLookup): T {
    const e = event as unknown as { type?: number; data?: MutationData };
    const data = e.data;
    if (e.type !== INCREMENTAL_SNAPSHOT || !data || data.source !== MUTATION) return event;
    const sent = new Set<number>();
    const touched: Node[] = [];
    for (const t of data.texts ?? []) {
      sent.add(t.id);
      const n = lookup(t.id);
      if (n) touched.push(n);
    }
    for (const a of data.adds ?? []) {
      sent.add(a.node.id);
      const n = lookup(a.node.id);
      if (n && n.nodeType === 3) touched.push(n);
    }
    for (const r of data.removes ?? []) {
      const n = lookup(r.parentId);
      if (n) touched.push(n);
    }
    if (touched.length === 0) return event;
    const extra: Array<{ id: number; value: string }> = [];
    for (const node of this.split.neighbours(touched)) {
      const id = idOf(node);
      const parent = node.parentElement;
      if (id < 0 || sent.has(id) || !parent || this.masked(parent)) continue;
      const value = this.split.node(node);
      if (value !== null && value !== this.text(node.data, parent)) extra.push({ id, value });
    }
    if (extra.length === 0) return event;
    return { ...e, data: { ...data, texts: [...(data.texts ?? []), ...extra] } } as T;
  }

  /** rrweb maskInputFn: a field's value. */
  input(text: string, el: HTMLElement | null): string {
    if (!el || this.masked(el)) return '*'.repeat(text.length);
    return this.text(text, el);
  }

  /** Pattern masking of any string (no element rules). */
  text(text: string, _el: Element | null): string {
    if (!text) return text;
    if (this.rules.broken) return maskAll(text);
    return maskText(text, this.rules.patterns);
  }

  /**
   * Any string an event carries: patterns on the plain text, and on every URL-encoded
   * piece of it (`?email=a%40b.in`, `card=4111+1111+...`); base64 data URLs are left
   * alone (they carry images and fonts, not typed text).
   */
  string(value: string): string {
    if (value === '') return value;
    const keep: Array<[number, number]> = [];
    if (value.includes(';base64,')) {
      for (const m of value.matchAll(DATA_BASE64)) keep.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
    }
    let out = value;
    if (/[%+]/.test(value)) {
      out = out.replace(URL_PIECE, (piece, offset: number) => {
        if (!/[%+]/.test(piece) || keep.some(([s, e]) => offset >= s && offset < e)) return piece;
        const decoded = decodePiece(piece);
        if (decoded === null || decoded === piece) return piece;
        return this.text(decoded, null) !== decoded ? '*'.repeat(piece.length) : piece;
      });
    }
    if (keep.length === 0) return this.text(out, null);
    let result = '';
    let last = 0;
    for (const [s, e] of keep) {
      result += this.text(out.slice(last, s), null) + out.slice(s, e);
      last = e;
    }
    return result + this.text(out.slice(last), null);
  }

  /** A URL (page href, link): query values and path pieces matching a pattern masked. */
  url(value: string): string {
    return this.string(value);
  }

  /** The value of attribute `name` on `el` (null: unknown element). */
  attribute(name: string, value: string, el: Element | null): string {
    const lower = name.toLowerCase();
    if (
      el &&
      this.private(el) &&
      (TEXT_ATTRIBUTES.has(lower) || lower.startsWith('aria-') || lower.startsWith('data-'))
    ) {
      return maskAll(value);
    }
    return this.string(value);
  }

  /**
   * The last pass over a recorded event: every string in it, attributes by element, the
   * blocked elements' size, and (given `idOf`) the text nodes a mutation's values reach.
   */
  event<T>(event: T, lookup: ElementLookup, idOf: IdLookup | null = null): T {
    const full = idOf ? this.neighbours(event, lookup, idOf) : event;
    return this.walk(full, lookup) as T;
  }

  private walk(value: unknown, lookup: ElementLookup): unknown {
    if (typeof value === 'string') return this.string(value);
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        const next = this.walk(item, lookup);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    if (typeof value !== 'object' || value === null) return value;
    const obj = value as Record<string, unknown>;
    let out: Record<string, unknown> | null = null;
    const attributes = obj.attributes;
    if (typeof obj.id === 'number' && typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes)) {
      const node = lookup(obj.id);
      const el = node && node.nodeType === 1 ? (node as Element) : null;
      const attrs = attributes as Record<string, unknown>;
      let next: Record<string, unknown> | null = null;
      if (el && 'rr_width' in attrs && !('style' in attrs)) {
        next = { ...attrs, style: blockedStyle(el) };
      }
      for (const [name, v] of Object.entries(attrs)) {
        const masked = typeof v === 'string' ? this.attribute(name, v, el) : this.walk(v, lookup);
        if (masked !== v) {
          next ??= { ...attrs };
          next[name] = masked;
        }
      }
      if (next) out = { ...obj, attributes: next };
    }
    const handled = out !== null || (typeof obj.id === 'number' && typeof attributes === 'object' && attributes !== null && !Array.isArray(attributes));
    for (const [key, v] of Object.entries(obj)) {
      if (key === 'attributes' && handled) continue;
      const next = this.walk(v, lookup);
      if (next !== v) {
        out ??= { ...obj };
        out[key] = next;
      }
    }
    return out ?? value;
  }
}
