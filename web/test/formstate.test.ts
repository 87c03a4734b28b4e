// @vitest-environment happy-dom
/**
 * Unsaved form values carried from the overlay's last page back to the real one: which
 * are collected (never passwords, files, hidden or masked fields), and how they go back.
 */
import { describe, expect, it } from 'vitest';
import { applyFields, collectFields, parseFields, samePage } from '../src/formstate';
import { RestoreStore, cookieNames, restoreForms } from '../src/widget/continuation';

const FORM = `
  <form id="itr">
    <input name="full_name" value="Saved Name">
    <input name="email" value="">
    <input name="pan" value="" data-cobrowse-mask>
    <input type="password" name="password" value="">
    <input type="hidden" name="csrf" value="t1">
    <input type="file" name="doc">
    <textarea name="notes"></textarea>
    <select name="regime"><option value="old" selected>Old</option><option value="new">New</option></select>
    <input type="checkbox" name="agree">
    <input type="radio" name="kind" value="a" checked><input type="radio" name="kind" value="b">
    <input name="untouched" value="same">
  </form>
  <input id="outside" value="">`;

const masked = (el: Element): boolean => el.hasAttribute('data-cobrowse-mask');

function fill(): void {
  document.body.innerHTML = FORM;
  const q = (s: string) => document.querySelector(s) as HTMLInputElement;
  q('[name=full_name]').value = 'New Name';
  q('[name=email]').value = 'a@b.in';
  q('[name=pan]').value = 'ABCPE1234F';
  q('[name=password]').value = 'secret';
  q('[name=csrf]').value = 'changed-by-script';
  (document.querySelector('[name=notes]') as HTMLTextAreaElement).value = 'a note';
  (document.querySelector('[name=regime]') as HTMLSelectElement).value = 'new';
  q('[name=agree]').checked = true;
  q('[name=kind][value=b]').checked = true;
  q('#outside').value = 'loose';
}

describe('collecting', () => {
  it('takes only changed, carriable, unmasked values', () => {
    fill();
    const fields = collectFields(document, masked);
    const byKey = Object.fromEntries(fields.map((f) => [`${f.key}#${f.index}`, f.value]));
    expect(byKey).toEqual({
      'full_name#0': 'New Name',
      'email#0': 'a@b.in',
      'notes#0': 'a note',
      'regime#0': ['new'],
      'agree#0': true,
      'kind#0': false,
      'kind#1': true,
      'outside#0': 'loose',
    });
    const text = JSON.stringify(fields);
    for (const secret of ['ABCPE1234F', 'secret', 'changed-by-script']) expect(text).not.toContain(secret);
    expect(fields.find((f) => f.key === 'outside')!.form).toBe(-1);
  });
});

describe('putting back', () => {
  it('restores the values into the same fields and tells the page', () => {
    fill();
    const fields = collectFields(document, masked);
    document.body.innerHTML = FORM; // the real page, as the server sends it
    const seen: string[] = [];
    document.addEventListener('input', (e) => seen.push((e.target as HTMLInputElement).name), true);
    expect(applyFields(document, fields)).toEqual({ applied: 8, missing: 0 });
    const q = (s: string) => document.querySelector(s) as HTMLInputElement;
    expect(q('[name=full_name]').value).toBe('New Name');
    expect((document.querySelector('[name=regime]') as HTMLSelectElement).value).toBe('new');
    expect(q('[name=kind][value=b]').checked).toBe(true);
    expect(q('[name=agree]').checked).toBe(true);
    expect(q('[name=pan]').value).toBe('');
    expect(seen).toContain('full_name');
  });

  it('counts fields that are not on the page and ignores values of the wrong kind', () => {
    document.body.innerHTML = '<form><input name="a"><input type="checkbox" name="b"></form>';
    const result = applyFields(document, [
      { form: 0, key: 'a', index: 0, value: true },
      { form: 0, key: 'gone', index: 0, value: 'x' },
    ]);
    expect(result).toEqual({ applied: 0, missing: 2 });
  });

  it('keeps values for one page load of the same page, for a short while', () => {
    const store = new RestoreStore(sessionStorage);
    const fields = [{ form: 0, key: 'a', index: 0, value: 'x' }];
    store.save('https://s.example/itr?saved=1', fields, 1000);
    expect(store.take('https://s.example/other', 1000)).toBeNull();
    expect(store.take('https://s.example/itr?saved=1', 1000)).toBeNull(); // taken once, gone
    store.save('https://s.example/itr?saved=1', fields, 1000);
    expect(store.take('https://s.example/itr?saved=1#top', 2000)).toEqual(fields);
    store.save('https://s.example/itr', fields, 1000);
    expect(store.take('https://s.example/itr', 1000 + 10 * 60 * 1000)).toBeNull();
    sessionStorage.setItem('cobrowse:restore', '{not json');
    expect(store.take('https://s.example/itr', 1000)).toBeNull();
  });

  it('restores on the page load that follows', () => {
    document.body.innerHTML = '<form><input name="a" value=""></form>';
    new RestoreStore(sessionStorage).save(location.href, [{ form: 0, key: 'a', index: 0, value: 'typed' }], Date.now());
    expect(restoreForms(document, sessionStorage, Date.now())).toBe(1);
    expect((document.querySelector('[name=a]') as HTMLInputElement).value).toBe('typed');
  });
});

describe('validation', () => {
  it('accepts only well-formed fields', () => {
    expect(parseFields([{ form: 0, key: 'a', index: 0, value: 'x' }])).not.toBeNull();
    for (const bad of [
      'x',
      [{ form: 0.5, key: 'a', index: 0, value: 'x' }],
      [{ form: 0, key: '', index: 0, value: 'x' }],
      [{ form: 0, key: 'a', index: -1, value: 'x' }],
      [{ form: 0, key: 'a', index: 0, value: { x: 1 } }],
      [{ form: 0, key: 'a', index: 0, value: 'x'.repeat(20001) }],
      new Array(301).fill({ form: 0, key: 'a', index: 0, value: 'x' }),
    ]) {
      expect(parseFields(bad)).toBeNull();
    }
  });

  it('compares pages without their fragment', () => {
    expect(samePage('https://a.example/x?y=1#z', 'https://a.example/x?y=1')).toBe(true);
    expect(samePage('https://a.example/x?y=1', 'https://a.example/x?y=2')).toBe(false);
    expect(samePage('nonsense', 'https://a.example/')).toBe(false);
  });

  it('reads cookie names only', () => {
    expect(cookieNames('a=1; b=two; a=3; =x; c')).toEqual(['a', 'b']);
  });
});
