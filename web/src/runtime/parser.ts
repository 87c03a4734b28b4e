/**
 * The in-page rewriter's parser (meriyah), loaded on first use. Most pages never build
 * code from strings, or only code without any of the rules' words, so the parser (two
 * thirds of the runtime's size) stays out of the blocking `runtime.js`: the proxy serves
 * it as `/__cobrowse/runtime-parser.js`, which the runtime fetches synchronously (from
 * the HTTP cache after the first time) the first time `eval`, `new Function`, a string
 * timer, a `javascript:` URL or a handler set by script needs rewriting.
 *
 * Fetched with the native XMLHttpRequest and evaluated with the native Function, both
 * taken before the runtime patches anything. When it cannot load (a site policy without
 * 'unsafe-eval', a network error), it is not tried again and code passes through
 * unrewritten, as code that does not parse does.
 */
import type { parseModule, parseScript } from 'meriyah';

export interface Parser {
  readonly parseScript: typeof parseScript;
  readonly parseModule: typeof parseModule;
}

/** The name runtime-parser.js binds (esbuild `globalName`, web/build.mjs). */
export const PARSER_GLOBAL = '__cobrowse_parser';

const NativeFunction = Function;
const NativeXHR = typeof XMLHttpRequest === 'function' ? XMLHttpRequest : null;
const xhrOpen = NativeXHR?.prototype.open;
const xhrSend = NativeXHR?.prototype.send;
const xhrStatus = NativeXHR ? Object.getOwnPropertyDescriptor(NativeXHR.prototype, 'status')?.get : undefined;
const xhrText = NativeXHR ? Object.getOwnPropertyDescriptor(NativeXHR.prototype, 'responseText')?.get : undefined;

let current: Parser | null = null;
let pending: (() => Parser | null) | null = null;

/** The parser, loading it now if it has not been; null when it cannot be had. */
export function parser(): Parser | null {
  if (current === null && pending !== null) {
    const load = pending;
    pending = null; // once, whatever happens
    current = load();
  }
  return current;
}

/** Use `p` from now on (the tests, and a page that already has it). */
export function useParser(p: Parser): void {
  current = p;
  pending = null;
}

/** Load the parser from `url` on first use. */
export function loadParserFrom(url: string): void {
  if (current === null) pending = () => evaluateParser(fetchText(url));
}

/** The parser defined by runtime-parser.js's source; null for anything else. Never throws. */
export function evaluateParser(source: string | null, F: FunctionConstructor = NativeFunction): Parser | null {
  if (source === null) return null;
  try {
    const made = new F(`${source}\n;return typeof ${PARSER_GLOBAL} === 'undefined' ? null : ${PARSER_GLOBAL};`)() as
      | Partial<Parser>
      | null;
    if (made && typeof made.parseScript === 'function' && typeof made.parseModule === 'function') {
      return made as Parser;
    }
  } catch {
    /* a policy without 'unsafe-eval', or not the parser */
  }
  return null;
}

/** `url`'s body, fetched synchronously with the native XMLHttpRequest; null on failure. */
function fetchText(url: string): string | null {
  if (!NativeXHR || !xhrOpen || !xhrSend || !xhrStatus || !xhrText) return null;
  try {
    const xhr = new NativeXHR();
    xhrOpen.call(xhr, 'GET', url, false);
    xhrSend.call(xhr);
    return xhrStatus.call(xhr) === 200 ? (xhrText.call(xhr) as string) : null;
  } catch {
    return null;
  }
}
