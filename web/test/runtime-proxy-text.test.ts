import { describe, expect, it } from 'vitest';
import { escapeMarkup, mapProxyText, mentionsProxy, proxyNeedles, type ProxyText } from '../src/runtime/proxy-text';
import { makeMapper, proxySuffix } from '../src/runtime/urls';

const P = 'http://pabc.cobrowse.localhost:8000';
const PB = 'http://pdef.cobrowse.localhost:8000';
const GO = '/__cobrowse/go?url=';
const origins = { 'https://site.example': P, 'https://cdn.example': PB };
const map = makeMapper(origins, () => 'https://site.example/', { proxyOrigin: P, go: GO, others: [] });
const p: ProxyText = {
  needles: proxyNeedles(proxySuffix(P), Object.values(origins)),
  go: GO,
  toUpstream: (u) => map.toUpstream(u),
};

describe('proxy URLs in text the browser made', () => {
  it('maps the origin of every proxy URL in serialised markup, keeping its escaping', () => {
    const html = `<a href="${P}/a?x=1&amp;y=2#h">A</a><img src="${PB}/i.png" srcset="${PB}/i.png 1x, ${P}/j.png 2x">`;
    expect(mapProxyText(html, p, escapeMarkup)).toBe(
      '<a href="https://site.example/a?x=1&amp;y=2#h">A</a>' +
        '<img src="https://cdn.example/i.png" srcset="https://cdn.example/i.png 1x, https://site.example/j.png 2x">',
    );
  });

  it('maps computed CSS values and bare origins in messages', () => {
    expect(mapProxyText(`url("${P}/static/dot.png"), url("data:,x")`, p)).toBe(
      'url("https://site.example/static/dot.png"), url("data:,x")',
    );
    const message =
      "A history state object with URL 'http://elsewhere.invalid/' cannot be created in a document " +
      `with origin '${P}' and URL '${P}/p/domexception.html'.`;
    expect(mapProxyText(message, p)).toBe(
      "A history state object with URL 'http://elsewhere.invalid/' cannot be created in a document " +
        "with origin 'https://site.example' and URL 'https://site.example/p/domexception.html'.",
    );
    expect(mapProxyText(`ws://pabc.cobrowse.localhost:8000/socket`, p)).toBe('wss://site.example/socket');
  });

  it('turns a go URL into the URL it stands for, escaped for the context', () => {
    const target = 'https://other.example/x?a=1&b=(2)';
    const go = `${P}${GO}${encodeURIComponent(target)}`;
    expect(mapProxyText(`<a href="${go}">x</a>`, p, escapeMarkup)).toBe(
      '<a href="https://other.example/x?a=1&amp;b=(2)">x</a>',
    );
    expect(mapProxyText(`url("${go}")`, p)).toBe(`url("${target}")`);
  });

  it('leaves other hosts, look-alikes and text without the proxy domain as they are', () => {
    const text = `https://site.example/a http://pzzz.cobrowse.localhost.evil.example/x http://cobrowse.localhost:8000/`;
    expect(mapProxyText(text, p)).toBe(text);
    // A host under the proxy domain that is not this session's stays (toUpstream knows none).
    expect(mapProxyText('http://pother.cobrowse.localhost:8000/a', p)).toBe('http://pother.cobrowse.localhost:8000/a');
    const plain = '<p>no URL here</p>';
    expect(mapProxyText(plain, p, escapeMarkup)).toBe(plain);
    expect(mapProxyText('', p)).toBe('');
  });

  it('scans only text that holds a needle', () => {
    expect(p.needles).toEqual(['.cobrowse.localhost']);
    expect(mentionsProxy(`x ${P}/a`, p.needles)).toBe(true);
    expect(mentionsProxy('https://site.example/a', p.needles)).toBe(false);
    let calls = 0;
    const counting: ProxyText = { ...p, toUpstream: (u) => (calls++, p.toUpstream(u)) };
    mapProxyText('url("https://site.example/a.png")', counting);
    expect(calls).toBe(0);
  });

  it('without a proxy domain, the needles are the proxy hosts', () => {
    expect(proxyNeedles(null, ['http://localhost:8001', 'http://127.0.0.1:8002', 'nonsense'])).toEqual([
      'localhost:8001',
      '127.0.0.1:8002',
    ]);
    expect(escapeMarkup('a&b"c<d>\u00a0')).toBe('a&amp;b&quot;c&lt;d&gt;&nbsp;');
  });
});
