/**
 * WebGL canvases for the canvas sampler (./canvas.ts). A WebGL canvas made without
 * `preserveDrawingBuffer` (the default, and what chart and 3D libraries use) is cleared
 * once its frame is shown: read later (`toDataURL`, `drawImage`, `createImageBitmap`),
 * it is empty. So its content is copied where it still exists: in a microtask after the
 * page's drawing calls (`clear`, `drawArrays`, `drawElements` and their instanced and
 * range forms), that is at the end of the task that drew, into a 2D canvas of the same
 * size the sampler encodes from. The page's canvas and context are not changed (rrweb's
 * way, forcing `preserveDrawingBuffer`, changes how a page's canvas behaves).
 *
 * The draw methods are wrapped once per window (prototype methods, so contexts made
 * before count too) and copy only while someone keeps the capture: the proxy runtime
 * from the start of the page (what a page draws once at load is kept), the recorder
 * while it records (inline mode: a WebGL drawing shown before the visitor allowed the
 * session and never drawn again stays empty in the mirror).
 */
import { patchMethod } from '../runtime/patch';

const DRAWS = ['clear', 'drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements'];
/** A canvas larger than this is not copied (the sampler does not send it either). */
const MAX_PIXELS = 4096 * 4096;

export class WebGLCapture {
  private keepers = 0;
  private installed = false;
  private scheduled = false;
  private readonly pending = new Set<HTMLCanvasElement>();
  private readonly copies = new WeakMap<HTMLCanvasElement, HTMLCanvasElement>();

  constructor(private readonly win: Window) {}

  /** Start copying (wrapping the draw methods the first time). */
  keep(): void {
    this.keepers += 1;
    if (!this.installed) this.install();
  }

  release(): void {
    this.keepers = Math.max(0, this.keepers - 1);
    if (this.keepers === 0) this.pending.clear();
  }

  /** The last copy of a WebGL canvas's content (null: none was drawn while kept). */
  copyOf(canvas: HTMLCanvasElement): HTMLCanvasElement | null {
    return this.copies.get(canvas) ?? null;
  }

  private install(): void {
    this.installed = true;
    const w = this.win as unknown as Record<string, { prototype?: object } | undefined>;
    for (const name of ['WebGLRenderingContext', 'WebGL2RenderingContext']) {
      const proto = w[name]?.prototype;
      for (const method of DRAWS) {
        patchMethod(proto, method, (orig) => {
          const capture = this;
          return function (this: WebGLRenderingContext, ...args: unknown[]): unknown {
            const out = orig.apply(this, args);
            if (capture.keepers > 0) capture.drawn(this);
            return out;
          };
        });
      }
    }
  }

  private drawn(ctx: WebGLRenderingContext): void {
    try {
      const canvas = ctx.canvas as HTMLCanvasElement;
      if (!canvas || typeof (canvas as { toDataURL?: unknown }).toDataURL !== 'function' || !canvas.ownerDocument) return;
      this.pending.add(canvas);
      if (this.scheduled) return;
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    } catch {
      /* never break the page's drawing */
    }
  }

  private flush(): void {
    this.scheduled = false;
    const canvases = [...this.pending];
    this.pending.clear();
    for (const canvas of canvases) {
      try {
        this.copy(canvas);
      } catch {
        /* a lost context, a canvas we cannot read: no copy */
      }
    }
  }

  private copy(canvas: HTMLCanvasElement): void {
    const { width, height } = canvas;
    if (!width || !height || width * height > MAX_PIXELS) return;
    let copy = this.copies.get(canvas);
    if (!copy) {
      copy = canvas.ownerDocument.createElement('canvas');
      this.copies.set(canvas, copy);
    }
    if (copy.width !== width) copy.width = width;
    if (copy.height !== height) copy.height = height;
    const ctx = copy.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    ctx.drawImage(canvas, 0, 0);
  }
}

const captures = new WeakMap<Window, WebGLCapture>();

/** The capture of window `win` (one per window). */
export function webglCapture(win: Window): WebGLCapture {
  let capture = captures.get(win);
  if (!capture) {
    capture = new WebGLCapture(win);
    captures.set(win, capture);
  }
  return capture;
}

/**
 * Make `watch`, created by another bundle for `win` (the runtime, before any page script),
 * the one this bundle uses for `win` (the overlay bridge's module).
 */
export function adoptWebglCapture(win: Window, watch: WebGLCapture): void {
  if (!captures.has(win)) captures.set(win, watch);
}
