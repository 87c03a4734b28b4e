/**
 * The overlay frame's bridge, first half: what must run synchronously, before any page
 * script, in the small runtime. It decides whether this document is the overlay frame,
 * captures the native `MessageEvent.origin` before the runtime patches it, takes the
 * widget's messages (only from `window.parent` at `parent_origin`) in a capturing
 * listener registered before the page's own, hiding them from the page, and loads the
 * second half (runtime/bridge.ts: the recorder, masking, guidance: most of the code) as a
 * module, asynchronously, so that it never blocks the page's parsing. Messages that
 * arrive first wait for it, in order.
 */
import { type TopMessage, fromWindow, parseTopMessage } from '../bridge';
import type { RuntimeContext } from './context';

/** What the second half exports (runtime/bridge-entry.ts). */
export interface BridgeHalf {
  start(): void;
  apply(message: TopMessage): void;
  locationChanged(): void;
  stop(): void;
}

export interface BridgeModule {
  createBridge(ctx: RuntimeContext, parent: Window): BridgeHalf;
}

// Captured when the runtime loads, before it patches MessageEvent.prototype.origin.
const nativeOrigin: ((this: MessageEvent) => string) | null = (() => {
  try {
    if (typeof MessageEvent === 'undefined') return null;
    const get = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'origin')?.get;
    return (get as (this: MessageEvent) => string) ?? null;
  } catch {
    return null;
  }
})();

function originOf(event: MessageEvent): string {
  return nativeOrigin ? nativeOrigin.call(event) : event.origin;
}

/** Whether this document is the overlay frame: its parent is the widget's page. */
export function isOverlayFrame(win: Window, parentOrigin: string): boolean {
  try {
    if (!parentOrigin || win.parent === win) return false;
    const ancestors = win.location.ancestorOrigins;
    if (ancestors && ancestors.length > 0) return ancestors[0] === parentOrigin;
    return win.parent === win.top;
  } catch {
    return false;
  }
}

/** The URL of the second half, next to the runtime's own script. */
export function bridgeUrl(runtimeSrc: string): string {
  return new URL('runtime-bridge.js', runtimeSrc).href;
}

export class BridgeShell {
  private half: BridgeHalf | null = null;
  private readonly waiting: TopMessage[] = [];

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly parent: Window,
  ) {}

  /** Listen now; load the second half with `load` and hand it what came meanwhile. */
  start(load: () => Promise<BridgeModule>): void {
    this.ctx.win.addEventListener('message', (event) => this.onMessage(event), true);
    load().then(
      (module) => {
        const half = module.createBridge(this.ctx, this.parent);
        this.half = half;
        half.start();
        for (const message of this.waiting.splice(0)) this.apply(message);
      },
      () => undefined, // no bridge: the widget times the overlay out and says so
    );
  }

  locationChanged(): void {
    try {
      this.half?.locationChanged();
    } catch {
      /* never break the page */
    }
  }

  private onMessage(event: MessageEvent): void {
    let message: TopMessage | null = null;
    try {
      if (!fromWindow({ source: event.source, origin: originOf(event) }, this.parent, this.ctx.cfg.parentOrigin)) {
        return;
      }
      message = parseTopMessage(event.data);
    } catch {
      return;
    }
    if (!message) return;
    event.stopImmediatePropagation();
    if (this.half) this.apply(message);
    else this.waiting.push(message);
  }

  private apply(message: TopMessage): void {
    try {
      this.half?.apply(message);
    } catch {
      /* never break the page */
    }
  }
}
