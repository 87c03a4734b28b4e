/**
 * The agent's acts that have no `act_result` yet. Pure (time comes in as `now`).
 *
 * After a reconnect they are sent again with the same `ref`: the server runs an act
 * once per ref (a resend of one it has seen is ignored; its result, if produced, comes
 * through the log replay), so a resend is safe. An act unanswered for `timeoutMs`
 * (counted from its first send) is given up: it is not resent, and the agent is told.
 */
import type { ActMessage } from '../protocol';

/** How long an act may wait for its result (the visitor's own wait is 5 s, plus a reconnect). */
export const ACT_TIMEOUT_MS = 15_000;
/** At most this many acts wait at once; the oldest is given up first. */
export const MAX_PENDING_ACTS = 100;

interface Pending {
  readonly message: ActMessage;
  readonly at: number;
}

export class PendingActs {
  private readonly byRef = new Map<string, Pending>();

  constructor(private readonly timeoutMs = ACT_TIMEOUT_MS) {}

  get size(): number {
    return this.byRef.size;
  }

  /** An act went out at `now` (a resend keeps its first time). */
  sent(message: ActMessage, now: number): void {
    if (this.byRef.has(message.ref)) return;
    this.byRef.set(message.ref, { message, at: now });
    while (this.byRef.size > MAX_PENDING_ACTS) this.byRef.delete(this.byRef.keys().next().value as string);
  }

  /** Its result came; whether it was waiting. */
  answered(ref: string): boolean {
    return this.byRef.delete(ref);
  }

  /** When the oldest act runs out of time, or null if none waits. */
  get nextDeadline(): number | null {
    for (const p of this.byRef.values()) return p.at + this.timeoutMs;
    return null;
  }

  /** Give up the acts whose time ran out by `now`; returns them, oldest first. */
  expire(now: number): ActMessage[] {
    const gone: ActMessage[] = [];
    for (const [ref, p] of this.byRef) {
      if (now < p.at + this.timeoutMs) break; // insertion order is time order
      gone.push(p.message);
      this.byRef.delete(ref);
    }
    return gone;
  }

  /** The acts to send again (in their order), after the expired ones are given up. */
  unanswered(): ActMessage[] {
    return [...this.byRef.values()].map((p) => p.message);
  }

  clear(): void {
    this.byRef.clear();
  }
}
