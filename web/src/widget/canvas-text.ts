/**
 * Text a page draws into a 2D canvas (`fillText`, `strokeText`), for the canvas sampler
 * (./canvas.ts): a canvas is sent as pixels, which no value pattern can read, so a
 * canvas that has drawn a string a value pattern masks (a PAN as a chart's label, an
 * account number on a canvas-drawn form) is never sent again. Each string is checked as
 * drawn, on its own: a renderer that draws a value glyph by glyph (PDF.js) is not
 * recognised (docs/masking.md, "Canvas").
 *
 * The methods are wrapped once per window; before the recorder says which strings are
 * values (proxy mode installs this with the page, so that what a page draws at load
 * counts), the distinct strings of each canvas are kept (up to MAX_KEPT; past it the
 * canvas counts as holding one: fails closed) and checked when it does.
 */
import { patchMethod } from '../runtime/patch';

const MAX_KEPT = 500;
const MAX_CACHE = 2000;

export class CanvasText {
  private installed = false;
  private check: ((text: string) => boolean) | null = null;
  private readonly kept = new WeakMap<object, Set<string>>();
  private readonly holding = new WeakSet<object>();
  private readonly seen = new Map<string, boolean>();

  constructor(private readonly win: Window) {}

  install(): void {
    if (this.installed) return;
    this.installed = true;
    const proto = (this.win as unknown as Record<string, { prototype?: object } | undefined>).CanvasRenderingContext2D
      ?.prototype;
    for (const method of ['fillText', 'strokeText']) {
      patchMethod(proto, method, (orig) => {
        const capture = this;
        return function (this: CanvasRenderingContext2D, ...args: unknown[]): unknown {
          const out = orig.apply(this, args);
          capture.drawn(this, args[0]);
          return out;
        };
      });
    }
  }

  /** Which strings are values (null: not known yet). */
  setCheck(check: ((text: string) => boolean) | null): void {
    this.check = check;
    this.seen.clear();
  }

  /** Whether `canvas` has drawn a value (or too many strings to tell). */
  holds(canvas: object): boolean {
    if (this.holding.has(canvas)) return true;
    const kept = this.kept.get(canvas);
    if (kept && this.check) {
      this.kept.delete(canvas);
      for (const text of kept) {
        if (this.isValue(text)) {
          this.holding.add(canvas);
          break;
        }
      }
    }
    return this.holding.has(canvas);
  }

  private isValue(text: string): boolean {
    const check = this.check;
    if (!check) return false;
    let value = this.seen.get(text);
    if (value === undefined) {
      value = check(text);
      if (this.seen.size > MAX_CACHE) this.seen.clear();
      this.seen.set(text, value);
    }
    return value;
  }

  private drawn(ctx: CanvasRenderingContext2D, text: unknown): void {
    try {
      const canvas = ctx.canvas as object | null;
      if (!canvas || this.holding.has(canvas)) return;
      const s = typeof text === 'string' ? text : String(text);
      if (this.check) {
        if (this.isValue(s)) this.holding.add(canvas);
        return;
      }
      let kept = this.kept.get(canvas);
      if (!kept) {
        kept = new Set();
        this.kept.set(canvas, kept);
      }
      kept.add(s);
      if (kept.size > MAX_KEPT) {
        this.holding.add(canvas);
        this.kept.delete(canvas);
      }
    } catch {
      /* never break the page's drawing */
    }
  }
}

const texts = new WeakMap<Window, CanvasText>();

/** The text watch of window `win` (one per window). */
export function canvasText(win: Window): CanvasText {
  let watch = texts.get(win);
  if (!watch) {
    watch = new CanvasText(win);
    texts.set(win, watch);
  }
  return watch;
}

/**
 * Make `watch`, created by another bundle for `win` (the runtime, before any page script),
 * the one this bundle uses for `win` (the overlay bridge's module).
 */
export function adoptCanvasText(win: Window, watch: CanvasText): void {
  if (!texts.has(win)) texts.set(win, watch);
}
