import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rewriteJs, rewriteScriptUrl } from '../src/runtime/jsrewrite';
import { toProxy } from '../src/runtime/urls';

interface Golden {
  base: string;
  origins: Record<string, string>;
  cases: Array<{ name: string; kind: 'script' | 'module' | 'handler'; input: string; output: string }>;
}

const golden = JSON.parse(
  readFileSync(new URL('../../tests/fixtures/js/golden.json', import.meta.url), 'utf-8'),
) as Golden;
const mapSpecifier = (s: string): string => toProxy(s, golden.base, golden.origins);

describe('the in-page rewriter holds the golden cases', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      expect(rewriteJs(c.input, c.kind, { mapSpecifier })).toBe(c.output);
    });
  }
});

describe('the in-page rewriter', () => {
  it('rewrites a javascript: URL and leaves others', () => {
    const url = rewriteScriptUrl('javascript:location.href="/x"');
    expect(decodeURIComponent(url.slice('javascript:'.length))).toBe('__cobrowse$.w(location).href="/x"');
    expect(rewriteScriptUrl('https://a.example/')).toBe('https://a.example/');
    expect(rewriteScriptUrl('javascript:void 0')).toBe('javascript:void 0');
  });

  it('keeps the code runnable', () => {
    const out = rewriteJs('var r = (function(){ return location.href + parent.x; })();', 'script');
    expect(out).toBe('var r = (function(){ return __cobrowse$.w(location).href + __cobrowse$.w(parent).x; })();');
    const g = { __cobrowse$: { w: (v: unknown) => v }, location: { href: 'h' }, parent: { x: 1 } };
    expect(new Function('__cobrowse$', 'location', 'parent', `${out}; return r;`)(g.__cobrowse$, g.location, g.parent)).toBe('h1');
  });
});
