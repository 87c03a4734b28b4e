import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/runtime/config';
import { redirectNavigation } from '../src/runtime/patches/navigation';
import { frameTarget } from '../src/runtime/patches/windows';
import { urlAttributeKind } from '../src/runtime/patches/elements';
import {
  goUrl,
  invert,
  isAbsolute,
  makeMapper,
  mapSrcset,
  proxySuffix,
  toProxy,
  toUpstream,
  withRawQuery,
} from '../src/runtime/urls';

const P = 'http://pabc.cobrowse.localhost:8000';
const C = 'http://pcdn.cobrowse.localhost:8000';
const origins = { 'https://site.example': P, 'https://cdn.example': C };
const reverse = invert(origins);
const base = 'https://site.example/dir/page.html?x=1';

describe('toProxy', () => {
  it('maps absolute URLs of known upstream origins, keeping path, query and hash', () => {
    expect(toProxy('https://site.example/a/b?c=d#e', base, origins)).toBe(`${P}/a/b?c=d#e`);
    expect(toProxy('https://cdn.example/x.png', base, origins)).toBe(`${C}/x.png`);
    expect(toProxy('https://site.example', base, origins)).toBe(`${P}/`);
    expect(toProxy('HTTPS://SITE.EXAMPLE:443/A', base, origins)).toBe(`${P}/A`);
    expect(toProxy('  https://site.example/t\n ', base, origins)).toBe(`${P}/t`);
  });
  it('maps protocol-relative URLs with the scheme of the upstream base', () => {
    expect(toProxy('//site.example/p', base, origins)).toBe(`${P}/p`);
    expect(toProxy('\\\\site.example/p', base, origins)).toBe(`${P}/p`);
    expect(toProxy('//site.example/p', 'http://site.example/', origins)).toBe('//site.example/p');
  });
  it('maps ws and wss with their http(s) origin', () => {
    expect(toProxy('wss://site.example/socket?a=1', base, origins)).toBe(
      'ws://pabc.cobrowse.localhost:8000/socket?a=1',
    );
    expect(
      toProxy('wss://site.example/s', base, { 'https://site.example': 'https://pabc.cb.example' }),
    ).toBe('wss://pabc.cb.example/s');
    expect(toProxy('ws://site.example/s', base, origins)).toBe('ws://site.example/s');
  });
  it('leaves relative URLs, other origins, other schemes and garbage alone', () => {
    for (const url of [
      '/root',
      'rel/path?q',
      '?q=1',
      '#h',
      '',
      'https://other.example/x',
      'http://site.example/x',
      'https://site.example:8443/x',
      'data:text/plain,hi',
      'blob:https://site.example/uuid',
      'javascript:void(0)',
      'mailto:a@site.example',
      'https://[bad',
      `${P}/already`,
    ]) {
      expect(toProxy(url, base, origins)).toBe(url);
    }
  });
  it('is idempotent and never throws on non-strings', () => {
    const once = toProxy('https://site.example/a', base, origins);
    expect(toProxy(once, base, origins)).toBe(once);
    expect(toProxy(undefined as unknown as string, base, origins)).toBeUndefined();
    expect(toProxy('https://site.example/a', 'not a base', origins)).toBe(`${P}/a`);
  });
  it('keeps a query as written, for the browser to encode in the page\'s encoding', () => {
    // The URL API would send ?q=%C3%A9 (UTF-8); a windows-1252 page sends ?q=%E9.
    expect(toProxy('https://site.example/s?q=\u00e9 x#h\u00e9', base, origins)).toBe(
      `${P}/s?q=\u00e9 x#h%C3%A9`,
    );
    expect(toProxy('//site.example/s?q=\u00e9', base, origins)).toBe(`${P}/s?q=\u00e9`);
    expect(toProxy('https://site.example/s?', base, origins)).toBe(`${P}/s?`);
    expect(toProxy('https://site.example/s#x?q=\u00e9', base, origins)).toBe(`${P}/s#x?q=%C3%A9`);
    expect(toProxy('https://site.example?q=%E9', base, origins)).toBe(`${P}/?q=%E9`);
  });
  it('does not take prototype names for origins', () => {
    expect(toProxy('https://constructor/x', base, {})).toBe('https://constructor/x');
  });
});

describe('toUpstream', () => {
  it('maps proxy URLs and bare proxy origins back', () => {
    expect(toUpstream(`${P}/a?b#c`, reverse)).toBe('https://site.example/a?b#c');
    expect(toUpstream(P, reverse)).toBe('https://site.example');
    expect(toUpstream(`${C}/`, reverse)).toBe('https://cdn.example/');
    expect(toUpstream('ws://pabc.cobrowse.localhost:8000/s', reverse)).toBe('wss://site.example/s');
  });
  it('leaves everything else alone', () => {
    for (const url of ['/x', 'https://other.example/', 'null', '', 'http://pzzz.cobrowse.localhost:8000/']) {
      expect(toUpstream(url, reverse)).toBe(url);
    }
  });
  it('round-trips with toProxy', () => {
    for (const url of ['https://site.example/a/b?c=d#e', 'https://cdn.example/x.css']) {
      expect(toUpstream(toProxy(url, base, origins), reverse)).toBe(url);
    }
  });
  it('knows absolute URLs', () => {
    expect(isAbsolute('//x')).toBe(true);
    expect(isAbsolute('x:y')).toBe(true);
    expect(isAbsolute('/x')).toBe(false);
  });
});

describe('srcset', () => {
  const map = (u: string): string => toProxy(u, base, origins);
  it('maps every candidate and keeps descriptors', () => {
    expect(mapSrcset('https://site.example/a.png 1x, https://cdn.example/b.png 2x', map)).toBe(
      `${P}/a.png 1x, ${C}/b.png 2x`,
    );
    // A URL ends at whitespace (HTML srcset parsing): only trailing commas separate.
    expect(mapSrcset('https://site.example/a.png, https://site.example/b.png 640w', map)).toBe(
      `${P}/a.png, ${P}/b.png 640w`,
    );
    expect(mapSrcset('https://site.example/a.png,, https://site.example/b.png', map)).toBe(
      `${P}/a.png,, ${P}/b.png`,
    );
    expect(mapSrcset('  /rel.png  300w , data:image/png;base64,AAA= 2x', map)).toBe(
      '  /rel.png  300w , data:image/png;base64,AAA= 2x',
    );
    expect(mapSrcset('', map)).toBe('');
  });
});

describe('mapper', () => {
  it('binds the base lazily and knows proxy origins', () => {
    let current = 'https://site.example/';
    const m = makeMapper(origins, () => current);
    expect(m.toProxy('//site.example/x')).toBe(`${P}/x`);
    current = 'http://site.example/';
    expect(m.toProxy('//site.example/x')).toBe('//site.example/x');
    expect(m.isProxyOrigin(`${P}/y`)).toBe(true);
    expect(m.isProxyOrigin('https://site.example/y')).toBe(false);
    expect(m.toUpstream(`${P}/y`)).toBe('https://site.example/y');
  });
});

describe('everything the page loads goes to the proxy', () => {
  const go = '/__cobrowse/go?url=';
  const m = makeMapper(origins, () => base, { proxyOrigin: P, go, others: ['https://cdn.example'] });
  const viaGo = (url: string): string => `${P}${go}${encodeURIComponent(url)}`;
  it('sends URLs of origins without a host through this host\'s go path', () => {
    expect(m.toLoad('https://evil.example/x?y=1#z')).toBe(viaGo('https://evil.example/x?y=1#z'));
    expect(m.toLoad('//evil.example/p')).toBe(viaGo('https://evil.example/p'));
    expect(m.toLoad('http://site.example/x')).toBe(viaGo('http://site.example/x')); // another origin
    expect(m.toLoad('  HTTPS://EVIL.example/t\n')).toBe(viaGo('https://evil.example/t'));
  });
  it('sends sockets to the go path on the socket scheme', () => {
    expect(m.toLoad('wss://chat.evil.example/s?a=1')).toBe(
      `ws://pabc.cobrowse.localhost:8000${go}${encodeURIComponent('wss://chat.evil.example/s?a=1')}`,
    );
    expect(
      goUrl(new URL('ws://x.example/'), 'https://pabc.cb.example', go, proxySuffix('https://pabc.cb.example')),
    ).toBe(`wss://pabc.cb.example${go}${encodeURIComponent('ws://x.example/')}`);
  });
  it('uses the hosts it knows, other origins included, and leaves the rest', () => {
    expect(m.toLoad('https://cdn.example/f.woff2')).toBe(`${C}/f.woff2`);
    expect(m.toLoad('https://site.example/a')).toBe(`${P}/a`);
    for (const url of [
      '/root',
      'rel?q',
      '#h',
      'data:text/plain,hi',
      'blob:https://site.example/uuid',
      'javascript:void(0)',
      'mailto:a@b.example',
      `${P}/already`,
      'http://pzzz.cobrowse.localhost:8000/another-label',
    ]) {
      expect(m.toLoad(url)).toBe(url);
    }
  });
  it('maps only the site\'s own origins for toProxy (the agent opens only those)', () => {
    expect(m.toProxy('https://site.example/a')).toBe(`${P}/a`);
    expect(m.toProxy('https://cdn.example/f.woff2')).toBe('https://cdn.example/f.woff2');
    expect(m.toProxy('https://evil.example/')).toBe('https://evil.example/');
  });
  it('knows every proxy host', () => {
    expect(m.isProxyOrigin('http://pzzz.cobrowse.localhost:8000/x')).toBe(true);
    expect(m.isProxyOrigin(`${C}/x`)).toBe(true);
    expect(m.isProxyOrigin('https://cdn.example/x')).toBe(false);
    expect(proxySuffix(P)).toBe('.cobrowse.localhost');
  });
  it('sends navigations to known other origins to their host, which shows the outside page', () => {
    expect(redirectNavigation('https://cdn.example/page', m, go)).toBe(`${C}/page`);
    expect(redirectNavigation('https://evil.example/', m, go)).toBe(viaGo('https://evil.example/'));
    expect(redirectNavigation('http://pzzz.cobrowse.localhost:8000/x', m, go)).toBeNull();
  });
});

describe('navigation redirects', () => {
  const m = makeMapper(origins, () => base);
  const go = '/__cobrowse/go?url=';
  it('maps known origins, routes other http(s) through go, leaves the rest', () => {
    expect(redirectNavigation('https://site.example/next', m, go)).toBe(`${P}/next`);
    expect(redirectNavigation('https://other.example/a?b', m, go)).toBe(
      '/__cobrowse/go?url=https%3A%2F%2Fother.example%2Fa%3Fb',
    );
    expect(redirectNavigation(`${P}/x`, m, go)).toBeNull();
    expect(redirectNavigation('about:blank', m, go)).toBeNull();
    expect(redirectNavigation('javascript:alert(1)', m, go)).toBeNull();
  });
  it('treats _top and _parent as this frame in the overlay only', () => {
    expect(frameTarget('_top', true)).toBe('_self');
    expect(frameTarget(' _PARENT ', true)).toBe('_self');
    expect(frameTarget('_blank', true)).toBe('_blank');
    expect(frameTarget('_top', false)).toBe('_top');
  });
});

describe('URL attributes', () => {
  const HTML = 'http://www.w3.org/1999/xhtml';
  const SVG = 'http://www.w3.org/2000/svg';
  it('knows which attributes hold URLs', () => {
    expect(urlAttributeKind(HTML, 'a', null, 'HREF')).toBe('url');
    expect(urlAttributeKind(HTML, 'img', null, 'srcset')).toBe('srcset');
    expect(urlAttributeKind(HTML, 'button', null, 'formaction')).toBe('url');
    expect(urlAttributeKind(HTML, 'object', null, 'data')).toBe('url');
    expect(urlAttributeKind(HTML, 'div', null, 'href')).toBeNull();
    expect(urlAttributeKind(HTML, 'a', null, 'title')).toBeNull();
    expect(urlAttributeKind(SVG, 'use', 'http://www.w3.org/1999/xlink', 'xlink:href')).toBe('url');
    expect(urlAttributeKind(SVG, 'a', null, 'href')).toBe('url');
    expect(urlAttributeKind(SVG, 'rect', null, 'fill')).toBeNull();
  });
});

describe('runtime config', () => {
  const raw = {
    upstream_origin: 'https://site.example',
    proxy_origin: P,
    origins: { 'https://cdn.example/': C, 'javascript:x': 'y' },
    other_origins: ['https://cdn.example', 'https://site.example', 'https://unknown.example', 7],
    go: '/__cobrowse/go?url=',
    parent_origin: 'https://site.example',
    masking: { selectors: ['.secret', 3] },
    cookies: 'a=1',
    storage: 'emulated',
  };
  it('parses and normalises', () => {
    const cfg = parseConfig(JSON.stringify(raw));
    expect(cfg).toEqual({
      upstreamOrigin: 'https://site.example',
      proxyOrigin: P,
      origins: { 'https://cdn.example': C, 'https://site.example': P },
      otherOrigins: ['https://cdn.example'],
      go: '/__cobrowse/go?url=',
      parentOrigin: 'https://site.example',
      selectors: ['.secret'],
      masking: { selectors: ['.secret'], scopes: [], patterns: [] },
      cookies: 'a=1',
      cookieToken: '',
      storage: 'emulated',
      outside: false,
    });
  });
  it('has safe defaults and refuses unusable configs', () => {
    const cfg = parseConfig(JSON.stringify({ upstream_origin: 'https://s.example', proxy_origin: P }));
    expect(cfg?.storage).toBe('native');
    expect(cfg?.cookies).toBe('');
    expect(cfg?.go).toBe('/__cobrowse/go?url=');
    expect(cfg?.outside).toBe(false);
    expect(parseConfig(JSON.stringify({ ...raw, outside: true }))?.outside).toBe(true);
    expect(parseConfig(JSON.stringify({ ...raw, outside: 'yes' }))?.outside).toBe(false);
    expect(parseConfig(JSON.stringify({ ...raw, go: 'https://evil.example/?' }))?.go).toBe(
      '/__cobrowse/go?url=',
    );
    expect(parseConfig(null)).toBeNull();
    expect(parseConfig('{')).toBeNull();
    expect(parseConfig('[]')).toBeNull();
    expect(parseConfig(JSON.stringify({ ...raw, proxy_origin: 'javascript:1' }))).toBeNull();
  });
});

describe('go URLs read back', () => {
  it('toUpstream gives the URL a go URL stands for', async () => {
    const { makeMapper, fromGo } = await import('../src/runtime/urls');
    const P = 'http://pabc.cobrowse.localhost:8000';
    const m = makeMapper({ 'https://site.example': P }, () => 'https://site.example/', {
      proxyOrigin: P,
      go: '/__cobrowse/go?url=',
    });
    const other = 'https://other.example/a?b=1#c';
    expect(m.toUpstream(m.toLoad(other))).toBe(other);
    expect(fromGo(`${P}/__cobrowse/go?url=${encodeURIComponent(other)}`, '/__cobrowse/go?url=', '.cobrowse.localhost')).toBe(other);
    expect(fromGo('https://other.example/__cobrowse/go?url=x', '/__cobrowse/go?url=', '.cobrowse.localhost')).toBeNull();
    expect(m.toUpstream(`${P}/__cobrowse/go?url=%E0%A4%A`)).toBe(`https://site.example/__cobrowse/go?url=%E0%A4%A`);
  });
});

describe('raw queries', () => {
  it('puts the query as written into the URL API\'s serialisation', () => {
    const input = '../x?q=\u00e9&r=%41#f';
    const href = new URL(input, base).href;
    expect(href).toBe('https://site.example/x?q=%C3%A9&r=%41#f');
    expect(withRawQuery(href, input)).toBe('https://site.example/x?q=\u00e9&r=%41#f');
    expect(withRawQuery('https://site.example/x', '/x?\u00e9\t')).toBe('https://site.example/x?\u00e9');
  });
  it('leaves URLs without a query, and other schemes, as they are', () => {
    expect(withRawQuery('https://site.example/dir/page.html?x=1#f', '#f')).toBe(
      'https://site.example/dir/page.html?x=1#f',
    );
    expect(withRawQuery('wss://site.example/s?q=%C3%A9', 'wss://site.example/s?q=\u00e9')).toBe(
      'wss://site.example/s?q=%C3%A9',
    );
    expect(withRawQuery('mailto:a?b=%C3%A9', 'mailto:a?b=\u00e9')).toBe('mailto:a?b=%C3%A9');
    expect(withRawQuery(undefined as unknown as string, 'x')).toBeUndefined();
  });
});
