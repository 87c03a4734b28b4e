/**
 * Serialised markup read by scripts, with upstream URLs: the server's rewriting (and the
 * runtime's setters) put proxy URLs into attributes and `<style>` text, which `innerHTML`,
 * `outerHTML`, `getHTML()` (elements and shadow roots) and
 * `XMLSerializer.serializeToString` would show. Only a serialisation that holds the proxy
 * domain is scanned (`runtime/proxy-text.ts`); the setters are untouched (what a page
 * writes back is rewritten by patches/mutations.ts). While the recorder reads
 * (`ctx.gate`), every getter is native.
 */
import type { RuntimeContext } from '../context';
import { attempt, disguise, findAccessor, patchMethod } from '../patch';
import { type ProxyText, escapeMarkup, mapProxyText, proxyNeedles } from '../proxy-text';
import { proxySuffix } from '../urls';

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
  try {
    const found = findAccessor(proto, name);
    if (!found || !found.desc.get || !found.desc.configurable) return;
    const get = found.desc.get;
    Object.defineProperty(found.owner, name, {
      ...found.desc,
      get: disguise(function (this: unknown) {
        const value: unknown = get.call(this);
        if (typeof value !== 'string' || ctx.gate.native) return value;
        return mapText.call(this, value);
      }, get),
    });
  } catch {
    /* keep the native getter */
  }
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
}
