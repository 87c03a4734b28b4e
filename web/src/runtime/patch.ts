/**
 * Small helpers to patch page APIs without ever throwing into the page: a patch that
 * cannot be applied (missing API, non-configurable property) is skipped silently, and
 * every mapping runs inside a try so a bug of ours degrades to "unmapped".
 */
export type AnyFn = (...args: any[]) => any;

/**
 * Replacement → the native function it stands for, so that `Function.prototype.toString`
 * (patched by patches/code.ts) prints the native source for our wrappers too. One per
 * runtime bundle, and a bundle runs once per document (its realm): not shared state.
 */
const standsFor = new WeakMap<object, object>();

/** Record that `wrapper` replaces `original` (printed as it). Returns `wrapper`. */
export function disguise<T extends object>(wrapper: T, original: unknown): T {
  if (typeof original === 'function') standsFor.set(wrapper, standsFor.get(original as object) ?? (original as object));
  return wrapper;
}

/** Disguise the accessor now at `owner[name]` as the native one `native` described. */
export function disguiseAccessor(owner: object, name: PropertyKey, native: PropertyDescriptor): void {
  try {
    const now = Object.getOwnPropertyDescriptor(owner, name);
    if (now?.get && native.get) disguise(now.get, native.get);
    if (now?.set && native.set) disguise(now.set, native.set);
  } catch {
    /* printed as it is */
  }
}

/** The native function `fn` replaces, or null. */
export function nativeOf(fn: unknown): object | null {
  return (typeof fn === 'function' && standsFor.get(fn as object)) || null;
}

/** Run `fn`; on any exception return `fallback`. */
export function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** Replace `obj[name]` (a function) by `make(original)`. */
export function patchMethod(obj: object | null | undefined, name: string, make: (orig: AnyFn) => AnyFn): void {
  try {
    if (!obj) return;
    const desc = Object.getOwnPropertyDescriptor(obj, name);
    const orig = desc ? desc.value : (obj as Record<string, unknown>)[name];
    if (typeof orig !== 'function') return;
    Object.defineProperty(obj, name, {
      value: disguise(make(orig as AnyFn), orig),
      writable: desc ? desc.writable !== false : true,
      enumerable: desc ? !!desc.enumerable : false,
      configurable: true,
    });
  } catch {
    /* leave the API as it is */
  }
}

/** Find an accessor descriptor on `proto` or its prototype chain. */
export function findAccessor(
  proto: object | null | undefined,
  name: string,
): { owner: object; desc: PropertyDescriptor } | null {
  let obj: object | null = proto ?? null;
  while (obj) {
    const desc = Object.getOwnPropertyDescriptor(obj, name);
    if (desc) return desc.get || desc.set ? { owner: obj, desc } : null;
    obj = Object.getPrototypeOf(obj) as object | null;
  }
  return null;
}

/**
 * Wrap the getter of `name` (found on `proto` or above) with `mapValue`; the native value
 * while `native()` holds, or when `mapValue` throws. The setter is kept.
 */
export function mapGetter(
  proto: object | null | undefined,
  name: string,
  mapValue: (value: unknown, self: unknown) => unknown,
  native: () => boolean = () => false,
): void {
  try {
    const found = findAccessor(proto, name);
    if (!found || !found.desc.get || !found.desc.configurable) return;
    const get = found.desc.get;
    Object.defineProperty(found.owner, name, {
      ...found.desc,
      get: disguise(function (this: unknown) {
        const value = get.call(this) as unknown;
        if (native()) return value;
        try {
          return mapValue(value, this); // (no closure: some of these getters are hot)
        } catch {
          return value;
        }
      }, get),
    });
  } catch {
    /* keep the native getter */
  }
}

/** Wrap the setter of an accessor property defined on `proto` itself. */
export function patchSetter(
  proto: object | null | undefined,
  name: string,
  map: (value: unknown, self: unknown) => unknown,
): void {
  try {
    if (!proto) return;
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    if (!desc || !desc.set || !desc.configurable) return;
    const set = desc.set;
    Object.defineProperty(proto, name, {
      ...desc,
      set: disguise(function (this: unknown, value: unknown) {
        set.call(this, attempt(() => map(value, this), value));
      }, set),
    });
  } catch {
    /* leave the property as it is */
  }
}

/**
 * Replace a constructor by a Proxy whose `construct` maps the arguments; statics,
 * `prototype`, `instanceof` and subclassing keep working.
 */
export function patchConstructor(
  holder: object,
  name: string,
  mapArgs: (args: unknown[]) => unknown[],
): void {
  try {
    const desc = Object.getOwnPropertyDescriptor(holder, name);
    const Orig = desc ? desc.value : undefined;
    if (typeof Orig !== 'function') return;
    const wrapped: AnyFn = new Proxy(Orig as AnyFn, {
      construct(target, args, newTarget): object {
        const mapped = attempt(() => mapArgs([...args]), args);
        return Reflect.construct(target, mapped, newTarget === wrapped ? target : newTarget) as object;
      },
    });
    Object.defineProperty(holder, name, {
      value: wrapped,
      writable: desc?.writable !== false,
      enumerable: !!desc?.enumerable,
      configurable: true,
    });
  } catch {
    /* leave the constructor as it is */
  }
}

/** A string-like value a URL property accepts (strings and URL objects; never Trusted Types). */
export function urlString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof URL !== 'undefined' && value instanceof URL) return value.href;
  return null;
}

/**
 * `value` with its URL mapped into the proxy (`UrlMapper.toLoad`): a string or URL whose
 * mapping differs becomes the mapped string; anything else is returned as it was.
 */
export function proxyValue(map: { toLoad(url: string): string }, value: unknown): unknown {
  const s = urlString(value);
  if (s === null) return value;
  const mapped = map.toLoad(s);
  return mapped === s ? value : mapped;
}
