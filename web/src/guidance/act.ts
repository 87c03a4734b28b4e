/**
 * Applies an agent's action (`act`) in the page that records, after checking it again
 * here: masked elements (the masking selectors, or anything inside one) and elements
 * on the site's refuse list (`[data-cobrowse-no-agent]` by default) are refused.
 * Clicks, typing and keys use events frameworks observe (React, Angular, Vue): the
 * native value setter plus `input`/`change`, real mouse/keyboard event sequences.
 */
import type { ActFields } from '../protocol';
import type { Masker } from '../masking/masker';
import { type Translator, reasonKey, translator } from '../i18n';
import { describeElement } from './describe';

export type Win = Window & typeof globalThis;

export const DEFAULT_REFUSE_SELECTORS: readonly string[] = ['[data-cobrowse-no-agent]'];

export type RefusalCode =
  | 'masked'
  | 'refused'
  | 'not_found'
  | 'not_editable'
  | 'bad_url'
  | 'other_site'
  | 'file_input'
  | 'failed';

export interface ActOutcome {
  readonly ok: boolean;
  readonly reason: RefusalCode | null;
  /** What the visitor is told the agent did it on ("Save", "Full name"); never a value. */
  readonly label: string;
  /** The element acted on (for the visitor's brief highlight). */
  readonly element: Element | null;
  /** For the audit log: role and label of the element ("button “Save”"); never a value. */
  readonly description: string;
}

export interface ActOptions {
  readonly mask: readonly string[];
  /** The page's masking rules: masked elements, private-by-default areas, values matching a pattern. */
  readonly masker?: Masker | null;
  readonly refuse: readonly string[];
  /** Map a URL the agent asked to open to the one this page navigates to (proxy mode). */
  readonly mapUrl?: (url: string) => string;
}

/** Why an action was refused, in words for both sides. */
export function reasonText(reason: string | null): string {
  switch (reason) {
    case 'masked':
      return 'this field is private (masked), so the agent cannot use it';
    case 'refused':
      return 'this site does not let the agent press this';
    case 'not_found':
      return 'that element is not on the page any more';
    case 'not_editable':
      return 'that element does not take text';
    case 'bad_url':
      return 'only web addresses (http or https) can be opened';
    case 'other_site':
      return 'only pages of this site can be opened';
    case 'file_input':
      return 'only you can choose a file';
    case null:
    case '':
      return 'the action failed';
    default:
      return reason;
  }
}

function matchesAny(el: Element, selectors: readonly string[]): boolean {
  for (const selector of selectors) {
    try {
      if (el.closest(selector)) return true;
    } catch {
      /* an invalid selector from the site: ignore it */
    }
  }
  return false;
}

/**
 * Refusal code for acting on `el`, or null if it is allowed. Masked elements take no
 * action at all; on a private-by-default page, and in a field whose value matches a
 * value pattern, the agent may not type (nor read what typing would reveal).
 */
export function refusal(el: Element, opts: ActOptions, kind: ActFields['kind'] = 'click'): RefusalCode | null {
  if (matchesAny(el, opts.mask)) return 'masked';
  const m = opts.masker;
  if (m) {
    if (m.blocked(el)) return 'masked';
    if ((kind === 'input' || kind === 'key') && isEditable(el) && (m.private(el) || m.holdsPattern(el))) {
      return 'masked';
    }
  }
  if (matchesAny(el, opts.refuse)) return 'refused';
  return null;
}

function clean(text: string | null | undefined): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > 40 ? `${t.slice(0, 39)}…` : t;
}

/** A short human name for an element: its label, text, or kind; never a typed value. */
export function labelOf(el: Element): string {
  const aria = el.getAttribute('aria-label');
  if (aria && clean(aria)) return clean(aria);
  const doc = el.ownerDocument;
  const id = el.getAttribute('id');
  if (id && doc) {
    try {
      const label = doc.querySelector(`label[for="${id.replace(/["\\]/g, '\\$&')}"]`);
      if (label && clean(label.textContent)) return clean(label.textContent);
    } catch {
      /* odd id */
    }
  }
  const wrapping = el.closest('label');
  if (wrapping && clean(wrapping.textContent)) return clean(wrapping.textContent);
  const tag = el.tagName.toLowerCase();
  if (tag === 'input') {
    const input = el as HTMLInputElement;
    if (['button', 'submit', 'reset'].includes(input.type) && input.value) return clean(input.value);
    const ph = el.getAttribute('placeholder') || el.getAttribute('name');
    if (ph) return clean(ph);
    return 'a field';
  }
  if (tag === 'textarea' || tag === 'select') {
    return clean(el.getAttribute('placeholder') || el.getAttribute('name')) || 'a field';
  }
  const title = el.getAttribute('title');
  const text = clean((el as HTMLElement).innerText ?? el.textContent);
  if (text) return text;
  if (title) return clean(title);
  const alt = el.getAttribute('alt');
  if (alt) return clean(alt);
  const host = (el.getRootNode() as Partial<ShadowRoot>).host; // another realm: no instanceof
  if (host) return labelOf(host); // a component's inner control: slotted text names it
  return tag === 'a' ? 'a link' : tag === 'button' ? 'a button' : 'the page';
}

const TEXT_INPUT_TYPES = new Set([
  'text', 'search', 'email', 'url', 'tel', 'number', 'password', 'date', 'datetime-local',
  'month', 'week', 'time', 'color', '',
]);

/** Whether `el` takes typed text (input, textarea, select, contenteditable). */
export function isEditable(el: Element): boolean {
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') return TEXT_INPUT_TYPES.has(((el as HTMLInputElement).type || '').toLowerCase());
  return (el as HTMLElement).isContentEditable === true || el.getAttribute('contenteditable') === 'true';
}

function focusable(el: Element): el is HTMLElement {
  return typeof (el as HTMLElement).focus === 'function';
}

function clientPoint(el: Element, x: number, y: number): { clientX: number; clientY: number } {
  const r = el.getBoundingClientRect();
  return { clientX: r.left + r.width * x, clientY: r.top + r.height * y };
}

function mouse(win: Win, el: Element, type: string, at: { clientX: number; clientY: number }): boolean {
  const Ctor = type.startsWith('pointer') && typeof win.PointerEvent === 'function' ? win.PointerEvent : win.MouseEvent;
  const init: PointerEventInit = {
    bubbles: true,
    cancelable: true,
    composed: true,
    view: win,
    button: 0,
    buttons: type.endsWith('down') ? 1 : 0,
    ...at,
  };
  if (Ctor === win.PointerEvent) Object.assign(init, { pointerId: 1, pointerType: 'mouse', isPrimary: true });
  return el.dispatchEvent(new Ctor(type, init));
}

function click(win: Win, el: Element, x: number, y: number): void {
  const at = clientPoint(el, x, y);
  mouse(win, el, 'pointerdown', at);
  mouse(win, el, 'mousedown', at);
  if (focusable(el) && (isEditable(el) || el.matches('a[href],button,input,select,textarea,[tabindex]'))) {
    el.focus({ preventScroll: true });
  }
  mouse(win, el, 'pointerup', at);
  mouse(win, el, 'mouseup', at);
  if (typeof (el as HTMLElement).click === 'function' && !(el instanceof win.SVGElement)) {
    (el as HTMLElement).click();
  } else {
    mouse(win, el, 'click', at);
  }
}

/** The prototype's own `value` setter, so frameworks that wrap the instance's see a real change. */
function nativeSetValue(win: Win, el: Element, value: string): void {
  const protos = [win.HTMLInputElement, win.HTMLTextAreaElement, win.HTMLSelectElement];
  for (const C of protos) {
    if (el instanceof C) {
      const setter = Object.getOwnPropertyDescriptor(C.prototype, 'value')?.set;
      if (setter) {
        setter.call(el, value);
        return;
      }
    }
  }
  (el as HTMLInputElement).value = value;
}

function fire(win: Win, el: Element, type: string): void {
  const Ctor = type === 'input' && typeof win.InputEvent === 'function' ? win.InputEvent : win.Event;
  el.dispatchEvent(new Ctor(type, { bubbles: true, cancelable: type !== 'input', composed: true }));
}

function typeInto(win: Win, el: Element, value: string): void {
  if (focusable(el) && win.document.activeElement !== el) el.focus({ preventScroll: true });
  const tag = el.tagName.toLowerCase();
  if (tag === 'select') {
    const select = el as HTMLSelectElement;
    const wanted = value.trim().toLowerCase();
    const option = [...select.options].find((o) => o.value === value) ??
      [...select.options].find((o) => o.text.trim().toLowerCase() === wanted);
    nativeSetValue(win, el, option ? option.value : value);
  } else if (tag === 'input' || tag === 'textarea') {
    nativeSetValue(win, el, value);
  } else {
    el.textContent = value;
  }
  fire(win, el, 'input');
  fire(win, el, 'change');
}

const KEY_CODES: Record<string, string> = {
  Enter: 'Enter', Tab: 'Tab', Escape: 'Escape', ArrowUp: 'ArrowUp', ArrowDown: 'ArrowDown',
  ArrowLeft: 'ArrowLeft', ArrowRight: 'ArrowRight', Backspace: 'Backspace', Delete: 'Delete',
  Home: 'Home', End: 'End', PageUp: 'PageUp', PageDown: 'PageDown', ' ': 'Space',
};
const KEY_NUMBERS: Record<string, number> = { Enter: 13, Tab: 9, Escape: 27, ArrowUp: 38, ArrowDown: 40, ArrowLeft: 37, ArrowRight: 39, Backspace: 8, Delete: 46, ' ': 32 };

/** The focusable elements of a document in tab order (simplified: document order, tabindex ≥ 0). */
function tabbables(doc: Document): HTMLElement[] {
  const all = doc.querySelectorAll<HTMLElement>(
    'a[href],button,input,select,textarea,[tabindex],[contenteditable="true"]',
  );
  return [...all].filter((el) => {
    if ((el as HTMLButtonElement).disabled) return false;
    if (el.getAttribute('tabindex') === '-1') return false;
    if (el instanceof (doc.defaultView as Win).HTMLInputElement && el.type === 'hidden') return false;
    return el.getClientRects().length > 0;
  });
}

function pressKey(win: Win, el: Element, key: string, opts: ActOptions): RefusalCode | null {
  const init: KeyboardEventInit = {
    key,
    code: KEY_CODES[key] ?? (key.length === 1 ? `Key${key.toUpperCase()}` : key),
    keyCode: KEY_NUMBERS[key] ?? 0,
    which: KEY_NUMBERS[key] ?? 0,
    bubbles: true,
    cancelable: true,
    composed: true,
    view: win,
  } as KeyboardEventInit;
  const proceed = el.dispatchEvent(new win.KeyboardEvent('keydown', init));
  if (proceed) {
    const tag = el.tagName.toLowerCase();
    if (key === 'Enter' && tag === 'input') {
      const form = (el as HTMLInputElement).form;
      if (form) {
        // The implicit submission: through the form's default button if it has one.
        const submitter = form.querySelector<HTMLElement>('button:not([type]),button[type=submit],input[type=submit]');
        if (submitter && refusal(submitter, opts)) return 'refused';
        if (typeof form.requestSubmit === 'function') form.requestSubmit();
        else form.submit();
      }
    } else if (key === 'Enter' && (tag === 'a' || tag === 'button')) {
      (el as HTMLElement).click();
    } else if (key === 'Tab') {
      const list = tabbables(win.document);
      const at = list.indexOf(el as HTMLElement);
      const next = list[(at + 1) % Math.max(1, list.length)];
      next?.focus();
    } else if (key === 'Escape' && focusable(el)) {
      /* the page's own handlers saw keydown */
    }
  }
  el.dispatchEvent(new win.KeyboardEvent('keyup', init));
  return null;
}

function canScroll(el: Element, dx: number, dy: number): boolean {
  const win = el.ownerDocument.defaultView;
  if (!win) return false;
  const style = win.getComputedStyle(el);
  const y = dy !== 0 && /(auto|scroll|overlay)/.test(style.overflowY) && el.scrollHeight > el.clientHeight + 1 &&
    (dy > 0 ? el.scrollTop + el.clientHeight < el.scrollHeight - 1 : el.scrollTop > 0);
  const x = dx !== 0 && /(auto|scroll|overlay)/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1 &&
    (dx > 0 ? el.scrollLeft + el.clientWidth < el.scrollWidth - 1 : el.scrollLeft > 0);
  return x || y;
}

function scroll(win: Win, el: Element | null, dx: number, dy: number): void {
  const doc = win.document;
  for (let node = el; node && node !== doc.body && node !== doc.documentElement; node = node.parentElement) {
    if (canScroll(node, dx, dy)) {
      node.scrollBy({ left: dx, top: dy, behavior: 'instant' as ScrollBehavior });
      return;
    }
  }
  win.scrollBy({ left: dx, top: dy, behavior: 'instant' as ScrollBehavior });
}

function navigate(win: Win, value: string, opts: ActOptions): RefusalCode | null {
  switch (value) {
    case 'back':
      win.history.back();
      return null;
    case 'forward':
      win.history.forward();
      return null;
    case 'reload':
      win.location.reload();
      return null;
  }
  let url: URL;
  try {
    url = new URL(value, win.location.href);
  } catch {
    return 'bad_url';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'bad_url';
  // Within the allowed sites only: this page's origin, or (proxy mode) an origin the
  // proxy maps, which is one the server allows.
  const target = opts.mapUrl ? opts.mapUrl(url.href) : url.href;
  if (target === url.href && url.origin !== win.location.origin) return 'other_site';
  win.location.assign(target);
  return null;
}

/**
 * The file input a click on `el` would open (the input itself, or a label for one), or
 * null. A script's click cannot open the visitor's file chooser (it needs the visitor's
 * own gesture), and only the visitor may choose a file: such clicks are refused.
 */
export function fileInputOf(el: Element): HTMLInputElement | null {
  const isFile = (node: Element | null | undefined): node is HTMLInputElement =>
    !!node && node.tagName.toLowerCase() === 'input' && ((node as HTMLInputElement).type || '').toLowerCase() === 'file';
  if (isFile(el)) return el;
  const label = el.closest('label');
  if (label) {
    const control = (label as HTMLLabelElement).control ?? label.querySelector('input');
    if (isFile(control)) return control;
  }
  return null;
}

/** Apply `act` in `win`; `resolve` maps rrweb node ids to this page's nodes. Never throws. */
export function applyAct(
  win: Win,
  act: ActFields,
  resolve: (id: number) => Node | null,
  opts: ActOptions,
): ActOutcome {
  const outcome = apply(win, act, resolve, opts);
  let description = '';
  try {
    description = outcome.element ? describeElement(outcome.element, opts.mask, opts.masker ?? null) : '';
  } catch {
    description = 'element';
  }
  return { ...outcome, description };
}

function apply(
  win: Win,
  act: ActFields,
  resolve: (id: number) => Node | null,
  opts: ActOptions,
): Omit<ActOutcome, 'description'> {
  const fail = (reason: RefusalCode, element: Element | null = null, label = ''): Omit<ActOutcome, 'description'> => ({
    ok: false,
    reason,
    label,
    element,
  });
  let el: Element | null = null;
  if (act.target) {
    const node = resolve(act.target.id);
    el = node && node.nodeType === 1 ? (node as Element) : (node?.parentElement ?? null);
    if (!el || !el.isConnected) return fail('not_found');
  } else if (act.kind === 'click' || act.kind === 'input') {
    return fail('not_found');
  }
  if (act.kind === 'key' && !el) {
    const active = win.document.activeElement;
    el = active && active !== win.document.body ? active : win.document.body;
  }
  if (el) {
    const refused = refusal(el, opts, act.kind);
    if (refused) return fail(refused, el, refused === 'masked' ? 'a private field' : labelOf(el));
  }
  const label = el ? labelOf(el) : '';
  if (act.kind === 'click' && el) {
    const file = fileInputOf(el);
    if (file) return fail('file_input', file, labelOf(file));
  }
  try {
    switch (act.kind) {
      case 'click':
        click(win, el!, act.target?.x ?? 0.5, act.target?.y ?? 0.5);
        break;
      case 'input':
        if (!isEditable(el!)) return fail('not_editable', el, label);
        typeInto(win, el!, act.value);
        break;
      case 'key': {
        const refused = pressKey(win, el!, act.value, opts);
        if (refused) return fail(refused, el, label);
        break;
      }
      case 'scroll':
        scroll(win, el, act.dx, act.dy);
        break;
      case 'navigate': {
        const refused = navigate(win, act.value, opts);
        if (refused) return fail(refused);
        break;
      }
    }
  } catch {
    return fail('failed', el, label);
  }
  return { ok: true, reason: null, label, element: el };
}

/** What the visitor reads about an action ("Asha Rao clicked “Save”"), in the visitor's language. */
export function describeAct(
  name: string,
  act: ActFields,
  outcome: { readonly ok: boolean; readonly reason: string | null; readonly label: string },
  tr: Translator = translator('en'),
): string {
  const on = outcome.label ? `“${outcome.label}”` : tr.s.thePage;
  if (!outcome.ok) {
    if (outcome.reason === 'file_input') return tr.t('chooseFile', { name, on });
    const key = reasonKey(outcome.reason);
    return tr.t('actFailed', { name, on, reason: key ? tr.s[key] : reasonText(outcome.reason) });
  }
  switch (act.kind) {
    case 'click':
      return tr.t('actClicked', { name, on });
    case 'input':
      return tr.t('actTyped', { name, on });
    case 'key':
      return tr.t('actPressed', { name, key: act.value === ' ' ? 'Space' : act.value });
    case 'scroll':
      return tr.t('actScrolled', { name, on: outcome.label && outcome.label !== 'the page' ? on : tr.s.thePage });
    case 'navigate':
      return act.value === 'back'
        ? tr.t('actBack', { name })
        : act.value === 'forward'
          ? tr.t('actForward', { name })
          : act.value === 'reload'
            ? tr.t('actReload', { name })
            : tr.t('actOpened', { name, url: act.value });
  }
}
