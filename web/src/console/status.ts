/**
 * What the session view says, from the connection, the session state and the mirror.
 * Pure. The mirror never looks live unless the stream is: while the socket is down
 * or its catch-up (up to `synced`) is not complete, it is paused under a notice.
 */

/** The connection: first connect, down or catching up after a drop, or synced. */
export type Link = 'connecting' | 'reconnecting' | 'synced';
/** The mirror: none yet, one waiting for a new snapshot after a fresh start, or live. */
export type MirrorState = 'none' | 'stale' | 'live';
export type VisibleState = 'created' | 'pending' | 'active' | null;

export const CONNECTING = 'Connecting…';
export const RECONNECTING = 'Reconnecting…';
export const WAITING = 'Waiting for the visitor to allow…';
export const LOADING_MIRROR = 'Connected. Waiting for the visitor’s page…';
export const LIVE = 'Live: you are viewing the visitor’s tab.';

export interface SessionView {
  /** The session bar's status line. */
  readonly status: string;
  /** The placeholder shown instead of a mirror (null: hidden). */
  readonly waiting: string | null;
  /** The notice over a paused (dimmed) mirror (null: the mirror is live). */
  readonly paused: string | null;
}

export function sessionView(link: Link, state: VisibleState, mirror: MirrorState): SessionView {
  if (link !== 'synced') {
    const text = link === 'connecting' ? CONNECTING : RECONNECTING;
    if (mirror !== 'none') return { status: text, waiting: null, paused: text };
    return { status: text, waiting: link === 'connecting' ? WAITING : text, paused: null };
  }
  if (state !== 'active') return { status: WAITING, waiting: WAITING, paused: null };
  if (mirror === 'live') return { status: LIVE, waiting: null, paused: null };
  if (mirror === 'stale') return { status: LOADING_MIRROR, waiting: null, paused: LOADING_MIRROR };
  return { status: LIVE, waiting: LOADING_MIRROR, paused: null };
}
