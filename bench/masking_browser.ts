// The browser side of bench/masking.py (bundled by esbuild and run in Node by it).
import { readFileSync } from 'node:fs';
import { Masker } from '../web/src/masking/masker';
import { maskText } from '../web/src/masking/patterns';
import { effective, parseMaskRules } from '../web/src/masking/rules';

declare const process: { env: Record<string, string | undefined> };

const rules = effective(parseMaskRules(JSON.parse(process.env.RULES ?? 'null')), '/');
const masker = new Masker(rules);

function node(i: number): unknown {
  return {
    type: 2,
    id: i,
    tagName: 'div',
    attributes: { class: `row r${i}`, title: `Row ${i}`, 'data-ref': `ref-${i}` },
    childNodes: [
      {
        type: 3,
        id: 100000 + i,
        textContent: `Assessment year 2024-25, refund of Rs 12,345 credited to your account ${i}`,
      },
    ],
  };
}

const snapshot = {
  type: 2,
  data: { node: { type: 0, id: 0, childNodes: Array.from({ length: 5000 }, (_, i) => node(i + 1)) } },
  timestamp: 1,
};

function best(fn: () => unknown): number {
  let min = Infinity;
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    fn();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

const json = best(() => JSON.stringify(snapshot));
const mask = best(() => masker.event(snapshot, () => null));
const size = JSON.stringify(snapshot).length / 1e6;
console.log(
  `  snapshot of ${size.toFixed(2)} MB: JSON.stringify ${json.toFixed(1)} ms, ` +
    `masking ${mask.toFixed(1)} ms, ratio ${(mask / json).toFixed(2)}`,
);
const text = 'a@'.repeat(40000);
const t1 = best(() => maskText(text.slice(0, 20000), rules.patterns));
const t4 = best(() => maskText(text, rules.patterns));
console.log(
  `  adversarial 'a@' text, 20000 and 80000 chars: ${t1.toFixed(2)} ms, ` +
    `${t4.toFixed(2)} ms, ratio ${(t4 / t1).toFixed(2)}`,
);

// A realistic page's text nodes (from bench/masking.py on stdin): normalised beside as
// is, alternating, the first run of each a warm-up (the JIT), the best of nine others.
const input = readFileSync(0, 'utf8');
const pages = input ? (JSON.parse(input) as Record<string, string[]>) : {};
for (const [name, texts] of Object.entries(pages)) {
  let normalised = Infinity;
  let raw = Infinity;
  for (let r = 0; r <= 9; r++) {
    let start = performance.now();
    texts.forEach((t) => maskText(t, rules.patterns));
    if (r > 0) normalised = Math.min(normalised, performance.now() - start);
    start = performance.now();
    texts.forEach((t) => maskText(t, rules.patterns, false));
    if (r > 0) raw = Math.min(raw, performance.now() - start);
  }
  const chars = texts.reduce((n, t) => n + t.length, 0);
  console.log(
    `  ${name.padEnd(15)} ${texts.length} text nodes, ${chars} chars: normalised ` +
      `${normalised.toFixed(2)} ms, as is ${raw.toFixed(2)} ms, ratio ${(normalised / raw).toFixed(2)}`,
  );
}
