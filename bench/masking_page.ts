// The Chromium side of bench/masking.py: every text node of the page masked as rrweb's
// maskTextFn asks for it (the text and its parent element). Normalised: the masker as it
// is (the normalised view, the text nodes of each block joined). As is: the same masker
// checks (masked and private elements), then the patterns on each text as it is.
import { Masker } from '../web/src/masking/masker';
import { maskAll, maskText } from '../web/src/masking/patterns';
import { effective, parseMaskRules } from '../web/src/masking/rules';

function texts(): Array<[string, HTMLElement]> {
  const out: Array<[string, HTMLElement]> = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    out.push([(n as Text).data, n.parentElement!]);
  }
  return out;
}

const RUNS = 9;

(window as unknown as { __maskingBench: (rules: unknown) => Promise<unknown> }).__maskingBench = async (rulesJson) => {
  const rules = effective(parseMaskRules(rulesJson), '/');
  const nodes = texts();
  const count = (outs: string[]) => outs.filter((o, i) => o !== nodes[i]![0]).length;
  const normalised = (): string[] => {
    const masker = new Masker(rules); // fresh: no block worked out yet
    return nodes.map(([text, el]) => masker.textIn(text, el));
  };
  const asIs = (): string[] => {
    const masker = new Masker(rules);
    return nodes.map(([text, el]) =>
      masker.blocked(el) || masker.private(el) ? maskAll(text) : maskText(text, rules.patterns, false),
    );
  };
  const times = { joined: Infinity, raw: Infinity };
  let maskedJoined = 0;
  let maskedRaw = 0;
  for (let r = 0; r <= RUNS; r++) {
    // alternating, the first run of each a warm-up (the JIT); the best of the others
    let start = performance.now();
    maskedJoined = count(normalised());
    if (r > 0) times.joined = Math.min(times.joined, performance.now() - start);
    await Promise.resolve(); // the task ends (as rrweb's would): the blocks are forgotten
    start = performance.now();
    maskedRaw = count(asIs());
    if (r > 0) times.raw = Math.min(times.raw, performance.now() - start);
  }
  return { ...times, maskedJoined, maskedRaw };
};
