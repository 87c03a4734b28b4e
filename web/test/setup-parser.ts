// The in-page rewriter's parser, which the runtime loads on first use in a page
// (src/runtime/parser.ts), is simply given to the tests.
import { parseModule, parseScript } from 'meriyah';
import { useParser } from '../src/runtime/parser';

useParser({ parseModule, parseScript });
