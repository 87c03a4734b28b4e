// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { makeGate } from '../src/runtime/gate';

describe('the read gate', () => {
  it('makes the MutationObservers a recorder builds call back with native reads, and only those', async () => {
    const gate = makeGate();
    const win = window as unknown as Window & typeof globalThis;
    const seen: Array<[string, boolean]> = [];
    let during = '';
    gate.recording(() => {
      // What rrweb does: the constructor through the prototype, checked for native code.
      const Ctor = win.MutationObserver.prototype.constructor as typeof MutationObserver;
      during = String(Ctor);
      new Ctor(() => seen.push(['recorder', gate.native])).observe(document.body, { childList: true });
      seen.push(['start', gate.native]);
    }, win);
    new win.MutationObserver(() => seen.push(['page', gate.native])).observe(document.body, { childList: true });
    expect(win.MutationObserver.prototype.constructor).toBe(win.MutationObserver);
    expect(during).toContain('[native code]');
    document.body.appendChild(document.createElement('p'));
    await new Promise((done) => setTimeout(done, 20));
    expect(seen).toEqual(expect.arrayContaining([['start', true], ['recorder', true], ['page', false]]));
    expect(gate.native).toBe(false);
  });
});
