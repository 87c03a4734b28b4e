// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MASKED_DESCRIPTION, blankData, describeElement } from '../src/guidance/describe';
import { applyAct } from '../src/guidance/act';
import { Masker } from '../src/masking/masker';
import { luhnValid, mod97Valid, verhoeffValid } from '../src/masking/patterns';
import { effective, parseMaskRules } from '../src/masking/rules';
import { act } from '../src/protocol';
import { REPO } from './fixtures';

type Win = Window & typeof globalThis;
const win = window as unknown as Win;
const mask = ['input[type=password]', '[data-cobrowse-mask]'];
const opts = { mask, refuse: ['[data-cobrowse-no-agent]'] };

function el(html: string, selector = '[data-t]'): Element {
  document.body.innerHTML = html;
  const found = document.querySelector(selector);
  if (!found) throw new Error(`no ${selector}`);
  return found;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('audit descriptions (role and label, never a value)', () => {
  it('names fields by their label, never their content', () => {
    const field = el('<label for="n">Full name</label><input id="n" data-t value="Meera Iyer">');
    expect(describeElement(field, mask)).toBe('text field “Full name”');
    (field as HTMLInputElement).value = 'typed by the visitor';
    expect(describeElement(field, mask)).toBe('text field “Full name”');
    const wrapped = el('<label>Regime <select data-t><option>New regime secret</option></select></label>');
    expect(describeElement(wrapped, mask)).toBe('list box “Regime”');
    const area = el('<textarea data-t name="notes">private notes</textarea>');
    expect(describeElement(area, mask)).toBe('text area “notes”');
    const bare = el('<input data-t value="ABCDE1234F">');
    expect(describeElement(bare, mask)).toBe('text field');
  });

  it('says "masked field" for anything masked, whatever its label', () => {
    expect(describeElement(el('<label for="p">PAN</label><input id="p" data-t data-cobrowse-mask value="ABCDE1234F">'), mask)).toBe(MASKED_DESCRIPTION);
    expect(describeElement(el('<input type="password" data-t aria-label="Password">'), mask)).toBe(MASKED_DESCRIPTION);
    expect(describeElement(el('<div data-cobrowse-mask><button data-t>Reveal</button></div>'), mask)).toBe(MASKED_DESCRIPTION);
  });

  it('names buttons, links and headings by their text, leaving masked parts and fields out', () => {
    expect(describeElement(el('<button data-t>Save</button>'), mask)).toBe('button “Save”');
    expect(describeElement(el('<input type="submit" data-t value="Submit return">'), mask)).toBe('button “Submit return”');
    expect(describeElement(el('<a href="/itr" data-t>File ITR</a>'), mask)).toBe('link “File ITR”');
    expect(describeElement(el('<h2 data-t>Income</h2>'), mask)).toBe('heading “Income”');
    const mixed = el('<div role="row" data-t>Account <span data-cobrowse-mask>secret-acct</span> <input value="typed"></div>');
    expect(describeElement(mixed, mask)).toBe('row “Account”');
    expect(describeElement(el('<button data-t aria-label="Close dialog">×</button>'), mask)).toBe('button “Close dialog”');
    expect(describeElement(el('<p id="l">Bank</p><div data-t aria-labelledby="l">x</div>'), mask)).toBe('element “Bank”');
  });

  it('blanks digit runs and e-mail addresses, and bounds the length', () => {
    expect(blankData('Pay 4111 1111 1111 1111 now')).toBe('Pay … now');
    expect(blankData('Mail meera@example.in')).toBe('Mail …');
    expect(describeElement(el('<button data-t>Refund to 123456789012</button>'), mask)).toBe('button “Refund to …”');
    const long = describeElement(el(`<button data-t>${'word '.repeat(40)}</button>`), mask);
    expect(long.length).toBeLessThanOrEqual(80);
  });

  it('comes with every act outcome', () => {
    document.body.innerHTML = '<label for="n">Full name</label><input id="n" data-id="1"><input type="password" data-id="2">';
    const ids = new Map<number, Node>();
    document.querySelectorAll('[data-id]').forEach((n) => ids.set(Number(n.getAttribute('data-id')), n));
    const resolve = (id: number): Node | null => ids.get(id) ?? null;
    const typed = applyAct(win, act('a', 'input', { id: 1, x: 0.5, y: 0.5 }, 'Meera Iyer'), resolve, opts);
    expect(typed).toMatchObject({ ok: true, description: 'text field “Full name”' });
    const masked = applyAct(win, act('b', 'input', { id: 2, x: 0.5, y: 0.5 }, 'x'), resolve, opts);
    expect(masked).toMatchObject({ ok: false, reason: 'masked', description: MASKED_DESCRIPTION });
    expect(applyAct(win, act('c', 'scroll', null, '', 0, 10), resolve, opts).description).toBe('');
  });
});

// --- with the page's masking: the description says no more than the agent saw -------

// The server's pattern definitions (tests/fixtures/masking, written by Python).
const golden = JSON.parse(readFileSync(join(REPO, 'tests', 'fixtures', 'masking', 'golden.json'), 'utf8')) as {
  rules: { site: { patterns: unknown[] } };
};
const RULES = parseMaskRules({
  v: 1,
  selectors: ['input[type=password]', '[data-cobrowse-mask]'],
  scopes: [
    { urls: [], selectors: ['input[type=password]', '[data-cobrowse-mask]'], private: false, allow: [], patterns: ['pan', 'aadhaar', 'card', 'iban', 'email'] },
    { urls: ['^/private/.*$'], selectors: ['.site-secret'], private: true, allow: ['h1', 'nav', 'label'], patterns: [] },
  ],
  patterns: golden.rules.site.patterns,
});
const PUBLIC = new Masker(effective(RULES, '/home'));
const PRIVATE = new Masker(effective(RULES, '/private/area'));

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const pick = (chars: string, n: number): string =>
  Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
const complete = (body: string, valid: (s: string) => boolean): string =>
  body + ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].find((d) => valid(body + d))!;

/** A value of each kind, generated per run (as a page would show it). */
interface Values {
  readonly pan: string;
  readonly aadhaar: string;
  readonly card: string;
  readonly iban: string;
  readonly email: string;
}

function values(): Values {
  const aadhaar = complete(pick('23456789', 1) + pick('0123456789', 10), verhoeffValid);
  const card = complete('4' + pick('0123456789', 14), luhnValid);
  const bban = pick(UPPER + '0123456789', 16);
  const check = Array.from({ length: 97 }, (_, i) => String(i + 2).padStart(2, '0')).find((c) => mod97Valid(`GB${c}${bban}`))!;
  return {
    pan: pick(UPPER, 5) + pick('0123456789', 4) + pick(UPPER, 1),
    aadhaar: `${aadhaar.slice(0, 4)} ${aadhaar.slice(4, 8)} ${aadhaar.slice(8)}`,
    card: card.replace(/(\d{4})(?=\d)/g, '$1 '),
    iban: `GB${check}${bban}`,
    email: `${pick('abcdefghij', 8)}@${pick('abcdefghij', 6)}.in`,
  };
}

/** The letters and digits `text` shows of the value (nothing, when masked). */
function shows(text: string, value: string): boolean {
  const compact = (s: string): string => s.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  return compact(text).includes(compact(value).slice(0, 5)) || text.toLowerCase().includes(value.toLowerCase());
}

describe('audit descriptions with the page\'s masking', () => {
  it('masks value patterns on buttons, links, labels and attributes of a public page', () => {
    for (const [kind, value] of Object.entries(values())) {
      const cases = [
        `<button data-t>Pay ${value}</button>`,
        `<a href="/x" data-t>${value}</a>`,
        `<button data-t aria-label="Send to ${value}">x</button>`,
        `<input type="submit" data-t value="Pay ${value}">`,
        `<label for="f">Account ${value}</label><input id="f" data-t>`,
        `<button data-t title="${value}"></button>`,
      ];
      for (const html of cases) {
        const text = describeElement(el(html), mask, PUBLIC);
        expect(shows(text, value), `${kind}: ${html} -> ${text}`).toBe(false);
        expect(text).toMatch(/^(button|link|text field)/);
      }
    }
    const pan = values().pan;
    expect(describeElement(el(`<button data-t>Pay ${pan} now</button>`), mask, PUBLIC)).toBe('button “Pay ********** now”');
    expect(describeElement(el(`<button data-t>Pay ${pan.toLowerCase()}</button>`), mask, PUBLIC)).toBe('button “Pay **********”');
    // The role comes from the page too: an input's type is masked like any text.
    expect(describeElement(el(`<input type="${pan}" data-t>`), mask, PUBLIC)).toBe('********** field');
    // Without the masker (an old caller), digits are blanked but a PAN's letters stay: why it is passed.
    expect(describeElement(el(`<button data-t>Pay ${pan}</button>`), mask)).toContain(pan.slice(0, 5));
  });

  it('is only stars on a private-by-default page, outside the allowed areas', () => {
    const { pan, email } = values();
    const words = `${pick(UPPER, 6)} ${pick(UPPER, 7)}`;
    const cases = [
      `<button data-t>${words}</button>`,
      `<button data-t>Pay ${pan}</button>`,
      `<div role="button" data-t aria-label="${words}">x</div>`,
      `<input type="button" data-t value="${words}">`,
      `<a href="/x" data-t><span>${email}</span></a>`,
      `<button data-t><img alt="${words}"></button>`,
      `<p id="l">${words}</p><button data-t aria-labelledby="l">x</button>`,
    ];
    for (const html of cases) {
      const text = describeElement(el(html), mask, PRIVATE);
      expect(text, html).toMatch(/^(button|link)( “[*… ]+”)?$/);
      for (const secret of [pan, email, ...words.split(' ')]) expect(shows(text, secret), `${html} -> ${text}`).toBe(false);
    }
    // What the rules leave readable stays readable.
    expect(describeElement(el('<nav><a href="/x" data-t>Home</a></nav>'), mask, PRIVATE)).toBe('link “Home”');
    expect(describeElement(el('<label for="n">Full name</label><input id="n" data-t>'), mask, PRIVATE)).toBe(
      'text field “Full name”',
    );
    // A site selector of that page only (not among the session's selectors) masks too.
    expect(describeElement(el('<div class="site-secret"><button data-t>Reveal</button></div>'), mask, PRIVATE)).toBe(
      MASKED_DESCRIPTION,
    );
  });

  it('comes masked with a click on a private page', () => {
    const words = `${pick(UPPER, 6)} ${pick(UPPER, 6)}`;
    document.body.innerHTML = `<button data-id="1">${words}</button>`;
    const button = document.querySelector('button')!;
    const outcome = applyAct(win, act('a', 'click', { id: 1, x: 0.5, y: 0.5 }), () => button, { ...opts, masker: PRIVATE });
    expect(outcome.ok).toBe(true);
    expect(outcome.description).toBe(`button “${words.replace(/\S/g, '*')}”`);
  });
});
