/** What the agent reads when joining fails. Pure. */
import type { ApiError } from '../protocol';

export function retryAfterSeconds(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return null;
}

export function joinErrorMessage(
  status: number,
  error: ApiError | null,
  retryAfter: string | null,
): string {
  const code = error?.code ?? '';
  if (code === 'invalid_pin' || status === 404) {
    return 'That PIN is not valid. Check it with the caller.';
  }
  if (code === 'joins_paused') {
    const seconds = retryAfterSeconds(retryAfter);
    const wait = seconds === null ? 'a moment' : `${seconds} second${seconds === 1 ? '' : 's'}`;
    return `Too many wrong PINs on this server just now, so joining is paused. Try again in ${wait}.`;
  }
  if (code === 'too_many_attempts' || status === 429) {
    const seconds = retryAfterSeconds(retryAfter);
    return seconds === null
      ? 'Too many attempts. Wait a moment, then try again.'
      : `Too many attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  }
  if (code === 'not_signed_in' || status === 401) {
    return 'You are not signed in any more. Reload the page to sign in again.';
  }
  if (code === 'bad_request' || status === 400 || status === 422) {
    return 'Enter the 6-digit PIN the caller reads to you.';
  }
  if (error?.message) return error.message;
  return status === 0
    ? 'The co-browse server cannot be reached. Check your connection and try again.'
    : `Joining failed (error ${status}). Try again.`;
}

/** Why the mirror went away, for the message that contains "ended". */
export function sessionEndedMessage(reason: string): string {
  switch (reason) {
    case 'visitor_stopped':
      return 'The session has ended (the visitor pressed Stop).';
    case 'agent_left':
      return 'The session has ended (you left).';
    case 'denied':
      return 'The session has ended: the visitor denied the request.';
    case 'pin_expired':
      return 'The session has ended: the PIN expired.';
    case 'consent_timeout':
      return 'The session has ended: the visitor did not answer in time.';
    case 'visitor_gone':
      return "The session has ended: the visitor's page went away.";
    case 'agent_gone':
      return 'The session has ended: your connection was lost for too long.';
    case 'max_duration':
      return 'The session has ended: the time limit was reached.';
    case 'admin':
      return 'The session has ended by an administrator.';
    default:
      return 'The session has ended.';
  }
}

/** A PIN as typed by a person ("123 456", "123-456") → "123456", or null if not 6 digits. */
export function normalizePin(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}
