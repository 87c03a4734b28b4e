/**
 * CSS read by scripts, with upstream URLs, and without the runtime's own style sheets.
 *
 * - Style declarations (`getComputedStyle(el)`, `el.style`, `rule.style`): Blink serves
 *   their properties (`backgroundImage`, `'background-image'`...) from a named-property
 *   interceptor, not from prototype accessors, so these hand out a view (a Proxy, one
 *   per declaration) whose string values are mapped; the declaration's own methods,
 *   called on a view, act on the declaration. `cssText` and `getPropertyValue()` are
 *   mapped on the native declarations too.
 * - Rule and sheet text: `CSSRule.cssText`, the `href` of sheets and `@import` rules,
 *   a Typed OM value's `toString()`, a `<style>` element's `textContent`.
 * - `document.styleSheets` (length, index, iteration, `item()`) leaves out the sheets
 *   whose owner node is the runtime's (`data-cobrowse-ui`, the masking marker).
 *
 * URLs: `runtime/proxy-text.ts`. While the recorder reads (`ctx.gate`) all is native.
 */
import type { RuntimeContext } from '../context';
import { attempt, disguise, findAccessor, mapGetter, patchMethod } from '../patch';
import { mapProxyText, mentionsProxy } from '../proxy-text';
import { mapGetterText, mapResultText, proxyTextOf } from './markup';

/** The attribute on the runtime's (and the widget's) own elements (masking/masker.ts). */
const OURS_ATTRIBUTE = 'data-cobrowse-ui';
const INDEX = /^(?:0|[1-9]\d*)$/;

type Ctor = { prototype?: object } | undefined;

export function patchStyles(ctx: RuntimeContext): void {
  const { win, gate, map } = ctx;
  const p = proxyTextOf(ctx);
  // Most text holds no proxy URL: one search, no closure (style reads are hot paths).
  const css = (text: string): string =>
    mentionsProxy(text, p.needles) ? attempt(() => mapProxyText(text, p), text) : text;
  const ctor = (name: string): Ctor => (win as unknown as Record<string, Ctor>)[name];

  // Declarations: a view per declaration, and its methods unwrapping it.
  const declProto = ctor('CSSStyleDeclaration')?.prototype;
  const natives = new WeakMap<object, object>(); // view → declaration
  const views = new WeakMap<object, object>(); // declaration → view
  const handler: ProxyHandler<object> = {
    // A plain keyed read of the declaration (the receiver is the declaration itself, as
    // with Reflect.get(target, key, target)): faster in V8 through Blink's interceptor.
    get(target, key) {
      const value: unknown = (target as Record<PropertyKey, unknown>)[key];
      return typeof value === 'string' && typeof key === 'string' && !gate.native ? css(value) : value;
    },
    set(target, key, value) {
      return Reflect.set(target, key, value, target);
    },
  };
  const view = (decl: unknown): unknown => {
    if (gate.native || !decl || typeof decl !== 'object' || !declProto) return decl;
    const known = views.get(decl);
    if (known) return known;
    return attempt(() => {
      let v = views.get(decl);
      if (!v) {
        v = new Proxy(decl, handler);
        views.set(decl, v);
        natives.set(v, decl);
      }
      return v;
    }, decl);
  };
  const unwrap = (self: unknown): unknown => (self && typeof self === 'object' && natives.get(self)) || self;
  if (declProto) {
    for (const name of Object.getOwnPropertyNames(declProto)) {
      if (name === 'constructor') continue;
      const desc = Object.getOwnPropertyDescriptor(declProto, name);
      if (!desc || !desc.configurable) continue;
      if (typeof desc.value === 'function') {
        patchMethod(declProto, name, (orig) =>
          function (this: unknown, ...args: unknown[]) {
            return orig.apply(unwrap(this), args) as unknown;
          },
        );
      } else if (desc.get) {
        const { get, set } = desc;
        attempt(() => {
          Object.defineProperty(declProto, name, {
            ...desc,
            get: disguise(function (this: unknown) {
              return get.call(unwrap(this)) as unknown;
            }, get),
            set: set
              ? disguise(function (this: unknown, value: unknown) {
                  set.call(unwrap(this), value);
                }, set)
              : undefined,
          });
        }, undefined);
      }
    }
  }
  mapGetterText(ctx, declProto, 'cssText', css);
  mapResultText(ctx, declProto, 'getPropertyValue', css);
  patchMethod(win, 'getComputedStyle', (orig) =>
    function getComputedStyle(this: unknown, ...args: unknown[]) {
      return view(orig.apply(this, args));
    },
  );
  const handsOut = [
    ['HTMLElement', 'style'],
    ['SVGElement', 'style'],
    ['MathMLElement', 'style'],
    ['CSSStyleRule', 'style'],
    ['CSSPageRule', 'style'],
    ['CSSFontFaceRule', 'style'],
    ['CSSKeyframeRule', 'style'],
  ] as const;
  for (const [iface, name] of handsOut) mapGetter(ctor(iface)?.prototype, name, view);

  // Rule and sheet text.
  const up = (url: string): string => map.toUpstream(url);
  mapGetterText(ctx, ctor('CSSRule')?.prototype, 'cssText', css);
  mapGetterText(ctx, ctor('StyleSheet')?.prototype, 'href', up);
  mapGetterText(ctx, ctor('CSSImportRule')?.prototype, 'href', up);
  mapResultText(ctx, ctor('CSSStyleValue')?.prototype, 'toString', css);
  const nodeName = findAccessor(win.Node?.prototype, 'nodeName')?.desc.get;
  mapGetterText(ctx, win.Node?.prototype, 'textContent', function (this: unknown, text: string): string {
    // Only a style element's text (the server rewrote it): other text is left unscanned.
    if (!mentionsProxy(text, p.needles)) return text;
    const name = attempt(() => (nodeName ? String(nodeName.call(this)) : ''), '');
    return name === 'STYLE' || name === 'style' ? css(text) : text;
  });

  // document.styleSheets without the runtime's own sheets.
  const listProto = ctor('StyleSheetList')?.prototype;
  const lengthGet = findAccessor(listProto, 'length')?.desc.get;
  const itemOf = attempt(() => (listProto as Record<string, unknown> | undefined)?.item, undefined);
  const ownerGet = findAccessor(ctor('StyleSheet')?.prototype, 'ownerNode')?.desc.get;
  const hasAttr = win.Element?.prototype.hasAttribute;
  if (!listProto || !lengthGet || typeof itemOf !== 'function' || !ownerGet || !hasAttr) return;
  const item = itemOf as (this: unknown, i: number) => unknown;
  const ours = (sheet: unknown): boolean =>
    attempt(() => {
      const node = ownerGet.call(sheet) as Node | null;
      return !!node && node.nodeType === 1 && hasAttr.call(node as Element, OURS_ATTRIBUTE);
    }, false);
  const visible = (list: object): unknown[] => {
    const out: unknown[] = [];
    const n = Number(lengthGet.call(list));
    for (let i = 0; i < n; i++) {
      const sheet = item.call(list, i);
      if (sheet && !ours(sheet)) out.push(sheet);
    }
    return out;
  };
  const lists = new WeakMap<object, object>(); // view → list
  const listViews = new WeakMap<object, object>(); // list → view
  const listHandler: ProxyHandler<object> = {
    get(target, key) {
      if (!gate.native) {
        if (key === 'length') return visible(target).length;
        if (typeof key === 'string' && INDEX.test(key)) return visible(target)[Number(key)];
      }
      return Reflect.get(target, key, target) as unknown;
    },
    has(target, key) {
      if (typeof key === 'string' && INDEX.test(key)) return Number(key) < visible(target).length;
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      const keys = Reflect.ownKeys(target).filter((k) => typeof k !== 'string' || !INDEX.test(k));
      return [...visible(target).map((_s, i) => String(i)), ...keys];
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string' && INDEX.test(key)) {
        const sheet = visible(target)[Number(key)];
        return sheet === undefined ? undefined : { value: sheet, writable: false, enumerable: true, configurable: true };
      }
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  };
  const listView = (list: unknown): unknown => {
    if (gate.native || !list || typeof list !== 'object') return list;
    return attempt(() => {
      let v = listViews.get(list);
      if (!v) {
        v = new Proxy(list, listHandler);
        listViews.set(list, v);
        lists.set(v, list);
      }
      return v;
    }, list);
  };
  const listOf = (self: unknown): object | undefined => (self && typeof self === 'object' ? lists.get(self) : undefined);
  patchMethod(listProto, 'item', (orig) =>
    function item(this: unknown, ...args: unknown[]) {
      const list = listOf(this);
      if (!list) return orig.apply(this, args) as unknown;
      if (args.length === 0) return orig.apply(list, args) as unknown; // the native TypeError
      return visible(list)[Number(args[0]) >>> 0] ?? null;
    },
  );
  attempt(() => {
    const found = findAccessor(listProto, 'length');
    if (!found || !found.desc.configurable) return;
    Object.defineProperty(found.owner, 'length', {
      ...found.desc,
      get: disguise(function (this: unknown) {
        const list = listOf(this);
        return list ? visible(list).length : (lengthGet.call(this) as unknown);
      }, lengthGet),
    });
  }, undefined);
  mapGetter(ctor('Document')?.prototype, 'styleSheets', listView);
}
