/**
 * The agent's Laser and Draw strokes: drawn at once over the mirror (local marks), and
 * streamed to the visitor in chunks, each point relative to the element the stroke
 * started on, so it lands on the same spot whatever the visitor's viewport.
 */
import { type ClientMessage, type Point, type Target, guide } from '../protocol';
import { relative } from '../guidance/geometry';

/** Strokes are streamed in chunks this often. */
export const STROKE_INTERVAL_MS = 50;
const MAX_CHUNK = 400;
const LOCAL_LASER_MS = 3000;

/** Split a stroke into chunks, each starting where the previous one ended. Pure. */
export function chunkStroke(points: readonly Point[], size = MAX_CHUNK): Point[][] {
  const out: Point[][] = [];
  for (let i = 0; i < points.length; i += size - 1) {
    out.push(points.slice(i, i + size) as Point[]);
    if (i + size >= points.length) break;
  }
  return out;
}

interface Stroke {
  readonly kind: 'laser' | 'draw';
  readonly target: Target;
  readonly box: DOMRect;
  readonly points: Point[];
  sent: number;
  readonly local: SVGPolylineElement;
  readonly localPoints: string[];
}

export class Strokes {
  private stroke: Stroke | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly doc: Document,
    private readonly send: (message: ClientMessage) => boolean,
    /** Where the local marks go (the capture layer's SVG), if there is a mirror. */
    private readonly svg: () => SVGSVGElement | null,
    /** The mirror's scale (visitor pixels → agent pixels). */
    private readonly scale: () => number,
  ) {}

  /** Whether a stroke is being drawn. */
  get active(): boolean {
    return this.stroke !== null;
  }

  start(kind: 'laser' | 'draw', target: Target, box: DOMRect, x: number, y: number): void {
    this.end();
    const local = this.doc.createElementNS('http://www.w3.org/2000/svg', 'polyline') as SVGPolylineElement;
    local.setAttribute('class', kind === 'laser' ? 'local-laser' : 'local-draw');
    this.svg()?.append(local);
    this.stroke = { kind, target, box, points: [], sent: 0, local, localPoints: [] };
    this.add(x, y);
    this.timer = setInterval(() => this.flush(), STROKE_INTERVAL_MS);
  }

  /** A point of the stroke, in the visitor's viewport coordinates. */
  add(x: number, y: number): void {
    const s = this.stroke;
    if (!s) return;
    s.points.push(relative(s.box, x, y));
    const scale = this.scale();
    s.localPoints.push(`${(x * scale).toFixed(1)},${(y * scale).toFixed(1)}`);
    s.local.setAttribute('points', s.localPoints.join(' '));
    if (s.points.length - s.sent >= MAX_CHUNK) this.flush();
  }

  /** The stroke is done: send what is left; a laser's local mark fades. */
  end(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const s = this.stroke;
    if (!s) return;
    this.flush();
    this.stroke = null;
    if (s.kind === 'laser') {
      s.local.classList.add('fading');
      setTimeout(() => s.local.remove(), LOCAL_LASER_MS);
    }
  }

  private flush(): void {
    const s = this.stroke;
    if (!s) return;
    // Each chunk starts at the last point already sent, so the visitor sees one line.
    const from = Math.max(0, s.sent - 1);
    if (s.points.length - from < 2 && !(s.sent === 0 && s.points.length === 1)) return;
    const chunk = s.points.slice(from);
    if (chunk.length === 0) return;
    this.send(guide(s.kind, s.target, chunk));
    s.sent = s.points.length;
  }
}
