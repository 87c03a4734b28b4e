/**
 * Canvas content for the agent's mirror, as sampled image frames (docs/masking.md,
 * "Canvas"). rrweb's own canvas recording is not used: its sampled mode forces
 * `preserveDrawingBuffer` on WebGL contexts made after recording starts and clears the
 * visitor's WebGL canvas before each sample of one made before (every page drawn before
 * the visitor pressed Allow), and needs a worker from a blob: URL and a mirror that
 * runs scripts (`UNSAFE_replayCanvas`).
 *
 * Every `1000 / fps` ms, each canvas of the page the masker allows (not in or itself a
 * selector-masked element, not outside the allowed areas of a private page, not under
 * `data-cobrowse-no-canvas`) is read with `toDataURL`; a frame is sent only when it
 * differs from the last one sent for that canvas (and a never-sent canvas only when it
 * is not blank), as an rrweb CanvasMutation event (source 9) that draws the image:
 * `clearRect` and `drawImage` of an `HTMLImageElement` whose `src` is the data URL, a
 * form rrweb's own replayer also understands. WebGL canvases are read from a copy
 * taken as the page draws (./webgl.ts). A canvas a page tainted with another
 * origin's image cannot be read, and is not sent; neither is a frame larger than
 * `maxBytes` or a canvas larger than `maxPixels`.
 */
import type { RecordedEvent } from '../protocol';
import { NO_CANVAS_ATTRIBUTE } from '../masking/masker';
import { webglCapture } from './webgl';

export { NO_CANVAS_ATTRIBUTE };

export interface CanvasOptions {
  /** Samples per second (0: no canvas content at all). */
  readonly fps: number;
  /** The encoding of a frame (`toDataURL`'s type and quality). */
  readonly type: string;
  readonly quality: number;
  /** A frame's data URL longer than this is not sent. */
  readonly maxBytes: number;
  /** A canvas of more pixels than this is not read. */
  readonly maxPixels: number;
}

/**
 * 2 frames a second as PNG: what a chart or drawing shows is exact in the mirror
 * (transparency too), a frame is only sent when the canvas changed, and PNG encodes
 * several times faster than WebP on the visitor's main thread; a chart redrawn every
 * frame costs about 90 kB/s (bench/canvas.py; docs/masking.md, "Canvas").
 */
export const CANVAS_DEFAULTS: CanvasOptions = {
  fps: 2,
  type: 'image/png',
  quality: 1,
  maxBytes: 2_000_000,
  maxPixels: 4096 * 4096,
};

/** The rrweb event that draws `dataUrl` (w × h) into the canvas with id `id`. Pure. */
export function canvasFrame(id: number, dataUrl: string, width: number, height: number, timestamp: number): RecordedEvent {
  return {
    type: 3,
    timestamp,
    data: {
      source: 9,
      id,
      type: 0,
      commands: [
        { property: 'clearRect', args: [0, 0, width, height] },
        { property: 'drawImage', args: [{ rr_type: 'HTMLImageElement', src: dataUrl }, 0, 0, width, height] },
      ],
    },
  } as unknown as RecordedEvent;
}

/** The frame a canvas event carries: its canvas's id and the image's data URL and size (null: not one). Pure. */
export function frameOf(event: unknown): { id: number; src: string; width: number; height: number } | null {
  const e = event as { type?: unknown; data?: { source?: unknown; id?: unknown; commands?: unknown } };
  if (e?.type !== 3 || e.data?.source !== 9 || typeof e.data.id !== 'number' || !Array.isArray(e.data.commands)) {
    return null;
  }
  for (const command of e.data.commands as Array<{ property?: unknown; args?: unknown }>) {
    if (command?.property !== 'drawImage' || !Array.isArray(command.args)) continue;
    const [image, , , width, height] = command.args as unknown[];
    const src = (image as { src?: unknown } | null)?.src;
    if (typeof src !== 'string' || !src.startsWith('data:image/')) continue;
    return {
      id: e.data.id,
      src,
      width: typeof width === 'number' ? width : 0,
      height: typeof height === 'number' ? height : 0,
    };
  }
  return null;
}

/** Whether an event is a canvas event (rrweb IncrementalSource.CanvasMutation). Pure. */
export function isCanvasEvent(event: unknown): boolean {
  const e = event as { type?: unknown; data?: { source?: unknown } };
  return e?.type === 3 && e.data?.source === 9;
}

export interface SamplerHooks {
  /** Whether this canvas's content may be sent (masking, opt-out). */
  readonly allowed: (canvas: HTMLCanvasElement) => boolean;
  /** The recorder's id of a node (negative: not recorded). */
  readonly idOf: (node: Node) => number;
  readonly emit: (event: RecordedEvent) => void;
}

export class CanvasSampler {
  private timer: number | null = null;
  private readonly last = new Map<number, string>();
  private readonly blanks = new Map<string, string>();

  constructor(
    private readonly win: Window,
    private readonly hooks: SamplerHooks,
    private readonly options: CanvasOptions = CANVAS_DEFAULTS,
  ) {}

  start(): void {
    if (this.timer !== null || !(this.options.fps > 0)) return;
    webglCapture(this.win).keep();
    const every = Math.max(50, Math.round(1000 / this.options.fps));
    try {
      this.timer = this.win.setInterval(() => this.sample(), every);
    } catch {
      this.timer = null;
    }
    this.sample();
  }

  stop(): void {
    if (this.timer !== null) {
      webglCapture(this.win).release();
      try {
        this.win.clearInterval(this.timer);
      } catch {
        /* the window is gone */
      }
    }
    this.timer = null;
    this.last.clear();
  }

  /** The mirror was rebuilt (a full snapshot): every canvas goes out again. */
  reset(): void {
    this.last.clear();
  }

  /** One round: every allowed canvas whose content changed goes out. Never throws. */
  sample(): void {
    let canvases: HTMLCanvasElement[];
    try {
      if (this.win.document.hidden) return;
      canvases = Array.from(this.win.document.querySelectorAll('canvas'));
    } catch {
      return;
    }
    for (const canvas of canvases) {
      try {
        this.sampleOne(canvas);
      } catch {
        /* a canvas we cannot read (tainted, lost context): nothing is sent for it */
      }
    }
  }

  private sampleOne(canvas: HTMLCanvasElement): void {
    const { width, height } = canvas;
    if (!width || !height || width * height > this.options.maxPixels) return;
    if (!this.hooks.allowed(canvas)) return;
    const id = this.hooks.idOf(canvas);
    if (id < 0) return;
    // A WebGL canvas is read from its last copy (./webgl.ts): itself, it reads empty.
    const source = webglCapture(this.win).copyOf(canvas) ?? canvas;
    const url = source.toDataURL(this.options.type, this.options.quality);
    const last = this.last.get(id);
    if (url === last) return;
    if (last === undefined && url === this.blank(canvas, width, height)) return;
    if (url.length > this.options.maxBytes) return;
    this.last.set(id, url);
    this.hooks.emit(canvasFrame(id, url, width, height, Date.now()));
  }

  /** What an empty canvas of this size encodes to. */
  private blank(canvas: HTMLCanvasElement, width: number, height: number): string {
    const key = `${width}x${height}`;
    let url = this.blanks.get(key);
    if (url === undefined) {
      const empty = canvas.ownerDocument.createElement('canvas');
      empty.width = width;
      empty.height = height;
      url = empty.toDataURL(this.options.type, this.options.quality);
      if (this.blanks.size > 32) this.blanks.clear();
      this.blanks.set(key, url);
    }
    return url;
  }
}
