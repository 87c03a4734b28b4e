import { describe, expect, it } from 'vitest';
import {
  OVERLAY_OFF,
  type OverlayAction,
  type OverlayEffect,
  type OverlayState,
  overlayShown,
  relayable,
  returnUrl,
  stepOverlay,
} from '../src/widget/overlay-state';

/** Run actions as a playbook: the phases and the effects of each step. */
function play(actions: OverlayAction[], from: OverlayState = OVERLAY_OFF) {
  let state = from;
  const steps: Array<{ phase: string; effects: readonly OverlayEffect[] }> = [];
  for (const action of actions) {
    const step = stepOverlay(state, action);
    state = step.state;
    steps.push({ phase: state.phase, effects: step.effects });
  }
  return { state, steps };
}

const record = (id: number): OverlayEffect => ({ type: 'post', message: { cobrowse: 1, type: 'record', id } });
const STOP: OverlayEffect = { type: 'post', message: { cobrowse: 1, type: 'stop' } };

describe('overlay state machine', () => {
  it('requests, creates, and records once the frame is ready', () => {
    const { state, steps } = play([
      { type: 'want', value: true },
      { type: 'granted' },
      { type: 'ready' },
    ]);
    expect(steps).toEqual([
      { phase: 'requesting', effects: [{ type: 'request' }] },
      { phase: 'loading', effects: [{ type: 'create' }] },
      { phase: 'ready', effects: [record(1)] },
    ]);
    expect(relayable(state, 1)).toBe(true);
    expect(relayable(state, 2)).toBe(false);
    expect(overlayShown(state)).toBe(true);
  });

  it('does nothing before the session may record', () => {
    const { state, steps } = play([{ type: 'want', value: false }, { type: 'ready' }, { type: 'granted' }]);
    expect(state).toEqual(OVERLAY_OFF);
    expect(steps.every((s) => s.effects.length === 0)).toBe(true);
  });

  it('starts a new recording for every page loaded in the frame', () => {
    const { state, steps } = play([
      { type: 'want', value: true },
      { type: 'granted' },
      { type: 'ready' },
      { type: 'ready' },
    ]);
    expect(steps[3]!.effects).toEqual([record(2)]);
    expect(relayable(state, 1)).toBe(false);
    expect(relayable(state, 2)).toBe(true);
  });

  it('pauses while the socket is down and re-records after', () => {
    const ready = play([{ type: 'want', value: true }, { type: 'granted' }, { type: 'ready' }]).state;
    const { state, steps } = play(
      [
        { type: 'send_failed' },
        { type: 'want', value: false },
        { type: 'want', value: true },
      ],
      ready,
    );
    expect(steps.map((s) => s.effects)).toEqual([[STOP], [], [record(2)]]);
    expect(relayable(state, 2)).toBe(true);
    const down = play([{ type: 'want', value: false }], ready);
    expect(down.steps[0]!.effects).toEqual([STOP]);
    expect(relayable(down.state, 1)).toBe(false);
  });

  it('waits for ready without recording when the socket went down while loading', () => {
    const { steps } = play([
      { type: 'want', value: true },
      { type: 'granted' },
      { type: 'want', value: false },
      { type: 'ready' },
      { type: 'want', value: true },
    ]);
    expect(steps.map((s) => s.effects)).toEqual([[{ type: 'request' }], [{ type: 'create' }], [], [], [record(1)]]);
  });

  it('forwards snapshot requests only while recording', () => {
    const ready = play([{ type: 'want', value: true }, { type: 'granted' }, { type: 'ready' }]).state;
    expect(stepOverlay(ready, { type: 'snapshot_request' }).effects).toEqual([
      { type: 'post', message: { cobrowse: 1, type: 'snapshot' } },
    ]);
    expect(stepOverlay(OVERLAY_OFF, { type: 'snapshot_request' }).effects).toEqual([]);
  });

  it('falls back to inline recording when refused or when the frame never gets ready', () => {
    const refused = play([{ type: 'want', value: true }, { type: 'refused' }]);
    expect(refused.steps[1]).toEqual({ phase: 'failed', effects: [{ type: 'inline' }] });
    expect(overlayShown(refused.state)).toBe(false);
    const timeout = play([{ type: 'want', value: true }, { type: 'granted' }, { type: 'timeout' }]);
    expect(timeout.steps[2]).toEqual({ phase: 'failed', effects: [{ type: 'remove' }, { type: 'inline' }] });
    // A failed overlay stays failed: no second request in this page.
    expect(stepOverlay(refused.state, { type: 'want', value: true }).effects).toEqual([]);
    expect(stepOverlay(timeout.state, { type: 'ready' }).effects).toEqual([]);
  });

  it('closes: stop, remove, and nothing after', () => {
    const ready = play([{ type: 'want', value: true }, { type: 'granted' }, { type: 'ready' }]).state;
    const { state, steps } = play([{ type: 'close' }, { type: 'granted' }, { type: 'ready' }, { type: 'want', value: true }], ready);
    expect(steps[0]).toEqual({ phase: 'closed', effects: [STOP, { type: 'remove' }] });
    expect(steps.slice(1).every((s) => s.effects.length === 0)).toBe(true);
    expect(relayable(state, 1)).toBe(false);
    // Closed while the request was in flight: the late answer creates nothing.
    const early = play([{ type: 'want', value: true }, { type: 'close' }, { type: 'granted' }]);
    expect(early.steps.map((s) => s.effects)).toEqual([[{ type: 'request' }], [], []]);
  });
});

describe('where Stop leaves the visitor', () => {
  it('goes to the last http(s) page reached in the overlay', () => {
    expect(returnUrl('https://s.example/b?x#y', 'https://s.example/a')).toBe('https://s.example/b?x#y');
    expect(returnUrl('https://s.example/a', 'https://s.example/a')).toBeNull();
    expect(returnUrl(null, 'https://s.example/a')).toBeNull();
    expect(returnUrl('javascript:alert(1)', 'https://s.example/a')).toBeNull();
    expect(returnUrl('data:text/html,x', 'https://s.example/a')).toBeNull();
    expect(returnUrl('not a url', 'https://s.example/a')).toBeNull();
  });
});
