/**
 * Code made from strings at run time goes through the in-page rewriter (../jsrewrite.ts):
 * `Function` (and the async and generator function constructors, also reached as
 * `fn.constructor`), string `setTimeout`/`setInterval`, `on*` handler attributes set with
 * setAttribute(NS). `eval` is rewritten by the server as `eval(__cobrowse$.e(s))`, its
 * indirect uses as `__cobrowse$.w(eval)` / `__cobrowse$.v(X, s)` (../hooks.ts: a global
 * `eval` cannot be patched without making every direct eval indirect).
 * `instanceof Function`, `Function.prototype` and `fn.toString()` stay as they were: a
 * function made here prints the source it was given.
 */
import type { RuntimeContext } from '../context';
import { rewriteJs } from '../jsrewrite';
import { attempt, nativeOf, patchMethod } from '../patch';

type Ctor = (...args: unknown[]) => unknown;

/** The arguments of a function constructor with the body (the last one) rewritten. Pure. */
export function rewriteFunctionArgs(args: readonly unknown[]): unknown[] {
  const out = [...args];
  const last = out.length - 1;
  if (last >= 0 && typeof out[last] === 'string') out[last] = rewriteJs(out[last] as string, 'handler');
  return out;
}

/** Whether an attribute name is an event handler's (`onclick`...). Pure. */
export function isHandlerAttribute(name: unknown): boolean {
  return typeof name === 'string' && /^on[a-z]/i.test(name);
}

export function patchCode(ctx: RuntimeContext): void {
  const { win } = ctx;
  const NativeFunction = win.Function;
  const nativeToString = NativeFunction.prototype.toString;
  /** Functions whose printed source is another's: function → what prints it. */
  const printed = new WeakMap<object, () => string>();

  const wrapCtor = (Orig: Ctor): Ctor => {
    const made = (fn: unknown, args: unknown[], rewritten: unknown[]): unknown => {
      if (typeof fn === 'function' && rewritten.some((a, i) => a !== args[i])) {
        printed.set(fn, () => nativeToString.call(Reflect.construct(Orig, args)) as string);
      }
      return fn;
    };
    const proxy: Ctor = new Proxy(Orig, {
      apply(target, thisArg, args: unknown[]) {
        const rewritten = attempt(() => rewriteFunctionArgs(args), args);
        return made(Reflect.apply(target, thisArg, rewritten), args, rewritten);
      },
      construct(target, args: unknown[], newTarget) {
        const rewritten = attempt(() => rewriteFunctionArgs(args), args);
        const fn = Reflect.construct(target, rewritten, newTarget === proxy ? target : newTarget) as object;
        return made(fn, args, rewritten) as object;
      },
    });
    printed.set(proxy, () => nativeToString.call(Orig) as string);
    return proxy;
  };

  const replaceCtor = (proto: object | null, holder: object | null, name: string | null): void => {
    try {
      if (!proto) return;
      const desc = Object.getOwnPropertyDescriptor(proto, 'constructor');
      if (!desc || typeof desc.value !== 'function' || !desc.configurable) return;
      const proxy = wrapCtor(desc.value as Ctor);
      Object.defineProperty(proto, 'constructor', { ...desc, value: proxy });
      if (holder && name) {
        const own = Object.getOwnPropertyDescriptor(holder, name);
        if (own && own.configurable) Object.defineProperty(holder, name, { ...own, value: proxy });
      }
    } catch {
      /* leave this constructor */
    }
  };
  replaceCtor(NativeFunction.prototype, win, 'Function');
  // Reached only as a function's `.constructor` (these functions are ours, of this realm).
  replaceCtor(Object.getPrototypeOf(async function () {}) as object, null, null);
  replaceCtor(Object.getPrototypeOf(function* () {}) as object, null, null);
  replaceCtor(Object.getPrototypeOf(async function* () {}) as object, null, null);

  patchMethod(NativeFunction.prototype, 'toString', (orig) => {
    const toString = function toString(this: unknown): unknown {
      const print = typeof this === 'function' || typeof this === 'object' ? printed.get(this as object) : undefined;
      if (print) {
        const text = attempt(print, null);
        if (text !== null) return text;
      }
      const native = nativeOf(this);
      return orig.call(native ?? this) as unknown;
    };
    printed.set(toString, () => orig.call(orig) as string);
    return toString;
  });

  for (const name of ['setTimeout', 'setInterval']) {
    patchMethod(win, name, (orig) =>
      function (this: unknown, ...args: unknown[]) {
        if (typeof args[0] === 'string') args[0] = attempt(() => rewriteJs(args[0] as string, 'script'), args[0]);
        return orig.apply(this, args);
      },
    );
  }
}
