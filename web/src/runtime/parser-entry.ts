/**
 * `/__cobrowse/runtime-parser.js`: meriyah for the in-page rewriter, built as a script
 * that binds `__cobrowse_parser` (web/build.mjs) and evaluated by runtime/parser.ts in
 * its own function scope, so no page global is defined.
 */
export { parseModule, parseScript } from 'meriyah';
