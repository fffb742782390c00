// Writes a standalone Python script (NumPy only) that recomputes a model's forward pass by hand, step by step as
// the classic notebooks do, with the weights and the input embedded exactly: for a small model (≤ 10k weight values)
// as readable np.array literals, with every h_t printed; otherwise compactly, as base64 of the stored float32 bytes.
// Each layer module writes its own kind (`numpy` in its LayerKind, helpers in layers/numpyEmit.ts); this file keeps
// the graph walk, in the same order as the forward runner, and the script template.

import { UnsupportedFeatureError, UnsupportedLayerError } from './errors';
import type { ModelDocument, ModelGraph, WeightRef } from './model';
import type { Tensor } from './tensor';
import { walkGraph } from './graph';
import { knownLayerClasses, layerKind } from './layers';
import { dims, helperName, pyActivation, pyInt, quoted, SHARED_HELPERS, word, type EmitContext, type Emitted, type NumpyEmitter } from './layers/numpyEmit';
import { pyStr, showName } from './safeText';
import { npArrayText } from './npLiteral';

// Every name, string and number from the model file is untrusted: names reach the script only as Python string
// literals (pyStr), also inside comments; numbers only after a check that they are numbers; config strings only
// when they are one of the values the script knows (padding, activation). Nothing from a file becomes code.
// layers/numpyEmit.ts holds the checked conversions every emitter uses.

export interface NumpyExportOptions {
  /** A line naming where the script came from (file name), shown in its docstring. */
  title?: string;
  /**
   * Weights as np.array literals and every h_t printed (true), or base64 (false). By default readable when the
   * script embeds at most READABLE_MAX_PARAMS weight values, as a notebook's model does.
   */
  readable?: boolean;
}

/** Models up to this many weight values are written readably (the notebooks' models hold 5 to a few thousand). */
export const READABLE_MAX_PARAMS = 10_000;
/** Inputs up to this many values are written as literals in a readable script; longer ones stay base64. */
const READABLE_MAX_INPUT = 10_000;

// ---------------------------------------------------------------------------------------------
// Base64 of little-endian bytes (no Buffer: this module also runs in the browser)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return s;
}

function leBytes(values: Float32Array | Float64Array): Uint8Array {
  const size = values instanceof Float32Array ? 4 : 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (size === 4) view.setFloat32(i * 4, values[i], true);
    else view.setFloat64(i * 8, values[i], true);
  }
  return out;
}

function chunk(s: string, width = 100): string {
  const parts: string[] = [];
  for (let i = 0; i < s.length; i += width) parts.push(`'${s.slice(i, i + width)}'`);
  return parts.length === 0 ? "''" : parts.join('\n        ');
}

// ---------------------------------------------------------------------------------------------
// Python helpers, emitted only when used

let helperTable: Map<string, string> | undefined;

/**
 * Every Python helper a script may define, by function name: the shared ones, then each registered kind's
 * numpyHelpers. A name two kinds define differently is a programming error, caught on first use.
 */
function pythonHelpers(): Map<string, string> {
  if (helperTable) return helperTable;
  const table = new Map<string, string>();
  const add = (name: string, source: string, owner: string) => {
    if (helperName(source) !== name) throw new Error(`The NumPy helper "${name}" of ${owner} does not define a function of that name.`);
    const had = table.get(name);
    if (had !== undefined && had !== source) throw new Error(`The NumPy helper "${name}" is defined twice, differently (${owner}).`);
    table.set(name, source);
  };
  for (const [name, source] of Object.entries(SHARED_HELPERS)) add(name, source, 'numpyEmit.ts');
  for (const cls of knownLayerClasses()) {
    for (const [name, source] of Object.entries(layerKind(cls)?.numpyHelpers ?? {})) add(name, source, cls);
  }
  helperTable = table;
  return table;
}

/** The longest Python variable made from a layer name (a 10 KB name would make every line 10 KB). */
const MAX_VARIABLE = 40;

/**
 * A Python identifier from a name: ASCII letters, digits and single underscores, never ending in `_`, so that the
 * emitters' derived names (`<target>__mask`, `<target>__states`, ...) cannot equal any identifier made here.
 */
function sanitize(name: string): string {
  const clean = (t: string) => t.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  let s = clean(clean(name).slice(0, MAX_VARIABLE));
  if (!/^[A-Za-z]/.test(s)) s = s ? `v_${s}` : 'v';
  // The script's helper functions are reserved too: a variable named like one would hide it inside forward().
  if (PY_RESERVED.has(s) || pythonHelpers().has(s)) s = `${s}_v`;
  return s;
}

const PY_RESERVED = new Set([
  // keywords
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'False',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'None', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'True', 'try', 'while', 'with', 'yield',
  // builtins and modules the script uses
  'float', 'int', 'len', 'list', 'max', 'min', 'print', 'range', 'tuple', 'zip', 'enumerate', 'map', 'str', 'abs', 'sum',
  'np', 'math', 'json', 'sys', 'base64',
  // the script's own functions, tables and the emitters' fixed locals
  'weights', 'data', 'record', 'shown', 'main', 'forward', 'layers', 'LAYERS', 'WEIGHTS', 'INPUTS', 'MODEL_FILE',
  'KERAS_VERSION', 'FILE_FORMAT', 'outputs', 'mean', 'var', 'scores', 'E', 'bn_shape', 'ln_axes', 'dot_axes', 'x', 'y',
  'h', 'c', 'b', 'W', 'W_x', 'W_h', 'mask', 'v', '__debug__',
  // loop variables of the comprehensions the emitters write (a layer variable `a` would be shadowed inside them)
  'a', 'p', 'q',
]);

// ---------------------------------------------------------------------------------------------
// Emitters: each layer module's own

/** The emitter for a class name: its layer module's own (the registry is a Map: `__proto__` finds nothing). */
function emitterFor(className: string): NumpyEmitter | undefined {
  return layerKind(className)?.numpy;
}

// ---------------------------------------------------------------------------------------------
// Walking the graph in the forward runner's execution order (graph.ts)

/** A tensor in the script: its Python expression and its time mask's ('None' when none). */
interface PyValue {
  v: string;
  m: string;
}

/** `scope` prefixes Python names; `recordPrefix` prefixes recorded layer names as the forward runner does (`outer/inner`). */
function emitGraph(graph: ModelGraph, inputVars: Emitted, cx: EmitContext, scope: string, recordPrefix = ''): Emitted {
  // The forward runner's own walk, so the script reads in the order the trace and the views show.
  const { values, calls, unreachable } = walkGraph<PyValue>(graph, inputVars.vars.map((v, k) => ({ v, m: inputVars.masks[k] ?? 'None' })));
  for (const site of calls) {
    const { layer, node, call, position } = site;
    // Input layers of functional graphs have no inputs: their tensor is the model input itself.
    if (layer.className === 'InputLayer' && site.inputs.length === 0 && site.initialState.length === 0) continue;
    if (site.missing) throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" needs output ${site.missing.tensor} of "${showName(site.missing.layer)}", which is never computed.`);
    // Emitters take the inputs, then the initial states.
    const consumed = [...site.inputs, ...site.initialState] as PyValue[];
    const ins: Emitted = { vars: consumed.map((x) => x.v), masks: consumed.map((x) => x.m) };
    // Masks passed explicitly (Keras 3 `mask=` tensors) replace the inputs' own, as in the forward pass.
    site.masks?.forEach((m, k) => (ins.masks[k] = `(${m!.v} != 0)`));
    const nodeIndex = pyInt(node, 'a node index', layer.name);
    const target = cx.fresh(scope + layer.name + (node > 0 ? `_call${nodeIndex}` : ''));
    const what = `${showName(layer.name)} (${showName(layer.declaredClassName ?? layer.className, 40)})`;
    cx.layerName = layer.name;
    if (layer.notExecutable) throw new UnsupportedLayerError(`Layer ${position}, ${what}, cannot be exported: ${layer.notExecutable}`, layer.name, position);
    cx.out.push('');
    cx.out.push(`# ---- ${quoted(recordPrefix + layer.name)} (${word(layer.declaredClassName ?? layer.className)})${node > 0 ? `, call ${nodeIndex}` : ''} ----`);
    let res: Emitted;
    if (layer.model) {
      res = emitGraph(layer.model, ins, cx, `${scope}${sanitize(layer.name)}_`, `${recordPrefix}${layer.name}/`);
    } else {
      const emit = emitterFor(layer.className);
      if (!emit) {
        throw new UnsupportedLayerError(`Layer ${position}, ${what}, is not a kind the NumPy export can write out.`, layer.name, position);
      }
      res = emit(layer, call, ins, cx, target);
    }
    values.set(site, res.vars.map((v, t) => ({ v, m: res.masks[t] ?? 'None' })));
    cx.out.push(`record(${pyStr(recordPrefix + layer.name)}, ${pyStr(layer.className)}, ${nodeIndex}, [${res.vars.join(', ')}])`);
  }
  if (unreachable.length > 0) {
    throw new UnsupportedFeatureError(`The layer "${showName(unreachable[0].layer.name)}" waits for an input no layer produces, so the graph cannot be exported.`);
  }
  const outputs = values.outputs();
  const lost = outputs.findIndex((o) => o === undefined);
  if (lost >= 0) throw new UnsupportedFeatureError(`The model output "${showName(graph.outputRefs[lost].layer)}" is never computed, so the graph cannot be exported.`);
  return { vars: outputs.map((o) => o!.v), masks: outputs.map((o) => o!.m) };
}

// ---------------------------------------------------------------------------------------------
// The script

/**
 * A standalone NumPy script for `doc` on `inputs` (one tensor per model input, in `doc.root.inputs` order).
 * Run `python3 script.py` for the output, `--layers` for every layer's output too, `--json` for machine-readable output.
 * Throws UnsupportedFeatureError / UnsupportedLayerError naming the first layer it cannot write out.
 */
export function exportNumpy(doc: ModelDocument, inputs: Tensor[], options: NumpyExportOptions = {}): string {
  if (doc.notExecutable) throw new UnsupportedFeatureError(doc.notExecutable);
  let body = emitForward(doc, inputs, options.readable === true);
  if (options.readable === undefined) {
    // Written compactly first, to count the weight values the script embeds; a small model is written again readably.
    const embedded = body.weightsTable.reduce((a, w) => a + w.values.length, 0);
    if (embedded <= READABLE_MAX_PARAMS) body = emitForward(doc, inputs, true);
  }
  return writeScript(doc, inputs, options, body);
}

interface ForwardBody {
  readable: boolean;
  lines: string[];
  helpers: Set<string>;
  weightsTable: { key: string; shape: number[]; values: Float32Array | Float64Array }[];
}

/** forward()'s body, the helpers it calls and the weights it reads. */
function emitForward(doc: ModelDocument, inputs: Tensor[], readable: boolean): ForwardBody {
  const helpers = new Set<string>();
  const names = new Set<string>();
  const weightsTable: ForwardBody['weightsTable'] = [];
  const weightKeys = new Map<WeightRef, string>();
  const usedKeys = new Set<string>();
  const cx: EmitContext = {
    doc,
    out: [],
    helpers,
    fresh(base) {
      // sanitize() never gives `__`, so `<name>_<k>` stays clear of every derived `<target>__mask`-style name.
      const s = sanitize(base);
      let name = s;
      for (let k = 2; names.has(name); k++) name = `${s}_${k}`;
      names.add(name);
      return name;
    },
    weight(layer, w, prefix = '') {
      let key = weightKeys.get(w);
      if (!key) {
        const base = `${layer.name}/${prefix}${w.short}`;
        key = base;
        for (let k = 2; usedKeys.has(key); k++) key = `${base}_${k}`;
        usedKeys.add(key);
        weightsTable.push({ key, shape: dims(w.shape, layer.name).map(Number), values: w.values() });
        weightKeys.set(w, key);
      }
      return `weights(${pyStr(key)})`;
    },
    act(spec) {
      return pyActivation(spec, doc.kerasMajor, helpers, cx.layerName);
    },
    emitterOf(inner, wrapper) {
      const emit = inner.model ? undefined : emitterFor(inner.className);
      if (!emit) {
        const what = inner.model ? 'a nested model' : `"${showName(inner.name)}" (${showName(inner.declaredClassName ?? inner.className, 40)})`;
        throw new UnsupportedLayerError(`The NumPy export cannot write out ${what} inside the wrapper "${showName(wrapper.name)}".`, inner.name, 0);
      }
      return emit;
    },
    layerName: '',
    readable,
  };
  const graph = doc.root;
  if (inputs.length !== graph.inputs.length) {
    throw new UnsupportedFeatureError(`The model has ${graph.inputs.length} inputs but ${inputs.length} were given to the export.`);
  }
  const inputVars: Emitted = { vars: [], masks: [] };
  graph.inputs.forEach((inp, k) => {
    const v = cx.fresh(`${inp.name}`);
    cx.out.push(`${v} = data(${k})  # input ${quoted(inp.name)}: ${inputs[k].shape.join('×')} (${letterText(inputs[k].shape.length)})`);
    inputVars.vars.push(v);
    inputVars.masks.push('None');
  });
  const outputs = emitGraph(graph, inputVars, cx, '');
  cx.out.push('');
  cx.out.push(`outputs = [${outputs.vars.join(', ')}]`);
  cx.out.push('return outputs');
  return { readable, lines: cx.out, helpers, weightsTable };
}

function writeScript(doc: ModelDocument, inputs: Tensor[], options: NumpyExportOptions, body: ForwardBody): string {
  const { readable, helpers, weightsTable } = body;
  const inputsReadable = readable && inputs.every((t) => t.data.length <= READABLE_MAX_INPUT);
  const table = pythonHelpers();
  const unknown = [...helpers].find((h) => !table.has(h));
  if (unknown !== undefined) throw new Error(`An emitter asked for the NumPy helper "${unknown}", which no module defines.`);
  const order = [...table.keys()].filter((h) => helpers.has(h));
  const lines: string[] = [];
  lines.push('#!/usr/bin/env python3');
  lines.push('"""The forward pass of a Keras model recomputed by hand with NumPy, step by step as the classic notebooks do.');
  lines.push('');
  lines.push('Written by Keras RNN Inspector. The model file, its Keras version and its format are MODEL_FILE, KERAS_VERSION');
  lines.push('and FILE_FORMAT below: text from a model file appears only as string literals, so none of it is ever run.');
  lines.push('Letters: N samples, T time steps, D input features, M hidden units, K outputs.');
  lines.push('Time steps are t = 1..T with h_0 the state before the first; the code indexes them 0-based, x[:, t - 1] is step t.');
  if (readable) {
    lines.push('The weights are written out as np.array literals (float32, with the digits that read back exactly) and');
    lines.push(`the input ${inputsReadable ? 'too (float64)' : 'as base64 of its little-endian float64 bytes (it is long)'}; everything is computed in float64.`);
    lines.push('Every hidden state h_t of every recurrent layer is printed, as the notebooks do. No Keras, no TensorFlow: NumPy only.');
  } else {
    lines.push('The weights and the input are embedded exactly (base64 of their little-endian bytes); everything is');
    lines.push('computed in float64. No Keras, no TensorFlow: NumPy only.');
  }
  lines.push('');
  lines.push('    python3 this_script.py            # prints the output');
  lines.push("    python3 this_script.py --layers   # and every layer's output");
  lines.push('    python3 this_script.py --json     # the same as JSON: {output, outputs, outputShape, layers}');
  lines.push('"""');
  lines.push('import base64');
  lines.push('import json');
  lines.push('import math');
  lines.push('import sys');
  lines.push('');
  lines.push('import numpy as np');
  lines.push('');
  lines.push(`MODEL_FILE = ${options.title === undefined ? 'None' : pyStr(options.title)}`);
  lines.push(`KERAS_VERSION = ${doc.kerasVersion == null ? 'None  # not recorded in the file' : pyStr(doc.kerasVersion)}`);
  lines.push(`FILE_FORMAT = ${pyStr(doc.format)}`);
  lines.push('');
  lines.push("np.seterr(over='ignore')  # exp() of a large negative pre-activation overflows to inf; sigmoid is then exactly 0");
  lines.push('');
  lines.push('');
  lines.push('def weights(key):');
  lines.push('    """A stored weight: float32 exactly as in the model file, used in float64."""');
  if (readable) {
    lines.push('    return WEIGHTS[key].astype(np.float64)');
  } else {
    lines.push('    shape, b64 = WEIGHTS[key]');
    lines.push("    return np.frombuffer(base64.b64decode(b64), dtype='<f4').reshape(shape).astype(np.float64)");
  }
  lines.push('');
  lines.push('');
  lines.push('def data(k):');
  lines.push('    """Model input k, float64 exactly as given."""');
  if (inputsReadable) {
    lines.push('    return INPUTS[k].copy()');
  } else {
    lines.push('    shape, b64 = INPUTS[k]');
    lines.push("    return np.frombuffer(base64.b64decode(b64), dtype='<f8').reshape(shape).copy()");
  }
  lines.push('');
  lines.push('');
  lines.push('LAYERS = []');
  lines.push('');
  lines.push('');
  lines.push('def record(name, class_name, node, outputs):');
  lines.push('    """Keeps each layer call\'s output for --layers / --json."""');
  lines.push('    LAYERS.append({"name": name, "className": class_name, "node": node, "output": outputs[0], "outputs": outputs})');
  if (readable) {
    lines.push('');
    lines.push('');
    lines.push('STEPS = []');
    lines.push('');
    lines.push('');
    lines.push('def record_steps(name, states, go_backwards):');
    lines.push('    """Keeps a recurrent layer\'s h_t of every step (N×M each), in the order it computed them, for printing."""');
    lines.push('    STEPS.append({"name": name, "h": states, "go_backwards": go_backwards})');
  }
  lines.push('');
  lines.push('');
  lines.push('def shown(name):');
  lines.push('    """A name from the model file as one printable line: controls, bidi marks and line breaks as escapes."""');
  lines.push("    text = ''.join(c if c.isprintable() else c.encode('unicode_escape').decode('ascii') for c in name)");
  lines.push("    return text if len(text) <= 80 else text[:80] + '… (%d characters)' % len(text)");
  for (const h of order) {
    lines.push('');
    lines.push('');
    lines.push(table.get(h)!);
  }
  lines.push('');
  lines.push('');
  lines.push('def forward():');
  for (const l of body.lines) lines.push(l === '' ? '' : `    ${l}`);
  lines.push('');
  lines.push('');
  lines.push('def main():');
  lines.push('    outputs = forward()');
  lines.push("    if '--json' in sys.argv:");
  lines.push('        result = {');
  lines.push('            "output": outputs[0].tolist(),');
  lines.push('            "outputs": [o.tolist() for o in outputs],');
  lines.push('            "outputShape": list(outputs[0].shape),');
  lines.push('            "layers": [{"name": l["name"], "className": l["className"], "node": l["node"],');
  lines.push('                        "outputShape": list(np.shape(l["output"])), "output": np.asarray(l["output"]).tolist(),');
  lines.push('                        "outputs": [np.asarray(o).tolist() for o in l["outputs"]]}');
  lines.push("                       for l in LAYERS] if '--layers' in sys.argv else [],");
  if (readable) lines.push('            "steps": [{"name": s["name"], "h": [h.tolist() for h in s["h"]]} for s in STEPS],');
  lines.push('        }');
  lines.push('        print(json.dumps(result))');
  lines.push('        return');
  lines.push('    np.set_printoptions(precision=8, suppress=False, linewidth=120)');
  lines.push("    if '--layers' in sys.argv:");
  lines.push('        for l in LAYERS:');
  lines.push('            print(f"{shown(l[\'name\'])} ({shown(l[\'className\'])}) {\'×\'.join(map(str, np.shape(l[\'output\'])))}")');
  lines.push('            print(np.asarray(l["output"]))');
  if (readable) {
    lines.push('    for s in STEPS:');
    lines.push('        T = len(s["h"])');
    lines.push('        print(f"{shown(s[\'name\'])}: h_t for t = 1..{T}, h_0 = 0" + (" (go_backwards: step k reads x at t = T + 1 - k)" if s["go_backwards"] else ""))');
    lines.push('        for k, h in enumerate(s["h"]):');
    lines.push('            print(f"h_{k + 1} =", h)');
  }
  lines.push('    for k, o in enumerate(outputs):');
  lines.push('        print(f"output {k}: {\'×\'.join(map(str, o.shape))}")');
  lines.push('        print(o)');
  lines.push('');
  lines.push('');
  if (readable) {
    lines.push('# The stored weights, as in the model file: key -> np.array (float32).');
    lines.push('WEIGHTS = {');
    for (const w of weightsTable) {
      lines.push(`    ${pyStr(w.key)}:  # ${w.shape.join('×') || 'scalar'}`);
      lines.push(`        ${npArrayText(w.values, w.shape, 'float32', '        ')},`);
    }
  } else {
    lines.push('# The stored weights: key -> (shape, base64 of float32 little-endian bytes).');
    lines.push('WEIGHTS = {');
    for (const w of weightsTable) {
      lines.push(`    ${pyStr(w.key)}: ((${w.shape.join(', ')}${w.shape.length === 1 ? ',' : ''}),`);
      lines.push(`        ${chunk(base64(leBytes(w.values)))}),`);
    }
  }
  lines.push('}');
  lines.push('');
  if (inputsReadable) {
    lines.push('# The input(s), float64: x[n, t, d] is sample n, time step t + 1, feature d.');
    lines.push('INPUTS = [');
    for (const t of inputs) lines.push(`    ${npArrayText(t.data, t.shape, 'float64', '    ')},`);
  } else {
    lines.push('# The input(s): (shape, base64 of float64 little-endian bytes).');
    lines.push('INPUTS = [');
    for (const t of inputs) {
      lines.push(`    ((${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}),`);
      lines.push(`        ${chunk(base64(leBytes(t.data)))}),`);
    }
  }
  lines.push(']');
  lines.push('');
  lines.push("if __name__ == '__main__':");
  lines.push('    main()');
  lines.push('');
  return lines.join('\n');
}

function letterText(rank: number): string {
  return rank === 3 ? 'N×T×D' : rank === 2 ? 'N×T or N×D' : `rank ${rank}`;
}
