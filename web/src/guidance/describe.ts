/**
 * What the audit log says an agent's action was done on: the element's role and its
 * accessible name or label ("button “Save”", "text field “Full name”"), computed here
 * in the visitor's browser, with the page's masking applied: it says no more than the
 * agent saw. Never a value: a field is named by its label, not its content; text inside
 * masked elements and form controls is left out; a masked element is only ever "masked
 * field"; on a private-by-default page text and labels outside the allowed areas are
 * stars; value patterns are masked; then digit runs and e-mail addresses are blanked.
 * The server bounds and cleans the description again (core/audit.py).
 */
import type { Masker } from '../masking/masker';

export const MASKED_DESCRIPTION = 'masked field';
export const MAX_DESCRIPTION_CHARS = 80;
const MAX_NAME = 60;

function matches(el: Element, selectors: readonly string[]): boolean {
  for (const selector of selectors) {
    try {
      if (el.closest(selector)) return true;
    } catch {
      /* an invalid selector from the site: ignore it */
    }
  }
  return false;
}

const TEXT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'number', 'password', '']);

function roleOf(el: Element): string {
  const explicit = (el.getAttribute('role') ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (/^[a-z]{2,20}$/.test(explicit)) return explicit;
  const tag = el.tagName.toLowerCase();
  switch (tag) {
    case 'a':
      return el.hasAttribute('href') ? 'link' : 'element';
    case 'button':
      return 'button';
    case 'input': {
      const type = (el.getAttribute('type') ?? '').toLowerCase();
      if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'checkbox' || type === 'radio') return type;
      if (type === 'file') return 'file field';
      return TEXT_TYPES.has(type) ? 'text field' : `${type} field`;
    }
    case 'textarea':
      return 'text area';
    case 'select':
      return 'list box';
    case 'img':
      return 'image';
    case 'body':
    case 'html':
      return 'page';
    default:
      return /^h[1-6]$/.test(tag) ? 'heading' : tag === 'label' ? 'label' : 'element';
  }
}

/** The page's masking as the description applies it (none: selectors only). */
interface Masking {
  readonly mask: readonly string[];
  readonly masker: Masker | null;
}

function hidden(el: Element, m: Masking): boolean {
  return matches(el, m.mask) || (m.masker?.blocked(el) ?? false);
}

/** Text of `node` without form controls and masked parts, each text as the agent sees it. */
function visibleText(node: Element, m: Masking): string {
  let out = '';
  const walk = (n: Node): void => {
    if (n.nodeType === 3) {
      const text = n.nodeValue ?? '';
      out += m.masker ? m.masker.textIn(text, n.parentElement) : text;
      return;
    }
    if (n.nodeType !== 1) return;
    const el = n as Element;
    const tag = el.tagName.toLowerCase();
    if (['input', 'textarea', 'select', 'script', 'style', 'template'].includes(tag)) return;
    if (hidden(el, m)) return;
    for (const child of Array.from(el.childNodes)) walk(child);
  };
  walk(node);
  return out;
}

/** Attribute `name` of `el` as the agent sees it (private pages: stars; patterns masked). */
function attr(el: Element, name: string, m: Masking): string | null {
  const value = el.getAttribute(name);
  if (value === null || !m.masker) return value;
  return m.masker.attribute(name, value, el);
}

/** Blank what looks like personal data even in a label: digit runs and e-mail addresses. */
export function blankData(text: string): string {
  return text.replace(/\S*@\S*/g, '…').replace(/\d[\d\s./-]{2,}\d/g, '…');
}

function clean(text: string | null | undefined): string {
  const t = blankData((text ?? '').replace(/\s+/g, ' ').trim());
  return t.length > MAX_NAME ? `${t.slice(0, MAX_NAME - 1)}…` : t;
}

function nameOf(el: Element, role: string, m: Masking): string {
  const doc = el.ownerDocument;
  const aria = clean(attr(el, 'aria-label', m));
  if (aria) return aria;
  const labelledBy = el.getAttribute('aria-labelledby');
  if (labelledBy && doc) {
    const parts = labelledBy.split(/\s+/).map((id) => doc.getElementById(id)).filter((n) => n && !hidden(n, m));
    const text = clean(parts.map((n) => visibleText(n as Element, m)).join(' '));
    if (text) return text;
  }
  const labels = (el as HTMLInputElement).labels;
  if (labels && labels.length) {
    const text = clean(Array.from(labels).map((l) => visibleText(l, m)).join(' '));
    if (text) return text;
  }
  const tag = el.tagName.toLowerCase();
  if (tag === 'input') {
    const type = (el.getAttribute('type') ?? '').toLowerCase();
    // A button's value is its caption, set by the site; any other input's is the visitor's.
    if (['button', 'submit', 'reset'].includes(type)) return clean(attr(el, 'value', m));
    return clean(attr(el, 'placeholder', m) || attr(el, 'name', m) || attr(el, 'title', m));
  }
  if (tag === 'textarea' || tag === 'select') {
    return clean(attr(el, 'placeholder', m) || attr(el, 'name', m) || attr(el, 'title', m));
  }
  if (role === 'page') return '';
  return clean(visibleText(el, m)) || clean(attr(el, 'title', m)) || clean(attr(el, 'alt', m));
}

/**
 * The audit description of `el` (see the top of this file): `mask` are the masking
 * selectors, `masker` the page's rules (private areas, value patterns), when known.
 */
export function describeElement(el: Element, mask: readonly string[], masker: Masker | null = null): string {
  const m: Masking = { mask, masker };
  if (hidden(el, m)) return MASKED_DESCRIPTION;
  const role = roleOf(el);
  const name = nameOf(el, role, m);
  // The role comes from the page too (`role`, an input's `type`): patterns apply to all of it.
  let text = name ? `${role} “${name}”` : role;
  if (masker) text = blankData(masker.text(text, null));
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
}
