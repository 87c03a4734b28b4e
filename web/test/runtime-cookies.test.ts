import { describe, expect, it } from 'vitest';
import {
  CookieView,
  defaultPath,
  domainMatches,
  parseCookieList,
  parseSetCookie,
  pathMatches,
} from '../src/runtime/cookies';

const NOW = Date.UTC(2025, 0, 1);
const URL_ = 'https://site.example/forms/apply/step1';

describe('parseSetCookie', () => {
  it('reads name, value and attributes', () => {
    expect(parseSetCookie(' sid = a b ; Path=/x; Domain=.Site.Example; Secure; SameSite=Lax', NOW)).toEqual({
      name: 'sid',
      value: 'a b',
      expires: null,
      path: '/x',
      domain: 'site.example',
      httpOnly: false,
      secure: true,
    });
    expect(parseSetCookie('flag', NOW)).toMatchObject({ name: '', value: 'flag' });
    expect(parseSetCookie('a=b=c', NOW)).toMatchObject({ name: 'a', value: 'b=c' });
    expect(parseSetCookie('a=1; path=relative', NOW)?.path).toBeNull();
  });
  it('computes expiry: Max-Age wins over Expires', () => {
    expect(parseSetCookie('a=1; Max-Age=60', NOW)?.expires).toBe(NOW + 60_000);
    expect(parseSetCookie('a=1; Max-Age=0', NOW)?.expires).toBe(0);
    expect(parseSetCookie('a=1; Max-Age=-5', NOW)?.expires).toBe(0);
    expect(parseSetCookie('a=1; Expires=Wed, 01 Jan 2031 00:00:00 GMT', NOW)?.expires).toBe(
      Date.UTC(2031, 0, 1),
    );
    expect(
      parseSetCookie('a=1; Expires=Wed, 01 Jan 2031 00:00:00 GMT; Max-Age=1', NOW)?.expires,
    ).toBe(NOW + 1000);
    expect(parseSetCookie('a=1; Max-Age=soon', NOW)?.expires).toBeNull();
  });
  it('flags HttpOnly and refuses garbage', () => {
    expect(parseSetCookie('a=1; HttpOnly', NOW)?.httpOnly).toBe(true);
    expect(parseSetCookie('', NOW)).toBeNull();
    expect(parseSetCookie('=', NOW)).toBeNull();
    expect(parseSetCookie('a=1\nb=2', NOW)).toBeNull();
    expect(parseSetCookie(`a=${'x'.repeat(5000)}`, NOW)).toBeNull();
  });
});

describe('cookie matching', () => {
  it('paths', () => {
    expect(defaultPath('/forms/apply/step1')).toBe('/forms/apply');
    expect(defaultPath('/x')).toBe('/');
    expect(defaultPath('')).toBe('/');
    expect(pathMatches('/forms/apply', '/forms')).toBe(true);
    expect(pathMatches('/forms', '/forms')).toBe(true);
    expect(pathMatches('/formsX', '/forms')).toBe(false);
    expect(pathMatches('/forms/x', '/forms/')).toBe(true);
  });
  it('domains', () => {
    expect(domainMatches('www.site.example', 'site.example')).toBe(true);
    expect(domainMatches('site.example', 'site.example')).toBe(true);
    expect(domainMatches('evilsite.example', 'site.example')).toBe(false);
    expect(domainMatches('site.example', 'other.example')).toBe(false);
  });
  it('parses document.cookie lists', () => {
    expect(parseCookieList('a=1; b=2;  ;c')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['', 'c'],
    ]);
  });
});

describe('CookieView', () => {
  it('starts from the jar snapshot and serializes like document.cookie', () => {
    const view = new CookieView('a=1; b=2');
    expect(view.get('/anything', NOW)).toBe('a=1; b=2');
  });
  it('applies writes, path scoping and deletion', () => {
    const view = new CookieView('a=1; b=2');
    expect(view.set('c=3', URL_, NOW)).toBe('set');
    expect(view.get('/forms/apply/step1', NOW)).toBe('c=3; a=1; b=2');
    expect(view.get('/', NOW)).toBe('a=1; b=2');
    expect(view.set('a=9; Path=/', URL_, NOW)).toBe('set');
    expect(view.get('/', NOW)).toBe('a=9; b=2');
    expect(view.set('b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT', URL_, NOW)).toBe('deleted');
    expect(view.get('/', NOW)).toBe('a=9');
    expect(view.set('c=; Max-Age=0; Path=/forms/apply', URL_, NOW)).toBe('deleted');
    expect(view.get('/forms/apply/step1', NOW)).toBe('a=9');
  });
  it('expires cookies with time', () => {
    const view = new CookieView('');
    view.set('t=1; Max-Age=10; Path=/', URL_, NOW);
    expect(view.get('/', NOW + 9_000)).toBe('t=1');
    expect(view.get('/', NOW + 10_000)).toBe('');
  });
  it('never takes HttpOnly cookies or foreign domains', () => {
    const view = new CookieView('');
    expect(view.set('h=1; HttpOnly; Path=/', URL_, NOW)).toBe('ignored');
    expect(view.set('d=1; Domain=other.example', URL_, NOW)).toBe('ignored');
    expect(view.set('d=1; Domain=site.example; Path=/', URL_, NOW)).toBe('set');
    expect(view.set('s=1; Secure; Path=/', 'http://site.example/', NOW)).toBe('ignored');
    expect(view.set('s=1; Secure; Path=/', 'http://app.localhost/', NOW)).toBe('set');
    expect(view.set('x=1', 'not a url', NOW)).toBe('ignored');
    expect(view.get('/', NOW)).toBe('d=1; s=1');
  });
  it('keeps the creation order on overwrite and sorts longer paths first', () => {
    const view = new CookieView('');
    view.set('a=1; Path=/', URL_, NOW);
    view.set('b=1; Path=/', URL_, NOW);
    view.set('a=2; Path=/', URL_, NOW);
    view.set('z=1; Path=/forms', URL_, NOW);
    expect(view.get('/forms/x', NOW)).toBe('z=1; a=2; b=1');
  });
});

// --- the native cookies of the proxy host (src/cobrowse/core/page_cookies.py) -----------

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applySet,
  decodeMirror,
  encodeWrite,
  parseNative,
  pendingWrites,
  serialize,
  visibleEntries,
  withoutNative,
  writeIdentity,
  type CookieEntry,
} from '../src/runtime/cookies';
import { patchCookie } from '../src/runtime/patches/cookie';
import { setText } from '../src/runtime/patches/cookie-store';
import type { RuntimeContext } from '../src/runtime/context';

interface Golden {
  mirror: Array<{ entries: unknown[][]; cookies: Record<string, string> }>;
  writes: Array<{ token: string; path: string; text: string; value: string }>;
}
const GOLDEN = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'tests', 'fixtures', 'cookies', 'golden.json'), 'utf-8'),
) as Golden;

function asEntry(e: unknown[]): CookieEntry {
  const [name, value, path, expires, domain, secure, sameSite] = e as [
    string,
    string,
    string,
    number | null,
    string | null,
    boolean,
    string,
  ];
  return { name, value, path, expires, domain, secure, sameSite };
}

describe('the golden fixtures shared with the server', () => {
  it.each(GOLDEN.mirror.map((c, i) => [i, c] as const))('decodes mirror %i', (_i, c) => {
    expect(decodeMirror(new Map(Object.entries(c.cookies)))).toEqual(c.entries.map(asEntry));
  });
  it.each(GOLDEN.writes.map((c) => [c.text, c] as const))('encodes the write %s', (_t, c) => {
    expect(encodeWrite(c.token, c.path, c.text)).toBe(c.value);
    expect(pendingWrites(new Map([['__cobrowse_w1_a', c.value]]))).toEqual([
      { name: '__cobrowse_w1_a', seq: 1, path: c.path, text: c.text },
    ]);
  });
});

describe('native cookies', () => {
  it('finds ours and hides them', () => {
    const text = 'a=1; __cobrowse_js0=g.1.W10; __cobrowse_js0=old; b=2; __cobrowse_w1_x=%2F|a';
    expect([...parseNative(text)]).toEqual([
      ['__cobrowse_js0', 'g.1.W10'],
      ['__cobrowse_w1_x', '%2F|a'],
    ]);
    expect(withoutNative(text)).toBe('a=1; b=2');
  });
  it('refuses a mirror of two payloads, a missing part or garbage', () => {
    const two = GOLDEN.mirror.find((c) => Object.keys(c.cookies).length > 1);
    expect(two).toBeDefined();
    const cookies = new Map(Object.entries(two?.cookies ?? {}));
    cookies.delete('__cobrowse_js1');
    expect(decodeMirror(cookies)).toBeNull();
    expect(decodeMirror(new Map([['__cobrowse_js0', 'g.1.!!']]))).toBeNull();
    expect(decodeMirror(new Map([['__cobrowse_js0', 'g.1.e30']]))).toBeNull(); // {}
    expect(decodeMirror(new Map())).toBeNull();
  });
  it('orders pending writes and skips unreadable ones', () => {
    const native = new Map([
      ['__cobrowse_w10_b', 't|%2F|b%3D1'],
      ['__cobrowse_w2_a', 't|%2F|a%3D1'],
      ['__cobrowse_w3_c', 'no-bar'],
      ['__cobrowse_w4_d', 't|%2F|%E0%A4'],
      ['__cobrowse_wx', 't|%2F|x'],
    ]);
    expect(pendingWrites(native).map((w) => [w.seq, w.text])).toEqual([
      [2, 'a=1'],
      [10, 'b=1'],
    ]);
  });
  it('escapes lone surrogates as unwritable', () => {
    expect(encodeWrite('ab', '/', 'a=\ud800')).toBeNull();
  });
  it('names the cookie a write replaces', () => {
    expect(writeIdentity('a=1', '/forms/x', NOW)).toBe(writeIdentity('a=2; Path=/forms', '/', NOW));
    expect(writeIdentity('a=1; Path=/', '/forms/x', NOW)).not.toBe(writeIdentity('a=1', '/forms/x', NOW));
    expect(writeIdentity('', '/', NOW)).toBeNull();
  });
});

describe('applySet, visibleEntries and serialize', () => {
  const mirror: CookieEntry[] = [
    { name: 'deep', value: '1', path: '/forms', expires: null, domain: null, secure: false, sameSite: 'lax' },
    { name: 'a', value: '1', path: '/', expires: NOW + 1000, domain: null, secure: false, sameSite: '' },
  ];
  it('filters by path and expiry, longest path first', () => {
    expect(serialize(mirror, '/forms/x', NOW)).toBe('deep=1; a=1');
    expect(serialize(mirror, '/', NOW)).toBe('a=1');
    expect(serialize(mirror, '/forms/x', NOW + 1000)).toBe('deep=1');
    expect(visibleEntries(mirror, '/formsX', NOW).map((e) => e.name)).toEqual(['a']);
  });
  it('overwrites in place, deletes, and records attributes', () => {
    const set = applySet(mirror, 'a=2; Path=/; SameSite=Strict; Secure', URL_, NOW);
    expect(set.result).toBe('set');
    expect(set.entries[1]).toMatchObject({ name: 'a', value: '2', secure: true, sameSite: 'strict' });
    expect(mirror[1]?.value).toBe('1'); // pure
    const gone = applySet(mirror, 'deep=; Path=/forms; Max-Age=0', URL_, NOW);
    expect(gone.result).toBe('deleted');
    expect(gone.entries.map((e) => e.name)).toEqual(['a']);
    const domain = applySet([], 'p=1; Domain=site.example', URL_, NOW);
    expect(domain.entries[0]?.domain).toBe('site.example');
    expect(applySet([], 'p=1; Domain=site.example', URL_, NOW).entries[0]?.path).toBe('/forms/apply');
    expect(applySet(mirror, 'h=1; HttpOnly', URL_, NOW)).toEqual({ entries: mirror, result: 'ignored' });
  });
});

describe('cookieStore.set as a cookie string', () => {
  it('builds it with the API defaults', () => {
    expect(setText({ name: 'a', value: '1' })).toBe('a=1; Path=/; Secure; SameSite=strict');
    expect(
      setText({ name: 'a', value: '1', path: '/x', domain: 'site.example', expires: 0, sameSite: 'lax' }),
    ).toBe('a=1; Path=/x; Domain=site.example; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=lax');
  });
  it('refuses what the API refuses', () => {
    for (const bad of [
      { name: 'a=b', value: '1' },
      { name: 'a', value: '1;b' },
      { name: '', value: '' },
      { name: 'a', value: '1', path: 'x' },
      { name: 'a', value: '1', domain: '.site.example' },
      { name: 'a', value: '1', sameSite: 'sometimes' },
      { name: 'a', value: '1', expires: Number.NaN },
    ]) {
      expect(setText(bad)).toBeInstanceOf(TypeError);
    }
  });
});

/** A document whose native cookie accessor is a small cookie store of the proxy host. */
function fakePage(initial: Record<string, string>, keep = true) {
  const jar = new Map(Object.entries(initial));
  const written: string[] = [];
  class FakeDocument {}
  Object.defineProperty(FakeDocument.prototype, 'cookie', {
    configurable: true,
    get: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    set: (text: string) => {
      written.push(text);
      if (!keep) return;
      const [pair = '', ...attrs] = text.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      if (attrs.some((a) => a.trim() === 'Max-Age=0')) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1).trim());
    },
  });
  const posted: string[] = [];
  const doc = new FakeDocument();
  const listeners = new Map<string, () => void>();
  const win = {
    addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
    Document: FakeDocument,
    document: doc,
    location: { href: 'http://p1.cobrowse.localhost/forms/apply/step1', origin: 'http://p1.cobrowse.localhost' },
    navigator: {},
  };
  const fetchStub = ((_url: string, init: { body: string }) => {
    posted.push(init.body);
    return Promise.resolve(new Response(null, { status: 204 }));
  }) as unknown as typeof fetch;
  const ctx = {
    cfg: { cookies: 'snap=1', cookieToken: 'c0ffee', upstreamOrigin: 'https://www.site.example' },
    map: { toUpstream: (u: string) => u.replace('http://p1.cobrowse.localhost', 'https://www.site.example') },
    win,
  } as unknown as RuntimeContext;
  patchCookie(ctx, fetchStub);
  return { jar, doc: doc as unknown as { cookie: string }, written, posted, listeners };
}

describe('patchCookie over a fake cookie store', () => {
  const mirrorOf = (i: number): Record<string, string> => GOLDEN.mirror[i]?.cookies ?? {};
  it('reads the mirror through the native getter and hides our cookies', () => {
    const page = fakePage({ ...mirrorOf(1), other: 'proxy-own' });
    expect(page.doc.cookie).toBe('a=1');
    // A response updates the mirror: the next read shows it, no reload.
    for (const [k, v] of Object.entries(mirrorOf(2))) page.jar.set(k, v);
    expect(page.doc.cookie).toBe('deep=x y; sid="quoted"; नाम=मान');
  });
  it('records a write at once in a native cookie, the newer replacing the older', () => {
    const page = fakePage(mirrorOf(0));
    page.doc.cookie = 'theme=blue; path=/';
    expect(page.doc.cookie).toBe('theme=blue');
    const pending = pendingWrites(page.jar);
    expect(pending.map((w) => [w.path, w.text])).toEqual([['/forms/apply/step1', 'theme=blue; path=/']]);
    expect(page.written.at(-1)).toMatch(/^__cobrowse_w1_[a-z0-9]+=c0ffee\|.*; Path=\/; Secure; SameSite=None; Partitioned$/);
    page.doc.cookie = 'theme=red; path=/';
    page.doc.cookie = 'other=1';
    expect(pendingWrites(page.jar).map((w) => w.text)).toEqual(['theme=red; path=/', 'other=1']);
    expect(page.doc.cookie).toBe('other=1; theme=red');
    page.doc.cookie = 'h=1; HttpOnly';
    expect(pendingWrites(page.jar)).toHaveLength(2);
    expect(page.posted).toEqual([]);
    // The server applied them: the mirror has them, the writes are cleared.
    for (const w of pendingWrites(page.jar)) page.jar.delete(w.name);
    expect(page.doc.cookie).toBe('');
  });
  it('posts the writes still waiting when the page goes', () => {
    const page = fakePage(mirrorOf(0));
    page.doc.cookie = 'last=1; path=/';
    const [pending] = pendingWrites(page.jar);
    page.listeners.get('pagehide')?.();
    expect(page.posted.map((b) => JSON.parse(b) as unknown)).toEqual([
      { cookie: 'last=1; path=/', path: '/forms/apply/step1', name: pending?.name },
    ]);
  });
  it('posts what the browser does not keep', () => {
    const page = fakePage(mirrorOf(0));
    page.doc.cookie = `big=${'x'.repeat(3990)}; path=/`;
    expect(page.posted).toHaveLength(1);
    expect(JSON.parse(page.posted[0] ?? '{}')).toMatchObject({ path: '/forms/apply/step1' });
    expect(page.doc.cookie).toBe(`big=${'x'.repeat(3990)}`); // until the POST is answered
  });
  it('falls back to the snapshot without a mirror', () => {
    const page = fakePage({}, false);
    expect(page.doc.cookie).toBe('snap=1');
    page.doc.cookie = 'a=1; path=/';
    expect(page.doc.cookie).toBe('snap=1; a=1');
    expect(page.posted).toHaveLength(1);
  });
});
