/** What the agent reads when joining fails. Pure. */
import type { ApiError } from '../protocol';
import { t } from './i18n';

export function retryAfterSeconds(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return null;
}

function secondsText(n: number): string {
  return n === 1 ? t('second') : t('seconds', { n });
}

export function joinErrorMessage(
  status: number,
  error: ApiError | null,
  retryAfter: string | null,
): string {
  const code = error?.code ?? '';
  if (code === 'invalid_pin' || status === 404) {
    return t('pinInvalid');
  }
  if (code === 'joins_paused') {
    const seconds = retryAfterSeconds(retryAfter);
    return t('joinsPaused', { wait: seconds === null ? t('aMoment') : secondsText(seconds) });
  }
  if (code === 'too_many_attempts' || status === 429) {
    const seconds = retryAfterSeconds(retryAfter);
    return seconds === null ? t('tooManyWait') : t('tooManyIn', { wait: secondsText(seconds) });
  }
  if (code === 'not_signed_in' || status === 401) {
    return t('notSignedInAnyMore');
  }
  if (code === 'bad_request' || status === 400 || status === 422) {
    return t('enterPin');
  }
  if (error?.message) return error.message;
  return status === 0 ? t('unreachable') : t('joinFailed', { status });
}

/** Why the mirror went away, for the message that contains "ended". */
export function sessionEndedMessage(reason: string): string {
  switch (reason) {
    case 'visitor_stopped':
      return t('endedStopped');
    case 'agent_left':
      return t('endedYouLeft');
    case 'denied':
      return t('endedDenied');
    case 'pin_expired':
      return t('endedPinExpired');
    case 'consent_timeout':
      return t('endedTimeout');
    case 'visitor_gone':
      return t('endedVisitorGone');
    case 'agent_gone':
      return t('endedAgentGone');
    case 'max_duration':
      return t('endedMax');
    case 'admin':
      return t('endedAdmin');
    default:
      return t('ended');
  }
}

/** A PIN as typed by a person ("123 456", "123-456") → "123456", or null if not 6 digits. */
export function normalizePin(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}
