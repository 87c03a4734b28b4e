/**
 * Unsaved form values, carried from the overlay's last page back to the same page on the
 * real site when co-browsing ends (docs/proxy.md, "Continuation point"). The overlay's
 * runtime collects them, the widget keeps them for the one page load that follows, and
 * puts them back. They stay in the visitor's browser: never sent to the server.
 *
 * Never carried: passwords, file inputs, hidden inputs, and every field the page's
 * masking hides from the agent (the `skip` test the runtime passes in).
 */

export type FieldValue = string | boolean | readonly string[];

export interface Field {
  /** Index of the field's form in `document.forms`, or -1 for a field outside a form. */
  readonly form: number;
  /** The field's name, or its id when it has no name. */
  readonly key: string;
  /** Which of the fields with that form and key (radio buttons share a name). */
  readonly index: number;
  /** Text, a checkbox's or radio button's checked state, or a select's chosen values. */
  readonly value: FieldValue;
}

export interface FormState {
  readonly href: string;
  readonly fields: readonly Field[];
}

export const MAX_FIELDS = 300;
export const MAX_VALUE = 20000;
const NEVER = new Set(['password', 'file', 'hidden', 'submit', 'button', 'reset', 'image']);

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function controls(doc: Document): Control[] {
  return Array.from(doc.querySelectorAll<Control>('input, textarea, select'));
}

function keyOf(el: Control): string {
  return el.getAttribute('name') || el.id || '';
}

function formIndex(doc: Document, el: Control): number {
  return el.form ? Array.prototype.indexOf.call(doc.forms, el.form) : -1;
}

function carriable(el: Control): boolean {
  if (el.tagName === 'INPUT' && NEVER.has((el as HTMLInputElement).type)) return false;
  return keyOf(el) !== '' && !el.disabled;
}

/** Walk the carriable fields with their (form, key, index) address. */
function walk(doc: Document, visit: (el: Control, form: number, key: string, index: number) => void): void {
  const seen = new Map<string, number>();
  for (const el of controls(doc)) {
    if (!carriable(el)) continue;
    const form = formIndex(doc, el);
    const key = keyOf(el);
    const id = `${form}\u0000${key}`;
    const index = seen.get(id) ?? 0;
    seen.set(id, index + 1);
    visit(el, form, key, index);
  }
}

/** The values the visitor changed and did not save, except what `skip` rules out. */
export function collectFields(doc: Document, skip: (el: Element) => boolean): Field[] {
  const out: Field[] = [];
  walk(doc, (el, form, key, index) => {
    if (out.length >= MAX_FIELDS || skip(el)) return;
    let value: FieldValue | null = null;
    if (el instanceof HTMLSelectElement) {
      const options = Array.from(el.options);
      if (options.some((o) => o.selected !== o.defaultSelected)) {
        value = options.filter((o) => o.selected).map((o) => o.value);
      }
    } else if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
      if (el.checked !== el.defaultChecked) value = el.checked;
    } else if (el.value !== el.defaultValue && el.value.length <= MAX_VALUE) {
      value = el.value;
    }
    if (value !== null) out.push({ form, key, index, value });
  });
  return out;
}

function fire(el: Element, type: string): void {
  el.dispatchEvent(new Event(type, { bubbles: true }));
}

/** Put `fields` back into the page's same fields; how many went back and how many did not. */
export function applyFields(
  doc: Document,
  fields: readonly Field[],
  skip: (el: Element) => boolean = () => false,
): { applied: number; missing: number } {
  const wanted = new Map<string, Field>();
  for (const f of fields) wanted.set(`${f.form}\u0000${f.key}\u0000${f.index}`, f);
  let applied = 0;
  walk(doc, (el, form, key, index) => {
    const id = `${form}\u0000${key}\u0000${index}`;
    const field = wanted.get(id);
    if (!field || skip(el) || (el as HTMLInputElement).readOnly) return;
    if (el instanceof HTMLSelectElement) {
      if (!Array.isArray(field.value)) return;
      const values = new Set(field.value as readonly string[]);
      for (const o of Array.from(el.options)) o.selected = values.has(o.value);
    } else if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
      if (typeof field.value !== 'boolean') return;
      el.checked = field.value;
    } else {
      if (typeof field.value !== 'string') return;
      el.value = field.value;
      fire(el, 'input');
    }
    fire(el, 'change');
    wanted.delete(id);
    applied += 1;
  });
  return { applied, missing: wanted.size };
}

function isField(value: unknown): value is Field {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Record<string, unknown>;
  const v = f.value;
  const okValue =
    typeof v === 'boolean' ||
    (typeof v === 'string' && v.length <= MAX_VALUE) ||
    (Array.isArray(v) && v.length <= 500 && v.every((s) => typeof s === 'string' && s.length <= 1000));
  return (
    typeof f.form === 'number' &&
    Number.isInteger(f.form) &&
    f.form >= -1 &&
    typeof f.key === 'string' &&
    f.key.length > 0 &&
    f.key.length <= 200 &&
    typeof f.index === 'number' &&
    Number.isInteger(f.index) &&
    f.index >= 0 &&
    okValue
  );
}

/** Validated fields, or null when `value` is not a list of fields. */
export function parseFields(value: unknown): Field[] | null {
  if (!Array.isArray(value) || value.length > MAX_FIELDS) return null;
  return value.every(isField)
    ? value.map((f: Field) => ({ form: f.form, key: f.key, index: f.index, value: f.value }))
    : null;
}

/** The same page, as far as putting values back goes: the URL without its fragment. */
export function samePage(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    x.hash = '';
    y.hash = '';
    return x.href === y.href;
  } catch {
    return false;
  }
}
