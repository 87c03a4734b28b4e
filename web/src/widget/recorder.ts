/**
 * Records the page with rrweb while the session is active and hands batches of
 * events to `send`. Events emitted in the same task go out as one frame, flushed in
 * a microtask (no timers delaying anything).
 *
 * Masking happens here, in the visitor's browser, with the rules of the page being
 * recorded (../masking/): elements matching the masking selectors (and the widget
 * itself) are recorded by rrweb as same-size empty boxes (rrweb 2.2.2:
 * serializeElementNode replaces a blocked element's attributes with
 * {class, rr_width, rr_height}; the mutation and input observers skip it via
 * isBlocked; the masker keeps an inline one's size in the mirror); text and input
 * values go through the masker (value patterns, also across the text nodes of one
 * block; private by default); and every event passes the masker once more before it
 * leaves (attributes, styles, URLs, the text nodes a mutation's values reach).
 *
 * Canvas content goes as sampled image frames (./canvas.ts), never from a masked or
 * private area, one under `data-cobrowse-no-canvas` or one that drew a value as text
 * (./canvas-text.ts), and not at all with the widget's `canvas: false`; images shown
 * from blob: URLs go as data: URLs (./blobs.ts), the blob: URL itself never.
 */
import { record } from 'rrweb';
import type { RecordedEvent } from '../protocol';
import { Masker, WIDGET_ATTRIBUTE, WIDGET_SELECTOR } from '../masking/masker';
import { FALLBACK_MASK_SELECTORS, type MaskRules, effective, selectorsOnly } from '../masking/rules';
import { BlobImages } from './blobs';
import { CANVAS_DEFAULTS, CanvasSampler, type CanvasOptions, isCanvasEvent } from './canvas';
import { canvasText } from './canvas-text';

export { FALLBACK_MASK_SELECTORS, WIDGET_ATTRIBUTE, WIDGET_SELECTOR };

/** rrweb's blockSelector for the given server selectors (pure). */
export function blockSelector(selectors: readonly string[]): string {
  const base = selectors.length > 0 ? selectors : FALLBACK_MASK_SELECTORS;
  return [...base, WIDGET_SELECTOR].join(',');
}

/** The masker for the page `win` shows now. */
export function maskerFor(rules: MaskRules, win: Window): Masker {
  let where = '/';
  try {
    where = win.location.pathname + win.location.search;
  } catch {
    /* keep "/" */
  }
  return new Masker(effective(rules, where, win.document));
}

/** The marker's CSS for a block selector (pure). `:is()` forgives a selector the page's browser lacks. */
export function markerCss(selector: string): string {
  return (
    `:is(${selector}):not(:focus-visible) { outline: 2px dashed rgba(146, 64, 14, 0.55) !important; ` +
    'outline-offset: 1px !important; }'
  );
}

function lookupNode(id: number): Node | null {
  try {
    return record.mirror.getNode(id) as Node | null;
  } catch {
    return null;
  }
}

function idOfNode(node: Node): number {
  try {
    return record.mirror.getId(node as Parameters<typeof record.mirror.getId>[0]);
  } catch {
    return -1;
  }
}

/** Collects events into per-task batches. Pure apart from queueMicrotask. */
export class Batcher {
  private batch: RecordedEvent[] = [];
  private scheduled = false;

  constructor(
    private readonly flush: (events: RecordedEvent[]) => void,
    private readonly schedule: (fn: () => void) => void = (fn) => queueMicrotask(fn),
  ) {}

  push(event: RecordedEvent): void {
    this.batch.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      const out = this.batch;
      this.batch = [];
      if (out.length > 0) this.flush(out);
    });
  }

  /** Forget events not yet flushed. */
  drop(): void {
    this.batch = [];
  }
}

export interface RecorderOptions {
  /** Canvas sampling (fps 0: no canvas content is sent). */
  readonly canvas?: CanvasOptions;
}

const EVENT_FULL_SNAPSHOT = 2;

export class Recorder {
  private stopFn: (() => void) | null = null;
  private readonly batcher: Batcher;
  private readonly canvases: CanvasSampler;
  private readonly blobs: BlobImages;
  private rules: MaskRules;
  private current: Masker | null = null;
  private href = '';
  private restarting = false;
  private marker: HTMLStyleElement | null = null;

  constructor(
    rules: MaskRules | readonly string[],
    send: (events: RecordedEvent[]) => void,
    private readonly win: Window = window,
    options: RecorderOptions = {},
  ) {
    this.rules = Array.isArray(rules) ? selectorsOnly(rules as readonly string[]) : (rules as MaskRules);
    this.batcher = new Batcher(send);
    this.canvases = new CanvasSampler(
      win,
      {
        allowed: (canvas) => this.canvasAllowed(canvas),
        idOf: idOfNode,
        emit: (event) => this.emit(event),
      },
      options.canvas ?? CANVAS_DEFAULTS,
    );
    this.blobs = new BlobImages(win, (event) => this.emit(event));
  }

  get recording(): boolean {
    return this.stopFn !== null;
  }

  /** Whether a canvas's pixels may go: the masking rules, and no value drawn into it as text. */
  private canvasAllowed(canvas: Element): boolean {
    const masker = this.current ?? this.masker();
    return masker.canvas(canvas) && !canvasText(this.win).holds(canvas);
  }

  /** The masker of the page now (what act.ts and the visitor's marker use). */
  masker(): Masker {
    return this.current ?? maskerFor(this.rules, this.win);
  }

  setRules(rules: MaskRules): void {
    this.rules = rules;
  }

  private currentHref(): string {
    try {
      return this.win.location.href;
    } catch {
      return '';
    }
  }

  /**
   * An event about to leave: masked by the rules of the page now. If an in-page
   * navigation (pushState) brought other rules, events masked by the old ones are
   * dropped and recording restarts with a fresh snapshot under the new ones.
   */
  private emit(event: RecordedEvent): void {
    if (this.restarting) return;
    const href = this.currentHref();
    if (href !== this.href && this.current) {
      this.href = href;
      const next = maskerFor(this.rules, this.win);
      if (next.key !== this.current.key) {
        this.current = next;
        this.restarting = true;
        this.batcher.drop();
        queueMicrotask(() => {
          this.restarting = false;
          if (!this.stopFn) return;
          this.stop();
          this.start();
        });
        return;
      }
    }
    const masker = this.current;
    if (!masker) return;
    if (isCanvasEvent(event)) {
      // Only the sampler's frames, and only of a canvas the rules allow now.
      const node = lookupNode((event as unknown as { data: { id: number } }).data.id);
      if (!node || node.nodeType !== 1 || !this.canvasAllowed(node as Element)) return;
    }
    if (event.type === EVENT_FULL_SNAPSHOT) this.canvases.reset();
    // blob: URLs first: the masker may mask pieces of one (digits of its random id), and
    // then nothing could read it; a blob: URL never leaves (it is "" or a data: URL).
    this.batcher.push(masker.event(this.blobs.rewrite(event, lookupNode), lookupNode, idOfNode));
  }

  /** Start recording: rrweb emits a Meta and a FullSnapshot first. */
  start(): void {
    if (this.stopFn) return;
    const masker = maskerFor(this.rules, this.win);
    this.current = masker;
    this.href = this.currentHref();
    const texts = canvasText(this.win);
    texts.install();
    texts.setCheck((text) => (this.current ?? masker).text(text, null) !== text);
    const stop = record({
      emit: (event) => this.emit(event as unknown as RecordedEvent),
      blockSelector: masker.blockSelector,
      // Every text node and field value goes through the masker (patterns, private pages).
      maskTextSelector: '*',
      maskTextFn: (text, element) => (this.current ?? masker).textIn(text, element),
      maskAllInputs: true,
      maskInputFn: (text, element) => (this.current ?? masker).input(text, element),
      recordCanvas: false,
      collectFonts: false,
      inlineStylesheet: true,
      inlineImages: false,
      recordCrossOriginIframes: false,
      // Every pointer position is kept (rrweb's mousemove throttle drops the trailing
      // event, so a pointer that stops within its window would stop short in the
      // mirror); positions still go out batched, every 50 ms while it moves.
      sampling: { mousemove: 0, mousemoveCallback: 50, scroll: 100 },
      slimDOMOptions: {
        script: true,
        comment: true,
        headFavicon: true,
        headWhitespace: true,
        headMetaSocial: true,
        headMetaRobots: true,
        headMetaHttpEquiv: true,
        headMetaAuthorship: true,
        headMetaVerification: true,
      },
      errorHandler: () => true,
    });
    this.stopFn = stop ?? null;
    this.showMarker(masker);
    if (!this.stopFn) return;
    this.canvases.start();
    this.carryFocus();
  }

  /**
   * rrweb records focus as it moves (a Focus interaction), not where it is when a
   * snapshot is taken: tell the mirror which element has it (not a masked one).
   */
  private carryFocus(): void {
    try {
      const doc = this.win.document;
      const el = doc.activeElement;
      if (!el || el === doc.body || el === doc.documentElement || this.masker().blocked(el)) return;
      const id = idOfNode(el);
      if (id < 0) return;
      this.emit({ type: 3, timestamp: Date.now(), data: { source: 2, type: 5, id } } as unknown as RecordedEvent);
    } catch {
      /* no focus to carry */
    }
  }

  /**
   * The visitor's marker of what the agent cannot see: a dashed outline (no layout
   * change) on masked elements, from a style element the recorder never records.
   */
  private showMarker(masker: Masker): void {
    this.marker?.remove();
    this.marker = null;
    const doc = this.win.document;
    try {
      const style = doc.createElement('style');
      style.setAttribute(WIDGET_ATTRIBUTE, '');
      style.textContent = markerCss(masker.maskSelector);
      (doc.head ?? doc.documentElement).appendChild(style);
      this.marker = style;
    } catch {
      /* no marker on this page; masking itself is unaffected */
    }
  }

  /** The page's node with rrweb id `id` (what the agent's guide and act frames name). */
  node(id: number): Node | null {
    if (!this.stopFn) return null;
    try {
      return record.mirror.getNode(id) as Node | null;
    } catch {
      return null;
    }
  }

  /** A fresh Meta + FullSnapshot (after a server snapshot_request). */
  snapshot(): void {
    if (!this.stopFn) return;
    record.takeFullSnapshot(true);
    this.canvases.sample(); // the rebuilt mirror's canvases are empty: fill them now
    this.carryFocus();
  }

  stop(): void {
    const stop = this.stopFn;
    this.stopFn = null;
    this.current = null;
    this.restarting = false;
    this.marker?.remove();
    this.marker = null;
    this.canvases.stop();
    this.batcher.drop();
    if (stop) {
      try {
        stop();
      } catch {
        /* rrweb already torn down */
      }
    }
  }
}
