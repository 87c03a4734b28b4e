/**
 * URL-valued element properties and attributes set by scripts: the property setters
 * (img.src = ..., a.href = ...) and Element.prototype.setAttribute / setAttributeNS for
 * the same attributes (a `javascript:` URL gets its code rewritten, and so does an `on*`
 * handler attribute). Getters: patches/getters.ts.
 */
import type { RuntimeContext } from '../context';
import { attempt, patchMethod, patchSetter, urlString } from '../patch';
import { rewriteJs, rewriteScriptUrl } from '../jsrewrite';
import { mapSrcset } from '../urls';
import { isHandlerAttribute } from './code';

/** [interface, property, kind] of every patched property setter. */
export const URL_PROPERTIES: ReadonlyArray<readonly [string, string, 'url' | 'srcset']> = [
  ['HTMLAnchorElement', 'href', 'url'],
  ['HTMLAreaElement', 'href', 'url'],
  ['HTMLLinkElement', 'href', 'url'],
  ['HTMLBaseElement', 'href', 'url'],
  ['HTMLImageElement', 'src', 'url'],
  ['HTMLImageElement', 'srcset', 'srcset'],
  ['HTMLScriptElement', 'src', 'url'],
  ['HTMLIFrameElement', 'src', 'url'],
  ['HTMLFrameElement', 'src', 'url'],
  ['HTMLSourceElement', 'src', 'url'],
  ['HTMLSourceElement', 'srcset', 'srcset'],
  ['HTMLMediaElement', 'src', 'url'],
  ['HTMLVideoElement', 'poster', 'url'],
  ['HTMLTrackElement', 'src', 'url'],
  ['HTMLFormElement', 'action', 'url'],
  ['HTMLButtonElement', 'formAction', 'url'],
  ['HTMLInputElement', 'formAction', 'url'],
  ['HTMLInputElement', 'src', 'url'],
  ['HTMLObjectElement', 'data', 'url'],
  ['HTMLEmbedElement', 'src', 'url'],
];

/** attribute → HTML elements (local names) where it holds a URL. */
const HTML_URL_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  href: ['a', 'area', 'link', 'base'],
  src: ['img', 'script', 'iframe', 'frame', 'source', 'audio', 'video', 'track', 'input', 'embed'],
  srcset: ['img', 'source'],
  action: ['form'],
  formaction: ['button', 'input'],
  data: ['object'],
  poster: ['video'],
};

const HTML_NS = 'http://www.w3.org/1999/xhtml';
const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';

/** How an attribute value must be mapped on an element: 'url', 'srcset' or null (not a URL). Pure. */
export function urlAttributeKind(
  namespaceURI: string | null,
  localName: string,
  attrNamespace: string | null,
  attrName: string,
): 'url' | 'srcset' | null {
  const name = attrName.toLowerCase();
  if (namespaceURI === SVG_NS) {
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    return local === 'href' && (attrNamespace === null || attrNamespace === XLINK_NS) ? 'url' : null;
  }
  if (namespaceURI !== HTML_NS || attrNamespace !== null) return null;
  const tags = HTML_URL_ATTRIBUTES[name];
  if (!tags || !tags.includes(localName.toLowerCase())) return null;
  return name === 'srcset' ? 'srcset' : 'url';
}

export function patchElements(ctx: RuntimeContext): void {
  const { win, map } = ctx;
  const mapValue = (kind: 'url' | 'srcset', value: unknown): unknown => {
    const s = urlString(value);
    if (s === null) return value;
    const mapped =
      kind === 'srcset' ? mapSrcset(s, (u) => map.toLoad(u)) : rewriteScriptUrl(map.toLoad(s));
    return mapped === s ? value : mapped;
  };
  /** An `on*` attribute's code, rewritten (a handler body). */
  const handler = (name: string, value: unknown): unknown =>
    isHandlerAttribute(name) && typeof value === 'string' ? rewriteJs(value, 'handler') : value;

  for (const [iface, prop, kind] of URL_PROPERTIES) {
    const ctor = (win as unknown as Record<string, { prototype?: object } | undefined>)[iface];
    patchSetter(ctor?.prototype, prop, (value) => mapValue(kind, value));
  }

  const proto = win.Element?.prototype;
  patchMethod(proto, 'setAttribute', (orig) =>
    function setAttribute(this: Element, ...args: unknown[]) {
      if (args.length > 1 && typeof args[0] === 'string') {
        const kind = attempt(
          () => urlAttributeKind(this.namespaceURI, this.localName, null, args[0] as string),
          null,
        );
        if (kind) args[1] = attempt(() => mapValue(kind, args[1]), args[1]);
        else args[1] = attempt(() => handler(args[0] as string, args[1]), args[1]);
      }
      return orig.apply(this, args);
    },
  );
  patchMethod(proto, 'setAttributeNS', (orig) =>
    function setAttributeNS(this: Element, ...args: unknown[]) {
      if (args.length > 2 && typeof args[1] === 'string') {
        const ns = typeof args[0] === 'string' && args[0] !== '' ? args[0] : null;
        const kind = attempt(
          () => urlAttributeKind(this.namespaceURI, this.localName, ns, args[1] as string),
          null,
        );
        if (kind) args[2] = attempt(() => mapValue(kind, args[2]), args[2]);
        else if (ns === null) args[2] = attempt(() => handler(args[1] as string, args[2]), args[2]);
      }
      return orig.apply(this, args);
    },
  );
}
