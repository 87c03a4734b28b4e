/**
 * DOMException messages with upstream URLs: the browser quotes the document's (proxy)
 * origin and URL in some (`history.pushState`'s SecurityError: "... cannot be created
 * in a document with origin '<proxy origin>' and URL '<proxy URL>'"). The `message`
 * getter every DOMException reads through is mapped (`runtime/proxy-text.ts`), wherever
 * the exception came from, thrown or rejected; V8 formats an exception's `stack` on first
 * read from the same getter, so its first line follows. Name and code are untouched.
 */
import type { RuntimeContext } from '../context';
import { attempt } from '../patch';
import { mapProxyText } from '../proxy-text';
import { mapGetterText, proxyTextOf } from './markup';

export function patchExceptions(ctx: RuntimeContext): void {
  const p = proxyTextOf(ctx);
  const proto = (ctx.win as unknown as { DOMException?: { prototype?: object } }).DOMException?.prototype;
  mapGetterText(ctx, proto, 'message', (text) => attempt(() => mapProxyText(text, p), text));
}
