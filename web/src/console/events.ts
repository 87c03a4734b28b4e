/** rrweb event envelopes the console looks into (numbers from rrweb's EventType). Pure. */
import type { RecordedEvent } from '../protocol';
import type { Size } from './scale';

const MOUSE_DOWN = 0;
const MOUSE_UP = 1;
export const EVENT_FULL_SNAPSHOT = 2;
export const EVENT_INCREMENTAL = 3;
export const EVENT_META = 4;
export const SOURCE_MOUSE_INTERACTION = 2;
export const SOURCE_VIEWPORT_RESIZE = 4;

export interface PageInfo {
  readonly href: string | null;
  readonly viewport: Size | null;
}

function data(event: RecordedEvent): Record<string, unknown> | null {
  const d = event.data;
  return typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : null;
}

function size(d: Record<string, unknown>): Size | null {
  const { width, height } = d;
  return typeof width === 'number' && typeof height === 'number' && width > 0 && height > 0
    ? { width, height }
    : null;
}

/** The page info after `event`: Meta gives href and viewport, ViewportResize the viewport. */
export function nextPageInfo(info: PageInfo, event: RecordedEvent): PageInfo {
  const d = data(event);
  if (!d) return info;
  if (event.type === EVENT_META) {
    return {
      href: typeof d.href === 'string' ? d.href : info.href,
      viewport: size(d) ?? info.viewport,
    };
  }
  if (event.type === EVENT_INCREMENTAL && d.source === SOURCE_VIEWPORT_RESIZE) {
    return { href: info.href, viewport: size(d) ?? info.viewport };
  }
  return info;
}

/** Whether the replayer can start at `event` (a Meta, or a FullSnapshot). */
export function isStartPoint(event: RecordedEvent): boolean {
  return event.type === EVENT_META || event.type === EVENT_FULL_SNAPSHOT;
}

/** A Meta event to put before a FullSnapshot that arrived without one. */
export function syntheticMeta(info: PageInfo, timestamp: number): RecordedEvent {
  const viewport = info.viewport ?? { width: 1280, height: 720 };
  return {
    type: EVENT_META,
    timestamp,
    data: { href: info.href ?? '', width: viewport.width, height: viewport.height },
  };
}

/**
 * Whether the mirror should replay `event`. rrweb replays mouse-down/up by calling
 * `dispatchEvent` inside the mirror; in a document that runs no script that can log
 * "Blocked script execution" errors, so those two are left out. The visitor's clicks
 * still show (rrweb's Click flashes the pointer), and so do focus and selection.
 */
export function isReplayed(event: RecordedEvent): boolean {
  if (event.type !== EVENT_INCREMENTAL) return true;
  const d = data(event);
  if (!d || d.source !== SOURCE_MOUSE_INTERACTION) return true;
  return d.type !== MOUSE_DOWN && d.type !== MOUSE_UP;
}
