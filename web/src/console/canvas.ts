/**
 * The visitor's canvases in the mirror. The mirror runs no script (sandboxed without
 * allow-scripts), and a browser shows a canvas in such a document as its fallback
 * content, never its bitmap: drawing into it would show nothing, and an empty canvas
 * would lose its size. So the mirror shows each canvas as a replaced element through
 * CSS `content: url(...)`: the latest frame the visitor's browser sent (an rrweb
 * CanvasMutation event that draws one image, ../widget/canvas.ts), or, before any
 * frame, a transparent image of the canvas's own size (its `width` and `height`,
 * defaults 300 × 150), so the page's CSS sizes it as it sizes the visitor's canvas.
 * rrweb's own canvas replay (UNSAFE_replayCanvas) would need the mirror to run scripts.
 */
import { frameOf } from '../widget/canvas';

/** The image each mirror canvas shows now (kept across style changes rrweb applies). */
const shown = new WeakMap<Element, string>();

function isCanvas(node: unknown): node is HTMLElement {
  const el = node as Element | null;
  return !!el && el.nodeType === 1 && el.tagName.toLowerCase() === 'canvas';
}

function size(value: string | null, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n >= 0 && n <= 65535 ? n : fallback;
}

/** A transparent image of the canvas's size (pure). */
export function emptyImage(width: number, height: number): string {
  return `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='${width}' height='${height}'/%3E`;
}

function show(canvas: HTMLElement, src: string): void {
  try {
    canvas.style.setProperty('content', `url("${src.replace(/["\\\n]/g, '')}")`, 'important');
  } catch {
    /* leave the canvas as it is */
  }
}

/** Show `canvas` (just built, or its attributes changed) with its frame, or empty at its size. */
export function showCanvas(node: unknown): void {
  if (!isCanvas(node)) return;
  const src = shown.get(node);
  show(node, src ?? emptyImage(size(node.getAttribute('width'), 300), size(node.getAttribute('height'), 150)));
}

/** Show the frame `event` carries in `canvas` (a canvas of the mirror). Never throws. */
export function drawFrame(canvas: unknown, event: unknown): void {
  const frame = frameOf(event);
  if (!frame || !isCanvas(canvas)) return;
  shown.set(canvas, frame.src);
  show(canvas, frame.src);
}

/** A mutation event's attribute changes: the ids of the nodes they touch (pure). */
export function attributeTargets(event: unknown): number[] {
  const e = event as { type?: unknown; data?: { source?: unknown; attributes?: unknown } };
  if (e?.type !== 3 || e.data?.source !== 0 || !Array.isArray(e.data.attributes)) return [];
  return (e.data.attributes as Array<{ id?: unknown }>).map((a) => a?.id).filter((id): id is number => typeof id === 'number');
}
