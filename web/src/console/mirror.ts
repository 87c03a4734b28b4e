/**
 * The live mirror: rrweb's Replayer in live mode inside a sandboxed iframe that runs
 * no page script (rrweb 2.2.2 forces `sandbox="allow-same-origin"` unless
 * UNSAFE_replayCanvas is set, which we never do), scaled to fit its area. The
 * visitor's canvases are shown by the mask plugin (./canvas.ts).
 */
import { type ReplayPlugin, Replayer } from 'rrweb';
import type { RecordedEvent } from '../protocol';
import {
  EVENT_FULL_SNAPSHOT,
  type PageInfo,
  isReplayed,
  isStartPoint,
  nextPageInfo,
  syntheticMeta,
} from './events';
import { Restamper, monotonicNow } from './restamp';
import { FIT_PAGE, type Zoom, scaleFor } from './scale';
import { attr, t } from './i18n';
import { attributeTargets, drawFrame, showCanvas } from './canvas';
import { DEFAULT_FOCUS_RULE, FOCUS_ATTRIBUTE, copyFocusRules } from './focus';

type ReplayEvent = Parameters<Replayer['addEvent']>[0];

/** Marks masked (blocked) elements in the rebuilt DOM. */
export const MASKED_ATTRIBUTE = 'data-cobrowse-masked';

/** Injected into the mirror document: masked elements look like hidden placeholders. */
export const MASK_RULES = [
  `[${MASKED_ATTRIBUTE}] { background: repeating-linear-gradient(135deg, #cfd5dd 0 6px, #e8ebef 6px 12px) !important; ` +
    'color: transparent !important; -webkit-text-fill-color: transparent !important; ' +
    'border-color: #8a94a3 !important; outline: 1px dashed #5f6b7a !important; outline-offset: -1px; ' +
    'box-shadow: none !important; caret-color: transparent !important; }',
  `[${MASKED_ATTRIBUTE}]::placeholder { color: transparent !important; }`,
  // The visitor's own widget is recorded as an empty box; leave it out of the mirror.
  'cobrowse-widget { display: none !important; }',
  // The visitor's focus (rrweb replays it as an interaction; the mirror never takes focus):
  // the browser's ring unless the page draws its own (./focus.ts).
  DEFAULT_FOCUS_RULE,
  // The visitor's text selection: the mirror never has focus, so make it stand out.
  '::selection { background: rgba(242, 183, 5, 0.6) !important; color: inherit !important; }',
];

export { FOCUS_ATTRIBUTE };
/** rrweb's MouseInteractions: Focus and Blur. */
const CLICK = 2;
const FOCUS = 5;
const BLUR = 6;
/** A ripple where the visitor clicked, shown this long (ms). */
export const CLICK_MARK_MS = 2000;

/**
 * rrweb records a blocked element as `{class, rr_width, rr_height}` and rebuilds it
 * as an empty element of that size; the serialized node stays in the replayer's
 * mirror, so `rr_width` in its attributes tells us it was masked.
 */
export const maskPlugin: ReplayPlugin = {
  onBuild(node, { replayer }) {
    // The node lives in the mirror iframe's realm: no `instanceof` across realms.
    const element = node as Element;
    if (element.nodeType !== 1 || typeof element.setAttribute !== 'function') return;
    // Inline event handlers never run in the mirror (it runs no script) and a replayed
    // mouse-down/up on them logs "Blocked script execution": drop them.
    for (const name of element.getAttributeNames()) {
      if (name.startsWith('on')) element.removeAttribute(name);
    }
    const meta = replayer.getMirror().getMeta(element);
    if (meta && meta.type === 2 && 'rr_width' in meta.attributes) {
      element.setAttribute(MASKED_ATTRIBUTE, '');
      element.setAttribute('title', t('maskedTitle'));
    }
    if (isFileInput(element)) showFileName(element, element.getAttribute('value') ?? '');
    showCanvas(element);
  },
  // rrweb replays a file input's value ("C:\fakepath\name.pdf") by setting `.value`,
  // which browsers refuse: show the file's name instead.
  handler(event, _isSync, { replayer }) {
    const e = event as { type: number; data?: { source?: number; id?: number; text?: unknown } };
    if (e.type === INCREMENTAL && e.data?.source === CANVAS_SOURCE && typeof e.data.id === 'number') {
      drawFrame(replayer.getMirror().getNode(e.data.id), event);
      return;
    }
    // rrweb rewrote a canvas's style or size: show its frame again.
    for (const id of attributeTargets(event)) showCanvas(replayer.getMirror().getNode(id));
    if (e.type !== INCREMENTAL || e.data?.source !== INPUT_SOURCE || typeof e.data.id !== 'number') return;
    const node = replayer.getMirror().getNode(e.data.id) as Element | null;
    if (node && isFileInput(node)) showFileName(node, typeof e.data.text === 'string' ? e.data.text : '');
  },
};

/** Marks a file input of the mirror that shows the name of the file the visitor chose. */
export const FILE_ATTRIBUTE = 'data-cobrowse-file';
const INCREMENTAL = 3;
const INPUT_SOURCE = 5;
/** rrweb's IncrementalSource.CanvasMutation: a frame of a visitor's canvas (./canvas.ts). */
const CANVAS_SOURCE = 9;

function isFileInput(el: Element): boolean {
  return (
    el.nodeType === 1 &&
    el.tagName.toLowerCase() === 'input' &&
    ((el.getAttribute('type') ?? '').toLowerCase() === 'file' || el.hasAttribute(FILE_ATTRIBUTE))
  );
}

/** The file's name from a file input's value ("C:\\fakepath\\Form16.pdf" → "Form16.pdf"). Pure. */
export function fileNameOf(value: string): string {
  return value.split(/[\\/]/).pop() ?? '';
}

/** Show `value`'s file name in a mirror's file input (a read-only text box), or the empty input. */
function showFileName(el: Element, value: string): void {
  const input = el as HTMLInputElement;
  const name = fileNameOf(value);
  try {
    if (!name) {
      if (!input.hasAttribute(FILE_ATTRIBUTE)) return;
      input.removeAttribute(FILE_ATTRIBUTE);
      input.removeAttribute('readonly');
      input.removeAttribute('value');
      input.setAttribute('type', 'file');
      return;
    }
    input.setAttribute(FILE_ATTRIBUTE, name);
    input.setAttribute('type', 'text');
    input.setAttribute('readonly', '');
    input.setAttribute('title', t('fileChosen', { name }));
    input.setAttribute('value', name);
    input.value = name;
  } catch {
    /* leave the mirror as rrweb built it */
  }
}

export class LiveMirror {
  private replayer: Replayer | null = null;
  private readonly restamper = new Restamper(monotonicNow);
  private info: PageInfo = { href: null, viewport: null };
  private readonly resizeObserver: ResizeObserver;
  private scale = 1;
  private zoom: Zoom = FIT_PAGE;
  private gen = 0;
  /** Called with the mirror's scale whenever it changes (the zoom percentage shown). */
  onScale: ((scale: number) => void) | null = null;
  private focused: Element | null = null;
  /** After a fresh start of the stream: increments wait for a new Meta or FullSnapshot. */
  private awaitingStart = false;
  /** A transparent layer over the mirror that takes the agent's pointer, wheel and keys. */
  readonly layer: HTMLDivElement;

  /**
   * @param area the element whose size the mirror fits into
   * @param stage an empty element inside `area` that holds the replayer
   * @param onPage called when the visitor's URL or viewport changes
   */
  constructor(
    private readonly area: HTMLElement,
    private readonly stage: HTMLElement,
    private readonly onPage: (info: PageInfo) => void,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(area);
    this.layer = document.createElement('div');
    this.layer.className = 'mirror-capture';
    this.layer.tabIndex = 0;
    this.layer.setAttribute('role', 'application');
    attr(this.layer, 'aria-label', 'mirrorApp');
  }

  /** How the mirror is scaled: fit the page, fit its width, or a percentage. */
  setZoom(zoom: Zoom): void {
    this.zoom = zoom;
    this.fit();
  }

  /** Bumped each time the page is rebuilt from a snapshot (a new page, or a restart). */
  get generation(): number {
    return this.gen;
  }

  /** The mirror's element with this rrweb id, or null. */
  elementOf(id: number): Element | null {
    const node = this.replayer?.getMirror().getNode(id) ?? null;
    return node && node.nodeType === 1 ? (node as Element) : null;
  }

  get currentScale(): number {
    return this.scale;
  }

  /** The mirror's document (the visitor's page as rebuilt), or null before the first snapshot. */
  get document(): Document | null {
    const iframe = this.stage.querySelector('iframe');
    return iframe?.contentDocument ?? null;
  }

  /** The rrweb node id of a node in the mirror (-1 if it has none). */
  idOf(node: Node): number {
    return this.replayer ? this.replayer.getMirror().getId(node) : -1;
  }

  /**
   * The element under a point of the agent's screen: its rrweb id and its box, both in
   * the visitor's viewport coordinates (the mirror's scale-to-fit undone).
   */
  pick(clientX: number, clientY: number): { id: number; element: Element; x: number; y: number; box: DOMRect } | null {
    const doc = this.document;
    if (!doc || !this.replayer) return null;
    const rect = this.stage.getBoundingClientRect();
    const x = (clientX - rect.left) / this.scale;
    const y = (clientY - rect.top) / this.scale;
    let el: Element | null = deepest(doc.elementFromPoint(x, y), x, y);
    while (el && this.idOf(el) < 0) el = parentAcrossShadow(el);
    if (!el) el = doc.documentElement;
    const id = this.idOf(el);
    if (id < 0) return null;
    return { id, element: el, x, y, box: el.getBoundingClientRect() };
  }

  /** The element the visitor's focus is on in the mirror (rrweb id, element, box), or null. */
  get visitorFocus(): { id: number; element: Element; box: DOMRect } | null {
    const el = this.focused;
    if (!el || !el.isConnected) return null;
    const id = this.idOf(el);
    return id < 0 ? null : { id, element: el, box: el.getBoundingClientRect() };
  }

  get started(): boolean {
    return this.replayer !== null;
  }

  /** Whether the mirror shows the page as the stream has it (started, not waiting for a restart). */
  get live(): boolean {
    return this.replayer !== null && !this.awaitingStart;
  }

  /**
   * The stream starts afresh (a reconnect the server could not resume): the events
   * that follow do not continue what this mirror has. Keep showing it until the next
   * Meta or FullSnapshot (the history starts with one), which rebuilds the page in the
   * same replayer, as a page load of the visitor's does; drop increments until then.
   */
  restart(): void {
    if (this.replayer) this.awaitingStart = true;
  }

  add(batch: readonly RecordedEvent[]): void {
    const before = this.info;
    for (const event of batch) {
      this.info = nextPageInfo(this.info, event);
      if (!isReplayed(event)) continue;
      if (!this.replayer || this.awaitingStart) {
        if (!isStartPoint(event)) continue; // nothing to apply increments to yet
        if (!this.replayer) this.start();
        this.awaitingStart = false;
        if (event.type === EVENT_FULL_SNAPSHOT) this.feed(syntheticMeta(this.info, event.timestamp));
      }
      if (isStartPoint(event)) this.gen += 1;
      this.feed(event);
    }
    if (this.info !== before) {
      this.fit();
      this.onPage(this.info);
    }
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    const replayer = this.replayer;
    this.replayer = null;
    if (replayer) {
      try {
        replayer.destroy();
      } catch {
        /* already gone */
      }
    }
    this.stage.replaceChildren();
    this.stage.removeAttribute('style');
  }

  private start(): void {
    const replayer = new Replayer([], {
      root: this.stage,
      liveMode: true,
      mouseTail: false,
      UNSAFE_replayCanvas: false,
      useVirtualDom: false,
      triggerFocus: false,
      pauseAnimation: true,
      showWarning: false,
      showDebug: false,
      insertStyleRules: MASK_RULES,
      plugins: [maskPlugin],
    });
    // The mirror's frame needs a name of its own (axe: frame-title).
    attr(replayer.iframe, 'title', 'mirrorFrame');
    replayer.startLive(this.restamper.start());
    replayer.on('mouse-interaction', (payload) => {
      const { type, target } = payload as { type: number; target: Element };
      if (type === CLICK) {
        this.markClick(replayer);
      } else if (type === FOCUS && target && target.nodeType === 1) {
        this.focused?.removeAttribute(FOCUS_ATTRIBUTE);
        this.focused = target;
        copyFocusRules(target.ownerDocument);
        target.setAttribute(FOCUS_ATTRIBUTE, '');
      } else if (type === BLUR && target === this.focused) {
        this.focused?.removeAttribute(FOCUS_ATTRIBUTE);
        this.focused = null;
      }
    });
    const cursor = replayer.wrapper.querySelector('.replayer-mouse');
    cursor?.setAttribute('role', 'img');
    if (cursor) attr(cursor, 'aria-label', 'visitorPointer');
    this.replayer = replayer;
    this.stage.append(this.layer);
  }

  /** A fading ring at the visitor's pointer (rrweb moved it to the click's point first). */
  private markClick(replayer: Replayer): void {
    const cursor = replayer.wrapper.querySelector<HTMLElement>('.replayer-mouse');
    if (!cursor) return;
    const mark = document.createElement('div');
    mark.className = 'visitor-click';
    mark.setAttribute('aria-hidden', 'true');
    mark.style.left = cursor.style.left;
    mark.style.top = cursor.style.top;
    replayer.wrapper.append(mark);
    setTimeout(() => mark.remove(), CLICK_MARK_MS);
  }

  private feed(event: RecordedEvent): void {
    this.replayer?.addEvent(this.restamper.stamp(event) as unknown as ReplayEvent);
  }

  /** Scale the replayer's wrapper for the zoom (by default the visitor's viewport fits the area). */
  private fit(): void {
    const viewport = this.info.viewport;
    const wrapper = this.stage.firstElementChild as HTMLElement | null;
    if (!viewport || !wrapper) return;
    const style = getComputedStyle(this.area);
    const padX = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) || 0;
    const padY = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) || 0;
    // The area's size without its scrollbar (a zoomed mirror scrolls in it).
    const fit = scaleFor(this.zoom, viewport, {
      width: this.area.clientWidth - padX,
      height: this.area.clientHeight - padY,
    });
    this.scale = fit.scale;
    wrapper.style.transform = `scale(${fit.scale})`;
    wrapper.style.transformOrigin = '0 0';
    this.stage.style.width = `${fit.width}px`;
    this.stage.style.height = `${fit.height}px`;
    this.onScale?.(fit.scale);
  }

  /** The current scale (for the zoom display), or null before the mirror has a page. */
  get shownScale(): number | null {
    return this.info.viewport && this.replayer ? this.scale : null;
  }
}

/**
 * The element under (x, y) inside open shadow roots: document.elementFromPoint stops at
 * a shadow host, and a shadow root's own elementFromPoint retargets slotted text back to
 * the host, so take the first element of the root's hit list that lies in that root.
 */
export function deepest(el: Element | null, x: number, y: number): Element | null {
  let current = el;
  for (let depth = 0; current?.shadowRoot && depth < 32; depth++) {
    const root = current.shadowRoot;
    const inner = root.elementsFromPoint(x, y).find((e) => e !== current && e.getRootNode() === root);
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** The parent element, stepping out of a shadow root to its host. */
function parentAcrossShadow(el: Element): Element | null {
  if (el.parentElement) return el.parentElement;
  const root = el.getRootNode() as Partial<ShadowRoot>; // another realm: no instanceof
  return root.host ?? null;
}
