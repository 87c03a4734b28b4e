/**
 * Records the page with rrweb while the session is active and hands batches of
 * events to `send`. Events emitted in the same task go out as one frame, flushed in
 * a microtask (no timers delaying anything).
 *
 * Masking happens here, in the visitor's browser: every element matching the
 * server's masking selectors (and the widget itself) is recorded by rrweb as a
 * same-size empty box: no value, no children, no input events (rrweb 2.2.2:
 * serializeElementNode replaces a blocked element's attributes with
 * {class, rr_width, rr_height}; the mutation and input observers skip it via isBlocked).
 */
import { record } from 'rrweb';
import type { RecordedEvent } from '../protocol';

export const FALLBACK_MASK_SELECTORS: readonly string[] = [
  'input[type=password]',
  '[data-cobrowse-mask]',
];

/** The attribute on the widget's host and root; always blocked from recording. */
export const WIDGET_ATTRIBUTE = 'data-cobrowse-ui';
export const WIDGET_SELECTOR = `[${WIDGET_ATTRIBUTE}]`;

/** rrweb's blockSelector for the given server selectors (pure). */
export function blockSelector(selectors: readonly string[]): string {
  const base = selectors.length > 0 ? selectors : FALLBACK_MASK_SELECTORS;
  return [...base, WIDGET_SELECTOR].join(',');
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

export class Recorder {
  private stopFn: (() => void) | null = null;
  private readonly batcher: Batcher;
  private selector: string;

  constructor(selectors: readonly string[], send: (events: RecordedEvent[]) => void) {
    this.selector = blockSelector(selectors);
    this.batcher = new Batcher(send);
  }

  get recording(): boolean {
    return this.stopFn !== null;
  }

  setSelectors(selectors: readonly string[]): void {
    this.selector = blockSelector(selectors);
  }

  /** Start recording: rrweb emits a Meta and a FullSnapshot first. */
  start(): void {
    if (this.stopFn) return;
    const stop = record({
      emit: (event) => this.batcher.push(event as unknown as RecordedEvent),
      blockSelector: this.selector,
      maskInputOptions: { password: true },
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
    if (this.stopFn) record.takeFullSnapshot(true);
  }

  stop(): void {
    const stop = this.stopFn;
    this.stopFn = null;
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
