import { createContext, runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { RuntimeContext } from '../src/runtime/context';
import { evalOriginOf, formatStack, mapFrameText, patchErrors } from '../src/runtime/patches/errors';
import { P, map, up } from './site-map';


describe('error stacks, pure parts', () => {
  it('maps the URLs of a frame and keeps their line and column', () => {
    expect(mapFrameText(`thrower (${P}/static/t.js:3:9)`, up)).toBe('thrower (https://site.example/static/t.js:3:9)');
    expect(mapFrameText(`${P}/p/page.html:12`, up)).toBe('https://site.example/p/page.html:12');
    expect(mapFrameText(`eval (eval at <anonymous> (${P}/p/e.html:5:3), <anonymous>:1:1)`, up)).toBe(
      'eval (eval at <anonymous> (https://site.example/p/e.html:5:3), <anonymous>:1:1)',
    );
    expect(mapFrameText('Array.map (<anonymous>)', up)).toBe('Array.map (<anonymous>)');
    expect(mapFrameText('https://cdn.example/lib.js:1:2', up)).toBe('https://cdn.example/lib.js:1:2');
  });

  it('prints the eval origin of a call, as V8 does', () => {
    const caller = (name: string | null, file: string, evalOrigin?: string) => ({
      getFunctionName: () => name,
      getFileName: () => file,
      getLineNumber: () => 7,
      getColumnNumber: () => 37,
      isEval: () => evalOrigin !== undefined,
      getEvalOrigin: () => evalOrigin,
      toString: () => '',
    });
    expect(evalOriginOf(caller('caller', `${P}/p.html`))).toBe(`eval at caller (${P}/p.html:7:37)`);
    expect(evalOriginOf(caller(null, `${P}/p.html`))).toBe(`eval at <anonymous> (${P}/p.html:7:37)`);
    expect(evalOriginOf(caller('f', '', 'eval at g (u:1:2)'))).toBe('eval at f (eval at g (u:1:2))');
    expect(evalOriginOf(caller('f', ''))).toBe('eval at f (unknown source)');
  });

  it("formats as V8's default does", () => {
    expect(formatStack('Error: x', ['a (u:1:2)', 'u:3:4'])).toBe('Error: x\n    at a (u:1:2)\n    at u:3:4');
    expect(formatStack('Error', [])).toBe('Error');
  });
});

/** A fresh realm (its own intrinsics) with the patch applied; returns [realm, its intrinsic Error]. */
function patchedRealm(): { run: (code: string) => unknown; intrinsic: ErrorConstructor } {
  const sandbox = createContext({});
  const win = runInContext('globalThis', sandbox) as Window & typeof globalThis;
  const intrinsic = win.Error;
  patchErrors({ win, map } as unknown as RuntimeContext);
  return { run: (code) => runInContext(code, sandbox), intrinsic };
}

describe('patchErrors', () => {
  it('leaves Error looking untouched to the page', () => {
    const { run } = patchedRealm();
    expect(run("typeof Error.prepareStackTrace + ('prepareStackTrace' in Error)")).toBe('undefinedfalse');
    expect(run("Object.getOwnPropertyNames(Error).includes('prepareStackTrace')")).toBe(false);
    expect(run('Object.getPrototypeOf(TypeError) === Error && Error.prototype.constructor === Error')).toBe(true);
    expect(run("new RangeError('r') instanceof Error && new Error('e').constructor === Error")).toBe(true);
    expect(run('class Mine extends Error {}; new Mine("m") instanceof Error')).toBe(true);
  });

  it("keeps the page's own prepareStackTrace on the page's Error", () => {
    const { run, intrinsic } = patchedRealm();
    expect(run('Error.prepareStackTrace = function mine() {}; [typeof Error.prepareStackTrace, Object.keys(Error).includes("prepareStackTrace")].join()')).toBe(
      'function,true',
    );
    expect(typeof intrinsic.prepareStackTrace).toBe('function');
    expect((intrinsic.prepareStackTrace as unknown as { name: string }).name).toBe('prepareStackTrace');
    expect(run("delete Error.prepareStackTrace; 'prepareStackTrace' in Error")).toBe(false);
  });

  it('formats with upstream URLs, without the runtime frames; a page formatter gets mapped sites', () => {
    const { run, intrinsic } = patchedRealm();
    const site = (file: string, text: string): object => ({
      getFileName: () => file,
      getFunctionName: () => 'f',
      getLineNumber: () => 7,
      getColumnNumber: () => 1,
      toString: () => text,
    });
    const sites = [
      site(`${P}/static/t.js`, `thrower (${P}/static/t.js:1:2)`),
      site('', `evaluated (eval at eval (${P}/__cobrowse/runtime.js:1:900), <anonymous>:1:25)`),
      { ...site(`${P}/__cobrowse/runtime.js`, `eval (${P}/__cobrowse/runtime.js:1:900)`), getFunctionName: () => 'eval' },
      site(`${P}/__cobrowse/runtime.js`, `w (${P}/__cobrowse/runtime.js:1:1)`),
      site(`${P}/p/page.html`, `${P}/p/page.html:9:3`),
    ];
    const format = intrinsic.prepareStackTrace as unknown as (e: unknown, s: unknown) => unknown;
    const error = new (run('Error') as ErrorConstructor)('boom');
    expect(format(error, sites)).toBe(
      'Error: boom\n    at thrower (https://site.example/static/t.js:1:2)' +
        '\n    at evaluated (eval at f (https://site.example/p/page.html:7:1), <anonymous>:1:25)' +
        '\n    at https://site.example/p/page.html:9:3',
    );
    run('Error.prepareStackTrace = (e, s) => s.map((x) => x.getFileName() + " " + x.getFunctionName())');
    expect(format(error, sites)).toEqual([
      'https://site.example/static/t.js f',
      ' f',
      'https://site.example/p/page.html f',
    ]);
  });

  it('hands the page value to the intrinsic when Error is frozen', () => {
    const { run, intrinsic } = patchedRealm();
    run('Error.prepareStackTrace = function mine() {}; Object.freeze(Error)');
    expect((intrinsic.prepareStackTrace as unknown as { name: string }).name).toBe('mine');
    expect(run("Object.getOwnPropertyNames(Error).includes('prepareStackTrace') && Object.isFrozen(Error)")).toBe(true);
  });
});
