/**
 * What the audit log says an agent's action was done on: the element's role and its
 * accessible name or label ("button “Save”", "text field “Full name”"), computed here
 * in the visitor's browser. Never a value: a field is named by its label, not its
 * content; text inside masked elements and form controls is left out; a masked element
 * is only ever "masked field"; digit runs and e-mail addresses in a name are blanked.
 * The server bounds and cleans the description again (core/audit.py).
 */

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

/** Text of `node` without form controls and masked parts (their content is a value). */
function visibleText(node: Element, mask: readonly string[]): string {
  let out = '';
  const walk = (n: Node): void => {
    if (n.nodeType === 3) {
      out += n.nodeValue ?? '';
      return;
    }
    if (n.nodeType !== 1) return;
    const el = n as Element;
    const tag = el.tagName.toLowerCase();
    if (['input', 'textarea', 'select', 'script', 'style', 'template'].includes(tag)) return;
    if (matches(el, mask)) return;
    for (const child of Array.from(el.childNodes)) walk(child);
  };
  walk(node);
  return out;
}

/** Blank what looks like personal data even in a label: digit runs and e-mail addresses. */
export function blankData(text: string): string {
  return text.replace(/\S*@\S*/g, '…').replace(/\d[\d\s./-]{2,}\d/g, '…');
}

function clean(text: string | null | undefined): string {
  const t = blankData((text ?? '').replace(/\s+/g, ' ').trim());
  return t.length > MAX_NAME ? `${t.slice(0, MAX_NAME - 1)}…` : t;
}

function nameOf(el: Element, role: string, mask: readonly string[]): string {
  const doc = el.ownerDocument;
  const aria = clean(el.getAttribute('aria-label'));
  if (aria) return aria;
  const labelledBy = el.getAttribute('aria-labelledby');
  if (labelledBy && doc) {
    const parts = labelledBy.split(/\s+/).map((id) => doc.getElementById(id)).filter((n) => n && !matches(n, mask));
    const text = clean(parts.map((n) => visibleText(n as Element, mask)).join(' '));
    if (text) return text;
  }
  const labels = (el as HTMLInputElement).labels;
  if (labels && labels.length) {
    const text = clean(Array.from(labels).map((l) => visibleText(l, mask)).join(' '));
    if (text) return text;
  }
  const tag = el.tagName.toLowerCase();
  if (tag === 'input') {
    const type = (el.getAttribute('type') ?? '').toLowerCase();
    // A button's value is its caption, set by the site; any other input's is the visitor's.
    if (['button', 'submit', 'reset'].includes(type)) return clean(el.getAttribute('value'));
    return clean(el.getAttribute('placeholder') || el.getAttribute('name') || el.getAttribute('title'));
  }
  if (tag === 'textarea' || tag === 'select') {
    return clean(el.getAttribute('placeholder') || el.getAttribute('name') || el.getAttribute('title'));
  }
  if (role === 'page') return '';
  return clean(visibleText(el, mask)) || clean(el.getAttribute('title')) || clean(el.getAttribute('alt'));
}

/** The audit description of `el` (see the top of this file); `mask` are the masking selectors. */
export function describeElement(el: Element, mask: readonly string[]): string {
  if (matches(el, mask)) return MASKED_DESCRIPTION;
  const role = roleOf(el);
  const name = nameOf(el, role, mask);
  const text = name ? `${role} “${name}”` : role;
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
}
