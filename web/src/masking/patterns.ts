/**
 * Value patterns (PAN, Aadhaar, cards, IBAN, ...) as the server sends them: a regex
 * source in a subset Python and JavaScript read alike (src/cobrowse/core/masking_regex.py),
 * a checksum name and a boundary rule. This file only runs them; their definitions live
 * on the server (src/cobrowse/core/masking.py) and the golden cases in
 * tests/fixtures/masking/golden.json keep both sides equal. Patterns match the text's
 * normalised view (fold.ts) and hide the original characters behind a match. Pure.
 */
import { codePointLength, fold, hidden, originalSpan } from './fold';

export type Check = 'none' | 'luhn' | 'verhoeff' | 'mod97';
export type Boundary = 'none' | 'digit' | 'alnum';

export interface PatternSpec {
  readonly name: string;
  readonly source: string;
  readonly flags: string;
  readonly check: Check;
  readonly boundary: Boundary;
}

export interface CompiledPattern extends PatternSpec {
  readonly search: RegExp; // global
  readonly whole: RegExp; // anchored, for trying shorter matches
}

export const MASK_CHAR = '*';

/** [start, end) in UTF-16 units. */
export type Span = [number, number];

const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

export function verhoeffValid(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    c = D[c]![P[i % 8]![d]!]!;
  }
  return digits !== '' && c === 0;
}

export function luhnValid(digits: string): boolean {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d > 4 ? d * 2 - 9 : d * 2;
    total += d;
  }
  return digits !== '' && total % 10 === 0;
}

export function mod97Valid(text: string): boolean {
  const s0 = text.toUpperCase();
  const s = s0.slice(4) + s0.slice(0, 4);
  let r = 0;
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (code >= 48 && code <= 57) r = (r * 10 + code - 48) % 97;
    else if (code >= 65 && code <= 90) r = (r * 100 + code - 55) % 97;
    else return false;
  }
  return r === 1;
}

const DIGITS = /^[0-9]+$/;

function passes(check: Check, matched: string): boolean {
  const compact = matched.replace(/[^A-Za-z0-9]/g, '');
  switch (check) {
    case 'luhn':
      return DIGITS.test(compact) && luhnValid(compact);
    case 'verhoeff':
      return DIGITS.test(compact) && verhoeffValid(compact);
    case 'mod97':
      return mod97Valid(compact);
    default:
      return true;
  }
}

const isDigit = (ch: string): boolean => ch >= '0' && ch <= '9';
const isAlnum = (ch: string): boolean =>
  isDigit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');

function boundaryOk(text: string, start: number, end: number, boundary: Boundary): boolean {
  if (boundary === 'none') return true;
  const near = [start > 0 ? text[start - 1]! : '', end < text.length ? text[end]! : ''];
  const test = boundary === 'digit' ? isDigit : isAlnum;
  return !near.some((ch) => ch !== '' && test(ch));
}

const CHECKS = new Set<string>(['none', 'luhn', 'verhoeff', 'mod97']);
const BOUNDARIES = new Set<string>(['none', 'digit', 'alnum']);

/** Compile a pattern from the server; null if it is unusable (the caller then fails closed). */
export function compilePattern(raw: unknown): CompiledPattern | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  const { name, source, flags, check, boundary } = o;
  if (typeof name !== 'string' || typeof source !== 'string' || source === '') return null;
  const f = flags === 'i' ? 'i' : '';
  const c = typeof check === 'string' && CHECKS.has(check) ? (check as Check) : null;
  const b = typeof boundary === 'string' && BOUNDARIES.has(boundary) ? (boundary as Boundary) : null;
  if (!c || !b) return null;
  try {
    return {
      name,
      source,
      flags: f,
      check: c,
      boundary: b,
      // Unicode mode: a character is a code point, as in Python.
      search: new RegExp(source, `gu${f}`),
      whole: new RegExp(`^(?:${source})$`, `u${f}`),
    };
  } catch {
    return null;
  }
}

function accept(text: string, start: number, end: number, p: CompiledPattern): boolean {
  return boundaryOk(text, start, end, p.boundary) && passes(p.check, text.slice(start, end));
}

/**
 * Where the patterns match in `text` as it is (merged, sorted), normally a folded view
 * (`spansOf` folds first); the same walk as core/masking_text.py find_spans.
 */
export function findSpans(text: string, patterns: readonly CompiledPattern[]): Span[] {
  const spans: Span[] = [];
  for (const p of patterns) {
    const re = p.search;
    let pos = 0;
    while (pos < text.length) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) break;
      const start = m.index;
      const end = start + m[0].length;
      if (end === start) {
        pos = start + 1; // never with server patterns (they cannot match empty)
        continue;
      }
      let found: [number, number] | null = accept(text, start, end, p) ? [start, end] : null;
      if (!found) {
        for (let shorter = end - 1; shorter > start; shorter--) {
          if (p.whole.test(text.slice(start, shorter)) && accept(text, start, shorter, p)) {
            found = [start, shorter];
            break;
          }
        }
      }
      if (found) spans.push(found);
      const checked = p.check !== 'none' || p.boundary !== 'none';
      pos = !found || checked ? start + 1 : found[1];
    }
  }
  return merged(spans);
}

function merged(spans: Span[]): Span[] {
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Span[] = [];
  for (const [s, e] of spans) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * The original characters of `text` each match covers (merged, sorted): matched in the
 * normalised view (fold.ts), mapped back, invisible characters inside a match included.
 * `normalise = false` matches the text as it is (the baseline bench/masking.py measures).
 */
export function spansOf(text: string, patterns: readonly CompiledPattern[], normalise = true): Span[] {
  if (!text || patterns.length === 0) return [];
  if (!normalise) return findSpans(text, patterns);
  const f = fold(text);
  const found = findSpans(f.text, patterns);
  if (!f.src || found.length === 0) return found;
  return merged(found.map(([s, e]) => originalSpan(f, s, e)));
}

function hide(text: string, ranges: readonly Span[]): string {
  if (ranges.length === 0) return text;
  let out = '';
  let last = 0;
  for (const [s, e] of ranges) {
    out += text.slice(last, s);
    for (let i = s; i < e; ) {
      const n = codePointLength(text, i);
      const ch = text.slice(i, i + n);
      out += hidden(ch) ? MASK_CHAR : ch;
      i += n;
    }
    last = e;
  }
  return out + text.slice(last);
}

/**
 * `text` with every character of every match replaced by `*` but spaces, dashes and other
 * punctuation: one `*` per character (code point), as in Python.
 */
export function maskText(text: string, patterns: readonly CompiledPattern[], normalise = true): string {
  if (!text || patterns.length === 0) return text;
  return hide(text, spansOf(text, patterns, normalise));
}

/**
 * Adjacent pieces of one text (the text nodes of one block), each masked for the matches
 * in itself and for those in the joined text: a value split across pieces loses exactly
 * its characters in each piece (core/masking_text.py mask_pieces).
 */
export function maskPieces(pieces: readonly string[], patterns: readonly CompiledPattern[]): string[] {
  if (pieces.length < 2 || patterns.length === 0) return pieces.map((p) => maskText(p, patterns));
  const joined = spansOf(pieces.join(''), patterns);
  let offset = 0;
  return pieces.map((piece) => {
    const end = offset + piece.length;
    const own = spansOf(piece, patterns);
    const cross: Span[] = [];
    for (const [s, e] of joined) {
      const a = Math.max(s, offset) - offset;
      const b = Math.min(e, end) - offset;
      if (a < b) cross.push([a, b]);
    }
    offset = end;
    return hide(piece, cross.length ? merged([...own, ...cross]) : own);
  });
}

/** Every character but white space replaced (private-by-default text, masked fields). */
export function maskAll(text: string): string {
  return text.replace(/\S/g, MASK_CHAR);
}
