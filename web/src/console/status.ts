/**
 * What the session view says, from the connection, the session state, the mirror and
 * control. Pure. The mirror never looks live unless the stream is: while the socket is
 * down or its catch-up (up to `synced`) is not complete, it is paused under a notice.
 * The status line always says the true state: waiting, viewing, control requested, in
 * control, or reconnecting (the end shows the join form with an "ended" notice).
 */
import type { ControlState } from '../protocol';
import { type Key, t } from './i18n';

/** The connection: first connect, down or catching up after a drop, or synced. */
export type Link = 'connecting' | 'reconnecting' | 'synced';
/** The mirror: none yet, one waiting for a new snapshot after a fresh start, or live. */
export type MirrorState = 'none' | 'stale' | 'live';
export type VisibleState = 'created' | 'pending' | 'active' | null;

export interface SessionView {
  /** The session bar's status line. */
  readonly status: string;
  /** Which state the status line names (for styling and tests). */
  readonly key: Key;
  /** The placeholder shown instead of a mirror (null: hidden). */
  readonly waiting: string | null;
  /** The notice over a paused (dimmed) mirror (null: the mirror is live). */
  readonly paused: string | null;
}

const LIVE_KEY: Readonly<Record<ControlState, Key>> = {
  view: 'live',
  requested: 'liveRequested',
  control: 'liveControl',
};

export function sessionView(
  link: Link,
  state: VisibleState,
  mirror: MirrorState,
  control: ControlState = 'view',
): SessionView {
  const view = (key: Key, waiting: Key | null, paused: Key | null): SessionView => ({
    status: t(key),
    key,
    waiting: waiting && t(waiting),
    paused: paused && t(paused),
  });
  if (link !== 'synced') {
    const key: Key = link === 'connecting' ? 'connecting' : 'reconnecting';
    if (mirror !== 'none') return view(key, null, key);
    return view(key, link === 'connecting' ? 'waitingAllow' : key, null);
  }
  if (state !== 'active') return view('waitingAllow', 'waitingAllow', null);
  const live = LIVE_KEY[control];
  if (mirror === 'live') return view(live, null, null);
  if (mirror === 'stale') return view('loadingMirror', null, 'loadingMirror');
  return view(live, 'loadingMirror', null);
}
