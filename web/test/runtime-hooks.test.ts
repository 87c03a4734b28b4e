import { describe, expect, it } from 'vitest';
import { HOOKS_NAME, installHooks, makeHooks, mapTargetOrigin } from '../src/runtime/hooks';
import { makeMapper } from '../src/runtime/urls';

const P = 'http://pabc.cobrowse.localhost:8000';
const map = makeMapper({ 'https://site.example': P }, () => 'https://site.example/app/', {
  proxyOrigin: P,
  go: `${P}/__cobrowse/go?url=`,
  others: [],
});

class FakeLocation {
  href = `${P}/app/`;
}
class FakeDocument {}
function fakeWindow(): Window & typeof globalThis {
  const win: Record<string, unknown> = { Location: FakeLocation, Document: FakeDocument };
  win.window = win;
  win.location = new FakeLocation();
  return win as unknown as Window & typeof globalThis;
}

describe('__cobrowse$ hooks', () => {
  it('maps a location assignment, and only to a location', () => {
    const win = fakeWindow();
    const hooks = makeHooks({ win, map });
    expect(hooks.a(win.location, 'https://site.example/next')).toBe(`${P}/next`);
    expect(hooks.a('a string variable', 'https://site.example/next')).toBe('https://site.example/next');
  });

  it('sets obj.location mapped on windows and documents, as given elsewhere, and returns the value', () => {
    const win = fakeWindow();
    const hooks = makeHooks({ win, map });
    const other: Record<string, unknown> = {};
    expect(hooks.s(win, 'location', 'https://site.example/x')).toBe('https://site.example/x');
    expect((win as unknown as Record<string, unknown>).location).toBe(`${P}/x`);
    hooks.s(other, 'location', 'https://site.example/x');
    expect(other.location).toBe('https://site.example/x');
    const doc = new FakeDocument() as Record<string, unknown>;
    hooks.s(doc, 'location', 'https://site.example/y');
    expect(doc.location).toBe(`${P}/y`);
  });

  it('maps import specifiers, import.meta.url and postMessage target origins', () => {
    const win = fakeWindow();
    const hooks = makeHooks({ win, map });
    expect(hooks.i('https://site.example/m.js')).toBe(`${P}/m.js`);
    expect(hooks.i('./rel.js')).toBe('./rel.js');
    expect(hooks.u(`${P}/m.js`)).toBe('https://site.example/m.js');
    expect(mapTargetOrigin(map, 'https://site.example')).toBe(P);
    expect(mapTargetOrigin(map, '*')).toBe('*');
    const sent: unknown[][] = [];
    const target = fakeWindow() as unknown as Record<string, unknown>;
    target.postMessage = function (this: unknown, ...args: unknown[]) {
      expect(this).toBe(target);
      sent.push(args);
    };
    hooks.p(target, 'hi', 'https://site.example');
    hooks.p(target, 'hi', { targetOrigin: 'https://site.example' });
    const port = { postMessage: (...args: unknown[]) => sent.push(args) };
    const transfer: unknown[] = [];
    hooks.p(port, 'hi', transfer);
    expect(sent).toEqual([['hi', P], ['hi', { targetOrigin: P }], ['hi', transfer]]);
  });

  it('is total: eval arguments, wrapped reads and bad input pass through', () => {
    const win = fakeWindow();
    const hooks = makeHooks({ win, map: null });
    expect(hooks.e(42)).toBe(42);
    expect(hooks.e('1 + 1')).toBe('1 + 1');
    expect(hooks.w(win.location)).toBe(win.location);
    expect(hooks.i({ toString: () => 'x' })).toEqual({ toString: expect.any(Function) });
    const thrower = makeHooks({ win, map, wrap: () => { throw new Error('bug'); }, rewriteCode: () => { throw new Error('bug'); } });
    expect(thrower.w(1)).toBe(1);
    expect(thrower.e('code')).toBe('code');
  });

  it("reads the window's eval as the rewriting one, which runs in the global scope", () => {
    const win = fakeWindow();
    const seen: unknown[] = [];
    const nativeEval = function evalLike(code: unknown): unknown {
      seen.push(code);
      return `ran ${String(code)}`;
    };
    (win as unknown as Record<string, unknown>).eval = nativeEval;
    const hooks = makeHooks({ win, map, rewriteCode: (c) => `/*rw*/${c}` });
    const indirect = hooks.w(nativeEval) as (code: unknown) => unknown;
    expect(indirect).not.toBe(nativeEval);
    expect(hooks.w(nativeEval)).toBe(indirect);
    expect([indirect.name, indirect.length]).toEqual(['eval', 1]);
    expect(() => new (indirect as unknown as new () => unknown)()).toThrow(TypeError);
    expect(indirect('location.host')).toBe('ran /*rw*/location.host');
    expect(indirect(42)).toBe('ran 42');
    expect(hooks.v(win, 'top')).toBe('ran /*rw*/top');
    const other = { eval(this: unknown, code: string) { return [this, code]; } };
    expect(hooks.v(other, 'top')).toEqual([other, 'top']);
    expect(() => hooks.v({}, 's')).toThrow(TypeError);
    expect(hooks.w(other.eval)).toBe(other.eval);
    expect(seen).toEqual(['/*rw*/location.host', 42, '/*rw*/top']);
  });

  it("hands another window's eval to that window's hooks", () => {
    const win = fakeWindow();
    const frame = fakeWindow();
    const frameEval = (code: unknown): unknown => `frame ran ${String(code)}`;
    (frame as unknown as Record<string, unknown>).eval = frameEval;
    installHooks(frame, makeHooks({ win: frame, map, rewriteCode: (c) => `/*frame*/${c}` }));
    const hooks = makeHooks({ win, map });
    expect(hooks.v(frame, 'top')).toBe('frame ran /*frame*/top');
  });

  it('is installed once, read-only', () => {
    const g: Record<string, unknown> = {};
    const first = makeHooks({ win: fakeWindow(), map });
    installHooks(g, first);
    installHooks(g, makeHooks({ win: fakeWindow(), map: null }));
    expect(g[HOOKS_NAME]).toEqual(first);
    expect(Object.keys(g)).toEqual([]);
    expect(() => {
      'use strict';
      g[HOOKS_NAME] = 1;
    }).toThrow();
  });
});

describe('__cobrowse$ with the rewriter', () => {
  it('rewrites the code of a javascript: URL assigned to a location, and eval code', () => {
    const win = fakeWindow();
    const hooks = makeHooks({
      win,
      map,
      rewriteCode: (c) => `/*r*/${c}`,
      rewriteScriptUrl: (u) => `${u}/*r*/`,
    });
    expect(hooks.a(win.location, 'javascript:go()')).toBe('javascript:go()/*r*/');
    hooks.s(win, 'location', ' javascript:go()');
    expect((win as unknown as Record<string, unknown>).location).toBe(' javascript:go()/*r*/');
    expect(hooks.e('x')).toBe('/*r*/x');
    expect(hooks.e(5)).toBe(5);
  });
});
