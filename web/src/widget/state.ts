/**
 * The widget's state machine, pure: idle → creating → pin → consent → active → ended.
 * The controller feeds it actions (user presses, server frames, clock ticks) and
 * performs the I/O that the new state implies; nothing here touches the DOM.
 */
import type { AgentInfo, SessionState } from '../protocol';

export type WidgetState =
  | { readonly kind: 'idle' }
  /** Reconnecting to a stored session after a page load; nothing is shown yet. */
  | { readonly kind: 'resuming' }
  | { readonly kind: 'creating' }
  | { readonly kind: 'pin'; readonly pinDisplay: string; readonly expiresAt: number }
  | { readonly kind: 'expired' }
  | { readonly kind: 'consent'; readonly agent: AgentInfo; readonly answered: boolean }
  | { readonly kind: 'active'; readonly agent: AgentInfo }
  | { readonly kind: 'ended'; readonly message: string };

export type WidgetAction =
  | { readonly type: 'press' }
  | { readonly type: 'resume' }
  | { readonly type: 'created'; readonly pinDisplay: string; readonly expiresAt: number }
  | { readonly type: 'create_failed'; readonly message: string }
  | {
      readonly type: 'server_state';
      readonly state: SessionState;
      readonly agent: AgentInfo | null;
      readonly pinDisplay?: string | null;
      readonly expiresAt?: number | null;
    }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'allow' }
  | { readonly type: 'deny' }
  | { readonly type: 'cancel' }
  | { readonly type: 'stop' }
  | { readonly type: 'ended'; readonly reason: string }
  | { readonly type: 'lost' }
  | { readonly type: 'dismiss' };

export const IDLE: WidgetState = { kind: 'idle' };

const UNKNOWN_AGENT: AgentInfo = { name: 'A helpdesk agent' };

/** The short message shown after a session ends, by `ended` reason. */
export function endedMessage(reason: string): string {
  switch (reason) {
    case 'visitor_stopped':
      return 'Co-browsing ended';
    case 'agent_left':
      return 'The helpdesk agent left. Co-browsing ended.';
    case 'denied':
      return 'You declined. Nothing was shared.';
    case 'pin_expired':
      return 'This PIN has expired';
    case 'consent_timeout':
      return 'The request was not answered in time. Nothing was shared.';
    case 'visitor_gone':
      return 'Co-browsing ended because this page was away too long.';
    case 'agent_gone':
      return "The agent's connection was lost. Co-browsing ended.";
    case 'max_duration':
      return 'Co-browsing ended: the time limit was reached.';
    case 'admin':
      return 'Co-browsing was ended by the helpdesk.';
    case 'page_too_large':
      return 'This page is too large to share. Co-browsing ended.';
    default:
      return 'Co-browsing ended';
  }
}

/** Whether the state belongs to a live session on the server (a socket should be open). */
export function inSession(state: WidgetState): boolean {
  return (
    state.kind === 'resuming' ||
    state.kind === 'pin' ||
    state.kind === 'consent' ||
    state.kind === 'active'
  );
}

/** Whether page data may be recorded and sent: only after Allow, once the server says active. */
export function mayRecord(state: WidgetState): boolean {
  return state.kind === 'active';
}

/** "9:41" for the remaining validity of a PIN; never negative. */
export function formatRemaining(expiresAtSeconds: number, nowMs: number): string {
  const left = Math.max(0, Math.ceil(expiresAtSeconds - nowMs / 1000));
  const minutes = Math.floor(left / 60);
  const seconds = left % 60;
  return `${minutes}:${seconds.toString().padStart(2, '0')}`;
}

export function reduce(state: WidgetState, action: WidgetAction): WidgetState {
  switch (action.type) {
    case 'press':
      return state.kind === 'idle' || state.kind === 'ended' || state.kind === 'expired'
        ? { kind: 'creating' }
        : state;
    case 'resume':
      return state.kind === 'idle' ? { kind: 'resuming' } : state;
    case 'created':
      return state.kind === 'creating'
        ? { kind: 'pin', pinDisplay: action.pinDisplay, expiresAt: action.expiresAt }
        : state;
    case 'create_failed':
      return state.kind === 'creating' ? { kind: 'ended', message: action.message } : state;
    case 'server_state':
      return fromServer(state, action);
    case 'tick':
      if (state.kind === 'pin' && action.now / 1000 >= state.expiresAt) return { kind: 'expired' };
      return state;
    case 'allow':
      return state.kind === 'consent' ? { ...state, answered: true } : state;
    case 'deny':
      return state.kind === 'consent' ? { kind: 'ended', message: endedMessage('denied') } : state;
    case 'cancel':
      return state.kind === 'pin' || state.kind === 'expired' || state.kind === 'creating'
        ? IDLE
        : state;
    case 'stop':
      return inSession(state) ? { kind: 'ended', message: endedMessage('visitor_stopped') } : state;
    case 'ended':
      if (action.reason === 'pin_expired' && (state.kind === 'pin' || state.kind === 'expired')) {
        return { kind: 'expired' };
      }
      return inSession(state) ? { kind: 'ended', message: endedMessage(action.reason) } : state;
    case 'lost':
      // The stored session cannot be resumed (bad or ended token): back to idle quietly
      // unless the visitor was in the middle of something.
      if (state.kind === 'resuming') return IDLE;
      return inSession(state) ? { kind: 'ended', message: endedMessage('') } : state;
    case 'dismiss':
      return state.kind === 'ended' ? IDLE : state;
  }
}

function fromServer(
  state: WidgetState,
  action: Extract<WidgetAction, { type: 'server_state' }>,
): WidgetState {
  if (!inSession(state) && state.kind !== 'expired') return state;
  const agent = action.agent ?? UNKNOWN_AGENT;
  switch (action.state) {
    case 'created': {
      if (state.kind === 'pin') {
        return action.expiresAt ? { ...state, expiresAt: action.expiresAt } : state;
      }
      if (action.pinDisplay && action.expiresAt) {
        return { kind: 'pin', pinDisplay: action.pinDisplay, expiresAt: action.expiresAt };
      }
      return state;
    }
    case 'pending':
      if (state.kind === 'consent') return { ...state, agent };
      return { kind: 'consent', agent, answered: false };
    case 'active':
      return { kind: 'active', agent };
    case 'ended':
      return inSession(state) ? { kind: 'ended', message: endedMessage('') } : state;
  }
}
