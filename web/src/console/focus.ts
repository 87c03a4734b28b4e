/**
 * The visitor's focus ring in the mirror. The mirror never takes focus (it must not
 * steal the agent's keys), so `:focus` rules never match there: the element the
 * visitor's focus is on carries FOCUS_ATTRIBUTE instead, and the page's own focus rules
 * are copied with `:focus`, `:focus-visible` and `:focus-within` written as that
 * attribute, so the ring looks as the page draws it; a page without focus rules gets the
 * browser's own ring (`outline: auto`), as the visitor does.
 */
export const FOCUS_ATTRIBUTE = 'data-cobrowse-focus';
/** The style element of the mirror that holds the copied rules. */
export const FOCUS_STYLE_ATTRIBUTE = 'data-cobrowse-focus-rules';

/** The browser's own ring, under any rule of the page (no specificity). */
export const DEFAULT_FOCUS_RULE = `:where([${FOCUS_ATTRIBUTE}]) { outline: auto 1px -webkit-focus-ring-color; }`;

const FOCUS = /:focus(-visible|-within)?(?![\w-])/g;

/** A selector with its focus pseudo-classes written as the attribute (null: none in it). Pure. */
export function focusSelector(selector: string): string | null {
  if (!selector.includes(':focus')) return null;
  const out = selector.replace(FOCUS, (_m, kind: string | undefined) =>
    kind === '-within' ? `:has([${FOCUS_ATTRIBUTE}])` : `[${FOCUS_ATTRIBUTE}]`,
  );
  return out === selector ? null : out;
}

const STYLE_RULE = 1;
const MEDIA_RULE = 4;
const SUPPORTS_RULE = 12;

/** The page's focus rules, rewritten (`@media` and `@supports` kept around them). */
function rewritten(rules: CSSRuleList, out: string[], depth = 0): void {
  if (depth > 8) return;
  for (const rule of Array.from(rules)) {
    if (out.length > 500) return;
    if (rule.type === STYLE_RULE) {
      const style = rule as CSSStyleRule;
      const selector = focusSelector(style.selectorText);
      if (selector) out.push(`${selector} { ${style.style.cssText} }`);
    } else if (rule.type === MEDIA_RULE || rule.type === SUPPORTS_RULE) {
      const group = rule as CSSMediaRule;
      const inner: string[] = [];
      rewritten(group.cssRules, inner, depth + 1);
      if (inner.length) {
        const head = rule.type === MEDIA_RULE ? `@media ${group.conditionText}` : `@supports ${group.conditionText}`;
        out.push(`${head} { ${inner.join('\n')} }`);
      }
    }
  }
}

/** Copy the focus rules of the mirror's document (again: its stylesheets may have changed). Never throws. */
export function copyFocusRules(doc: Document | null): void {
  if (!doc) return;
  try {
    const out: string[] = [];
    for (const sheet of Array.from(doc.styleSheets)) {
      const owner = sheet.ownerNode as Element | null;
      if (owner?.hasAttribute?.(FOCUS_STYLE_ATTRIBUTE)) continue;
      try {
        rewritten(sheet.cssRules, out);
      } catch {
        /* a stylesheet the mirror may not read */
      }
    }
    let style = doc.querySelector(`style[${FOCUS_STYLE_ATTRIBUTE}]`);
    if (!style) {
      style = doc.createElement('style');
      style.setAttribute(FOCUS_STYLE_ATTRIBUTE, '');
      (doc.head ?? doc.documentElement).append(style);
    }
    const text = out.join('\n');
    if (style.textContent !== text) style.textContent = text;
  } catch {
    /* keep the default ring */
  }
}
