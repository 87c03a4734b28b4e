/**
 * `url(...)` in CSS text set from script (a `FontFace` source), mapped with the rules of
 * the server's CSS rewriter (src/cobrowse/rewrite/css.py): comments and strings are
 * skipped as wholes, a URL is unescaped before it is mapped and escaped again only when
 * it changed; every other character is kept. Pure.
 */
const STRING = String.raw`"(?:[^"\\\n]|\\[\s\S])*(?:"|(?=\n)|$)|'(?:[^'\\\n]|\\[\s\S])*(?:'|(?=\n)|$)`;
const WS = '[ \\t\\n\\r\\f]*';
const ESCAPED = String.raw`\\(?:[0-9a-fA-F]{1,6}(?:\r\n|[ \t\n\r\f])?|[^\n\r\f0-9a-fA-F])`;
const UNQUOTED_CHAR = String.raw`[^()"'\\ \t\n\r\f\x00-\x08\x0b\x0e-\x1f\x7f]`;
const TOKEN = new RegExp(
  String.raw`(\/\*[\s\S]*?(?:\*\/|$))` +
    String.raw`|(?<![\w\\-])[uU][rR][lL]\(${WS}(?:(${STRING})|((?:${UNQUOTED_CHAR}|${ESCAPED})*))${WS}\)` +
    `|(${STRING})` +
    String.raw`|\\[\s\S]`,
  'g',
);
const ESCAPE = /\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(\r\n|[\n\r\f])|([\s\S]))/g;

function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(ESCAPE, (_m, hex: string | undefined, newline: string | undefined, ch: string | undefined) => {
    if (hex !== undefined) {
      const code = parseInt(hex, 16);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    }
    if (newline !== undefined || ch === undefined) return '';
    return ch;
  });
}

function escapeChar(ch: string, specials: string): string {
  return specials.includes(ch) ? `\\${ch}` : `\\${ch.codePointAt(0)!.toString(16)} `;
}

function escapeUnquoted(url: string): string {
  return url.replace(/[()"'\\\s\x00-\x1f\x7f]/g, (ch) => escapeChar(ch, '()"\'\\'));
}

function escapeQuoted(url: string, quote: string): string {
  return url.replace(new RegExp(String.raw`[\\\n\r\f${quote}]`, 'g'), (ch) => escapeChar(ch, '\\"\''));
}

function endsEscaped(body: string): boolean {
  const m = /\\+$/.exec(body);
  return !!m && m[0].length % 2 === 1;
}

/** `text` with the URL of every `url(...)` mapped by `map`. Never throws. */
export function mapCssUrls(text: string, map: (url: string) => string): string {
  try {
    return text.replace(TOKEN, (whole, comment: string | undefined, quoted: string | undefined, unquoted: string | undefined) => {
      if (comment !== undefined) return whole;
      if (quoted !== undefined) {
        const quote = quoted[0]!;
        const closed = quoted.length >= 2 && quoted.endsWith(quote) && !endsEscaped(quoted.slice(1, -1));
        const body = closed ? quoted.slice(1, -1) : quoted.slice(1);
        const url = unescape(body);
        const mapped = map(url);
        if (mapped === url) return whole;
        return whole.replace(quoted, quote + escapeQuoted(mapped, quote) + (closed ? quote : ''));
      }
      if (unquoted !== undefined) {
        const url = unescape(unquoted);
        const mapped = map(url);
        if (mapped === url || url === '') return whole;
        return whole.replace(unquoted, escapeUnquoted(mapped));
      }
      return whole;
    });
  } catch {
    return text;
  }
}
