import { describe, expect, it, vi } from 'vitest';
import { PARSER_GLOBAL, evaluateParser } from '../src/runtime/parser';

const fake = `var ${PARSER_GLOBAL} = (() => ({ parseScript: () => 's', parseModule: () => 'm' }))();`;

describe('the rewriter parser loaded on first use', () => {
  it('takes the parser from runtime-parser.js source, in its own scope', () => {
    const p = evaluateParser(fake);
    expect(p?.parseScript('x')).toBe('s');
    expect(p?.parseModule('x')).toBe('m');
    expect((globalThis as Record<string, unknown>)[PARSER_GLOBAL]).toBeUndefined();
  });

  it('gives null for a failed fetch, other code, code that throws, or a refused eval', () => {
    expect(evaluateParser(null)).toBeNull();
    expect(evaluateParser('var x = 1;')).toBeNull();
    expect(evaluateParser(`var ${PARSER_GLOBAL} = { parseScript: 1, parseModule: 2 };`)).toBeNull();
    expect(evaluateParser('throw new Error("no")')).toBeNull();
    expect(evaluateParser('}{')).toBeNull();
    const refusing = function () {
      throw new EvalError('unsafe-eval is not allowed');
    } as unknown as FunctionConstructor;
    expect(evaluateParser(fake, refusing)).toBeNull();
  });

  it('loads once, on first use, and passes code through when it cannot', async () => {
    vi.resetModules();
    const parser = await import('../src/runtime/parser');
    const { rewriteJs } = await import('../src/runtime/jsrewrite');
    // No XMLHttpRequest here: the load fails, once, and rewriting leaves code as it is.
    parser.loadParserFrom('http://p.proxy.test/__cobrowse/runtime-parser.js');
    expect(rewriteJs('location.href = "/x"', 'script')).toBe('location.href = "/x"');
    expect(parser.parser()).toBeNull();
    const { parseModule, parseScript } = await import('meriyah');
    parser.useParser({ parseModule, parseScript });
    parser.loadParserFrom('http://p.proxy.test/__cobrowse/runtime-parser.js'); // already had
    expect(rewriteJs('location.href = "/x"', 'script')).toBe('__cobrowse$.w(location).href = "/x"');
  });
});
