// Node side of bench/jsparse.py: acorn, meriyah and oxc-parser on the same files, timed
// the same way (best CPU time of `rounds` passes over the list, text already in memory).
// Reads {rounds, node_modules, files: [[path, "script"|"module"], ...]} on stdin, prints
// one JSON row per candidate (or "skipped: X not installed").
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// FIND_JS_BEGIN
var IDENT_NAMES = new Set(["location", "top", "parent", "origin"]);
var MEMBER_NAMES = new Set(["location", "top", "parent", "URL", "domain", "referrer", "baseURI", "origin"]);
function findRefs(root) {
  // Same rule as estree_hits in bench/jsparse.py: identifier references (not member
  // property names, not non-shorthand object keys) and non-computed member accesses.
  var out = [];
  var stack = [root, null, null];
  while (stack.length) {
    var key = stack.pop(), parent = stack.pop(), n = stack.pop();
    var t = n.type;
    if (t === "Identifier") {
      if (IDENT_NAMES.has(n.name)) {
        var isProp = parent && !parent.computed && (
          (key === "property" && parent.type === "MemberExpression") ||
          (key === "key" && !parent.shorthand && (parent.type === "Property" ||
            parent.type === "MethodDefinition" || parent.type === "PropertyDefinition")));
        if (!isProp) out.push(n.start !== undefined ? n.start : n.range[0]);
      }
      continue;
    }
    if (t === "MemberExpression" && !n.computed && n.property.type === "Identifier" &&
        MEMBER_NAMES.has(n.property.name)) {
      out.push(n.property.start !== undefined ? n.property.start : n.property.range[0]);
    }
    for (var k in n) {
      if (k === "loc" || k === "range") continue;
      var v = n[k];
      if (v === null || typeof v !== "object") continue;
      if (Array.isArray(v)) {
        for (var i = v.length - 1; i >= 0; i--) {
          var c = v[i];
          if (c !== null && typeof c === "object" && typeof c.type === "string") stack.push(c, n, k);
        }
      } else if (typeof v.type === "string") {
        stack.push(v, n, k);
      }
    }
  }
  // Unique: acorn gives a shorthand property's key and value as two nodes, same offset.
  return Array.from(new Set(out));
}
// FIND_JS_END

const spec = JSON.parse(readFileSync(0, "utf8"));
const require = createRequire(join(spec.node_modules, "noop.js"));
const files = spec.files.map(([path, kind]) => ({ path, kind, text: readFileSync(path, "utf8") }));

function load(name) {
  try {
    return require(name);
  } catch {
    console.log(`skipped: ${name} not installed (in ${spec.node_modules})`);
    return null;
  }
}

const candidates = [];
const acorn = load("acorn");
if (acorn) {
  candidates.push({
    name: `acorn ${acorn.version} (node)`,
    parse: (f) => acorn.parse(f.text, { ecmaVersion: "latest", sourceType: f.kind }),
  });
}
const meriyah = load("meriyah");
if (meriyah) {
  candidates.push({
    name: "meriyah (node)",
    parse: (f) => meriyah.parse(f.text, { module: f.kind === "module", next: true, ranges: true }),
  });
}
const oxc = load("oxc-parser");
if (oxc) {
  candidates.push({
    name: "oxc-parser (node, native)",
    parse: (f) => {
      const r = oxc.parseSync(f.kind === "module" ? "x.mjs" : "x.cjs", f.text, { sourceType: f.kind });
      if (r.errors.length) throw new Error(r.errors[0].message);
      return r.program;
    },
  });
}

function bestOf(rounds, fn, list) {
  // Best CPU time (user + system, as in bench/jsparse.py) over `rounds` passes, and the items fn returned on the last pass.
  let best = Infinity, count = 0;
  for (let r = 0; r < rounds; r++) {
    count = 0;
    const t0 = process.cpuUsage();
    for (const f of list) {
      const out = fn(f);
      if (Array.isArray(out)) count += out.length;
    }
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / 1e6);
  }
  return [best, count];
}

for (const c of candidates) {
  const ok = files.filter((f) => { try { c.parse(f); return true; } catch { return false; } });
  const find = (f) => findRefs(c.parse(f));
  const [parseS] = bestOf(spec.rounds, c.parse, ok);
  const [findS, hits] = bestOf(spec.rounds, find, ok);
  console.log(JSON.stringify({
    name: c.name,
    files: files.length,
    bytes: ok.reduce((a, f) => a + Buffer.byteLength(f.text), 0),
    parse_s: parseS,
    find_s: findS,
    errors: files.length - ok.length,
    hits,
  }));
}
