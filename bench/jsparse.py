"""Which JavaScript parser should the script rewriter use (issue 12)? Measured, not guessed.

The corpus is real-world JavaScript read at run time from web/node_modules (never
copied into the repository; JSPARSE_CORPUS=<dir> reads another node_modules directory):
minified and unminified, classic (UMD/CJS) and module (ESM) files from axe-core, rrweb,
vite, happy-dom, chai, postcss and magic-string, about 6.7 MB.

Per candidate, two figures in MB/s of input per CPU second (best of --rounds passes over
the corpus; CPU time, not wall time, so a busy machine moves them less):

  parse  source text to a tree;
  find   parse, then every reference a location-transparent rewriter must see, with its
         offset: the identifiers `location`, `top`, `parent`, `origin` and non-computed
         member accesses `.location .top .parent .URL .domain .referrer .baseURI .origin`
         (object keys and member property names are not identifier references).

`errors` counts files the candidate failed to parse (an exception, or for tree-sitter a
tree with ERROR nodes); `hits` is the number of references found, as a cross-check
between candidates. Pure-Python parsers run on a small subset of the corpus (their rate
is the point, not their total; --full runs them on everything). The Node candidates
(acorn, meriyah, oxc-parser: the "rewrite in the browser" reference) run in
bench/jsparse_node.mjs on the same files, timed the same way, from the node_modules
directory in JSPARSE_NODE_MODULES (default /tmp/jsparse-node/node_modules; create it with
`npm install --prefix /tmp/jsparse-node acorn meriyah oxc-parser`).

    PYTHONPATH=. .venv/bin/python bench/jsparse.py [--rounds 2] [--full]
    (make bench runs it with --rounds 1, ~30 s; the default best of 2 takes ~50 s)

A candidate that is not installed prints "skipped: X not installed" and the rest run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = Path(os.environ.get("JSPARSE_CORPUS", ROOT / "web" / "node_modules"))
NODE_SCRIPT = Path(__file__).resolve().parent / "jsparse_node.mjs"

IDENT_NAMES = frozenset({"location", "top", "parent", "origin"})
MEMBER_NAMES = frozenset(
    {"location", "top", "parent", "URL", "domain", "referrer", "baseURI", "origin"}
)

# (path under web/node_modules, kind) with kind in script (UMD/CJS) or module (ESM).
CORPUS_FILES = [
    ("axe-core/axe.js", "script"),
    ("axe-core/axe.min.js", "script"),
    ("rrweb/dist/rrweb.umd.cjs", "script"),
    ("rrweb/dist/rrweb.umd.min.cjs", "script"),
    ("rrweb/dist/rrweb.js", "module"),
    ("vite/dist/node/chunks/node.js", "module"),
    ("vite/dist/node/chunks/dist.js", "module"),
    ("vite/dist/node/chunks/build.js", "module"),
    ("chai/index.js", "module"),
    ("magic-string/dist/magic-string.umd.js", "script"),
]
CORPUS_GLOBS = [
    ("postcss/lib", "*.js", "script", 10**9),
    ("happy-dom/lib", "**/*.js", "module", 10**6),  # the first ~1 MB of its small modules
]
# The pure-Python parsers' subset: ES5-era classic scripts, ~150 KB.
SUBSET = ("magic-string/", "postcss/lib/")


class Source:
    __slots__ = ("kind", "path", "text", "utf8")

    def __init__(self, path: str, kind: str, text: str) -> None:
        self.path, self.kind, self.text = path, kind, text
        self.utf8 = text.encode()


def corpus() -> list[Source]:
    out: list[Source] = []
    for rel, kind in CORPUS_FILES:
        p = NODE_MODULES / rel
        if p.is_file():
            out.append(Source(rel, kind, p.read_text(encoding="utf-8")))
    for base, pattern, kind, budget in CORPUS_GLOBS:
        used = 0
        for p in sorted((NODE_MODULES / base).glob(pattern)):
            if used >= budget:
                break
            text = p.read_text(encoding="utf-8")
            used += len(text.encode())
            out.append(Source(str(p.relative_to(NODE_MODULES)), kind, text))
    return out


# ---------------------------------------------------------------- ESTree (Python dicts/objects)


def estree_hits(nodes: Iterable[Any], get: Callable[[Any, str], Any]) -> list[int]:
    """Offsets of the references, from a stream of every ESTree node (any order)."""
    idents: dict[int, int] = {}
    excluded: set[int] = set()
    members: list[int] = []
    for n in nodes:
        t = get(n, "type")
        if t == "Identifier":
            if get(n, "name") in IDENT_NAMES:
                idents[id(n)] = _start(n, get)
        elif t == "MemberExpression":
            if not get(n, "computed"):
                prop = get(n, "property")
                excluded.add(id(prop))
                if get(prop, "name") in MEMBER_NAMES:
                    members.append(_start(prop, get))
        elif (
            t in ("Property", "MethodDefinition", "PropertyDefinition")
            and not get(n, "computed")
            and not get(n, "shorthand")
        ):
            excluded.add(id(get(n, "key")))
    # A set: some ESTree parsers give a shorthand property's key and value as two nodes.
    return sorted(set(members) | {o for k, o in idents.items() if k not in excluded})


def _start(n: Any, get: Callable[[Any, str], Any]) -> int:
    r = get(n, "range")
    return r[0] if r else -1


def walk_dicts(node: Any) -> Iterable[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if "type" in n:
                yield n
            stack.extend(v for v in n.values() if isinstance(v, (dict, list)))
        elif isinstance(n, list):
            stack.extend(n)


# ---------------------------------------------------------------- candidates


class Candidate:
    name = ""
    pure_python = False
    slow_find = False

    def parse(self, s: Source) -> Any:
        raise NotImplementedError

    def find(self, s: Source) -> list[int]:
        raise NotImplementedError

    def failed(self, s: Source) -> bool:
        """True if the candidate could not parse this file (checked outside the timing)."""
        try:
            self.parse(s)
        except Exception:
            return True
        return False


class TreeSitter(Candidate):
    name = "tree-sitter (py, C)"

    def __init__(self) -> None:
        import tree_sitter as ts
        import tree_sitter_javascript as tsj

        lang = ts.Language(tsj.language())
        self.parser = ts.Parser(lang)
        idents = " ".join(f'"{n}"' for n in sorted(IDENT_NAMES))
        members = " ".join(f'"{n}"' for n in sorted(MEMBER_NAMES))
        self.query = ts.Query(
            lang,
            f"""
            ((identifier) @i (#any-of? @i {idents}))
            ((shorthand_property_identifier) @i (#any-of? @i {idents}))
            ((shorthand_property_identifier_pattern) @i (#any-of? @i {idents}))
            (member_expression property: (property_identifier) @m (#any-of? @m {members}))
            """,
        )
        self.cursor_type = ts.QueryCursor

    def parse(self, s: Source) -> Any:
        return self.parser.parse(s.utf8)

    def find(self, s: Source) -> list[int]:
        tree = self.parser.parse(s.utf8)
        caps = self.cursor_type(self.query).captures(tree.root_node)
        return sorted({n.start_byte for nodes in caps.values() for n in nodes})

    def failed(self, s: Source) -> bool:
        return bool(self.parser.parse(s.utf8).root_node.has_error)


class AstGrep(Candidate):
    name = "ast-grep-py (Rust+TS)"

    def __init__(self) -> None:
        from ast_grep_py import SgRoot

        self.root = SgRoot
        ident_re = "^(" + "|".join(sorted(IDENT_NAMES)) + ")$"
        member_re = "^(" + "|".join(sorted(MEMBER_NAMES)) + ")$"
        self.rule: Any = {
            "rule": {
                "any": [
                    {"kind": "identifier", "regex": ident_re},
                    {"kind": "shorthand_property_identifier", "regex": ident_re},
                    {"kind": "shorthand_property_identifier_pattern", "regex": ident_re},
                    {
                        "kind": "property_identifier",
                        "regex": member_re,
                        "inside": {"kind": "member_expression", "field": "property"},
                    },
                ]
            }
        }

    def parse(self, s: Source) -> Any:
        return self.root(s.text, "javascript").root()

    def find(self, s: Source) -> list[int]:
        root = self.root(s.text, "javascript").root()
        return sorted({n.range().start.index for n in root.find_all(self.rule)})

    def failed(self, s: Source) -> bool:
        return self.root(s.text, "javascript").root().find(kind="ERROR") is not None


class Oxc(Candidate):
    name = "oxc-python (Rust)"
    slow_find = True

    def __init__(self) -> None:
        import oxc_python

        self.oxc = oxc_python
        self.alloc = oxc_python.Allocator()

    def _parse(self, s: Source) -> Any:
        self.alloc.reset()
        return self.oxc.parse(s.text, allocator=self.alloc, source_type=s.kind)

    def parse(self, s: Source) -> Any:
        return self._parse(s).is_valid

    def find(self, s: Source) -> list[int]:
        res = self._parse(s)

        def get(n: Any, attr: str) -> Any:
            if attr == "range":
                sp = n.span
                return (sp.start, sp.end)
            return getattr(n, attr, None)

        return estree_hits((n for n, _ in self.oxc.walk(res.program)), get)

    def failed(self, s: Source) -> bool:
        res = self._parse(s)
        return bool(res.errors) or not res.is_valid


class MiniRacerAcorn(Candidate):
    """acorn inside an embedded V8 (mini-racer): only the offsets cross into Python."""

    name = "acorn in V8 (mini-racer)"

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        acorn = Path(node_modules_dir()) / "acorn" / "dist" / "acorn.js"
        if not acorn.is_file():
            raise ImportError(f"{acorn}")
        self.ctx = MiniRacer()
        self.ctx.eval("var module = undefined, exports = undefined, define = undefined;")
        self.ctx.eval(acorn.read_text(encoding="utf-8"))
        self.ctx.eval(FIND_JS)
        opts = "{ecmaVersion: 'latest', sourceType: k}"
        self.parse_fn = self.ctx.eval(f"(s, k) => {{ acorn.parse(s, {opts}); return 0 }}")
        self.find_fn = self.ctx.eval(f"(s, k) => JSON.stringify(findRefs(acorn.parse(s, {opts})))")

    def parse(self, s: Source) -> Any:
        return self.parse_fn(s.text, s.kind)

    def find(self, s: Source) -> list[int]:
        return sorted(json.loads(self.find_fn(s.text, s.kind)))


# The ESTree walk shared with bench/jsparse_node.mjs (same rule as estree_hits above).
FIND_JS = (
    (
        NODE_SCRIPT.read_text(encoding="utf-8")
        .split("// FIND_JS_BEGIN")[1]
        .split("// FIND_JS_END")[0]
    )
    if NODE_SCRIPT.is_file()
    else ""
)


class Esprima(Candidate):
    name = "esprima (pure Python)"
    pure_python = True

    def __init__(self) -> None:
        import esprima

        self.esprima = esprima

    def _parse(self, s: Source, delegate: Any = None) -> Any:
        fn = self.esprima.parseModule if s.kind == "module" else self.esprima.parseScript
        return fn(s.text, {"range": True}, delegate)

    def parse(self, s: Source) -> Any:
        return self._parse(s)

    def find(self, s: Source) -> list[int]:
        nodes: list[Any] = []
        self._parse(s, lambda node, meta: nodes.append(node))
        return estree_hits(nodes, lambda n, a: getattr(n, a, None))


class PyJsParser(Candidate):
    name = "pyjsparser (pure Python)"
    pure_python = True

    def __init__(self) -> None:
        import pyjsparser

        self.cls = pyjsparser.PyJsParser

    def parse(self, s: Source) -> Any:
        return self.cls().parse(s.text)

    def find(self, s: Source) -> list[int]:
        return estree_hits(walk_dicts(self.cls().parse(s.text)), lambda n, a: n.get(a))


CANDIDATES: list[tuple[str, Callable[[], Candidate]]] = [
    ("tree-sitter, tree-sitter-javascript", TreeSitter),
    ("ast-grep-py", AstGrep),
    ("oxc-python", Oxc),
    ("mini-racer (and acorn in JSPARSE_NODE_MODULES)", MiniRacerAcorn),
    ("esprima", Esprima),
    ("pyjsparser", PyJsParser),
]


def node_modules_dir() -> str:
    return os.environ.get("JSPARSE_NODE_MODULES", "/tmp/jsparse-node/node_modules")


# ---------------------------------------------------------------- timing


def best_of(rounds: int, fn: Callable[[Source], Any], files: list[Source]) -> tuple[float, int]:
    """Best CPU time of `rounds` passes over `files`, and the items fn returned (last pass).

    CPU time of the process (all its threads: mini-racer's V8 runs in one), not wall
    time: the figures are per core and hold up on a shared machine.
    """
    best, count = float("inf"), 0
    for _ in range(rounds):
        count = 0
        t0 = time.process_time()
        for s in files:
            out = fn(s)
            if isinstance(out, list):
                count += len(out)
        best = min(best, time.process_time() - t0)
    return best, count


def run_python(
    c: Candidate,
    files: list[Source],
    find_files: list[Source],
    rounds: int,
) -> dict[str, Any]:
    ok = [s for s in files if not c.failed(s)]
    find_ok = [s for s in find_files if s in ok]
    parse_s, _ = best_of(rounds, c.parse, ok)
    find_s, hits = best_of(rounds, c.find, find_ok)
    return {
        "name": c.name + ("*" if find_ok != ok else ""),
        "files": len(files),
        "bytes": sum(len(s.utf8) for s in ok),
        "find_bytes": sum(len(s.utf8) for s in find_ok),
        "parse_s": parse_s,
        "find_s": find_s,
        "errors": len(files) - len(ok),
        "hits": hits,
    }


def run_node(files: list[Source], rounds: int) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        print("skipped: node not installed")
        return []
    spec = {
        "rounds": rounds,
        "node_modules": node_modules_dir(),
        "files": [[str(NODE_MODULES / s.path), s.kind] for s in files],
    }
    proc = subprocess.run(
        [node, str(NODE_SCRIPT)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    rows = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rows.append(json.loads(line))
        elif line:
            print(line)
    if proc.returncode:
        print(f"node side failed: {proc.stderr.strip()[-500:]}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--full", action="store_true", help="pure-Python parsers on the full corpus")
    ap.add_argument("--no-node", action="store_true")
    args = ap.parse_args()

    files = corpus()
    if not files:
        print(f"skipped: no corpus under {NODE_MODULES} (run `make node`)")
        return
    subset = [s for s in files if s.path.startswith(SUBSET)]
    total = sum(len(s.utf8) for s in files)
    print(
        f"corpus: {len(files)} files, {total / 1e6:.2f} MB from web/node_modules "
        f"(pure-Python subset: {len(subset)} files, "
        f"{sum(len(s.utf8) for s in subset) / 1e6:.2f} MB)"
    )
    rows: list[dict[str, Any]] = []
    for what, make in CANDIDATES:
        try:
            c = make()
        except ImportError:
            print(f"skipped: {what} not installed")
            continue
        use = files if (args.full or not c.pure_python) else subset
        find_use = subset if (c.slow_find and not args.full) else use
        rows.append(run_python(c, use, find_use, 1 if c.pure_python else args.rounds))
    if not args.no_node:
        rows.extend(run_node(files, args.rounds))

    print()
    print(
        f"{'candidate':<28} {'files':>5} {'MB':>6} {'MB/s parse':>11} {'MB/s find':>10} "
        f"{'errors':>6} {'hits':>6}"
    )
    for r in rows:
        mb = r["bytes"] / 1e6
        find_mb = r.get("find_bytes", r["bytes"]) / 1e6
        print(
            f"{r['name']:<28} {r['files']:>5} {mb:>6.2f} {mb / r['parse_s']:>11.2f} "
            f"{find_mb / r['find_s']:>10.2f} {r['errors']:>6} {r['hits']:>6}"
        )
    print(
        "\nMB = bytes of the files it parsed (failed files excluded); "
        "find = parse + locate every reference with its offset;\n"
        "* = find timed on the pure-Python subset only (its walk is Python; --full for all); "
        "hits are over the files find ran on."
    )


if __name__ == "__main__":
    main()
