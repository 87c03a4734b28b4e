/** Scale-to-fit for the mirror: the visitor's viewport inside the agent's area. Pure. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface Fit {
  /** CSS scale applied to the mirror (never above `maxScale`). */
  readonly scale: number;
  /** The scaled size of the mirror in CSS pixels. */
  readonly width: number;
  readonly height: number;
}

export function fitInto(viewport: Size, area: Size, maxScale = 1): Fit {
  if (viewport.width <= 0 || viewport.height <= 0 || area.width <= 0 || area.height <= 0) {
    return { scale: 1, width: Math.max(0, viewport.width), height: Math.max(0, viewport.height) };
  }
  const scale = Math.min(area.width / viewport.width, area.height / viewport.height, maxScale);
  return {
    scale,
    width: Math.floor(viewport.width * scale),
    height: Math.floor(viewport.height * scale),
  };
}

/**
 * How the agent views the mirror: the whole page fits (never enlarged), the page's
 * width fills the area (up to MAX_ZOOM; the area scrolls down), or a set percentage.
 */
export type Zoom =
  | { readonly kind: 'page' }
  | { readonly kind: 'width' }
  | { readonly kind: 'percent'; readonly percent: number };

export const FIT_PAGE: Zoom = { kind: 'page' };
export const FIT_WIDTH: Zoom = { kind: 'width' };
/** The percentages Zoom in and Zoom out step through. */
export const ZOOM_STEPS: readonly number[] = [25, 33, 50, 67, 75, 80, 90, 100, 110, 125, 150, 175, 200];
export const MIN_ZOOM = ZOOM_STEPS[0]!;
export const MAX_ZOOM = ZOOM_STEPS[ZOOM_STEPS.length - 1]!;

/** The mirror's scale and size for `zoom`. Pure. */
export function scaleFor(zoom: Zoom, viewport: Size, area: Size): Fit {
  if (zoom.kind === 'page') return fitInto(viewport, area);
  if (viewport.width <= 0 || viewport.height <= 0) return fitInto(viewport, area);
  const scale =
    zoom.kind === 'width'
      ? area.width > 0
        ? Math.min(area.width / viewport.width, MAX_ZOOM / 100)
        : 1
      : zoom.percent / 100;
  return { scale, width: Math.floor(viewport.width * scale), height: Math.floor(viewport.height * scale) };
}

/** A scale as the percentage shown ("77%"). Pure. */
export function percentOf(scale: number): number {
  return Math.round(scale * 100);
}

/** Zoom in (+1) or out (-1) from the current scale: the next step beyond it. Pure. */
export function stepZoom(scale: number, direction: 1 | -1): Zoom {
  const now = percentOf(scale);
  const next =
    direction > 0 ? (ZOOM_STEPS.find((p) => p > now) ?? MAX_ZOOM) : ([...ZOOM_STEPS].reverse().find((p) => p < now) ?? MIN_ZOOM);
  return { kind: 'percent', percent: next };
}

/** A stored zoom, checked ("page", "width" or a percentage in range); null if not one. Pure. */
export function decodeZoom(value: unknown): Zoom | null {
  if (value === 'page') return FIT_PAGE;
  if (value === 'width') return FIT_WIDTH;
  if (typeof value === 'number' && Number.isFinite(value) && value >= MIN_ZOOM && value <= MAX_ZOOM) {
    return { kind: 'percent', percent: Math.round(value) };
  }
  return null;
}

export function encodeZoom(zoom: Zoom): string | number {
  return zoom.kind === 'percent' ? zoom.percent : zoom.kind;
}
