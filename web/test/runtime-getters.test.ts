import { describe, expect, it } from 'vitest';
import { domainAllowed, isRuntimeUrl, mapHeaderBlock, mapLinkHeader } from '../src/runtime/patches/getters';
import { makeGate } from '../src/runtime/gate';
import { P, map, up } from './site-map';


describe('transparency getters, pure parts', () => {
  it('maps the URLs of a Link header back upstream, and nothing else', () => {
    expect(mapLinkHeader(`<${P}/a.css>; rel=preload; as=style, </b.js>; rel=modulepreload`, up)).toBe(
      '<https://site.example/a.css>; rel=preload; as=style, </b.js>; rel=modulepreload',
    );
    expect(mapLinkHeader('<https://cdn.example/x>; rel=preconnect', up)).toBe('<https://cdn.example/x>; rel=preconnect');
    const block = `content-type: text/html\r\nlink: <${P}/a.css>; rel=preload\r\nx-url: ${P}/kept\r\n`;
    expect(mapHeaderBlock(block, up)).toBe(
      `content-type: text/html\r\nlink: <https://site.example/a.css>; rel=preload\r\nx-url: ${P}/kept\r\n`,
    );
  });

  it('accepts document.domain values upstream would accept', () => {
    expect(domainAllowed('www.site.example', 'site.example')).toBe(true);
    expect(domainAllowed('www.site.example', 'www.site.example')).toBe(true);
    expect(domainAllowed('www.site.example', 'example')).toBe(false);
    expect(domainAllowed('www.site.example', 'other.example')).toBe(false);
    expect(domainAllowed('www.site.example', 'ite.example')).toBe(false);
    expect(domainAllowed('10.0.0.1', '0.0.1')).toBe(false);
  });

  it("knows the runtime's own URLs", () => {
    const proxy = (u: string): boolean => map.isProxyOrigin(u);
    expect(isRuntimeUrl(`${P}/__cobrowse/runtime.js`, proxy)).toBe(true);
    expect(isRuntimeUrl(`${P}/app.js`, proxy)).toBe(false);
    expect(isRuntimeUrl('https://site.example/__cobrowse/runtime.js', proxy)).toBe(false);
  });

  it('the read gate is native only inside run', () => {
    const gate = makeGate();
    expect(gate.native).toBe(false);
    expect(gate.run(() => gate.native)).toBe(true);
    expect(() => gate.run(() => { throw new Error('x'); })).toThrow();
    expect(gate.native).toBe(false);
  });
});
