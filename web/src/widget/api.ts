/** The widget's one REST call: create a session. Sends no page data at all. */
import { type CreatedSession, parseApiError, parseCreatedSession } from '../protocol';
import { apiUrl } from './config';

export class ApiFailure extends Error {}

const GENERIC = 'Co-browsing is not available right now. Please try again later.';

export async function createSession(base: string): Promise<CreatedSession> {
  let response: Response;
  try {
    response = await fetch(apiUrl(base, 'api/v1/sessions'), {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
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
