/** Reconnect delays: 0.25 s, 0.5 s, 1 s, 2 s, 4 s, then 5 s for ever. Pure. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 5000;

/**
 * 1012: the server moved the session to another node (or is restarting) and asks for
 * a reconnect now; the first attempt after it waits only `MOVED_DELAY_MS`.
 */
export const CLOSE_MOVED = 1012;
export const MOVED_DELAY_MS = 50;

export function backoffDelay(attempt: number, code?: number): number {
  if (attempt < 0 || !Number.isFinite(attempt)) return BACKOFF_BASE_MS;
  if (attempt === 0 && code === CLOSE_MOVED) return MOVED_DELAY_MS;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
}

/**
 * Close codes after which reconnecting cannot help: the session or the token is gone,
 * or (1009) a frame was too large, and the same page would send it again.
 */
// 4411: the session has a new agent; 4412: a watch ended (refused or left).
const TERMINAL_CLOSE_CODES = new Set([1009, 4400, 4401, 4403, 4409, 4410, 4411, 4412]);

/** Whether a socket closed with `code` should be reopened (unexpected disconnects only). */
export function shouldReconnect(code: number, sawEnded: boolean): boolean {
  if (sawEnded) return false;
  return !TERMINAL_CLOSE_CODES.has(code);
}
