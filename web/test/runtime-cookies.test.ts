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
