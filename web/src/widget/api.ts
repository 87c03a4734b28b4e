/**
 * The widget's REST calls: create a session (sends no page data at all), and, in proxy
 * mode once the visitor allowed, ask for the overlay (sends the URL to show).
 */
import {
  type CreatedSession,
  type OverlayAnswer,
  parseApiError,
  parseCreatedSession,
  parseOverlayAnswer,
} from '../protocol';
import { apiUrl } from './config';

export class ApiFailure extends Error {}

const GENERIC = 'Co-browsing is not available right now. Please try again later.';

export async function createSession(base: string, invite: string | null = null): Promise<CreatedSession> {
  let response: Response;
  try {
    // Click to start: the session a CRM made for this visitor, claimed with its invitation.
    const path = invite ? 'api/v1/invites/claim' : 'api/v1/sessions';
    response = await fetch(apiUrl(base, path), {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      headers: { 'Content-Type': 'application/json' },
      body: invite ? JSON.stringify({ invite }) : '{}',
    });
  } catch {
    throw new ApiFailure('Could not reach the co-browsing service. Please try again.');
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = parseApiError(body);
    if (response.status === 429) {
      throw new ApiFailure('Too many attempts. Please wait a moment and try again.');
    }
    throw new ApiFailure(error?.message || GENERIC);
  }
  try {
    return parseCreatedSession(body);
  } catch {
    throw new ApiFailure(GENERIC);
  }
}

/** The overlay could not be had (`code` is the server's error code, or "" for other failures). */
export class OverlayRefused extends Error {
  constructor(readonly code: string) {
    super(code || 'overlay failed');
  }
}

/** `POST /api/v1/sessions/{id}/overlay`: where the overlay iframe starts. Throws OverlayRefused. */
export async function requestOverlay(
  base: string,
  sessionId: string,
  visitorToken: string,
  url: string,
): Promise<OverlayAnswer> {
  let response: Response;
  try {
    response = await fetch(apiUrl(base, `api/v1/sessions/${encodeURIComponent(sessionId)}/overlay`), {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${visitorToken}` },
      body: JSON.stringify({ url }),
    });
  } catch {
    throw new OverlayRefused('');
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new OverlayRefused(parseApiError(body)?.code ?? '');
  try {
    return parseOverlayAnswer(body);
  } catch {
    throw new OverlayRefused('');
  }
}
