/**
 * A safety net for URLs that reach the DOM without a setter or setAttribute
 * (innerHTML, insertAdjacentHTML, document.write, DOMParser + adoptNode, templates):
 * a MutationObserver maps URL attributes of added elements and changed URL attributes.
 * It runs after the fact, so a resource may already have been requested from the
 * upstream directly once; the proxied URL is what stays in the page (and what the agent
 * mirror sees).
 */
import type { RuntimeContext } from '../context';
import { attempt } from '../patch';
import { isAbsolute, mapSrcset } from '../urls';
import { urlAttributeKind } from './elements';

const ATTRIBUTES = ['href', 'src', 'srcset', 'action', 'formaction', 'data', 'poster'];
/** Elements with any of them (`*|href`: xlink:href too), for one native test per element. */
const SELECTOR = ATTRIBUTES.map((a) => (a === 'href' ? '[*|href]' : `[${a}]`)).join(',');
const XLINK_NS = 'http://www.w3.org/1999/xlink';

export function watchMutations(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const Observer = win.MutationObserver;
  if (typeof Observer !== 'function') return;
  const setAttr = win.Element.prototype.setAttribute;
  const setAttrNS = win.Element.prototype.setAttributeNS;
  // Native reads: the getters patch (installed after this) shows URL attributes upstream.
  const getAttr = win.Element.prototype.getAttribute;
  const getAttrNS = win.Element.prototype.getAttributeNS;

  const fix = (el: Element, name: string): void => {
    const value = getAttr.call(el, name);
    if (value === null || value.length === 0) return;
    const kind = urlAttributeKind(el.namespaceURI, el.localName, null, name);
    if (!kind) return;
    const mapped =
      kind === 'srcset'
        ? mapSrcset(value, (u) => map.toLoad(u))
        : isAbsolute(value)
          ? map.toLoad(value)
          : value;
    if (mapped !== value) setAttr.call(el, name, mapped);
  };
  const fixXlink = (el: Element): void => {
    const value = getAttrNS.call(el, XLINK_NS, 'href');
    if (value === null || !isAbsolute(value)) return;
    const mapped = map.toLoad(value);
    if (mapped !== value) setAttrNS.call(el, XLINK_NS, 'xlink:href', mapped);
  };
  const fixElement = (el: Element): void => {
    for (const name of ATTRIBUTES) if (el.hasAttribute(name)) fix(el, name);
    if (el.hasAttributeNS(XLINK_NS, 'href')) fixXlink(el);
  };

  const observer = new Observer((records) => {
    // A batch: what changed, then each added subtree once (a node added with its
    // ancestor in the same batch is found by the ancestor's query: the parser adds a
    // whole page as one batch of nested nodes).
    const added = new Set<Element>();
    for (const record of records) {
      attempt(() => {
        if (record.type === 'attributes') {
          const el = record.target as Element;
          if (record.attributeNamespace === XLINK_NS) fixXlink(el);
          else if (record.attributeName) fix(el, record.attributeName);
          return;
        }
        const nodes = record.addedNodes;
        for (let i = 0; i < nodes.length; i++) {
          const node = nodes[i]!;
          if (node.nodeType === 1) added.add(node as Element);
        }
      }, undefined);
    }
    for (const el of added) {
      attempt(() => {
        for (let up = el.parentElement; up; up = up.parentElement) if (added.has(up)) return;
        if (el.matches(SELECTOR)) fixElement(el);
        if (el.firstElementChild) el.querySelectorAll(SELECTOR).forEach(fixElement);
      }, undefined);
    }
  });
  observer.observe(win.document, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
}
