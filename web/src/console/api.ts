/** The console's REST calls (same origin, agent cookie). */
import { type AgentInfo, type JoinedSession, parseApiError, parseJoinedSession } from '../protocol';
import { joinErrorMessage } from './errors';
import { t } from './i18n';

export type MeResult =
  | { readonly kind: 'signed_in'; readonly agent: AgentInfo }
  | { readonly kind: 'signed_out' }
  | { readonly kind: 'unavailable'; readonly message: string };

export async function fetchMe(): Promise<MeResult> {
  let response: Response;
  try {
    response = await fetch('/api/v1/me', { credentials: 'include', cache: 'no-store' });
  } catch {
    return { kind: 'unavailable', message: t('unreachableReload') };
  }
  if (response.status === 401) return { kind: 'signed_out' };
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    return {
      kind: 'unavailable',
      message: parseApiError(body)?.message || t('serverAnswered', { status: response.status }),
    };
  }
  const agent = (body as { agent?: { name?: unknown } } | null)?.agent;
  const name = typeof agent?.name === 'string' ? agent.name : 'Agent';
  return { kind: 'signed_in', agent: { name } };
}

export type JoinResult =
  | { readonly ok: true; readonly session: JoinedSession }
  | { readonly ok: false; readonly status: number; readonly message: string };

export async function join(pin: string): Promise<JoinResult> {
  let response: Response;
  try {
    response = await fetch('/api/v1/join', {
      method: 'POST',
      credentials: 'include',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ pin }),
    });
  } catch {
    return { ok: false, status: 0, message: joinErrorMessage(0, null, null) };
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    return {
      ok: false,
      status: response.status,
      message: joinErrorMessage(response.status, parseApiError(body), response.headers.get('Retry-After')),
    };
  }
  try {
    return { ok: true, session: parseJoinedSession(body) };
  } catch {
    return { ok: false, status: response.status, message: joinErrorMessage(500, null, null) };
  }
}
