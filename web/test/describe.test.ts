// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { MASKED_DESCRIPTION, blankData, describeElement } from '../src/guidance/describe';
import { applyAct } from '../src/guidance/act';
import { act } from '../src/protocol';

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
