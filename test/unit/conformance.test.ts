// The conformance test: every registered layer kind checked against itself on a seeded random instance
// (test/helpers/kindExamples.ts). The parameter formula must name exactly the weights the forward pass reads, the
// shape rule must give the shape the forward pass produces, the exported NumPy script (run by python3) must equal
// the forward pass within 1e-9 (2e-6 for recurrent kinds, which compute in float32), and the kind must have a hover signature. No kind can be half-registered.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runForward } from '../../extension/keras/forward';
import { knownLayerClasses, layerEnv, layerKind } from '../../extension/keras/layers/index';
import type { LayerKind } from '../../extension/keras/layers/types';
import type { LayerNode, ModelDocument } from '../../extension/keras/model';
import { exportNumpy } from '../../extension/keras/numpyExport';
import type { Tensor } from '../../extension/keras/tensor';
import { KIND_EXAMPLES, type KindExample } from '../helpers/kindExamples';
import { assertClose, layerNode, seeded, weightRef } from './helpers/layerNode';
import { callOf, functionalDoc, sequentialDoc } from './helpers/modelDoc';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';

const tmp = mkdtempSync(path.join(tmpdir(), 'conformance-'));
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** The example as a LayerNode, wrappers given their inner layers the way the config reader nests them. */
function build(ex: KindExample, name: string): LayerNode {
  const children = (ex.children ?? []).map((c, i) => build(c, (c.config.name as string | undefined) ?? `${name}_inner${i}`));
  const config: Record<string, unknown> = { ...ex.config };
  if (children.length > 0) config.layer = { class_name: children[0].className, config: children[0].config };
  return layerNode(ex.className, config, { name, children });
}

/** Seeded weights of exactly the shapes the formula names (variances kept positive, as a trained file's are). */
function withWeights(node: LayerNode, ex: KindExample, seed: number): LayerNode {
  const kind = layerKind(ex.className)!;
  const formula = kind.params(node, ex.inputs, layerEnv(ex.kerasMajor ?? 3));
  if (!formula) return node;
  const rnd = seeded(seed);
  const weights = formula.terms.map((t) => {
    const values = Array.from({ length: size(t.shape) }, () => (/variance/.test(t.name) ? rnd(0.5, 1.5) : rnd(-0.6, 0.6)));
    return weightRef(t.name, t.shape, values, t.trainable);
  });
  return { ...node, weights };
}

function docFor(node: LayerNode, ex: KindExample): ModelDocument {
  const major = ex.kerasMajor ?? 3;
  const batchless = ex.inputs.map((s) => [null, ...s.slice(1)]);
  if (ex.inputs.length === 1) return sequentialDoc(batchless[0], [node], major);
  const names = ex.inputs.map((_, i) => `in${i}`);
  node.calls = callOf(...names);
  return functionalDoc(Object.fromEntries(names.map((n, i) => [n, batchless[i]])), [node], [node.name], major);
}

function inputsFor(ex: KindExample, seed: number): Tensor[] {
  const rnd = seeded(seed);
  return ex.inputs.map((shape) => ({
    shape: [...shape],
    data: Float64Array.from({ length: size(shape) }, () => (ex.tokensBelow ? Math.floor(rnd(0, ex.tokensBelow)) : rnd(-1, 1))),
  }));
}

function runScript(script: string, name: string): { layers: { name: string; output: unknown; outputs?: unknown[] }[] } {
  const file = path.join(tmp, `${name.replace(/\W/g, '_')}.py`);
  writeFileSync(file, script);
  const run = spawnSync(PYTHON_WITH_NUMPY!, [file, '--json', '--layers'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `python3 ${file} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

test('every registered layer class has a conformance example', () => {
  const covered = new Set(KIND_EXAMPLES.map((e) => e.className));
  const missing = knownLayerClasses().filter((c) => !covered.has(c));
  assert.deepEqual(missing, [], `registered without an example in test/helpers/kindExamples.ts: ${missing.join(', ')}`);
  const unknown = KIND_EXAMPLES.filter((e) => !layerKind(e.className)).map((e) => e.className);
  assert.deepEqual(unknown, [], `examples of classes nothing registers: ${unknown.join(', ')}`);
});

KIND_EXAMPLES.forEach((ex, index) => {
  test(`conformance: ${ex.className}`, async (t) => {
    const kind = layerKind(ex.className);
    assert.ok(kind, `${ex.className} is not registered`);
    const env = layerEnv(ex.kerasMajor ?? 3);
    const name = `${ex.className.toLowerCase()}_${index}`;
    const node = withWeights(build(ex, name), ex, 1000 + index);

    // The formula adds up, term by term.
    const formula = kind.params(node, ex.inputs, env);
    if (formula) {
      for (const term of formula.terms) assert.equal(term.count, size(term.shape), `${ex.className}: ${term.name} count vs shape [${term.shape}]`);
      assert.equal(formula.total, formula.terms.reduce((a, term) => a + term.count, 0), `${ex.className}: total vs terms`);
      assert.equal(formula.trainable + formula.nonTrainable, formula.total, `${ex.className}: trainable + non-trainable`);
      assert.ok(formula.formula.length > 0 && formula.substituted.length > 0, `${ex.className}: a formula a learner can read`);
    }

    if (!ex.exempt?.forward) await forwardChecks(t, ex, kind, node, name, index);

    // The hover signature exists.
    if (!ex.exempt?.python) assert.ok(kind.python, `${ex.className} has no Python signature for hovers`);
  });
});

/** The forward pass reads exactly the formula's weights and gives the shape the rule says; the NumPy script agrees. */
async function forwardChecks(t: TestContext, ex: KindExample, kind: LayerKind, node: LayerNode, name: string, index: number): Promise<void> {
  const env = layerEnv(ex.kerasMajor ?? 3);
    const doc = docFor(node, ex);
    if (ex.callArgs) node.calls[0].args = ex.callArgs; // an op layer's constants, in call order
    const inputs = inputsFor(ex, 2000 + index);
    const run = await runForward(doc, inputs, { trace: true });
    assert.equal(run.stopped, undefined, `${ex.className}: the run stopped: ${run.stopped?.message}`);
    const record = run.layers.find((l) => l.name === name);
    assert.ok(record, `${ex.className}: no record of the layer's output`);
    const rule = kind.outputShape(node, ex.inputs, env).shapes;
    assert.deepEqual(record.outputShapes, rule, `${ex.className}: the shape rule vs the forward pass`);
    const batchless = kind.outputShape(node, ex.inputs.map((s) => [null, ...s.slice(1)]), env).shapes;
    assert.deepEqual(batchless.map((s) => s.slice(1)), rule.map((s) => s.slice(1)), `${ex.className}: the rule with an unknown batch`);

    // The exported NumPy script, run by python3, prints what the forward pass computed.
    if (ex.exempt?.numpy) return;
    if (!PYTHON_WITH_NUMPY) return t.skip(NO_NUMPY_REASON);
    const script = exportNumpy(doc, inputs, { title: name });
    const res = runScript(script, name);
    const fromScript = res.layers.find((l) => l.name === name);
    assert.ok(fromScript, `${ex.className}: the script printed no output for the layer`);
    const ours = record.outputs.flatMap((o) => Array.from(o.data));
    // Every output of the layer (return_state gives several), as the forward pass records them.
  const theirs = flat(fromScript.outputs ?? [fromScript.output]);
    // Recurrent kinds compute in float32 as Keras does (their states and traces are float32) while the script stays in
    // float64 like the notebooks: the bound there is float32 rounding carried through the steps, 2e-6 (about 32 ulps at 1).
    const tol = kind.recurrent ? 2e-6 : 1e-9;
    assertClose(theirs, ours, tol, tol, `${ex.className}: NumPy script vs forward pass`);
}
