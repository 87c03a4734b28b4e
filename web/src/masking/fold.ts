/**
 * The normalised view of a text that the value patterns match, and the way back to the
 * original characters; the same rules as src/cobrowse/core/masking_fold.py (the golden
 * cases in tests/fixtures/masking/golden.json keep the two equal). Pure.
 *
 * Each character (code point) folds on its own:
 * - invisible (category Cf: soft hyphen, zero-width space and joiners, word joiner,
 *   BOM...; the combining grapheme joiner and the variation selectors): dropped;
 * - a decimal digit of any script (category Nd): its ASCII digit;
 * - any space (category Zs, tab, line and paragraph breaks): ` `;
 * - any dash (category Pd, U+2212 MINUS SIGN): `-`;
 * - anything else: its NFKC form (full-width letters, circled digits...), folded again by
 *   the rules above.
 */

const INVISIBLE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x034f, 0x034f],
  [0x180b, 0x180f],
  [0xfe00, 0xfe0f],
  [0xe0100, 0xe01ef],
];
const SPACES = new Set(['\t', '\n', '\v', '\f', '\r', '\x85', '\u2028', '\u2029']);
const CF = /^\p{Cf}$/u;
const ND = /^\p{Nd}$/u;
const ZS = /^\p{Zs}$/u;
const PD = /^\p{Pd}$/u;
const ALNUM = /[\p{L}\p{N}]/u;
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_SPACES = /[\t\n\v\f\r]/g;
const SPECIAL = /[^\x20-\x7e]+/g;

/** The value of a decimal digit: Unicode encodes every script's digits as runs of ten, 0 to 9. */
function digitValue(code: number): number {
  let start = code;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (code - start) % 10;
}

function simple(ch: string): string | null {
  const code = ch.codePointAt(0)!;
  if (CF.test(ch) || INVISIBLE_RANGES.some(([lo, hi]) => code >= lo && code <= hi)) return '';
  if (ND.test(ch)) return String(digitValue(code));
  if (ZS.test(ch) || SPACES.has(ch)) return ' ';
  if (PD.test(ch) || ch === '\u2212') return '-';
  return null;
}

const CACHE_SIZE = 8192;
const cache = new Map<string, string>();

/** What one character (code point) becomes in the normalised view ('' if dropped). */
export function foldChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch.length === 1 && code < 0x80) return SPACES.has(ch) ? ' ' : ch;
  const known = cache.get(ch);
  if (known !== undefined) return known;
  let out = simple(ch);
  if (out === null) {
    const nfkc = ch.normalize('NFKC');
    out = nfkc === ch ? ch : Array.from(nfkc, (c) => simple(c) ?? c).join('');
  }
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(ch, out);
  return out;
}

/** Whether `ch` (one code point), inside a match, becomes the mask character: letters and
 * digits in any form, and invisible characters; spaces, dashes and punctuation stay. */
export function hidden(ch: string): boolean {
  const code = ch.charCodeAt(0);
  if (ch.length === 1 && code < 0x80) {
    return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  }
  const folded = foldChar(ch);
  return folded === '' || ALNUM.test(folded);
}

/** The length (UTF-16 units) of the code point at `i`. */
export function codePointLength(text: string, i: number): number {
  const code = text.codePointAt(i);
  return code !== undefined && code > 0xffff ? 2 : 1;
}

export interface Folded {
  /** The normalised view. */
  readonly text: string;
  /** For each UTF-16 unit of `text`, where the original character it came from starts
   * in the original (null: the same index). */
  readonly src: readonly number[] | null;
  /** The original text. */
  readonly original: string;
}

/** The original characters [start, end) behind folded units [start, end) (end > start):
 * from the first one's source to the end of the last one's, with what was dropped between. */
export function originalSpan(f: Folded, start: number, end: number): [number, number] {
  if (!f.src) return [start, end];
  const last = f.src[end - 1]!;
  return [f.src[start]!, last + codePointLength(f.original, last)];
}

/** The normalised view of `text`. */
export function fold(text: string): Folded {
  if (ASCII.test(text)) return { text: text.replace(ASCII_SPACES, ' '), src: null, original: text };
  let out = '';
  const src: number[] = [];
  let pos = 0;
  for (const m of text.matchAll(SPECIAL)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start > pos) {
      out += text.slice(pos, start);
      for (let i = pos; i < start; i++) src.push(i);
    }
    for (let i = start; i < end; ) {
      const n = codePointLength(text, i);
      const folded = foldChar(text.slice(i, i + n));
      out += folded;
      for (let k = 0; k < folded.length; k++) src.push(i);
      i += n;
    }
    pos = end;
  }
  if (pos < text.length) {
    out += text.slice(pos);
    for (let i = pos; i < text.length; i++) src.push(i);
  }
  return { text: out, src, original: text };
}
