// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Masker } from '../src/masking/masker';
import { effective, parseMaskRules } from '../src/masking/rules';
import { REPO } from './fixtures';

// The server keeps a copy of what the masker makes of a string (core/masking_urls.py):
// the agent's asset route finds a URL a script made by the exact masked form this
// browser sent. Both load these cases (written by tests/rewrite/masked_strings.py).
interface Strings {
  origin: string;
  path: string;
  cases: Array<{ text: string; masked: string }>;
}

const golden = JSON.parse(
  readFileSync(join(REPO, 'tests', 'fixtures', 'masking', 'golden.json'), 'utf8'),
) as { rules: { site: unknown } };
const strings = JSON.parse(
  readFileSync(join(REPO, 'tests', 'fixtures', 'masking', 'strings.json'), 'utf8'),
) as Strings;

describe('strings masked as the server expects them', () => {
  const masker = new Masker(effective(parseMaskRules(golden.rules.site), strings.path));
  for (const c of strings.cases) {
    it(JSON.stringify(c.text).slice(0, 80), () => {
      expect(masker.string(c.text)).toBe(c.masked);
    });
  }
});
