/**
 * Clock-skew handling for the live mirror. Pure (the clock is injected).
 *
 * rrweb's live Replayer schedules an event at `event.timestamp - baselineTime` on a
 * timer that starts at `startLive()`; an event older than the baseline is applied
 * "synchronously", and a synchronous DOM mutation in live mode goes to rrweb's
 * virtual DOM, which is only flushed on play, so it would never show. Visitor
 * timestamps come from the visitor's clock (skewed by any amount) and a (re)joining
 * agent first gets events that may be minutes old. So every event is re-stamped on
 * arrival with the agent's own monotonic clock, never earlier than the baseline or
 * the previous event (arrival order is kept; ties keep insertion order in rrweb),
 * and a little in the past, so its delay is already due on the next animation frame.
 */
export interface Stamped {
  readonly timestamp: number;
}

/** How far in the past an event is stamped, so the rrweb timer finds it due at once. */
export const STAMP_SLACK_MS = 50;

export class Restamper {
  private baseline: number | null = null;
  private last = -Infinity;

  constructor(private readonly now: () => number) {}

  /** The baseline to pass to `Replayer.startLive`; starts a new timeline. */
  start(): number {
    const baseline = this.now();
    this.baseline = baseline;
    this.last = baseline;
    return baseline;
  }

  get started(): boolean {
    return this.baseline !== null;
  }

  /** A copy of `event` with its timestamp moved onto the agent's timeline. */
  stamp<T extends Stamped>(event: T): T {
    if (this.baseline === null) this.start();
    const base = this.baseline as number;
    const timestamp = Math.max(this.now() - STAMP_SLACK_MS, base, this.last);
    this.last = timestamp;
    return { ...event, timestamp };
  }
}

/** The agent's monotonic clock in epoch milliseconds (same time base as rrweb's timer). */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}
