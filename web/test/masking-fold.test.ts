// @vitest-environment happy-dom
/**
 * Values written the way pages write them (src/masking/fold.ts) and values split across
 * the inline elements of one block (src/masking/blocks.ts): the golden cases Python
 * wrote, seeded property tests like tests/core/test_masking_fold.py, and the masker on
 * a DOM (text nodes, mutations, blocked elements' size).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Masker, blockedStyle } from '../src/masking/masker';
import { fold, foldChar, originalSpan } from '../src/masking/fold';
import { findSpans, luhnValid, maskPieces, maskText, verhoeffValid } from '../src/masking/patterns';
import { effective, parseMaskRules } from '../src/masking/rules';
import { REPO } from './fixtures';
import { digits, pick, rng } from './seeded';

interface Golden {
  rules: { global: unknown; site: unknown };
  pieces: Array<{ pieces: string[]; masked: string[] }>;
}

const golden = JSON.parse(
  readFileSync(join(REPO, 'tests', 'fixtures', 'masking', 'golden.json'), 'utf8'),
) as Golden;
const site = parseMaskRules(golden.rules.site);
const ALL = effective(site, '/itr/2024').patterns;
const masker = new Masker(effective(site, '/home'));

describe('pieces, as Python masks them', () => {
  for (const c of golden.pieces) {
    it(`masks ${JSON.stringify(c.pieces).slice(0, 50)}`, () => {
      expect(maskPieces(c.pieces, ALL)).toEqual(c.masked);
    });
  }
});

describe('the normalised view', () => {
  it('maps every folded unit back to where its character starts', () => {
    const text = 'a\u00ad\uff21\u2469\u{1d7cf}-\u2013';
    const f = fold(text);
    expect(f.text).toBe('aA101--');
    expect(f.src).toEqual([0, 2, 3, 3, 4, 6, 7]);
    expect(originalSpan(f, 1, 4)).toEqual([2, 4]); // the soft hyphen before A is outside
    expect(originalSpan(f, 0, 2)).toEqual([0, 3]); // between a and A it is inside
    expect(originalSpan(f, 4, 5)).toEqual([4, 6]); // an astral digit: both units
    expect(fold('plain\ttext\n')).toEqual({ text: 'plain text ', src: null, original: 'plain\ttext\n' });
  });
  it('masks the red team cases exactly', () => {
    const cases: Record<string, string> = {
      'Aadhaar 3456\u00a07890\u00a01238.': 'Aadhaar ****\u00a0****\u00a0****.',
      '3456\u202f7890\u202f1238': '****\u202f****\u202f****',
      'card 4532\u00a00151\u00a01283\u00a00366': 'card ****\u00a0****\u00a0****\u00a0****',
      '+91\u202f98765\u00a043210': '+**\u202f*****\u00a0*****',
      'आधार ३४५६ ७८९० १२३८': 'आधार **** **** ****',
      'ABCPE\u00ad1234F': '***********',
      'ABCPE\u200b1234F': '***********',
      '\u{1d7d1}\u{1d7d2}\u{1d7d3}\u{1d7d4} 7890 1238': '**** **** ****',
    };
    for (const [text, masked] of Object.entries(cases)) expect(maskText(text, ALL), text).toBe(masked);
  });
  it('matches only ASCII without normalisation (the bench baseline)', () => {
    expect(maskText('3456\u00a07890\u00a01238', ALL, false)).toBe('3456\u00a07890\u00a01238');
  });
});

// --- seeded property tests (as in tests/core/test_masking_fold.py) -------------------


function scan(test: RegExp): string[] {
  const out: string[] = [];
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCodePoint(c);
    if (test.test(ch)) out.push(ch);
  }
  return out;
}
const ZEROS = scan(/^\p{Nd}$/u).filter((ch) => foldChar(ch) === '0');
const SPACES = [...scan(/^\p{Zs}$/u), '\t', '\n', '\r', '\u2028', '\u2029'];
const DASHES = [...scan(/^\p{Pd}$/u), '\u2212'];
const INVISIBLES = [...scan(/^\p{Cf}$/u), '\u034f', '\ufe0f', '\u{e0100}'];
const COMPAT_DIGITS = [
  '\u24ea\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468',
  '\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079',
  '\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089',
];
const LETTER_FORMS: Array<[number, number]> = [[0xff21, 0xff41], [0x1d400, 0x1d41a], [0x1d5d4, 0x1d5ee], [0x24b6, 0x24d0]];

function genValue(r: () => number): string {
  const kind = Math.floor(r() * 6);
  const sep = (): string => pick(r, ['', ' ', '-']);
  if (kind === 0) {
    const l = () => pick(r, [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ']);
    const pan = `${l()}${l()}${l()}${l()}${l()}${digits(r, 4)}${l()}`;
    return r() < 0.5 ? pan.toLowerCase() : pan;
  }
  if (kind === 1) {
    const body = pick(r, [...'23456789']) + digits(r, 10);
    const n = body + [...'0123456789'].find((d) => verhoeffValid(body + d))!;
    const s = sep();
    return [n.slice(0, 4), n.slice(4, 8), n.slice(8)].join(s);
  }
  if (kind === 2) {
    const body = digits(r, 15);
    const n = body + [...'0123456789'].find((d) => luhnValid(body + d))!;
    const s = sep();
    return [0, 4, 8, 12].map((i) => n.slice(i, i + 4)).join(s);
  }
  if (kind === 3) return 'GB82 WEST 1234 5698 7654 32';
  if (kind === 4) {
    const word = () => Array.from({ length: 1 + Math.floor(r() * 7) }, () => pick(r, [...'abcdefxyz0123'])).join('');
    return `${word()}${pick(r, ['.', '-', '_', '+'])}${word()}@${word()}.${pick(r, ['in', 'co.in'])}`;
  }
  const n = pick(r, [...'6789']) + digits(r, 9);
  return `+91${pick(r, [' ', ''])}${n.slice(0, 5)}${sep()}${n.slice(5)}`;
}

function dress(r: () => number, ch: string): string {
  if (ch >= '0' && ch <= '9') {
    const d = ch.charCodeAt(0) - 48;
    const how = Math.floor(r() * 4);
    if (how === 1) return String.fromCodePoint(pick(r, ZEROS).codePointAt(0)! + d);
    if (how === 2) return [...pick(r, COMPAT_DIGITS)][d]!;
    return ch;
  }
  if (/[A-Za-z]/.test(ch)) {
    if (r() < 0.5) return ch;
    const [upper, lower] = pick(r, LETTER_FORMS);
    return ch <= 'Z' ? String.fromCodePoint(upper + ch.charCodeAt(0) - 65) : String.fromCodePoint(lower + ch.charCodeAt(0) - 97);
  }
  if (ch === ' ') return pick(r, SPACES);
  if (ch === '-') return pick(r, DASHES);
  if (ch === '+') return pick(r, ['+', '\uff0b', '\ufe62']);
  if (ch === '@') return pick(r, ['@', '\uff20', '\ufe6b']);
  if (ch === '.') return pick(r, ['.', '\uff0e']);
  return ch;
}

const INERT = [...'abcXYZ ,.;:!?()\u00a0\u2003ñé\u200b'];
const JOINTS = [',', ';', ':', '(', ')', '=', '|', '/', '"', '\u00ab', '\u3001'];

describe('decorated values', () => {
  it('are hidden exactly as their plain form is, and nothing around them', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      const plain = genValue(r);
      const raw = maskText(plain, ALL, false);
      expect(raw, `seed ${seed}`).not.toBe(plain);
      const chars: string[] = [];
      const hide: boolean[] = [];
      [...plain].forEach((ch, i) => {
        if (i > 0 && r() < 0.25) {
          for (let k = 1 + Math.floor(r() * 2); k > 0; k--) {
            chars.push(pick(r, INVISIBLES));
            hide.push(true);
          }
        }
        chars.push(dress(r, ch));
        hide.push(raw[i] === '*');
      });
      const before = Array.from({ length: Math.floor(r() * 20) }, () => pick(r, INERT)).join('') + pick(r, JOINTS);
      const after = pick(r, JOINTS) + Array.from({ length: Math.floor(r() * 20) }, () => pick(r, INERT)).join('');
      const dressed = chars.join('');
      const out = maskText(before + dressed + after, ALL);
      const where = `seed ${seed}: ${JSON.stringify(before + dressed + after)} -> ${JSON.stringify(out)}`;
      const expected = before + chars.map((ch, i) => (hide[i] ? '*' : ch)).join('') + after;
      expect(out, where).toBe(expected);
    }
  });
  it('agree with masking the folded text: hidden there, hidden at the source', () => {
    const alphabet = [...'abcXYZ019 -@.+\u00a0\u00ad\u200b', ...ZEROS.slice(0, 12), ...SPACES.slice(0, 6), ...DASHES.slice(0, 6), '\uff21', '\u2460', '\u{1d7cf}'];
    for (let seed = 1; seed <= 1500; seed++) {
      const r = rng(seed * 7919);
      const text = Array.from({ length: Math.floor(r() * 120) }, () => pick(r, alphabet)).join('');
      const f = fold(text);
      expect(fold(f.text).text).toBe(f.text);
      const src = f.src ?? [...f.text].map((_, i) => i);
      const out = maskText(text, ALL);
      expect([...out].length).toBe([...text].length);
      const folded = maskText(f.text, ALL, false);
      for (let i = 0; i < f.text.length; i++) {
        if (folded[i] === '*' && f.text[i] !== '*') {
          // where the original character starts, in the output (one unit per code point up to it)
          const at = [...text.slice(0, src[i])].length;
          expect([...out][at], `seed ${seed} ${JSON.stringify(text)}`).toBe('*');
        }
      }
      const matched = findSpans(f.text, ALL).map(([s, e]) => originalSpan(f, s, e));
      let j = 0;
      for (const ch of text) {
        const o = [...out][[...text.slice(0, j)].length];
        if (o === '*' && ch !== '*') expect(matched.some(([s, e]) => j >= s && j < e), `seed ${seed}`).toBe(true);
        j += ch.length;
      }
    }
  });
});

// --- on a page ---------------------------------------------------------------------

function textNode(el: Element, n = 0): Text {
  return [...el.childNodes].filter((c) => c.nodeType === 3)[n] as Text;
}

describe('values split across the inline elements of one block', () => {
  it('are masked exactly in each text node', () => {
    document.body.innerHTML =
      '<p id="p">My PAN <b id="b">ABCPE</b><span id="s"><i id="i">12</i></span>34F. Next</p>' +
      '<div id="d"><div id="inner">XYZPQ</div>5678K</div>' +
      '<p id="h">PQRST<span style="display:none">x</span>6789L and <span style="display:inline-block" id="ib">LMNOP</span>1234Q</p>' +
      '<p id="br">3456<br>7890<br>1238</p>';
    const by = (id: string) => document.getElementById(id)!;
    expect(masker.textIn('ABCPE', by('b'))).toBe('*****');
    expect(masker.textIn('12', by('i'))).toBe('**');
    expect(masker.textIn('34F. Next', by('p'))).toBe('***. Next');
    expect(masker.textIn('My PAN ', by('p'))).toBe('My PAN ');
    // across blocks: not joined (a known limit), each text on its own
    expect(masker.textIn('XYZPQ', by('inner'))).toBe('XYZPQ');
    expect(masker.textIn('5678K', by('d'))).toBe('5678K');
    // an element that is not displayed neither adds nor splits; an inline-block splits
    expect(masker.textIn('PQRST', by('h'))).toBe('*****');
    expect(masker.textIn('6789L and ', by('h'))).toBe('***** and ');
    expect(masker.textIn('LMNOP', by('ib'))).toBe('LMNOP');
    // line breaks are spaces: an Aadhaar on three lines is still one
    expect(masker.textIn('3456', by('br'))).toBe('****');
    expect(masker.textIn('1238', by('br'))).toBe('****');
  });
  it('hide what any text node of the same text hides when rrweb cannot say which', () => {
    document.body.innerHTML = '<p id="p">ABCPE<b>1234F</b>ABCPE</p>';
    const p = document.getElementById('p')!;
    expect(textNode(p, 0).data).toBe(textNode(p, 1).data);
    expect(masker.textIn('ABCPE', p)).toBe('*****');
  });
  it('leave masked and private elements to their own rules', () => {
    document.body.innerHTML = '<p id="p">hello <b data-cobrowse-mask id="m">ABCPE</b>1234F</p>';
    expect(masker.textIn('ABCPE', document.getElementById('m'))).toBe('*****');
    expect(masker.textIn('1234F', document.getElementById('p'))).toBe('*****');
  });
  it('send the text nodes a mutation joins into a value once more', async () => {
    document.body.innerHTML = '<p id="p">PAN <b id="b">ABCPE</b><span id="s"></span></p>';
    const p = document.getElementById('p')!;
    const b = document.getElementById('b')!;
    const added = document.createTextNode('1234F');
    document.getElementById('s')!.append(added);
    const ids = new Map<Node, number>([[p, 1], [textNode(p), 2], [b, 3], [textNode(b), 4], [document.getElementById('s')!, 5], [added, 6]]);
    const nodes = new Map([...ids].map(([n, id]) => [id, n]));
    const event = {
      type: 3,
      data: { source: 0, texts: [], attributes: [], removes: [], adds: [{ parentId: 5, nextId: null, node: { type: 3, id: 6, textContent: '*****' } }] },
    };
    const out = masker.event(event, (id) => nodes.get(id) ?? null, (n) => ids.get(n) ?? -1);
    expect(out.data.texts).toEqual([{ id: 4, value: '*****' }]);
    expect(event.data.texts).toEqual([]); // the input is not changed
    // Without the recorder's ids (the widget's second pass in proxy mode): as it was.
    expect(masker.event(event, () => null).data.texts).toEqual([]);
    // A mutation in a block holding no split value sends nothing more (the blocks worked
    // out for one batch are forgotten after its task).
    await Promise.resolve();
    added.data = '1234';
    const quiet = { ...event, data: { ...event.data, adds: [], texts: [{ id: 6, value: '1234' }] } };
    expect(masker.event(quiet, (id) => nodes.get(id) ?? null, (n) => ids.get(n) ?? -1).data.texts).toEqual(quiet.data.texts);
  });
});

describe('a blocked element in the recording', () => {
  it('keeps its size: border box, and an inline one becomes an inline-block', () => {
    document.body.innerHTML = '<p><span id="in" data-cobrowse-mask>ABCPE1234F</span></p><div id="bl" data-cobrowse-mask>x</div>';
    const inline = document.getElementById('in')!;
    expect(blockedStyle(inline)).toContain('display:inline-block');
    expect(blockedStyle(inline)).toContain('box-sizing:border-box');
    expect(blockedStyle(document.getElementById('bl')!)).not.toContain('display');
    // An inline box's padding and border reach out of its line: so do the placeholder's.
    const padded = document.createElement('span');
    padded.style.cssText = 'padding: 3px 8px 5px; border: 1px solid black';
    document.body.append(padded);
    expect(blockedStyle(padded)).toContain('margin-top:-4px;margin-bottom:-6px;');
    const nodes = new Map<number, Node>([[7, inline]]);
    const event = { type: 2, data: { node: { type: 2, id: 7, tagName: 'span', attributes: { class: 'x', rr_width: '90px', rr_height: '18px' }, childNodes: [] } } };
    const out = masker.event(event, (id) => nodes.get(id) ?? null);
    expect(out.data.node.attributes).toEqual({ ...event.data.node.attributes, style: blockedStyle(inline) });
    const plain = { type: 2, data: { node: { type: 2, id: 7, tagName: 'span', attributes: { class: 'x' }, childNodes: [] } } };
    expect(masker.event(plain, (id) => nodes.get(id) ?? null)).toBe(plain);
  });
});
