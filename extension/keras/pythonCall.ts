// Finds the Keras layer call under the cursor in Python source (`SimpleRNN(5, input_shape=(10, 3))`,
// `layers.Bidirectional(LSTM(8))`) and turns its literal arguments into a small LayerNode, so hovers can
// ask the layer modules for the parameter formula instead of repeating it. Nothing is ever evaluated:
// only numbers, strings, None/True/False, tuples/lists and simple arithmetic on numbers are read.

import { keras1InputShape, keras1Renames } from './config';
import { layerKind, pythonLayerClasses, pythonPositional } from './layers/index';
import type { LayerNode } from './model';
import type { Shape } from './shapes';

export type PyValue =
  | { kind: 'number'; value: number }
  | { kind: 'none' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'call'; call: PyCall }
  /** A call on something other than a plain name: `LSTM(8)(x)` applies the layer LSTM(8) to x. */
  | { kind: 'apply'; fn: PyValue; args: PyValue[]; kwargs: Record<string, PyValue>; text: string }
  /** A name or expression we do not evaluate (a variable, `x[0]`, `a.b`): its source text. */
  | { kind: 'other'; text: string };

export interface PyCall {
  /** Last component of the callee, e.g. `LSTM` for `keras.layers.LSTM`. */
  name: string;
  /** The callee as written, e.g. `keras.layers.LSTM`. */
  qualified: string;
  args: PyValue[];
  kwargs: Record<string, PyValue>;
  /** Offsets: start of the callee text, and one past the closing parenthesis (or end of text). */
  start: number;
  end: number;
  /** Offsets of the last callee component (where the hover range goes). */
  nameStart: number;
  nameEnd: number;
  /** False when the closing parenthesis is missing (the user is still typing). */
  complete: boolean;
}

type Tok =
  | { t: 'name'; v: string; s: number; e: number }
  | { t: 'num'; v: number; s: number; e: number }
  | { t: 'str'; v: string; s: number; e: number }
  | { t: 'op'; v: string; s: number; e: number };

const NAME_PART = /[A-Za-z0-9_\u00C0-\uFFFF]/;
// Sticky patterns read a token where it starts, without copying the text (a hover tokenizes up to 200,000 characters).
const NAME = /[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\u00C0-\uFFFF]*/y;
const STRING_START = /([rRbBuUfF]{0,2})(['"])/y;
const NUMBER = /(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)[jJlL]?/y;

function isStringStart(c: number): boolean {
  // ' " r R b B u U f F
  return c === 39 || c === 34 || c === 114 || c === 82 || c === 98 || c === 66 || c === 117 || c === 85 || c === 102 || c === 70;
}

/** Python tokens of `text` (comments and newlines dropped; unknown characters become one-char ops). */
export function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 35 /* # */) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    // space, tab, newline, carriage return, form feed, line-continuation backslash
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 92) {
      i++;
      continue;
    }
    // String literal with an optional prefix (r, b, u, f, rb, br, fr, rf).
    if (isStringStart(c)) {
      STRING_START.lastIndex = i;
      const pre = STRING_START.exec(text);
      if (pre && (pre[1].length === 0 || !NAME_PART.test(text[i - 1] ?? ' '))) {
        const start = i;
        i += pre[1].length;
        const q = pre[2];
        const triple = text.startsWith(q + q + q, i);
        const close = triple ? q + q + q : q;
        i += close.length;
        const raw = /r/i.test(pre[1]);
        let value = '';
        let run = i;
        while (i < n && !text.startsWith(close, i)) {
          const ch = text.charCodeAt(i);
          if (!triple && ch === 10) break; // an unterminated one-line string ends at the line
          if (ch === 92 && !raw && i + 1 < n) {
            value += text.slice(run, i) + text[i + 1];
            i += 2;
            run = i;
            continue;
          }
          i++;
        }
        value += text.slice(run, i);
        if (text.startsWith(close, i)) i += close.length;
        out.push({ t: 'str', v: value, s: start, e: i });
        continue;
      }
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name) {
      out.push({ t: 'name', v: name[0], s: i, e: i + name[0].length });
      i += name[0].length;
      continue;
    }
    if ((c >= 48 && c <= 57) || (c === 46 && /[0-9]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      const lit = m && m[0].length > 0 ? m[0] : text[i];
      const clean = lit.replace(/_/g, '').replace(/[jJlL]$/, '');
      let v: number;
      if (/^0[oO]/.test(clean)) v = parseInt(clean.slice(2), 8);
      else if (/^0[bB]/.test(clean)) v = parseInt(clean.slice(2), 2);
      else v = Number(clean);
      out.push({ t: 'num', v, s: i, e: i + lit.length });
      i += lit.length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '**' || two === '//' || two === '->' || two === '==' || two === '!=' || two === '<=' || two === '>=' || two === ':=') {
      out.push({ t: 'op', v: two, s: i, e: i + 2 });
      i += 2;
      continue;
    }
    out.push({ t: 'op', v: text[i], s: i, e: i + 1 });
    i++;
  }
  return out;
}

// Brackets nested deeper than this, and longer chains of calls on calls, are skipped unread: a hostile file gets
// no hover rather than a stack overflow (real layer code nests a handful of levels).
const MAX_DEPTH = 48;
const MAX_APPLY_CHAIN = 8;

/** One top-level statement as the model walk reads it: `a, b = value` or a bare expression `model.add(...)`. */
export interface PyStatement {
  targets: string[];
  value: PyValue;
}

/** Python words that start a statement; never assignment targets or callees. */
const KEYWORDS = new Set(['def', 'class', 'return', 'if', 'elif', 'else', 'for', 'while', 'in', 'with', 'as', 'import', 'from', 'try', 'except', 'finally', 'raise', 'assert', 'del', 'pass', 'global', 'nonlocal', 'yield', 'await', 'async', 'not', 'and', 'or', 'is']);

export class Parser {
  pos = 0;
  depth = 0;
  readonly calls: PyCall[] = [];
  constructor(readonly toks: Tok[], readonly text: string) {}

  peek(k = 0): Tok | undefined {
    return this.toks[this.pos + k];
  }
  isOp(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.t === 'op' && t.v === v;
  }

  /** expr := term (('+'|'-') term)* ; arithmetic folds only when both sides are numbers. */
  expr(): PyValue {
    const start = this.peek()?.s ?? this.text.length;
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = String(this.toks[this.pos++].v);
      const right = this.term();
      left = arith(left, right, op, this.sourceFrom(start));
    }
    // Anything else that continues an expression (comparisons, `if`, lambda bodies) is not evaluated.
    if (this.peek() && !this.isOp(',') && !this.isOp(')') && !this.isOp(']') && !this.isOp('}') && !this.isOp('=')) {
      this.skipExpressionRest();
      return { kind: 'other', text: this.sourceFrom(start) };
    }
    return left;
  }

  term(): PyValue {
    const start = this.peek()?.s ?? this.text.length;
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%') || this.isOp('**')) {
      const op = String(this.toks[this.pos++].v);
      const right = this.unary();
      left = arith(left, right, op, this.sourceFrom(start));
    }
    return left;
  }

  unary(): PyValue {
    // A loop, not recursion: `- - - … 1` in a crafted file must not exhaust the stack.
    let negate = false;
    let signs = '';
    while (this.isOp('-') || this.isOp('+')) {
      const op = String(this.toks[this.pos++].v);
      if (op === '-') negate = !negate;
      if (signs.length < 8) signs += op;
    }
    const v = this.postfix();
    if (signs === '') return v;
    if (v.kind === 'number') return { kind: 'number', value: negate ? -v.value : v.value };
    return { kind: 'other', text: signs + describeValue(v) };
  }

  postfix(): PyValue {
    const tok = this.peek();
    if (!tok) return { kind: 'other', text: '' };
    const start = tok.s;
    if (tok.t === 'num') {
      this.pos++;
      return this.trailers({ kind: 'number', value: tok.v }, start);
    }
    if (tok.t === 'str') {
      this.pos++;
      let v = tok.v;
      while (this.peek()?.t === 'str') v += (this.toks[this.pos++] as { v: string }).v; // implicit concatenation
      return this.trailers({ kind: 'string', value: v }, start);
    }
    if (tok.t === 'name') {
      // Dotted name, then maybe a call.
      this.pos++;
      let last = tok;
      while (this.isOp('.') && this.peek(1)?.t === 'name') {
        this.pos++;
        last = this.toks[this.pos++] as typeof tok;
      }
      const qualified = this.text.slice(start, last.e).replace(/\s+/g, '');
      if (this.isOp('(')) return this.trailers(this.call(qualified, start, last.s, last.e), start);
      if (qualified === 'None') return this.trailers({ kind: 'none' }, start);
      if (qualified === 'True' || qualified === 'False') return this.trailers({ kind: 'bool', value: qualified === 'True' }, start);
      if (qualified === 'lambda') {
        this.skipExpressionRest();
        return { kind: 'other', text: this.sourceFrom(start) };
      }
      return this.trailers({ kind: 'other', text: qualified }, start);
    }
    if (tok.t === 'op' && (tok.v === '(' || tok.v === '[')) {
      if (this.depth >= MAX_DEPTH) {
        this.skipBalanced();
        return { kind: 'other', text: this.sourceFrom(start) };
      }
      const close = tok.v === '(' ? ')' : ']';
      this.pos++;
      this.depth++;
      const items: PyValue[] = [];
      let sawComma = false;
      while (this.peek() && !this.isOp(close)) {
        if (this.isOp(',')) {
          sawComma = true;
          this.pos++;
          continue;
        }
        const before = this.pos;
        items.push(this.expr());
        if (this.pos === before) this.pos++; // never loop on a token we cannot read
      }
      this.depth--;
      if (this.isOp(close)) this.pos++;
      // `(x)` is just x; `(x,)` and `[x]` are sequences.
      const value: PyValue = tok.v === '(' && items.length === 1 && !sawComma ? items[0] : { kind: 'tuple', items };
      return this.trailers(value, start);
    }
    if (tok.t === 'op' && tok.v === '{') {
      this.skipBalanced();
      return { kind: 'other', text: this.sourceFrom(start) };
    }
    this.pos++;
    return { kind: 'other', text: tok.t === 'op' ? tok.v : this.sourceFrom(start) };
  }

  /**
   * Calls on a value are kept (`LSTM(8)(x)` applies a layer); subscripts and attribute access make it something we
   * do not evaluate.
   */
  trailers(v: PyValue, start: number): PyValue {
    let value = v;
    let applies = 0;
    while (this.isOp('[') || this.isOp('(') || (this.isOp('.') && this.peek(1)?.t === 'name')) {
      if (this.isOp('(') && value.kind !== 'other' && applies < MAX_APPLY_CHAIN && this.depth < MAX_DEPTH) {
        applies++;
        const { args, kwargs } = this.argList();
        value = { kind: 'apply', fn: value, args, kwargs, text: this.sourceFrom(start) };
        continue;
      }
      if (this.isOp('.')) this.pos += 2;
      else this.skipBalanced();
      value = { kind: 'other', text: this.sourceFrom(start) };
    }
    return value;
  }

  call(qualified: string, start: number, nameStart: number, nameEnd: number): PyValue {
    if (this.depth >= MAX_DEPTH) {
      this.skipBalanced();
      return { kind: 'other', text: this.sourceFrom(start) };
    }
    const { args, kwargs, complete } = this.argList();
    const end = complete ? this.toks[this.pos - 1].e : this.text.length;
    const name = qualified.slice(qualified.lastIndexOf('.') + 1);
    const call: PyCall = { name, qualified, args, kwargs, start, end, nameStart, nameEnd, complete };
    this.calls.push(call);
    return { kind: 'call', call };
  }

  /** `(a, b, k=v)` from the opening parenthesis; `complete` is false when the closing one is missing. */
  argList(): { args: PyValue[]; kwargs: Record<string, PyValue>; complete: boolean } {
    this.pos++; // '('
    this.depth++;
    const args: PyValue[] = [];
    const kwargs: Record<string, PyValue> = {};
    let complete = false;
    while (this.peek()) {
      if (this.isOp(')')) {
        complete = true;
        this.pos++;
        break;
      }
      if (this.isOp(',')) {
        this.pos++;
        continue;
      }
      if (this.isOp('*') || this.isOp('**')) {
        this.pos++;
        this.expr(); // *args / **kwargs: unknown contents
        continue;
      }
      const t = this.peek();
      if (t?.t === 'name' && this.isOp('=', 1)) {
        this.pos += 2;
        kwargs[t.v] = this.expr();
        continue;
      }
      const before = this.pos;
      args.push(this.expr());
      if (this.pos === before) this.pos++;
    }
    this.depth--;
    return { args, kwargs, complete };
  }

  /**
   * The file as statements: `a, b = value` and bare expressions. Newlines are not tokens, so a value is read as one
   * postfix expression (`LSTM(8)(x)`), never with a following operator that could swallow the next line.
   */
  statements(): PyStatement[] {
    const out: PyStatement[] = [];
    while (this.pos < this.toks.length) {
      const before = this.pos;
      const t = this.peek()!;
      if (t.t === 'name' && !KEYWORDS.has(t.v)) {
        const targets: string[] = [];
        let p = this.pos;
        for (;;) {
          const nt = this.toks[p];
          if (nt?.t !== 'name' || KEYWORDS.has(nt.v)) break;
          targets.push(nt.v);
          const sep = this.toks[p + 1];
          if (sep?.t === 'op' && sep.v === ',' && this.toks[p + 2]?.t === 'name') p += 2;
          else break;
        }
        const eq = this.toks[p + 1];
        if (targets.length > 0 && eq?.t === 'op' && eq.v === '=') {
          this.pos = p + 2;
          if (this.peek()) out.push({ targets, value: this.unary() });
        } else {
          out.push({ targets: [], value: this.postfix() });
        }
      } else if (t.t === 'op' && (t.v === '(' || t.v === '[')) {
        out.push({ targets: [], value: this.postfix() });
      } else {
        this.pos++;
      }
      if (this.pos === before) this.pos++;
    }
    return out;
  }

  skipBalanced(): void {
    let depth = 0;
    while (this.peek()) {
      const t = this.toks[this.pos++];
      if (t.t === 'op' && (t.v === '(' || t.v === '[' || t.v === '{')) depth++;
      else if (t.t === 'op' && (t.v === ')' || t.v === ']' || t.v === '}')) {
        depth--;
        if (depth <= 0) return;
      }
    }
  }

  /** Skip to the next `,` or closing bracket at this nesting level. */
  skipExpressionRest(): void {
    while (this.peek() && !this.isOp(',') && !this.isOp(')') && !this.isOp(']') && !this.isOp('}')) {
      if (this.isOp('(') || this.isOp('[') || this.isOp('{')) this.skipBalanced();
      else this.pos++;
    }
  }

  sourceFrom(start: number): string {
    const prev = this.toks[this.pos - 1];
    return this.text.slice(start, prev ? Math.max(prev.e, start) : start);
  }
}

function arith(a: PyValue, b: PyValue, op: string, text: string): PyValue {
  if (a.kind !== 'number' || b.kind !== 'number') return { kind: 'other', text };
  const x = a.value;
  const y = b.value;
  const v =
    op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : op === '//' ? Math.floor(x / y) : op === '%' ? x % y : x ** y;
  return Number.isFinite(v) ? { kind: 'number', value: v } : { kind: 'other', text };
}

/** Python-ish text of a value, for messages. */
export function describeValue(v: PyValue): string {
  switch (v.kind) {
    case 'number':
      return String(v.value);
    case 'none':
      return 'None';
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'string':
      return JSON.stringify(v.value);
    case 'tuple':
      return `(${v.items.map(describeValue).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'call':
      return `${v.call.qualified}(…)`;
    case 'apply':
      return v.text.length > 80 ? `${v.text.slice(0, 79)}…` : v.text;
    case 'other':
      return v.text;
  }
}

// Files bigger than this are only scanned around the cursor, so a hover never stalls on a huge file.
const WINDOW = 20000;

/**
 * The innermost call of one of `names` whose callee or argument list contains `offset`, or null.
 * Calls of other functions are parsed too (they may hold layer calls) but never returned.
 */
export function findCallAt(text: string, offset: number, names: ReadonlySet<string> = pythonLayerClasses()): PyCall | null {
  let base = 0;
  let src = text;
  if (text.length > 2 * WINDOW) {
    // Start at a line boundary so we do not begin in the middle of a token.
    base = Math.max(0, text.lastIndexOf('\n', Math.max(0, offset - WINDOW)) + 1);
    src = text.slice(base, Math.min(text.length, offset + WINDOW));
  }
  const rel = offset - base;
  const toks = tokenize(src);
  const parser = new Parser(toks, src);
  while (parser.pos < toks.length) {
    const before = parser.pos;
    const t = parser.peek();
    if (t?.t === 'name') parser.postfix();
    else parser.pos++;
    if (parser.pos === before) parser.pos++;
  }
  let best: PyCall | null = null;
  for (const c of parser.calls) {
    if (!names.has(c.name)) continue;
    if (rel < c.start || rel > c.end) continue;
    if (!best || c.end - c.start < best.end - best.start) best = c;
  }
  if (!best || base === 0) return best;
  return shift(best, base);
}

function shift(c: PyCall, by: number): PyCall {
  const v = (x: PyValue): PyValue =>
    x.kind === 'call'
      ? { kind: 'call', call: shift(x.call, by) }
      : x.kind === 'tuple'
        ? { kind: 'tuple', items: x.items.map(v) }
        : x.kind === 'apply'
          ? { ...x, fn: v(x.fn), args: x.args.map(v), kwargs: Object.fromEntries(Object.entries(x.kwargs).map(([k, y]) => [k, v(y)])) }
          : x;
  const kwargs: Record<string, PyValue> = {};
  for (const [k, x] of Object.entries(c.kwargs)) kwargs[k] = v(x);
  return { ...c, args: c.args.map(v), kwargs, start: c.start + by, end: c.end + by, nameStart: c.nameStart + by, nameEnd: c.nameEnd + by };
}

// ---------------------------------------------------------------------------------------------
// From a parsed call to a LayerNode the layer modules understand
// ---------------------------------------------------------------------------------------------

export interface LayerFromCall {
  node: LayerNode;
  /** The input shape the arguments give, [N, T, D] style; null entries where unknown. Null when nothing is known. */
  inputShape: Shape | null;
  /** Arguments we could not read (e.g. `units=n_hidden`), named so the hover can say what is missing. */
  unknown: string[];
}

/** Plain JS value of a literal, or undefined when it is not a literal. */
export function literal(v: PyValue | undefined): unknown {
  if (!v) return undefined;
  switch (v.kind) {
    case 'number':
      return v.value;
    case 'none':
      return null;
    case 'bool':
      return v.value;
    case 'string':
      return v.value;
    case 'tuple': {
      const items = v.items.map(literal);
      return items.some((x) => x === undefined) ? undefined : items;
    }
    default:
      return undefined;
  }
}

function asDim(x: unknown): number | null {
  return typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : null;
}

/**
 * Builds the LayerNode a Keras constructor call describes, with the input shape its arguments give
 * (`input_shape=(T, D)`, `batch_input_shape`, `input_dim`, `input_length`). Returns null for classes whose
 * module gives no Python signature.
 */
export function layerFromCall(call: PyCall): LayerFromCall | null {
  const order = pythonPositional(call.name);
  if (!order) return null;
  const named: Record<string, PyValue> = {};
  call.args.forEach((a, i) => {
    if (order[i]) named[order[i]] = a;
  });
  // Keras 1 argument names the old notebooks still use.
  const renames = keras1Renames(call.name);
  for (const [k, v] of Object.entries(call.kwargs)) named[renames[k] ?? k] = v;

  const config: Record<string, unknown> = { name: call.name.toLowerCase() };
  const unknown: string[] = [];
  const children: LayerNode[] = [];
  /** The inner layers read from the arguments, by the config entry that describes each. */
  const built = new Map<unknown, LayerNode>();
  let inner: LayerFromCall | null = null;
  for (const [k, v] of Object.entries(named)) {
    if (k === 'layer' || k === 'backward_layer') {
      if (v.kind === 'call') {
        const child = layerFromCall(v.call);
        if (child) {
          if (k === 'layer') inner = child;
          children.push(child.node);
          config[k] = { class_name: child.node.className, config: child.node.config };
          built.set(config[k], child.node);
          unknown.push(...child.unknown);
        } else unknown.push(k);
      } else unknown.push(k);
      continue;
    }
    const lit = literal(v);
    if (lit === undefined) unknown.push(k);
    else config[k] = lit;
  }
  // A wrapper builds its inner layers its own way (Bidirectional adds the backward copy), from the ones read here.
  const wrap = layerKind(call.name)?.innerLayers;
  if (wrap && config.layer && children.length > 0) {
    try {
      children.splice(0, children.length, ...wrap(config, (raw) => built.get(raw)!, String(config.name)));
    } catch {
      // Code Keras cannot build (a Bidirectional inside a Bidirectional): the inner layers stay as written.
    }
  }

  let inputShape: Shape | null = null;
  const batchShape = config.batch_input_shape ?? config.batch_shape;
  const shape = config.input_shape ?? config.shape;
  if (Array.isArray(batchShape)) inputShape = batchShape.map(asDim);
  else if (Array.isArray(shape)) inputShape = [null, ...shape.map(asDim)];
  else inputShape = keras1InputShape(call.name, config.input_dim, config.input_length)?.map(asDim) ?? null;
  if (inner && !inputShape) inputShape = inner.inputShape;

  const node: LayerNode = {
    name: String(config.name),
    className: call.name,
    config,
    weights: [],
    children,
    calls: [],
  };
  return { node, inputShape, unknown };
}
