/**
 * The masking rule set the server sends (session answer `masking`, proxy runtime
 * config `masking`; built by src/cobrowse/core/masking.py browser_rules), parsed
 * defensively, and the rules in force on one page (`effective`). Pure.
 *
 * Fails closed: a pattern the browser cannot compile makes every text masked, and a
 * selector it cannot parse masks the whole page body.
 */
import { type CompiledPattern, compilePattern } from './patterns';

export const FALLBACK_MASK_SELECTORS: readonly string[] = [
  'input[type=password]',
  'input[autocomplete$="password"]',
  '[data-cobrowse-mask]',
];

export interface Scope {
  /** Anchored regex sources over path + query; empty: every page. */
  readonly urls: readonly string[];
  readonly selectors: readonly string[];
  readonly private: boolean;
  readonly allow: readonly string[];
  readonly patterns: readonly string[];
}

export interface MaskRules {
  /** Selectors masked on every page (also what older clients read). */
  readonly selectors: readonly string[];
  readonly scopes: readonly Scope[];
  readonly patterns: readonly unknown[];
}

/** The rules on one page. */
export interface Effective {
  readonly selectors: readonly string[];
  readonly private: boolean;
  readonly allow: readonly string[];
  readonly patterns: readonly CompiledPattern[];
  /** A pattern did not compile: mask all text (privacy before fidelity). */
  readonly broken: boolean;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse the server's `masking` object (or null: the fallback selectors only). */
export function parseMaskRules(raw: unknown): MaskRules {
  if (!isObject(raw)) return { selectors: FALLBACK_MASK_SELECTORS, scopes: [], patterns: [] };
  const selectors = strings(raw.selectors);
  const scopes: Scope[] = [];
  if (Array.isArray(raw.scopes)) {
    for (const s of raw.scopes) {
      if (!isObject(s)) continue;
      scopes.push({
        urls: strings(s.urls),
        selectors: strings(s.selectors),
        private: s.private === true,
        allow: strings(s.allow),
        patterns: strings(s.patterns),
      });
    }
  }
  return {
    selectors: selectors.length ? selectors : FALLBACK_MASK_SELECTORS,
    scopes,
    patterns: Array.isArray(raw.patterns) ? raw.patterns : [],
  };
}

function urlMatches(sources: readonly string[], pathAndQuery: string): boolean {
  if (sources.length === 0) return true;
  for (const source of sources) {
    try {
      if (new RegExp(source).test(pathAndQuery)) return true;
    } catch {
      return true; // an unreadable scope applies everywhere (fails closed)
    }
  }
  return false;
}

function validSelector(selector: string, doc: Document | null): boolean {
  if (!doc) return true;
  try {
    doc.createDocumentFragment().querySelector(selector);
    return true;
  } catch {
    return false;
  }
}

/** The rules in force on the page at `pathAndQuery` (`location.pathname + location.search`). */
export function effective(rules: MaskRules, pathAndQuery: string, doc: Document | null = null): Effective {
  const selectors = new Set<string>(rules.selectors);
  const allow = new Set<string>();
  const names = new Set<string>();
  let isPrivate = false;
  for (const scope of rules.scopes) {
    if (!urlMatches(scope.urls, pathAndQuery)) continue;
    for (const s of scope.selectors) selectors.add(s);
    for (const s of scope.allow) allow.add(s);
    for (const n of scope.patterns) names.add(n);
    if (scope.private) isPrivate = true;
  }
  let broken = false;
  const patterns: CompiledPattern[] = [];
  for (const raw of rules.patterns) {
    const name = isObject(raw) && typeof raw.name === 'string' ? raw.name : '';
    if (rules.scopes.length > 0 && !names.has(name)) continue;
    const compiled = compilePattern(raw);
    if (compiled) patterns.push(compiled);
    else broken = true;
  }
  const checked = [...selectors].filter((s) => validSelector(s, doc));
  if (checked.length < selectors.size) checked.push('body'); // fail closed
  return {
    selectors: checked,
    private: isPrivate,
    allow: [...allow].filter((s) => validSelector(s, doc)),
    patterns,
    broken,
  };
}

/** Only selectors: what an old stored session or a missing rule set gives. */
export function selectorsOnly(selectors: readonly string[]): MaskRules {
  return { selectors: selectors.length ? selectors : FALLBACK_MASK_SELECTORS, scopes: [], patterns: [] };
}
