import { describe, expect, it } from 'vitest';
import {
  IDLE,
  type WidgetAction,
  type WidgetState,
  endedMessage,
  formatRemaining,
  inSession,
  mayRecord,
  reduce,
} from '../src/widget/state';

const asha = { name: 'Asha Rao' };

function run(actions: WidgetAction[], from: WidgetState = IDLE): WidgetState[] {
  const states: WidgetState[] = [];
  let state = from;
  for (const action of actions) {
    state = reduce(state, action);
    states.push(state);
  }
  return states;
}

describe('widget state machine', () => {
  it('goes idle → creating → pin → consent → active → ended → idle', () => {
    const states = run([
      { type: 'press' },
      { type: 'created', pinDisplay: '123 456', expiresAt: 1000 },
      { type: 'server_state', state: 'pending', agent: asha },
      { type: 'allow' },
      { type: 'server_state', state: 'active', agent: asha },
      { type: 'stop' },
      { type: 'dismiss' },
    ]);
    expect(states.map((s) => s.kind)).toEqual([
      'creating',
      'pin',
      'consent',
      'consent',
      'active',
      'ended',
      'idle',
    ]);
    expect(states[3]).toEqual({ kind: 'consent', agent: asha, answered: true });
    expect(states[5]).toEqual({ kind: 'ended', message: 'Co-browsing ended' });
  });

  it('records only in active', () => {
    const states = run([
      { type: 'press' },
      { type: 'created', pinDisplay: '123 456', expiresAt: 1000 },
      { type: 'server_state', state: 'pending', agent: asha },
      { type: 'allow' },
    ]);
    expect(states.some(mayRecord)).toBe(false);
    expect(mayRecord({ kind: 'active', agent: asha })).toBe(true);
  });

  it('deny ends without recording', () => {
    const [state] = run([{ type: 'deny' }], { kind: 'consent', agent: asha, answered: false });
    expect(state).toEqual({ kind: 'ended', message: 'You declined. Nothing was shared.' });
  });

  it('shows the expired PIN on pin_expired and on the local clock', () => {
    const pin: WidgetState = { kind: 'pin', pinDisplay: '123 456', expiresAt: 100 };
    expect(reduce(pin, { type: 'ended', reason: 'pin_expired' })).toEqual({ kind: 'expired' });
    expect(reduce(pin, { type: 'tick', now: 99_000 })).toBe(pin);
    expect(reduce(pin, { type: 'tick', now: 100_000 })).toEqual({ kind: 'expired' });
    expect(reduce({ kind: 'expired' }, { type: 'press' })).toEqual({ kind: 'creating' });
  });

  it('maps every end reason to a message', () => {
    const active: WidgetState = { kind: 'active', agent: asha };
    expect(reduce(active, { type: 'ended', reason: 'agent_left' })).toEqual({
      kind: 'ended',
      message: 'The helpdesk agent left. Co-browsing ended.',
    });
    for (const reason of ['visitor_gone', 'agent_gone', 'max_duration', 'admin', 'consent_timeout']) {
      expect(endedMessage(reason)).toMatch(/\w/);
    }
    expect(endedMessage('something_new')).toBe('Co-browsing ended');
    expect(endedMessage('page_too_large')).toBe('This page is too large to share. Co-browsing ended.');
  });

  it('resumes a stored session into the state the server says', () => {
    const resuming = reduce(IDLE, { type: 'resume' });
    expect(resuming).toEqual({ kind: 'resuming' });
    expect(
      reduce(resuming, {
        type: 'server_state',
        state: 'created',
        agent: null,
        pinDisplay: '123 456',
        expiresAt: 5,
      }),
    ).toEqual({ kind: 'pin', pinDisplay: '123 456', expiresAt: 5 });
    expect(reduce(resuming, { type: 'server_state', state: 'pending', agent: asha })).toEqual({
      kind: 'consent',
      agent: asha,
      answered: false,
    });
    expect(reduce(resuming, { type: 'server_state', state: 'active', agent: asha })).toEqual({
      kind: 'active',
      agent: asha,
    });
    expect(reduce(resuming, { type: 'lost' })).toBe(IDLE);
  });

  it('ignores frames that do not belong to the current state', () => {
    expect(reduce(IDLE, { type: 'server_state', state: 'active', agent: asha })).toBe(IDLE);
    expect(reduce(IDLE, { type: 'ended', reason: 'agent_left' })).toBe(IDLE);
    expect(reduce(IDLE, { type: 'allow' })).toBe(IDLE);
    const creating: WidgetState = { kind: 'creating' };
    expect(reduce(creating, { type: 'press' })).toBe(creating);
    expect(reduce(creating, { type: 'cancel' })).toBe(IDLE);
    expect(reduce(creating, { type: 'create_failed', message: 'x' })).toEqual({
      kind: 'ended',
      message: 'x',
    });
  });

  it('knows which states hold a session', () => {
    expect(inSession(IDLE)).toBe(false);
    expect(inSession({ kind: 'resuming' })).toBe(true);
    expect(inSession({ kind: 'ended', message: '' })).toBe(false);
  });

  it('formats the countdown', () => {
    expect(formatRemaining(600, 0)).toBe('10:00');
    expect(formatRemaining(600, 18_500)).toBe('9:42');
    expect(formatRemaining(600, 601_000)).toBe('0:00');
  });
});
