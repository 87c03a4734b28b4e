import { describe, expect, it } from 'vitest';
import { isHandlerAttribute, patchCode, rewriteFunctionArgs } from '../src/runtime/patches/code';
import type { RuntimeContext } from '../src/runtime/context';

describe('code made from strings', () => {
  it('rewrites the body of a function constructor and knows handler attributes', () => {
    expect(rewriteFunctionArgs(['a', 'return a + location.href'])).toEqual(['a', 'return a + __cobrowse$.w(location).href']);
    expect(rewriteFunctionArgs([])).toEqual([]);
    expect(isHandlerAttribute('onclick')).toBe(true);
    expect(isHandlerAttribute('ONLOAD')).toBe(true);
    expect(isHandlerAttribute('one')).toBe(true);
    expect(isHandlerAttribute('href')).toBe(false);
    expect(isHandlerAttribute('on')).toBe(false);
  });

  it('patches Function, fn.constructor and keeps instanceof and toString natural', () => {
    const g = globalThis as unknown as Record<string, unknown>;
    g.__cobrowse$ = { w: () => 'wrapped' };
    for (const name of ['top', 'parent', 'location']) g[name] = name; // as in a window
    const NativeFunction = Function;
    const win = { Function } as unknown as Window & typeof globalThis;
    patchCode({ win } as unknown as RuntimeContext);
    const F = (win as unknown as { Function: FunctionConstructor }).Function;
    const f = new F('return top');
    expect(f()).toBe('wrapped');
    expect(F('return parent')()).toBe('wrapped');
    expect((function () {}).constructor('return location')()).toBe('wrapped');
    expect(f).toBeInstanceOf(F);
    expect(f).toBeInstanceOf(NativeFunction);
    expect(F.prototype).toBe(NativeFunction.prototype);
    expect(f.toString()).toContain('return top');
    expect(f.toString()).not.toContain('__cobrowse$');
    expect(String(F)).toContain('[native code]');
    expect(Function.prototype.toString.toString()).toContain('[native code]');
    const plain = new F('a', 'b', 'return a + b');
    expect(plain(1, 2)).toBe(3);
    for (const name of ['__cobrowse$', 'top', 'parent', 'location']) delete g[name];
  });
});
