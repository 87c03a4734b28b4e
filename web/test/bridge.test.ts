import { describe, expect, it } from 'vitest';
import {
  acceptFrameOrigin,
  fromWindow,
  httpHref,
  parseFrameMessage,
  parseTopMessage,
} from '../src/bridge';
import { upstreamMeta } from '../src/runtime/bridge';

describe('frame → top messages', () => {
  it('accepts ready/location with http(s) hrefs', () => {
    expect(parseFrameMessage({ cobrowse: 1, type: 'ready', href: 'https://s.example/a?b#c' })).toEqual({
      cobrowse: 1,
      type: 'ready',
      href: 'https://s.example/a?b#c',
    });
    expect(parseFrameMessage({ cobrowse: 1, type: 'location', href: 'http://s.example/' })?.type).toBe(
      'location',
    );
    for (const href of ['javascript:alert(1)', '/relative', 'data:text/html,x', 3, 'x'.repeat(9000)]) {
      expect(parseFrameMessage({ cobrowse: 1, type: 'ready', href })).toBeNull();
    }
  });
  it('accepts events with an id and valid envelopes only', () => {
    const events = [{ type: 4, timestamp: 1, data: {} }];
    expect(parseFrameMessage({ cobrowse: 1, type: 'events', id: 2, events })).toEqual({
      cobrowse: 1,
      type: 'events',
      id: 2,
      events,
    });
    expect(parseFrameMessage({ cobrowse: 1, type: 'events', events })).toBeNull();
    expect(parseFrameMessage({ cobrowse: 1, type: 'events', id: 0, events })).toBeNull();
    expect(parseFrameMessage({ cobrowse: 1, type: 'events', id: 1, events: [{ type: 'x' }] })).toBeNull();
    expect(parseFrameMessage({ cobrowse: 1, type: 'events', id: 1, events: 'no' })).toBeNull();
  });
  it('ignores everything else', () => {
    for (const data of [null, 'ready', [], {}, { type: 'ready', href: 'https://a/' }, { cobrowse: 2, type: 'ready' }, { cobrowse: 1, type: 'record', id: 1 }]) {
      expect(parseFrameMessage(data)).toBeNull();
    }
  });
});

describe('the frame\'s focused element', () => {
  it('accepts a finite box or null, and nothing else', () => {
    const rect = { left: 10, top: 20.5, width: 300, height: 36 };
    expect(parseFrameMessage({ cobrowse: 1, type: 'focus', rect })).toEqual({ cobrowse: 1, type: 'focus', rect });
    expect(parseFrameMessage({ cobrowse: 1, type: 'focus', rect: null })).toEqual({ cobrowse: 1, type: 'focus', rect: null });
    for (const bad of [
      undefined,
      'x',
      { left: 1, top: 2, width: 3 },
      { left: 1, top: 2, width: -3, height: 4 },
      { left: Infinity, top: 2, width: 3, height: 4 },
      { left: '1', top: 2, width: 3, height: 4 },
      { left: 1e12, top: 2, width: 3, height: 4 },
    ]) {
      expect(parseFrameMessage({ cobrowse: 1, type: 'focus', rect: bad }), JSON.stringify(bad)).toBeNull();
    }
  });
});

describe('the end of the overlay', () => {
  it('asks with collect and accepts well-formed form_state only', () => {
    expect(parseTopMessage({ cobrowse: 1, type: 'collect' })).toEqual({ cobrowse: 1, type: 'collect' });
    const fields = [{ form: 0, key: 'full_name', index: 0, value: 'Meera' }];
    expect(parseFrameMessage({ cobrowse: 1, type: 'form_state', href: 'https://s.example/itr', fields })).toEqual({
      cobrowse: 1,
      type: 'form_state',
      href: 'https://s.example/itr',
      fields,
    });
    expect(parseFrameMessage({ cobrowse: 1, type: 'form_state', href: 'javascript:x', fields })).toBeNull();
    expect(parseFrameMessage({ cobrowse: 1, type: 'form_state', href: 'https://s.example/', fields: [{}] })).toBeNull();
  });
});

describe('top → frame messages', () => {
  it('accepts record (with id), snapshot and stop', () => {
    expect(parseTopMessage({ cobrowse: 1, type: 'record', id: 3 })).toEqual({ cobrowse: 1, type: 'record', id: 3 });
    expect(parseTopMessage({ cobrowse: 1, type: 'snapshot' })).toEqual({ cobrowse: 1, type: 'snapshot' });
    expect(parseTopMessage({ cobrowse: 1, type: 'stop', extra: 1 })).toEqual({ cobrowse: 1, type: 'stop' });
  });
  it('ignores the rest', () => {
    for (const data of [{ cobrowse: 1, type: 'record' }, { cobrowse: 1, type: 'record', id: 1.5 }, { cobrowse: 1, type: 'ready', href: 'https://a/' }, { type: 'stop' }, 'stop', null]) {
      expect(parseTopMessage(data)).toBeNull();
    }
  });
});

describe('origins and sources', () => {
  const proxy = 'http://pabc.cobrowse.localhost:8000';
  it('accepts the proxy origin and its sibling hosts only', () => {
    expect(acceptFrameOrigin(proxy, proxy)).toBe(true);
    expect(acceptFrameOrigin('http://pxyz.cobrowse.localhost:8000', proxy)).toBe(true);
    expect(acceptFrameOrigin('https://pxyz.cobrowse.localhost:8000', proxy)).toBe(false);
    expect(acceptFrameOrigin('http://pxyz.cobrowse.localhost:9000', proxy)).toBe(false);
    expect(acceptFrameOrigin('http://cobrowse.localhost:8000', proxy)).toBe(false);
    expect(acceptFrameOrigin('http://a.b.cobrowse.localhost:8000', proxy)).toBe(false);
    expect(acceptFrameOrigin('http://evilcobrowse.localhost:8000', proxy)).toBe(false);
    expect(acceptFrameOrigin('null', proxy)).toBe(false);
    const prod = 'https://pabc.cobrowse.example.gov.in';
    expect(acceptFrameOrigin('https://pq.cobrowse.example.gov.in', prod)).toBe(true);
    expect(acceptFrameOrigin('https://example.gov.in', prod)).toBe(false);
    // A proxy origin directly under a TLD never widens to the whole TLD.
    expect(acceptFrameOrigin('https://evil.com', 'https://proxy.com')).toBe(false);
  });
  it('checks source and origin together', () => {
    const parent = {};
    expect(fromWindow({ source: parent, origin: 'https://s' }, parent, 'https://s')).toBe(true);
    expect(fromWindow({ source: {}, origin: 'https://s' }, parent, 'https://s')).toBe(false);
    expect(fromWindow({ source: parent, origin: 'https://t' }, parent, 'https://s')).toBe(false);
    expect(fromWindow({ source: null, origin: 'https://s' }, null, 'https://s')).toBe(false);
  });
  it('validates hrefs', () => {
    expect(httpHref('https://a.example')).toBe('https://a.example/');
    expect(httpHref('ftp://a.example/')).toBeNull();
  });
});

describe('Meta events', () => {
  it('carry the upstream href', () => {
    const batch = [
      { type: 4, timestamp: 1, data: { href: 'http://p.cb.localhost/x', width: 1, height: 2 } },
      { type: 3, timestamp: 2, data: { href: 'http://p.cb.localhost/x' } },
    ];
    const out = upstreamMeta(batch, (u) => u.replace('http://p.cb.localhost', 'https://s.example'));
    expect(out[0]).toEqual({ type: 4, timestamp: 1, data: { href: 'https://s.example/x', width: 1, height: 2 } });
    expect(out[1]).toBe(batch[1]);
    expect(batch[0]!.data.href).toBe('http://p.cb.localhost/x');
  });
});

describe('guidance over the bridge', () => {
  it('relays guides and acts to the frame, validated', () => {
    const g = { kind: 'pointer', target: { id: 4, x: 0.5, y: 1 }, points: [], name: 'Asha Rao' };
    expect(parseTopMessage({ cobrowse: 1, type: 'guide', guide: g })).toEqual({ cobrowse: 1, type: 'guide', guide: g });
    for (const bad of [
      { ...g, kind: 'dance' },
      { ...g, target: { id: 4, x: 2, y: 0 } },
      { ...g, name: 3 },
      { ...g, points: [[1]] },
    ]) {
      expect(parseTopMessage({ cobrowse: 1, type: 'guide', guide: bad })).toBeNull();
    }
    const a = { ref: 'r1', kind: 'click', target: { id: 4, x: 0.5, y: 0.5 }, value: '', dx: 0, dy: 0 };
    expect(parseTopMessage({ cobrowse: 1, type: 'act', act: a, refuse: ['[data-cobrowse-no-agent]'] })).toEqual({
      cobrowse: 1,
      type: 'act',
      act: a,
      refuse: ['[data-cobrowse-no-agent]'],
    });
    expect(parseTopMessage({ cobrowse: 1, type: 'act', act: { ...a, kind: 'format' }, refuse: [] })).toBeNull();
    expect(parseTopMessage({ cobrowse: 1, type: 'act', act: a })).toBeNull();
    expect(parseTopMessage({ cobrowse: 1, type: 'act', act: a, refuse: [1] })).toBeNull();
  });
  it('accepts act results and escape from the frame', () => {
    expect(parseFrameMessage({ cobrowse: 1, type: 'act_result', ref: 'r', ok: false, reason: 'masked', label: 'PAN' })).toEqual({
      cobrowse: 1,
      type: 'act_result',
      ref: 'r',
      ok: false,
      reason: 'masked',
      label: 'PAN',
      description: '',
    });
    // The audit description comes along, bounded (the server checks it again).
    const described = parseFrameMessage({
      cobrowse: 1, type: 'act_result', ref: 'r', ok: true, reason: null, label: 'Save', description: `button “${'S'.repeat(200)}”`,
    });
    expect(described).toMatchObject({ type: 'act_result', description: `button “${'S'.repeat(72)}` });
    expect(parseFrameMessage({ cobrowse: 1, type: 'act_result', ref: 'r', ok: true, reason: null, description: 7 })).toMatchObject({ description: '' });
    expect(parseFrameMessage({ cobrowse: 1, type: 'act_result', ref: '', ok: true, reason: null })).toBeNull();
    expect(parseFrameMessage({ cobrowse: 1, type: 'act_result', ref: 'r', ok: 'yes', reason: null })).toBeNull();
    expect(parseFrameMessage({ cobrowse: 1, type: 'escape' })).toEqual({ cobrowse: 1, type: 'escape' });
  });
});
