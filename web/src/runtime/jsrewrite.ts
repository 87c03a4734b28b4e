/**
 * The in-page JavaScript rewriter (docs/js-rewriting.md, "The rules"): the same rules as
 * the server's (src/cobrowse/rewrite/js.py), for code that only exists at run time —
 * `eval`, `new Function`, string timers, `javascript:` URLs and `on*` handlers set by
 * script. Held to tests/fixtures/js/golden.json. Edits only wrap or replace the exact
 * ranges found (offsets are UTF-16 indexes, meriyah's `ranges`), so line numbers stay.
 * Code that does not parse passes through unchanged, as does all code while the parser
 * cannot be had (./parser.ts loads it on first use).
 */
import { parser } from './parser';

export type JsKind = 'script' | 'module' | 'handler';

const H = '__cobrowse$';
const NAMES = new Set(['location', 'top', 'parent']);
/** Names whose reads are wrapped in `__cobrowse$.w`: the window's, and `eval` (not as a callee). */
const READS = new Set(['location', 'top', 'parent', 'eval']);
/** Code without any of these words has nothing to rewrite (the parser is skipped). */
const TRIGGER = /location|top|parent|eval|import|postMessage/;

/* A loose ESTree node: meriyah's typed nodes, read generically. */
interface N {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

interface Insert {
  readonly at: number;
  readonly text: string;
  /** Openers of longer ranges go first; closers of shorter ranges go first. */
  readonly order: number;
}

interface Options {
  /** Map a static import/export specifier (modules); identity by default. */
  readonly mapSpecifier?: (specifier: string) => string;
}

function isNode(value: unknown): value is N {
  return typeof value === 'object' && value !== null && typeof (value as N).type === 'string';
}

/** A call of `__cobrowse$.<fn>` (any of the rules' functions without `fn`). */
function ownCall(node: unknown, fn?: string): boolean {
  if (!isNode(node) || node.type !== 'CallExpression') return false;
  const callee = node.callee as N;
  if (callee.type !== 'MemberExpression' || callee.computed) return false;
  const object = callee.object as N;
  const property = callee.property as N;
  if (object.type !== 'Identifier' || object.name !== H || property.type !== 'Identifier') return false;
  const name = property.name as string;
  return fn === undefined ? 'wasieupv'.includes(name) && name.length === 1 : name === fn;
}

function isName(node: unknown, names: Set<string> = NAMES): boolean {
  return isNode(node) && node.type === 'Identifier' && names.has(node.name as string);
}

/** `eval`, or a sequence whose last expression is one (`(0, eval)`). */
function isEvalCallee(node: N): boolean {
  if (node.type === 'Identifier') return node.name === 'eval';
  const last = node.type === 'SequenceExpression' ? (node.expressions as N[]).at(-1) : undefined;
  return last !== undefined && isEvalCallee(last);
}

/** `import.meta.resolve(...)`. */
function isMetaResolve(node: N): boolean {
  if (node.type !== 'CallExpression') return false;
  const callee = node.callee as N;
  if (callee.type !== 'MemberExpression' || callee.computed || callee.optional) return false;
  const object = callee.object as N;
  const property = callee.property as N;
  return (
    object.type === 'MetaProperty' &&
    (object.meta as N).name === 'import' &&
    property.type === 'Identifier' &&
    property.name === 'resolve'
  );
}

class Edits {
  readonly inserts: Insert[] = [];
  readonly deletes: Array<[number, number]> = [];

  /** Wrap [start, end) as `open` + text + `close`. */
  wrap(start: number, end: number, open: string, close: string): void {
    const length = end - start;
    // At one position: closers (shortest range first) before openers (longest first).
    this.inserts.push({ at: start, text: open, order: 1e9 - length });
    this.inserts.push({ at: end, text: close, order: -1e9 + length });
  }

  /** Replace [start, end) by `text` (after the closers at `start`). */
  replace(start: number, end: number, text: string): void {
    if (end > start) this.deletes.push([start, end]);
    this.inserts.push({ at: start, text, order: 0 });
  }

  apply(source: string, offset: number): string {
    if (this.inserts.length === 0 && this.deletes.length === 0) return source;
    const inserts = [...this.inserts].sort((a, b) => a.at - b.at || a.order - b.order);
    const deletes = [...this.deletes].sort((a, b) => a[0] - b[0]);
    let out = '';
    let pos = offset;
    let i = 0;
    let d = 0;
    const end = offset + source.length;
    while (pos <= end) {
      while (i < inserts.length && inserts[i]!.at === pos) out += inserts[i++]!.text;
      while (d < deletes.length && deletes[d]![1] <= pos) d++;
      if (pos === end) break;
      const del = d < deletes.length && deletes[d]![0] <= pos && pos < deletes[d]![1];
      if (!del) out += source[pos - offset];
      pos++;
    }
    return out;
  }
}

class Rewriter {
  readonly edits = new Edits();

  constructor(
    private readonly src: string,
    private readonly mapSpecifier: (s: string) => string,
  ) {}

  /** `__cobrowse$.w(...)` around a read; parenthesized inside a `new` callee. */
  private wrapRead(node: N, inNew: boolean): void {
    const open = `${H}.w(`;
    if (inNew) this.edits.wrap(node.start, node.end, `(${open}`, '))');
    else this.edits.wrap(node.start, node.end, open, ')');
  }

  /** The index of the `.` before a non-computed member's property. */
  private dotBefore(member: N): number {
    const property = member.property as N;
    const object = member.object as N;
    const between = this.src.slice(object.end, property.start);
    const rel = between.lastIndexOf('.');
    return rel < 0 ? -1 : object.end + rel;
  }

  visit(node: unknown, inNew = false): void {
    if (Array.isArray(node)) {
      for (const child of node) this.visit(child);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'Identifier':
        if (READS.has(node.name as string)) this.wrapRead(node, inNew);
        return;
      case 'MemberExpression':
        this.member(node, inNew);
        return;
      case 'ChainExpression':
        this.visit(node.expression, inNew);
        return;
      case 'AssignmentExpression':
        this.assignment(node);
        return;
      case 'UpdateExpression':
        this.target(node.argument);
        return;
      case 'UnaryExpression':
        // `typeof top` must not throw where `top` is undeclared (workers); `delete X.top`
        // deletes, it does not read.
        if (node.operator === 'typeof' && isNode(node.argument) && node.argument.type === 'Identifier') return;
        if (node.operator === 'delete') this.target(node.argument);
        else this.visit(node.argument);
        return;
      case 'CallExpression':
        this.call(node);
        return;
      case 'NewExpression':
        this.visit(node.callee, true);
        this.visit(node.arguments);
        return;
      case 'ImportExpression':
        if (!ownCall(node.source, 'i'))
          this.edits.wrap((node.source as N).start, (node.source as N).end, `${H}.i(`, ')');
        this.visit(node.source);
        this.visit(node.options);
        return;
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        this.specifier(node.source);
        return;
      case 'ExportNamedDeclaration':
        if (node.source) this.specifier(node.source);
        else this.visit(node.declaration);
        return;
      case 'VariableDeclarator':
        this.pattern(node.id);
        this.visit(node.init);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.pattern(node.params);
        this.visit(node.body);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression':
        this.visit(node.superClass);
        this.visit(node.body);
        return;
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'AccessorProperty':
        if (node.computed) this.visit(node.key);
        this.visit(node.value);
        return;
      case 'Property':
        this.property(node);
        return;
      case 'CatchClause':
        this.pattern(node.param);
        this.visit(node.body);
        return;
      case 'ForInStatement':
      case 'ForOfStatement':
        if (isNode(node.left) && node.left.type === 'VariableDeclaration') this.visit(node.left);
        else this.pattern(node.left);
        this.visit(node.right);
        this.visit(node.body);
        return;
      case 'LabeledStatement':
        this.visit(node.body);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
        return;
      default:
        for (const key of Object.keys(node)) {
          if (key === 'type' || key === 'start' || key === 'end' || key === 'range' || key === 'loc') continue;
          this.visit(node[key]);
        }
    }
  }

  private member(node: N, inNew: boolean): void {
    const object = node.object as N;
    const property = node.property as N;
    if (!node.computed && isName(property, READS)) {
      this.wrapRead(node, inNew);
      this.visit(object, inNew);
      return;
    }
    if (
      !node.computed &&
      property.type === 'Identifier' &&
      property.name === 'url' &&
      object.type === 'MetaProperty' &&
      (object.meta as N).name === 'import'
    ) {
      this.edits.wrap(node.start, node.end, `${H}.u(`, ')');
      return;
    }
    this.visit(object, inNew);
    if (node.computed) this.visit(property);
  }

  /** A member or identifier written to: its object is read, the target itself is not. */
  private target(node: unknown): void {
    if (!isNode(node)) return;
    if (node.type === 'Identifier') return;
    if (node.type === 'MemberExpression') {
      this.visit(node.object);
      if (node.computed) this.visit(node.property);
      return;
    }
    this.pattern(node);
  }

  private assignment(node: N): void {
    const left = node.left as N;
    const right = node.right as N;
    if (node.operator === '=' && left.type === 'Identifier' && left.name === 'location') {
      if (!ownCall(right, 'a')) this.edits.wrap(right.start, right.end, `${H}.a(location, `, ')');
      this.visit(right);
      return;
    }
    if (
      node.operator === '=' &&
      left.type === 'MemberExpression' &&
      !left.computed &&
      !left.optional &&
      (left.property as N).type === 'Identifier' &&
      (left.property as N).name === 'location' &&
      (left.object as N).type !== 'Super'
    ) {
      const dot = this.dotBefore(left);
      if (dot >= 0) {
        this.edits.wrap(node.start, node.end, `${H}.s(`, ')');
        this.edits.replace(dot, right.start, ', "location", ');
        this.visit(left.object);
        this.visit(right);
        return;
      }
    }
    if (left.type === 'Identifier' || left.type === 'MemberExpression') this.target(left);
    else this.pattern(left);
    this.visit(right);
  }

  private call(node: N): void {
    const callee = node.callee as N;
    const args = node.arguments as N[];
    if (ownCall(node)) {
      // Already rewritten: its arguments are not wrapped again (what is inside them is).
      for (const arg of args) this.unwrapped(arg);
      return;
    }
    if (isEvalCallee(callee)) {
      // `eval(s)`, and `(0, eval)(s)` (indirect, the native eval called from the page's
      // code): the code is rewritten, the callee left as it is.
      const first = args[0];
      if (first && first.type !== 'SpreadElement' && !ownCall(first, 'e'))
        this.edits.wrap(first.start, first.end, `${H}.e(`, ')');
      for (let c = callee; c.type === 'SequenceExpression'; c = (c.expressions as N[]).at(-1)!) {
        this.visit((c.expressions as N[]).slice(0, -1));
      }
      this.visit(args);
      return;
    }
    if (isMetaResolve(node)) {
      this.edits.wrap(node.start, node.end, `${H}.u(`, ')');
      this.visit(args);
      return;
    }
    const method = callee.type === 'MemberExpression' ? ((callee.property as N).name as string) : '';
    if (
      callee.type === 'MemberExpression' &&
      !callee.computed &&
      !callee.optional &&
      !node.optional &&
      (callee.property as N).type === 'Identifier' &&
      (method === 'postMessage' || method === 'eval') &&
      (callee.object as N).type !== 'Super'
    ) {
      // `X.postMessage(...)` / `X.eval(...)` as `__cobrowse$.p/v(X, ...)`: `this` stays X.
      const dot = this.dotBefore(callee);
      const paren = this.src.indexOf('(', (callee.property as N).end);
      if (dot >= 0 && paren >= 0) {
        this.edits.wrap(node.start, node.end, `${H}.${method === 'eval' ? 'v' : 'p'}(`, '');
        this.edits.replace(dot, paren + 1, args.length > 0 ? ', ' : '');
        this.visit(callee.object);
        this.visit(args);
        return;
      }
    }
    if (callee.type === 'MemberExpression' && !callee.computed && isName(callee.property, READS)) {
      // A method call (`$(el).parent()`, `stack.top()`): `this` must stay.
      this.visit(callee.object);
    } else this.visit(callee);
    this.visit(args);
  }

  /** An argument of a `__cobrowse$` call: visited inside, never wrapped itself. */
  private unwrapped(node: N): void {
    if (node.type === 'Identifier') return;
    if (isMetaResolve(node)) {
      this.visit(node.arguments);
      return;
    }
    if (node.type === 'MemberExpression') {
      this.visit(node.object);
      if (node.computed) this.visit(node.property);
      return;
    }
    if (node.type === 'ChainExpression') {
      this.unwrapped(node.expression as N);
      return;
    }
    this.visit(node);
  }

  private property(node: N): void {
    if (node.computed) this.visit(node.key);
    const value = node.value as N;
    if (node.shorthand && isName(value, READS) && !node.method) {
      this.edits.replace(value.end, value.end, `: ${H}.w(${value.name as string})`);
      return;
    }
    this.visit(value);
  }

  /** A binding or assignment pattern: names are written, defaults and computed keys read. */
  private pattern(node: unknown): void {
    if (Array.isArray(node)) {
      for (const child of node) this.pattern(child);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'Identifier':
        return;
      case 'ObjectPattern':
        for (const p of node.properties as N[]) {
          if (p.type === 'RestElement') this.pattern(p.argument);
          else {
            if (p.computed) this.visit(p.key);
            this.pattern(p.value);
          }
        }
        return;
      case 'ArrayPattern':
        this.pattern(node.elements);
        return;
      case 'AssignmentPattern':
        this.pattern(node.left);
        this.visit(node.right);
        return;
      case 'RestElement':
        this.pattern(node.argument);
        return;
      case 'MemberExpression':
        this.target(node);
        return;
      default:
        this.visit(node);
    }
  }

  private specifier(node: unknown): void {
    if (!isNode(node) || node.type !== 'Literal' || typeof node.value !== 'string') return;
    const mapped = this.mapSpecifier(node.value);
    if (mapped === node.value) return;
    const quote = this.src[node.start] === "'" ? "'" : '"';
    const escaped = mapped.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`);
    this.edits.replace(node.start, node.end, quote + escaped + quote);
  }
}

/** `code` rewritten by the rules for `kind`; unchanged when it does not parse. Never throws. */
export function rewriteJs(code: string, kind: JsKind, options: Options = {}): string {
  try {
    if (typeof code !== 'string' || !TRIGGER.test(code)) return code;
    const p = parser();
    if (p === null) return code;
    const opts = { ranges: true, webcompat: true, globalReturn: kind === 'handler' } as const;
    const program = kind === 'module' ? p.parseModule(code, { ranges: true }) : p.parseScript(code, opts);
    const rewriter = new Rewriter(code, options.mapSpecifier ?? ((s) => s));
    rewriter.visit((program as unknown as N).body);
    return rewriter.edits.apply(code, 0);
  } catch {
    return code;
  }
}

/** A `javascript:` URL with its code rewritten (kind `script`); other URLs unchanged. */
export function rewriteScriptUrl(url: string): string {
  const m = /^([\u0000-\u0020]*javascript:)([\s\S]*)$/i.exec(url);
  if (!m) return url;
  let code: string;
  try {
    code = decodeURIComponent(m[2]!);
  } catch {
    return url;
  }
  const rewritten = rewriteJs(code, 'script');
  return rewritten === code ? url : m[1] + encodeURIComponent(rewritten);
}
