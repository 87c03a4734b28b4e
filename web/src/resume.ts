/**
 * Where a participant resumes after a drop (docs/protocol.md, "Resume after a drop").
 * Pure: fed the server frames of each connection in order, it says which frame
 * number `n` the next `hello` carries (`lastSeq` in the protocol's words).
 *
 * - `welcome` resumed: the missed frames follow, so the resume point is kept and
 *   raised by each of them; not resumed: a fresh start follows, whose frames are not
 *   a continuation of what this client had, so the point is forgotten until `synced`.
 * - A numbered frame raises the point (never lowers it; gaps are normal) only on a
 *   resumed or already synced connection.
 * - `synced` completes the catch-up: the point is at least its `n`.
 * - A drop ends the connection: the next one is not synced until its own `synced`.
 *
 * A new page load starts with a new ResumePoint, so its first hello has no `n`.
 */
import type { ServerMessage } from './protocol';

export class ResumePoint {
  private last: number | null = null;
  private resumed = false;
  private synced = false;

  /** The frame number for the next hello, or null for a fresh start. */
  get resumeFrom(): number | null {
    return this.last;
  }

  /** Whether the catch-up of the current connection is complete (`synced` seen). */
  get isSynced(): boolean {
    return this.synced;
  }

  /** Whether the current connection resumed (its welcome said so). */
  get isResumed(): boolean {
    return this.resumed;
  }

  /** A server frame of the current connection. */
  observe(message: ServerMessage): void {
    switch (message.t) {
      case 'welcome':
        this.welcome(message.resumed);
        return;
      case 'synced':
        this.caughtUp(message.n);
        return;
      case 'chat_history':
      case 'note_history':
      case 'ended':
      case 'error':
        return;
      default: // a chat's `seq` is its own number; the frame's is `n`
        if (message.n !== undefined) this.numbered(message.n);
    }
  }

  welcome(resumed: boolean): void {
    this.resumed = resumed;
    this.synced = false;
    if (!resumed) this.last = null;
  }

  numbered(n: number): void {
    if (!this.resumed && !this.synced) return;
    this.last = Math.max(this.last ?? 0, n);
  }

  caughtUp(n: number): void {
    this.last = Math.max(this.last ?? 0, n);
    this.synced = true;
  }

  /** The connection went down (or was never up): nothing is synced until the next `synced`. */
  down(): void {
    this.resumed = false;
    this.synced = false;
  }
}
