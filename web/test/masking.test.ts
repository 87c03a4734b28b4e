// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Masker } from '../src/masking/masker';
import {
  type CompiledPattern,
  compilePattern,
  findSpans,
  luhnValid,
  maskText,
  mod97Valid,
  verhoeffValid,
} from '../src/masking/patterns';
import { effective, parseMaskRules } from '../src/masking/rules';
import { applyAct } from '../src/guidance/act';
import { act } from '../src/protocol';
import { markerCss } from '../src/widget/recorder';
import { REPO } from './fixtures';
import { digits, pick, rng } from './seeded';

interface Golden {
  rules: { global: unknown; site: unknown };
  cases: Array<{ text: string; masked: string }>;
  regex: Array<{ pattern: string; source: string; texts: string[]; matches: string[][] }>;
}

// Written by Python (tests/core/masking_fixture.py); Python checks it is current.
const golden = JSON.parse(
  readFileSync(join(REPO, 'tests', 'fixtures', 'masking', 'golden.json'), 'utf8'),
) as Golden;
const site = parseMaskRules(golden.rules.site);
const every = effective(site, '/itr/2024');
const ALL = every.patterns;

describe('golden cases shared with Python', () => {
  it('compiles every pattern the server sends', () => {
    expect(every.broken).toBe(false);
    expect(ALL.map((p) => p.name)).toEqual([
      'pan', 'aadhaar', 'card', 'iban', 'bank_account', 'phone', 'email', 'employee_id',
    ]);
  });
  for (const c of golden.cases) {
    it(`masks ${JSON.stringify(c.text).slice(0, 50)} as Python does`, () => {
      expect(maskText(c.text, ALL)).toBe(c.masked);
    });
  }
});

describe('custom pattern sources, as Python emits them', () => {
  for (const c of golden.regex) {
    it(`finds what Python finds for ${c.pattern}`, () => {
      const p = compilePattern({ name: 'x', source: c.source, flags: '', check: 'none', boundary: 'none' });
      expect(p).not.toBeNull();
      c.texts.forEach((text, i) => {
        const found = [...text.matchAll(p!.search)].map((m) => m[0]);
        expect(found).toEqual(c.matches[i]);
      });
    });
  }
});

describe('rules by page', () => {
  it('applies scoped rules only on their URLs', () => {
    const other = effective(site, '/home');
    expect(other.private).toBe(false);
    expect(other.patterns.map((p) => p.name)).not.toContain('employee_id');
    expect(other.selectors).not.toContain('.salary');
    const itr = effective(site, '/itr/2024?step=2');
    expect(itr.private).toBe(true);
    expect(itr.allow).toEqual(['h1', 'label', 'nav']);
    expect(itr.selectors).toContain('.salary');
    expect(effective(site, '/itr/2024/more').private).toBe(false); // `*` stops at "/"
    expect(effective(site, '/profile/a/b').private).toBe(true); // `**` does not
  });
  it('without a rule set masks the fallback selectors', () => {
    const none = effective(parseMaskRules(null), '/');
    expect(none.selectors).toContain('[data-cobrowse-mask]');
    expect(none.patterns).toEqual([]);
  });
  it('fails closed on a pattern or selector the browser cannot read', () => {
    const bad = effective(
      parseMaskRules({
        selectors: ['div >> p'],
        scopes: [],
        patterns: [{ name: 'x', source: '(', flags: '', check: 'none', boundary: 'none' }],
      }),
      '/',
      document,
    );
    expect(bad.broken).toBe(true);
    expect(bad.selectors).toContain('body');
    expect(new Masker(bad).text('hello 12', null)).toBe('***** **');
  });
});

describe('checksums', () => {
  it('agree with known values', () => {
    expect(verhoeffValid('234567890124')).toBe(true);
    expect(verhoeffValid('234567890123')).toBe(false);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(mod97Valid('GB82WEST12345698765432')).toBe(true);
    expect(mod97Valid('GB00WEST12345698765432')).toBe(false);
  });
});

// --- property-style tests: seeded, so a failure names its seed and repeats ----------

const UPPER = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const ANY = [...'abc XYZ 019 -_.,:;/\\|@#%&*()[]{}"\'\n\tñ€😀\u00a0+=?'];

function group(value: string, sizes: number[], sep: string): string {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(value.slice(i, i + n));
    i += n;
  }
  return out.filter(Boolean).join(sep);
}

function genPan(r: () => number): string {
  const l = () => pick(r, UPPER);
  const pan = `${l()}${l()}${l()}${l()}${l()}${digits(r, 4)}${l()}`;
  return r() < 0.5 ? pan.toLowerCase() : pan;
}
function genAadhaar(r: () => number): string {
  const body = pick(r, [...'23456789']) + digits(r, 10);
  const check = [...'0123456789'].find((d) => verhoeffValid(body + d))!;
  return group(body + check, [4, 4, 4], pick(r, ['', ' ', '-']));
}
function genCard(r: () => number): string {
  const len = pick(r, [13, 15, 16, 19]);
  const body = digits(r, len - 1);
  const number = body + [...'0123456789'].find((d) => luhnValid(body + d))!;
  const sep = pick(r, ['', ' ', '-']);
  return len === 15 ? group(number, [4, 6, 5], sep) : group(number, [4, 4, 4, 4, 3], sep);
}
function genIban(r: () => number): string {
  const alnum = [...UPPER, ...'0123456789'];
  const country = pick(r, UPPER) + pick(r, UPPER);
  const bban = Array.from({ length: 11 + Math.floor(r() * 20) }, () => pick(r, alnum)).join('');
  const moved = bban + country + '00';
  let rem = 0;
  for (const ch of moved) {
    const v = parseInt(ch, 36);
    rem = (v > 9 ? rem * 100 + v : rem * 10 + v) % 97;
  }
  const iban = country + String(98 - rem).padStart(2, '0') + bban;
  return r() < 0.5 ? iban.replace(/(.{4})/g, '$1 ').trim() : iban;
}
const GENERATORS = [genPan, genAadhaar, genCard, genIban];
const SEPARATORS = [' ', '\n', ': ', '=', '(', ')', '/', ',', '"', '\u00a0', '|'];
const noise = (r: () => number): string =>
  Array.from({ length: Math.floor(r() * 40) }, () => pick(r, ANY)).join('');

describe('fuzzed patterns', () => {
  it('never leave a generated PAN, Aadhaar, card or IBAN readable in arbitrary text', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      const secret = pick(r, GENERATORS)(r);
      const before = noise(r) + pick(r, SEPARATORS);
      const text = before + secret + pick(r, SEPARATORS) + noise(r);
      const out = maskText(text, ALL);
      expect(out.length, `seed ${seed}`).toBe(text.length);
      const hidden = out.slice(before.length, before.length + secret.length);
      expect(/[A-Za-z0-9]/.test(hidden), `seed ${seed}: ${JSON.stringify(text)} -> ${JSON.stringify(out)}`).toBe(false);
    }
  });
  it('keep the length and only add stars to arbitrary text', () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const r = rng(seed * 7919);
      const text = Array.from({ length: Math.floor(r() * 200) }, () => pick(r, [...ANY, ...'0123456789'])).join('');
      const out = maskText(text, ALL);
      expect(out.length).toBe(text.length);
      for (let i = 0; i < text.length; i++) if (out[i] !== text[i]) expect(out[i]).toBe('*');
    }
  });
  it('finish on long repetitive input (every pattern is bounded)', () => {
    for (const unit of ['a', '1', 'a@', '1 ', 'A1', '+9', '-', '.']) {
      const text = unit.repeat(3000);
      expect(maskText(text, ALL).length).toBe(text.length);
    }
  });
  it('treat a malformed pattern from the server as unusable', () => {
    for (const raw of [null, 3, {}, { name: 'x', source: '', flags: '', check: 'none', boundary: 'none' },
      { name: 'x', source: 'a', flags: '', check: 'crc', boundary: 'none' }]) {
      expect(compilePattern(raw)).toBeNull();
    }
  });
  it('retry a failed checksum shorter and one position later, like Python', () => {
    const aadhaar = ALL.find((p) => p.name === 'aadhaar') as CompiledPattern;
    expect(findSpans('1234 2345 6789 0124', [aadhaar])).toEqual([[5, 19]]);
  });
});

describe('the masker', () => {
  const masker = new Masker(effective(site, '/home')); // not a private page
  it('masks URL-encoded values and leaves base64 data URLs alone', () => {
    expect(masker.url('https://s.in/p?pan=ABCDE1234F&x=1')).toBe('https://s.in/p?pan=**********&x=1');
    expect(masker.url('/p?email=a%40b.in')).toBe('/p?email=********');
    expect(masker.url('/p?card=4111+1111+1111+1111')).toBe('/p?card=*******************');
    const data = 'url(data:image/png;base64,QUJDREUxMjM0RkFCQ0RFMTIzNEY=) ABCDE1234F';
    expect(masker.string(data)).toBe('url(data:image/png;base64,QUJDREUxMjM0RkFCQ0RFMTIzNEY=) **********');
  });
  it('masks every string of an event and attributes by element', () => {
    document.body.innerHTML = '<div id="a"><p>x</p></div><h1 id="h">t</h1>';
    const nodes = new Map<number, Node>([[1, document.getElementById('a')!], [2, document.getElementById('h')!]]);
    const priv = new Masker(effective(site, '/itr/1'));
    const event = {
      type: 3,
      data: {
        source: 0,
        texts: [{ id: 9, value: 'mail x@y.in' }],
        attributes: [
          { id: 1, attributes: { title: 'hello', 'data-x': 'EMP-123456', class: 'c' } },
          { id: 2, attributes: { title: 'open', 'aria-label': 'PAN ABCDE1234F' } },
        ],
        adds: [{ parentId: 1, node: { type: 2, id: 1, tagName: 'a', attributes: { href: '/q?p=ABCDE1234F' } } }],
      },
    };
    const out = priv.event(event, (id) => nodes.get(id) ?? null);
    expect(out.data.texts[0]!.value).toBe('mail *@*.**');
    expect(out.data.attributes[0]!.attributes).toEqual({ title: '*****', 'data-x': '**********', class: 'c' });
    expect(out.data.attributes[1]!.attributes).toEqual({ title: 'open', 'aria-label': 'PAN **********' });
    expect(out.data.adds[0]!.node.attributes.href).toBe('/q?p=**********');
    expect(event.data.texts[0]!.value).toBe('mail x@y.in'); // the input is not changed
  });
  it('keeps password fields masked after a show-password toggle and private areas hidden', () => {
    document.body.innerHTML =
      '<input id="pw" type="text" data-rr-is-password="true"><label id="l">Name <input id="n"></label><input id="o">';
    const priv = new Masker(effective(site, '/itr/1'));
    expect(priv.input('secret', document.getElementById('pw'))).toBe('******');
    expect(priv.input('Asha', document.getElementById('n'))).toBe('Asha');
    expect(priv.input('Asha', document.getElementById('o'))).toBe('****');
    expect(masker.input('my pan ABCDE1234F', document.getElementById('o'))).toBe('my pan **********');
    expect(priv.textIn('Asha Rao', document.getElementById('o'))).toBe('**** ***');
  });
  it('refuses agent typing into masked, private and pattern-holding fields', () => {
    document.body.innerHTML =
      '<input data-id="1" type="password"><input data-id="2" value="ABCDE1234F"><input data-id="3" value="Asha"><button data-id="4">Go</button>';
    const ids = new Map<number, Node>();
    document.querySelectorAll('[data-id]').forEach((el) => ids.set(Number(el.getAttribute('data-id')), el));
    const win = window as unknown as Window & typeof globalThis;
    const opts = { mask: [], refuse: [], masker };
    const typed = (id: number) =>
      applyAct(win, act('r', 'input', { id, x: 0.5, y: 0.5 }, 'x'), (i) => ids.get(i) ?? null, opts);
    expect(typed(1).reason).toBe('masked');
    expect(typed(2).reason).toBe('masked');
    expect(typed(3).ok).toBe(true);
    const priv = { mask: [], refuse: [], masker: new Masker(effective(site, '/itr/1')) };
    const click = applyAct(win, act('r', 'click', { id: 4, x: 0.5, y: 0.5 }), (i) => ids.get(i) ?? null, priv);
    expect(click.ok).toBe(true); // private pages: the agent may still press buttons
    const typedPriv = applyAct(win, act('r', 'input', { id: 3, x: 0.5, y: 0.5 }, 'x'), (i) => ids.get(i) ?? null, priv);
    expect(typedPriv.reason).toBe('masked');
  });
  it('draws the visitor marker with an outline only', () => {
    const css = markerCss(masker.maskSelector);
    expect(css).toContain('outline');
    expect(css).not.toMatch(/(width|height|margin|padding|display|border)\s*:/);
  });
});
