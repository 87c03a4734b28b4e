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
 *
 * A canvas that already shows something when the watch first meets it (its first
 * `getContext` or text call since the watch, or the recorder's first question; inline
 * mode: the widget's script runs after the page has drawn, maybe into a canvas not yet in
 * the document) drew what nobody saw: it is held too, until its whole bitmap is cleared (a `clearRect` over all of it, `reset()`, or its width
 * or height set), after which everything it shows was drawn under the watch. A chart
 * that redraws sends again at its next redraw; one drawn once before the widget stays
 * empty in the mirror (fails closed).
 */
import { patchMethod, patchSetter } from '../runtime/patch';

const MAX_KEPT = 500;
const MAX_CACHE = 2000;

export class CanvasText {
  private installed = false;
  private check: ((text: string) => boolean) | null = null;
  private readonly kept = new WeakMap<object, Set<string>>();
  private readonly holding = new WeakSet<object>();
  /** Drawn before the watch: held until the whole bitmap is cleared. */
  private readonly unseen = new WeakSet<object>();
  /** Canvases the watch has met (and put in `unseen` if they were not blank then). */
  private readonly met = new WeakSet<object>();
  private measuring = false;
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
          capture.meet(this.canvas);
          const out = orig.apply(this, args);
          capture.drawn(this, args[0]);
          return out;
        };
      });
    }
    const capture = this;
    patchMethod(proto, 'clearRect', (orig) =>
      function (this: CanvasRenderingContext2D, ...args: unknown[]): unknown {
        capture.meet(this.canvas);
        const out = orig.apply(this, args);
        capture.cleared(this, args);
        return out;
      },
    );
    patchMethod(proto, 'reset', (orig) =>
      function (this: CanvasRenderingContext2D, ...args: unknown[]): unknown {
        capture.meet(this.canvas);
        const out = orig.apply(this, args);
        capture.unseen.delete(this.canvas);
        return out;
      },
    );
    const element = (this.win as unknown as Record<string, { prototype?: object } | undefined>).HTMLCanvasElement
      ?.prototype;
    for (const size of ['width', 'height']) {
      patchSetter(element, size, (value, canvas) => {
        capture.meet(canvas);
        if (canvas && typeof canvas === 'object') capture.unseen.delete(canvas);
        return value;
      });
    }
    patchMethod(element, 'getContext', (orig) =>
      function (this: HTMLCanvasElement, ...args: unknown[]): unknown {
        capture.meet(this);
        return orig.apply(this, args);
      },
    );
  }

  /** The first time the watch meets `canvas`: if it shows something, that was unseen. */
  private meet(canvas: unknown): void {
    try {
      if (this.measuring || !canvas || typeof canvas !== 'object' || this.met.has(canvas)) return;
      this.met.add(canvas);
      this.measuring = true; // blank() makes a canvas of its own: not one to meet
      try {
        if (!blank(this.win, canvas as HTMLCanvasElement)) this.unseen.add(canvas);
      } finally {
        this.measuring = false;
      }
    } catch {
      /* never break the page's drawing */
    }
  }

  private cleared(ctx: CanvasRenderingContext2D, args: unknown[]): void {
    try {
      const canvas = ctx.canvas;
      if (!canvas || !this.unseen.has(canvas)) return;
      const [x, y, w, h] = args.map(Number) as [number, number, number, number];
      const left = Math.min(x, x + w);
      const top = Math.min(y, y + h);
      const right = Math.max(x, x + w);
      const bottom = Math.max(y, y + h);
      // The context's transform could move the rectangle; only the identity is trusted.
      if (!ctx.getTransform().isIdentity) return;
      if (left <= 0 && top <= 0 && right >= canvas.width && bottom >= canvas.height) this.unseen.delete(canvas);
    } catch {
      /* stays held */
    }
  }

  /** Which strings are values (null: not known yet). */
  setCheck(check: ((text: string) => boolean) | null): void {
    this.check = check;
    this.seen.clear();
  }

  /** Whether `canvas` has drawn a value (or too many strings to tell). */
  holds(canvas: object): boolean {
    this.meet(canvas);
    if (this.holding.has(canvas) || this.unseen.has(canvas)) return true;
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

/** Whether `canvas` shows nothing (a tainted or unreadable one counts as not blank). */
function blank(win: Window, canvas: HTMLCanvasElement): boolean {
  try {
    if (canvas.width === 0 || canvas.height === 0) return true;
    const empty = win.document.createElement('canvas');
    empty.width = canvas.width;
    empty.height = canvas.height;
    return canvas.toDataURL() === empty.toDataURL();
  } catch {
    return false;
  }
}
