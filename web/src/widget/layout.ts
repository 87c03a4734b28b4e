/**
 * Where the widget's pieces go on the visitor's screen. Pure geometry, no DOM:
 * the session bar's place (a preset corner or edge, or where the visitor dragged it),
 * whether it is minimised (kept per tab in sessionStorage), and where a panel (chat,
 * control request, file offer) goes so that it covers neither the field the visitor is
 * working in nor the bar.
 */

/** The bar's preset places, in the order the "Move bar" button cycles through them. */
export const PRESETS = ['bottom', 'bottom-left', 'top-left', 'top', 'top-right', 'bottom-right'] as const;
export type Preset = (typeof PRESETS)[number];

/** A free place: the bar's top-left corner in CSS pixels of the viewport. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface BarLayout {
  readonly place: Preset | Point;
  readonly minimised: boolean;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface Rect extends Size {
  readonly left: number;
  readonly top: number;
}

export const DEFAULT_LAYOUT: BarLayout = { place: 'bottom', minimised: false };

/** The sessionStorage key of the bar's layout. */
export const LAYOUT_KEY = 'cobrowse:bar';

/** Distance kept from the viewport's edges. */
export const EDGE = 16;

const MAX_COORD = 100_000;

function isPreset(value: unknown): value is Preset {
  return typeof value === 'string' && (PRESETS as readonly string[]).includes(value);
}

function isCoord(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_COORD;
}

/** Stored text → a layout; anything malformed is the default. */
export function parseLayout(text: string | null): BarLayout {
  if (!text) return DEFAULT_LAYOUT;
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return DEFAULT_LAYOUT;
  }
  if (typeof obj !== 'object' || obj === null) return DEFAULT_LAYOUT;
  const o = obj as Record<string, unknown>;
  const minimised = o.minimised === true;
  if (isPreset(o.place)) return { place: o.place, minimised };
  const p = o.place as Record<string, unknown> | null;
  if (typeof p === 'object' && p !== null && isCoord(p.x) && isCoord(p.y)) {
    return { place: { x: Math.round(p.x), y: Math.round(p.y) }, minimised };
  }
  return { place: DEFAULT_LAYOUT.place, minimised };
}

export function serializeLayout(layout: BarLayout): string {
  return JSON.stringify({ place: layout.place, minimised: layout.minimised });
}

/** The next preset after `place` (a dragged bar goes back to the first one). */
export function nextPreset(place: Preset | Point): Preset {
  if (!isPreset(place)) return PRESETS[0];
  return PRESETS[(PRESETS.indexOf(place) + 1) % PRESETS.length]!;
}

/** Keep a box of `size` at `point` inside the viewport (its top-left corner wins when too big). */
export function clampPoint(point: Point, viewport: Size, size: Size, edge = EDGE / 2): Point {
  const maxX = Math.max(edge, viewport.width - size.width - edge);
  const maxY = Math.max(edge, viewport.height - size.height - edge);
  return {
    x: Math.round(Math.min(Math.max(point.x, edge), maxX)),
    y: Math.round(Math.min(Math.max(point.y, edge), maxY)),
  };
}

/** The top-left corner of the bar for `place`. */
export function barPosition(place: Preset | Point, viewport: Size, size: Size): Point {
  if (!isPreset(place)) return clampPoint(place, viewport, size);
  const left = EDGE;
  const centre = (viewport.width - size.width) / 2;
  const right = viewport.width - size.width - EDGE;
  const top = EDGE;
  const bottom = viewport.height - size.height - EDGE;
  const at: Record<Preset, Point> = {
    bottom: { x: centre, y: bottom },
    'bottom-left': { x: left, y: bottom },
    'top-left': { x: left, y: top },
    top: { x: centre, y: top },
    'top-right': { x: right, y: top },
    'bottom-right': { x: right, y: bottom },
  };
  return clampPoint(at[place], viewport, size);
}

/** The area two rectangles share (0 if they do not meet). */
export function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Where a panel goes; `maxHeight` when it must be shorter than it wants to keep off the field. */
export interface PanelPlace extends Point {
  readonly maxHeight?: number;
}

/** A panel never gets shorter than this to keep off the field. */
export const MIN_PANEL_HEIGHT = 160;

/** How much worse covering the visitor's field is than covering the bar. */
const FIELD_WEIGHT = 1000;
/** The gap kept around the field the visitor is working in. */
const FIELD_GAP = 8;

/**
 * Where a panel of `size` goes: the first candidate place that covers neither `field`
 * (the element the visitor is working in, with a small gap around it) nor `bar`; failing
 * that, the one covering the least of the field, then of the bar. Candidates: the
 * corners and edge centres, then just above and just below the field.
 */
export function placePanel(viewport: Size, size: Size, field: Rect | null, bar: Rect | null): PanelPlace {
  const w = Math.min(size.width, viewport.width);
  const h = Math.min(size.height, viewport.height);
  const left = EDGE;
  const centre = (viewport.width - w) / 2;
  const right = viewport.width - w - EDGE;
  const bottom = viewport.height - h - EDGE;
  // Above the bar when it is at the bottom, below it when it is at the top.
  const barGap = bar ? bar.height + EDGE : 0;
  const candidates: Point[] = [
    { x: right, y: bottom - (bar && bar.top > viewport.height / 2 ? barGap : 0) },
    { x: left, y: bottom - (bar && bar.top > viewport.height / 2 ? barGap : 0) },
    { x: right, y: EDGE + (bar && bar.top <= viewport.height / 2 ? barGap : 0) },
    { x: left, y: EDGE + (bar && bar.top <= viewport.height / 2 ? barGap : 0) },
    { x: right, y: bottom },
    { x: left, y: bottom },
    { x: right, y: EDGE },
    { x: left, y: EDGE },
    { x: centre, y: bottom },
    { x: centre, y: EDGE },
  ];
  const guard = field
    ? {
        left: field.left - FIELD_GAP,
        top: field.top - FIELD_GAP,
        width: field.width + 2 * FIELD_GAP,
        height: field.height + 2 * FIELD_GAP,
      }
    : null;
  if (guard) {
    candidates.push({ x: right, y: guard.top - h }, { x: right, y: guard.top + guard.height });
  }
  let best: Point | null = null;
  let bestScore = Infinity;
  for (const c of candidates) {
    const p = clampPoint(c, viewport, { width: w, height: h });
    const box = { left: p.x, top: p.y, width: w, height: h };
    const score = (guard ? overlap(box, guard) * FIELD_WEIGHT : 0) + (bar ? overlap(box, bar) : 0);
    if (score === 0) return p;
    if (score < bestScore) {
      best = p;
      bestScore = score;
    }
  }
  if (guard && best && overlap({ left: best.x, top: best.y, width: w, height: h }, guard) > 0) {
    // Too tall for the room above or below the field: shorter, in the larger of the two
    // (and never over the bar either: it holds Stop).
    const fieldBottom = guard.top + guard.height;
    const barTop = bar ? bar.top - EDGE / 2 : Infinity;
    const barBottom = bar ? bar.top + bar.height + EDGE / 2 : -Infinity;
    const aboveTop = bar && barBottom <= guard.top ? barBottom : EDGE;
    const belowEnd = bar && barTop >= fieldBottom ? barTop : viewport.height - EDGE;
    const above = guard.top - aboveTop;
    const below = belowEnd - fieldBottom;
    const x = clampPoint({ x: right, y: 0 }, viewport, { width: w, height: 0 }).x;
    if (Math.max(above, below) >= MIN_PANEL_HEIGHT) {
      return above >= below
        ? { x, y: Math.ceil(aboveTop), maxHeight: Math.floor(above) }
        : { x, y: Math.ceil(fieldBottom), maxHeight: Math.floor(below) };
    }
  }
  return best ?? { x: EDGE, y: EDGE };
}

/** `text` cut to at most `max` characters, at a word boundary when there is one, with "…". */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, Math.max(1, max - 1));
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
