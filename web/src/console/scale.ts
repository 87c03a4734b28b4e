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
