/**
 * Proxy mode's overlay, as a pure state machine beside the widget's own (state.ts):
 *
 *   off --want--> requesting --granted--> loading --ready--> ready
 *                     |                      |
 *                  refused               timeout          (failed: record the top page inline)
 *                     v                      v
 *                  failed <------------------+
 *   any --close--> closed
 *
 * `want` says whether page data may flow (session active on a welcomed, open socket);
 * the frame records only between a `record` (with a fresh id) and a `stop`, and the
 * controller relays only events carrying the current id. A new page in the frame
 * (`ready`) starts a new recording: rrweb's Meta + FullSnapshot first.
 */
import type { TopMessage } from '../bridge';

export type OverlayPhase = 'off' | 'requesting' | 'loading' | 'ready' | 'failed' | 'closed';

export interface OverlayState {
  readonly phase: OverlayPhase;
  readonly want: boolean;
  /** The id of the `record` posted to the frame's current page; 0 if not recording. */
  readonly recording: number;
  readonly lastId: number;
}

export type OverlayAction =
  | { readonly type: 'want'; readonly value: boolean }
  | { readonly type: 'granted' }
  | { readonly type: 'refused' }
  | { readonly type: 'timeout' }
  | { readonly type: 'ready' }
  | { readonly type: 'send_failed' }
  | { readonly type: 'snapshot_request' }
  | { readonly type: 'close' };

export type OverlayEffect =
  | { readonly type: 'request' }
  | { readonly type: 'create' }
  | { readonly type: 'remove' }
  | { readonly type: 'inline' }
  | { readonly type: 'post'; readonly message: TopMessage };

export interface OverlayStep {
  readonly state: OverlayState;
  readonly effects: readonly OverlayEffect[];
}

export const OVERLAY_OFF: OverlayState = { phase: 'off', want: false, recording: 0, lastId: 0 };

const STOP: OverlayEffect = { type: 'post', message: { cobrowse: 1, type: 'stop' } };
const SNAPSHOT: OverlayEffect = { type: 'post', message: { cobrowse: 1, type: 'snapshot' } };

function record(state: OverlayState): OverlayStep {
  const id = state.lastId + 1;
  return {
    state: { ...state, recording: id, lastId: id },
    effects: [{ type: 'post', message: { cobrowse: 1, type: 'record', id } }],
  };
}

const same = (state: OverlayState): OverlayStep => ({ state, effects: [] });

export function stepOverlay(state: OverlayState, action: OverlayAction): OverlayStep {
  const { phase } = state;
  switch (action.type) {
    case 'want': {
      const next = { ...state, want: action.value };
      if (phase === 'off') {
        return action.value
          ? { state: { ...next, phase: 'requesting' }, effects: [{ type: 'request' }] }
          : same(next);
      }
      if (phase === 'ready') {
        if (action.value && state.recording === 0) return record(next);
        if (!action.value && state.recording !== 0) {
          return { state: { ...next, recording: 0 }, effects: [STOP] };
        }
      }
      return same(next);
    }
    case 'granted':
      return phase === 'requesting'
        ? { state: { ...state, phase: 'loading' }, effects: [{ type: 'create' }] }
        : same(state);
    case 'refused':
      return phase === 'requesting'
        ? { state: { ...state, phase: 'failed' }, effects: [{ type: 'inline' }] }
        : same(state);
    case 'timeout':
      return phase === 'loading'
        ? { state: { ...state, phase: 'failed' }, effects: [{ type: 'remove' }, { type: 'inline' }] }
        : same(state);
    case 'ready': {
      if (phase !== 'loading' && phase !== 'ready') return same(state);
      const next: OverlayState = { ...state, phase: 'ready', recording: 0 };
      return state.want ? record(next) : same(next);
    }
    case 'send_failed':
      return phase === 'ready' && state.recording !== 0
        ? { state: { ...state, recording: 0 }, effects: [STOP] }
        : same(state);
    case 'snapshot_request':
      return phase === 'ready' && state.recording !== 0 ? { state, effects: [SNAPSHOT] } : same(state);
    case 'close': {
      const closed: OverlayState = { ...state, phase: 'closed', want: false, recording: 0 };
      if (phase === 'loading' || phase === 'ready') {
        return { state: closed, effects: [STOP, { type: 'remove' }] };
      }
      return same(closed);
    }
  }
}

/** Whether an `events` batch from the frame with this id goes on the socket. */
export function relayable(state: OverlayState, id: number): boolean {
  return state.phase === 'ready' && state.want && state.recording !== 0 && state.recording === id;
}

/** Whether the overlay is (or is about to be) shown: the top page itself is not recorded. */
export function overlayShown(state: OverlayState): boolean {
  return state.phase === 'requesting' || state.phase === 'loading' || state.phase === 'ready';
}

/**
 * Where the visitor should be after the overlay closes: the last page they reached in
 * it, if it is an http(s) URL different from the top page's; otherwise null (stay). Pure.
 */
export function returnUrl(lastHref: string | null, currentHref: string): string | null {
  if (!lastHref) return null;
  let url: URL;
  try {
    url = new URL(lastHref);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href === currentHref ? null : url.href;
}
