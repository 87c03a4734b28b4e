/**
 * Serialised markup read by scripts, with upstream URLs: the server's rewriting (and the
 * runtime's setters) put proxy URLs into attributes and `<style>` text, which `innerHTML`,
 * `outerHTML`, `getHTML()` (elements and shadow roots) and
 * `XMLSerializer.serializeToString` would show. Only a serialisation that holds the proxy
 * domain is scanned (`runtime/proxy-text.ts`). While the recorder reads (`ctx.gate`),
 * every getter is native.
 *
 * What a page writes back (`el.innerHTML = el.innerHTML`) holds upstream URLs again: the
 * markup setters (`innerHTML`, `outerHTML`, `insertAdjacentHTML`, `setHTMLUnsafe`) map the
 * URL attributes of what they inserted as soon as they return (patches/mutations.ts'
 * `urlFixer`), before the browser fetches anything, instead of waiting for the
 * MutationObserver. Installed before patches/getters.ts, so the fixer reads natively.
 */
import type { RuntimeContext } from '../context';
import { attempt, disguise, findAccessor, mapGetter, patchMethod } from '../patch';
import { type ProxyText, escapeMarkup, mapProxyText, proxyNeedles } from '../proxy-text';
import { proxySuffix } from '../urls';
import { urlFixer } from './mutations';

/** The proxy-text options of a page. */
export function proxyTextOf(ctx: RuntimeContext): ProxyText {
  const { cfg, map } = ctx;
  return {
    needles: proxyNeedles(proxySuffix(cfg.proxyOrigin), Object.values(cfg.origins)),
    go: cfg.go,
    toUpstream: (url) => map.toUpstream(url),
  };
}

/**
 * Wrap the getter of `name` (on `proto` or above) so that a string it returns goes
 * through `mapText` (called on the same object); native while the recorder reads. The
 * setter is kept.
 */
export function mapGetterText(
  ctx: RuntimeContext,
  proto: object | null | undefined,
  name: string,
  mapText: (this: unknown, text: string) => string,
): void {
  mapGetter(proto, name, (value, self) => (typeof value === 'string' ? mapText.call(self, value) : value), () => ctx.gate.native);
}

/** Wrap method `name` of `proto` so that a string it returns goes through `mapText`. */
export function mapResultText(
  ctx: RuntimeContext,
  proto: object | null | undefined,
  name: string,
  mapText: (text: string) => string,
): void {
  patchMethod(proto, name, (orig) =>
    function (this: unknown, ...args: unknown[]) {
      const value: unknown = orig.apply(this, args);
      if (typeof value !== 'string' || ctx.gate.native) return value;
      return mapText(value);
    },
  );
}

/** Wrap the setter of `name` (on `proto` or above): `before(self)` runs first, and the
 * function it returns (if any) after the native setter returned. */
function aroundSetter(
  proto: object | null | undefined,
  name: string,
  before: (self: unknown) => (() => void) | null,
): void {
  try {
    const found = findAccessor(proto, name);
    if (!found || !found.desc.set || !found.desc.configurable) return;
    const set = found.desc.set;
    Object.defineProperty(found.owner, name, {
      ...found.desc,
      set: disguise(function (this: unknown, value: unknown) {
        const after = attempt(() => before(this), null);
        set.call(this, value);
        if (after) attempt(after, undefined);
      }, set),
    });
  } catch {
    /* keep the native setter */
  }
}

/** The nodes of `parent` strictly between `from` (null: the start) and `to` (null: the end). */
function between(parent: Node, from: Node | null, to: Node | null): Node[] {
  const out: Node[] = [];
  for (let n = from ? from.nextSibling : parent.firstChild; n && n !== to; n = n.nextSibling) out.push(n);
  return out;
}

export function patchMarkup(ctx: RuntimeContext): void {
  const { win } = ctx;
  const p = proxyTextOf(ctx);
  const markup = (text: string): string => attempt(() => mapProxyText(text, p, escapeMarkup), text);
  const ctor = (name: string): { prototype?: object } | undefined =>
    (win as unknown as Record<string, { prototype?: object } | undefined>)[name];
  const elProto = win.Element?.prototype;
  const shadowProto = ctor('ShadowRoot')?.prototype;
  mapGetterText(ctx, elProto, 'outerHTML', markup);
  for (const proto of [elProto, shadowProto]) {
    mapGetterText(ctx, proto, 'innerHTML', markup);
    mapResultText(ctx, proto, 'getHTML', markup);
  }
  mapResultText(ctx, ctor('XMLSerializer')?.prototype, 'serializeToString', markup);

  // The setters: map what they inserted at once.
  const { fixTree } = urlFixer(ctx);
  const fixChildren = (self: unknown) => (): void => fixTree(self as Node);
  for (const proto of [elProto, shadowProto]) {
    aroundSetter(proto, 'innerHTML', fixChildren);
    patchMethod(proto, 'setHTMLUnsafe', (orig) =>
      function setHTMLUnsafe(this: unknown, ...args: unknown[]) {
        const result: unknown = orig.apply(this, args);
        attempt(() => fixTree(this as Node), undefined);
        return result;
      },
    );
  }
  // outerHTML and insertAdjacentHTML insert beside or inside: the nodes between the
  // neighbours that were there before.
  const span = (parent: Node | null, from: Node | null, to: Node | null) => (): void => {
    if (parent) for (const node of between(parent, from, to)) fixTree(node);
  };
  aroundSetter(elProto, 'outerHTML', (self) => {
    const el = self as Element;
    return span(el.parentNode, el.previousSibling, el.nextSibling);
  });
  patchMethod(elProto, 'insertAdjacentHTML', (orig) =>
    function insertAdjacentHTML(this: Element, ...args: unknown[]) {
      const where = attempt(() => {
        switch (String(args[0]).toLowerCase()) {
          case 'beforebegin':
            return span(this.parentNode, this.previousSibling, this);
          case 'afterbegin':
            return span(this, null, this.firstChild);
          case 'beforeend':
            return span(this, this.lastChild, null);
          case 'afterend':
            return span(this.parentNode, this, this.nextSibling);
          default:
            return null;
        }
      }, null);
      const result: unknown = orig.apply(this, args);
      if (where) attempt(where, undefined);
      return result;
    },
  );
}
