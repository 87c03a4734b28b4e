import { describe, expect, it } from 'vitest';
import { emulateLocation, frameChain, patchWindowProperties, withPart, withSearch } from '../src/runtime/location';
import { makeHooks } from '../src/runtime/hooks';
import { makeMapper } from '../src/runtime/urls';

const P = 'http://pabc.cobrowse.localhost:8000';
const W = 'http://widget.example';
const map = makeMapper({ 'https://site.example': P }, () => 'https://site.example/app/', {
  proxyOrigin: P,
  go: '/__cobrowse/go?url=',
  others: [],
});

/** A Location that records navigations instead of navigating. */
class FakeLocation {
  navigations: string[] = [];
  private url = `${P}/app/page?q=1#top`;
  get href(): string {
    return this.url;
  }
  set href(v: string) {
    this.navigations.push(`href ${v}`);
  }
  get hash(): string {
    return new URL(this.url).hash;
  }
  set hash(v: string) {
    const u = new URL(this.url);
    u.hash = v;
    this.url = u.href;
  }
  assign(v: string): void {
    this.navigations.push(`assign ${v}`);
  }
  replace(v: string): void {
    this.navigations.push(`replace ${v}`);
  }
  reload(): void {
    this.navigations.push('reload');
  }
}

function fakeWindow(): Window & typeof globalThis & { location: FakeLocation } {
  const win: Record<string, unknown> = { Location: FakeLocation };
  win.window = win;
  win.location = new FakeLocation();
  win.document = { baseURI: `${P}/app/page?q=1` };
  win.parent = win;
  win.top = win;
  win.frames = { length: 0 };
  return win as unknown as Window & typeof globalThis & { location: FakeLocation };
}

function emulate(win = fakeWindow(), hidden: Window[] = [], root?: Window) {
  return emulateLocation({
    win,
    map,
    hidden: () => hidden,
    root: () => root ?? win,
    ancestorOrigins: () => [],
    rewriteScriptUrl: (u) => u.replace('location', '__cobrowse$.w(location)'),
  });
}

describe('emulated location', () => {
  it('reads the upstream URL in every part, and is one object', () => {
    const win = fakeWindow();
    const e = emulate(win);
    const loc = e.wrap(win.location) as Location;
    expect(loc).toBe(e.wrap(win.location));
    expect(loc).toBeInstanceOf(FakeLocation);
    expect(loc.href).toBe('https://site.example/app/page?q=1#top');
    expect(loc.origin).toBe('https://site.example');
    expect(loc.protocol).toBe('https:');
    expect(loc.host).toBe('site.example');
    expect(loc.hostname).toBe('site.example');
    expect(loc.port).toBe('');
    expect(loc.pathname).toBe('/app/page');
    expect(loc.search).toBe('?q=1');
    expect(loc.hash).toBe('#top');
    expect(String(loc)).toBe(loc.href);
    expect(`${loc}`).toBe(loc.href);
    expect(loc.toString()).toBe(loc.href);
    expect(loc.valueOf()).toBe(loc);
    expect(JSON.parse(JSON.stringify(loc)).href).toBe(loc.href);
    expect(Object.keys(loc)).toEqual(expect.arrayContaining(['href', 'origin', 'assign', 'reload']));
    expect(e.wrap(loc)).toBe(loc);
  });

  it('navigates the real location to the mapped URL', () => {
    const win = fakeWindow();
    const loc = emulate(win).wrap(win.location) as Location;
    loc.href = 'https://site.example/next';
    loc.href = '../up';
    loc.assign('https://other.example/x');
    loc.replace('/root');
    loc.pathname = '/p';
    loc.search = 'a=b';
    loc.host = 'site.example:8443';
    loc.reload();
    expect(win.location.navigations).toEqual([
      `href ${P}/next`,
      `href ${P}/up`,
      `assign ${P}/__cobrowse/go?url=${encodeURIComponent('https://other.example/x')}`,
      `replace ${P}/root`,
      `href ${P}/p?q=1#top`,
      `href ${P}/app/page?a=b#top`,
      `href ${P}/__cobrowse/go?url=${encodeURIComponent('https://site.example:8443/app/page?q=1#top')}`,
      'reload',
    ]);
  });

  it('leaves a non-ASCII query as written, for the browser to encode in the page\'s encoding', () => {
    const win = fakeWindow();
    const loc = emulate(win).wrap(win.location) as Location;
    loc.href = '?q=\u00e9';
    loc.assign('https://site.example/s?q=\u00e9#\u00e9');
    loc.search = '?q=\u00e9#x';
    loc.search = '';
    expect(win.location.navigations).toEqual([
      `href ${P}/app/page?q=\u00e9`,
      `assign ${P}/s?q=\u00e9#%C3%A9`,
      `href ${P}/app/page?q=\u00e9%23x#top`,
      `href ${P}/app/page#top`,
    ]);
    expect(withSearch('https://a.example/x?a=%C3%A9', 'a=\u00e9')).toBe('https://a.example/x?a=\u00e9');
  });

  it('sets the hash in place, rewrites javascript: URLs, throws where a Location throws', () => {
    const win = fakeWindow();
    const loc = emulate(win).wrap(win.location) as Location;
    loc.hash = 'h2';
    expect(win.location.href).toBe(`${P}/app/page?q=1#h2`);
    expect(loc.hash).toBe('#h2');
    loc.href = 'javascript:location.href';
    expect(win.location.navigations).toEqual(['href javascript:__cobrowse$.w(location).href']);
    expect(() => {
      loc.protocol = '1bad';
    }).toThrow();
    expect(withPart('https://a.example/x', 'protocol', 'http')).toBe('http://a.example/x');
    expect(withPart('https://a.example/x', 'protocol', 'ftp')).toBeNull();
  });

  it('maps the overlay host window to the proxied root and leaves other values', () => {
    const win = fakeWindow();
    const widget = fakeWindow();
    const e = emulate(win, [widget], win);
    expect(e.wrap(widget)).toBe(win);
    expect(e.wrap(win)).toBe(win);
    expect(e.wrap('x')).toBe('x');
    const obj = {};
    expect(e.wrap(obj)).toBe(obj);
    expect(e.wrap(null)).toBeNull();
  });

  it('is what __cobrowse$.w and .a give', () => {
    const win = fakeWindow();
    const e = emulate(win);
    const hooks = makeHooks({ win, map, wrap: e.wrap });
    const loc = hooks.w(win.location);
    expect(loc).toBe(e.location);
    expect(hooks.a(loc, 'https://site.example/n')).toBe(`${P}/n`);
  });
});

describe('frameChain', () => {
  function chainOf(origins: string[]): { win: Window; ups: Window[] } {
    const ups: Record<string, unknown>[] = [];
    const win: Record<string, unknown> = {};
    let below = win;
    for (let i = 0; i < origins.length; i++) {
      const up: Record<string, unknown> = {};
      below.parent = up;
      ups.push(up);
      below = up;
    }
    below.parent = below;
    win.location = { ancestorOrigins: origins };
    return { win: win as unknown as Window, ups: ups as unknown as Window[] };
  }

  it('hides the widget page and above: the overlay root is the root', () => {
    const { win, ups } = chainOf([W, 'http://outer.example']);
    const c = frameChain(win, W, (o) => map.isProxyOrigin(o), true);
    expect(c.root).toBe(win);
    expect(c.hidden).toEqual(ups);
    expect(c.ancestors).toEqual([]);
  });

  it('in a child frame of the overlay root, the root is the parent', () => {
    const { win, ups } = chainOf([P, W]);
    const c = frameChain(win, W, (o) => map.isProxyOrigin(o), false);
    expect(c.root).toBe(ups[0]);
    expect(c.hidden).toEqual([ups[1]]);
    expect(c.ancestors).toEqual([P]);
  });

  it("walks up with the native parent getter, past an ancestor's emulated parent", () => {
    // The overlay root's runtime makes its `parent` read as itself; a child frame's walk
    // must still reach the widget's page above it, to hide it (top === parent there).
    const { win, ups } = chainOf([P, W]);
    const real = new Map<unknown, unknown>([
      [win, ups[0]],
      [ups[0], ups[1]],
      [ups[1], ups[1]],
    ]);
    const nativeGet = function (this: unknown): unknown {
      return real.get(this);
    };
    Object.defineProperty(win, 'parent', { get: nativeGet, configurable: true });
    Object.defineProperty(ups[0], 'parent', { get: () => ups[0], configurable: true });
    const c = frameChain(win, W, (o) => map.isProxyOrigin(o), false);
    expect(c.root).toBe(ups[0]);
    expect(c.hidden).toEqual([ups[1]]);
  });

  it('outside the overlay hides nothing', () => {
    const { win } = chainOf([P]);
    expect(frameChain(win, W, (o) => map.isProxyOrigin(o), false).hidden).toEqual([]);
  });
});

describe('window properties', () => {
  it('parent of the overlay root is itself, origin is upstream, parent stays replaceable', () => {
    const widget = {};
    const win: Record<string, unknown> = {};
    Object.defineProperty(win, 'parent', { get: () => widget, configurable: true, enumerable: true, set() {} });
    Object.defineProperty(win, 'origin', { get: () => P, configurable: true, enumerable: true, set() {} });
    Object.defineProperty(win, 'frameElement', { get: () => ({}), configurable: true, enumerable: true });
    const w = win as unknown as Window & typeof globalThis;
    patchWindowProperties(w, map, () => [widget as Window], () => w);
    expect(win.parent).toBe(win);
    expect(win.origin).toBe('https://site.example');
    expect(win.frameElement).toBeNull();
    win.parent = 5;
    expect(win.parent).toBe(5);
  });
});
