/**
 * Element-relative geometry shared by the console (mirror → target) and the visitor
 * side (target → the visitor's viewport). Pure.
 */
import type { Point, Target } from '../protocol';

export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const clamp01 = (n: number): number => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);
const round = (n: number): number => Math.round(n * 10000) / 10000;

/** A viewport point as a fraction of `box` (not clamped: a stroke may leave its anchor). */
export function relative(box: Box, x: number, y: number): Point {
  const rx = box.width > 0 ? (x - box.left) / box.width : 0;
  const ry = box.height > 0 ? (y - box.top) / box.height : 0;
  return [round(rx), round(ry)];
}

/** The target for element `id` under the viewport point (x, y): x and y clamped to 0..1. */
export function targetAt(id: number, box: Box, x: number, y: number): Target {
  const [rx, ry] = relative(box, x, y);
  return { id, x: clamp01(rx), y: clamp01(ry) };
}

/** A fraction of `box` back to a viewport point. */
export function absolute(box: Box, rx: number, ry: number): { x: number; y: number } {
  return { x: box.left + rx * box.width, y: box.top + ry * box.height };
}

/** A point in the (scaled) mirror's coordinates → the visitor's viewport coordinates. */
export function unscale(x: number, y: number, scale: number): { x: number; y: number } {
  const s = scale > 0 && Number.isFinite(scale) ? scale : 1;
  return { x: x / s, y: y / s };
}

/** Let through at most one call per `interval` ms, always delivering the latest value. */
export class Throttle<T> {
  private last = -Infinity;
  private pending: T | undefined;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly interval: number,
    private readonly send: (value: T) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  push(value: T): void {
    const wait = this.last + this.interval - this.now();
    if (wait <= 0 && this.timer === null) {
      this.last = this.now();
      this.send(value);
      return;
    }
    this.pending = value;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, wait));
    }
  }

  /** Send the pending value now (if any). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === undefined) return;
    const value = this.pending;
    this.pending = undefined;
    this.last = this.now();
    this.send(value);
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = undefined;
  }
}
