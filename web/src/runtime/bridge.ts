/**
 * The overlay frame's side of the bridge to the widget (../bridge.ts has the messages):
 * posts `ready` once the document is parsed and `location` on in-page URL changes
 * (upstream URLs), and records with rrweb only between the widget's `record` and `stop`,
 * posting batches as `events`. The second half of the bridge: runtime/shell.ts takes
 * the widget's messages (only from `window.parent` at `parent_origin`, hidden from the
 * page) and loads this, as its own module (runtime/bridge-entry.ts), after the page has
 * started: none of this blocks the page's parsing.
 */
import type { FrameMessage, TopMessage } from '../bridge';
import type { RecordedEvent } from '../protocol';
import { collectFields } from '../formstate';
import { GuideLayer } from '../guidance/layer';
import { type Win, applyAct } from '../guidance/act';
import { FALLBACK_MASK_SELECTORS, Recorder, WIDGET_ATTRIBUTE, maskerFor } from '../widget/recorder';
import { HOST_STYLE } from '../widget/styles';
import type { RuntimeContext } from './context';

const META = 4;

/** Meta events carry the page URL: report the upstream one (the agent's URL bar shows it). */
export function upstreamMeta(
  batch: readonly RecordedEvent[],
  toUpstream: (url: string) => string,
): RecordedEvent[] {
  return batch.map((event) => {
    const data = event.data as Record<string, unknown> | undefined;
    if (event.type !== META || !data || typeof data.href !== 'string') return event;
    return { ...event, data: { ...data, href: toUpstream(data.href) } };
  });
}

export class FrameBridge {
  private recorder: Recorder | null = null;
  private id = 0;
  private readySent = false;
  private lastHref = '';
  private layer: GuideLayer | null = null;

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly parent: Window,
  ) {}

  start(): void {
    const { win } = this.ctx;
    const ready = (): void => {
      this.readySent = true;
      this.lastHref = this.href();
      this.post({ cobrowse: 1, type: 'ready', href: this.lastHref, ...this.outside() });
    };
    if (win.document.readyState === 'loading') {
      win.document.addEventListener('DOMContentLoaded', ready, { once: true });
    } else {
      ready();
    }
    win.addEventListener('pagehide', () => this.stop());
    // Escape inside the overlay takes back control (the widget decides whether it applies).
    win.addEventListener(
      'keydown',
      (event) => {
        if (event.key === 'Escape' && event.isTrusted) this.post({ cobrowse: 1, type: 'escape' });
      },
      true,
    );
    // Where the visitor is working (the last element focused here, kept while the focus
    // is in the widget's panels): the widget keeps its panels off it.
    const focus = (): void => this.scheduleFocus();
    win.document.addEventListener(
      'focusin',
      (event) => {
        const target = event.target;
        if (target instanceof win.Element && target !== win.document.body && !target.closest(`[${WIDGET_ATTRIBUTE}]`)) {
          this.focused = target;
        }
        focus();
      },
      true,
    );
    win.addEventListener('scroll', focus, { capture: true, passive: true });
    win.addEventListener('resize', focus, { passive: true });
  }

  private focusFrame = 0;
  private lastFocus = '';
  private focused: Element | null = null;

  /** Post the focused element's box once per frame, when it changed. */
  private scheduleFocus(): void {
    const { win } = this.ctx;
    if (this.focusFrame) return;
    this.focusFrame = win.requestAnimationFrame(() => {
      this.focusFrame = 0;
      const el = this.focused;
      const r = el && el.isConnected ? el.getBoundingClientRect() : null;
      const rect = r ? { left: r.left, top: r.top, width: r.width, height: r.height } : null;
      const key = JSON.stringify(rect);
      if (key === this.lastFocus) return;
      this.lastFocus = key;
      this.post({ cobrowse: 1, type: 'focus', rect });
    });
  }

  /** The guidance layer: a blocked host (never recorded) with its own shadow root. */
  private guideLayer(): GuideLayer {
    if (this.layer && this.layer.root.isConnected) return this.layer;
    this.layer?.destroy();
    const doc = this.ctx.win.document;
    const host = doc.createElement('cobrowse-widget');
    host.setAttribute(WIDGET_ATTRIBUTE, '');
    host.setAttribute('style', HOST_STYLE);
    const shadow = host.attachShadow({ mode: 'open' });
    (doc.body ?? doc.documentElement).appendChild(host);
    this.layer = new GuideLayer(this.ctx.win, shadow, (id) => this.element(id));
    return this.layer;
  }

  private element(id: number): Element | null {
    const node = this.recorder?.node(id) ?? null;
    if (!node) return null;
    return node.nodeType === 1 ? (node as Element) : node.parentElement;
  }

  /** In-page URL change: post `location` if the upstream href changed. */
  locationChanged(): void {
    if (!this.readySent) return;
    const href = this.href();
    if (href === this.lastHref) return;
    this.lastHref = href;
    this.post({ cobrowse: 1, type: 'location', href, ...this.outside() });
  }

  /** The proxy's "outside co-browsing" page says so: the widget never returns there. */
  private outside(): { outside?: true } {
    return this.ctx.cfg.outside ? { outside: true } : {};
  }

  private href(): string {
    return this.ctx.map.toUpstream(this.ctx.win.location.href);
  }

  private post(message: FrameMessage): void {
    try {
      this.parent.postMessage(message, this.ctx.cfg.parentOrigin);
    } catch {
      if (message.type !== 'events') return;
      try {
        // Something in the batch is not cloneable: send its JSON form.
        this.parent.postMessage(JSON.parse(JSON.stringify(message)), this.ctx.cfg.parentOrigin);
      } catch {
        /* dropped; the widget asks for a snapshot if the agent's view breaks */
      }
    }
  }

  apply(message: TopMessage): void {
    switch (message.type) {
      case 'record': {
        this.stop();
        const id = message.id;
        this.id = id;
        const recorder = new Recorder(
          this.ctx.cfg.masking,
          (batch) => {
            if (this.recorder !== recorder) return;
            this.post({
            cobrowse: 1,
            type: 'events',
            id,
              events: upstreamMeta(batch, (u) => this.ctx.map.toUpstream(u)),
            });
          },
          this.ctx.win,
        );
        this.recorder = recorder;
        this.ctx.gate.recording(() => recorder.start(), this.ctx.win);
        return;
      }
      case 'snapshot':
        this.ctx.gate.run(() => this.recorder?.snapshot());
        return;
      case 'stop':
        this.stop();
        return;
      case 'collect': {
        // Never a masked field, nor one whose value a pattern would mask (formstate.ts).
        const masker = this.recorder?.masker() ?? maskerFor(this.ctx.cfg.masking, this.ctx.win);
        const fields = collectFields(this.ctx.win.document, (el) => masker.masked(el) || masker.holdsPattern(el));
        this.post({ cobrowse: 1, type: 'form_state', href: this.href(), fields });
        return;
      }
      case 'guide': {
        const g = message.guide;
        this.guideLayer().apply(g.kind, g.target, g.points, g.name, g.label);
        return;
      }
      case 'act': {
        const { cfg, map, win } = this.ctx;
        const outcome = applyAct(win as Win, message.act, (id) => this.recorder?.node(id) ?? null, {
          mask: cfg.selectors.length ? cfg.selectors : FALLBACK_MASK_SELECTORS,
          masker: this.recorder?.masker() ?? maskerFor(cfg.masking, win),
          refuse: message.refuse,
          mapUrl: (url) => map.toProxy(url),
        });
        if (outcome.element) this.guideLayer().flash(outcome.element);
        // A file input: only the visitor can choose the file; show them where.
        if (outcome.reason === 'file_input' && outcome.element) this.guideLayer().highlightElement(outcome.element);
        this.post({
          cobrowse: 1,
          type: 'act_result',
          ref: message.act.ref,
          ok: outcome.ok,
          reason: outcome.reason,
          label: outcome.label,
          description: outcome.description,
        });
        return;
      }
    }
  }

  stop(): void {
    const recorder = this.recorder;
    this.recorder = null;
    this.id = 0;
    recorder?.stop();
  }
}
