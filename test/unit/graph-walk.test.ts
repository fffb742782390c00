// The one graph walk (graph.ts walkGraph) that the forward pass, the summary's shapes and the NumPy export share:
// each call comes in execution order with its inputs, initial states and explicit masks looked up in one shape, and
// what a caller records for a call is what the next calls see. The graphs below are small enough to follow by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { walkGraph } from '../../extension/keras/graph';
import { summarize } from '../../extension/keras/summary';
import { layerNode } from './helpers/layerNode';
import { callOf, functionalDoc } from './helpers/modelDoc';

const ref = (layer: string, tensor = 0) => ({ layer, node: 0, tensor });

/** x → enc (return_state: outputs y, h) → dec(x, initial_state = [enc h]) → out; `ghost` is fed by a layer nobody declares. */
function encoderDecoder() {
  const enc = layerNode('SimpleRNN', { units: 2, return_state: true }, { name: 'enc', calls: callOf('x') });
  const dec = layerNode('SimpleRNN', { units: 2 }, { name: 'dec' });
  dec.calls = [{ inputs: [ref('x')], initialState: [ref('enc', 1)], kwargs: {} }];
  const out = layerNode('Add', {}, { name: 'out', calls: [{ inputs: [ref('dec'), ref('enc', 1)], mask: [ref('m'), ref('m')], kwargs: {} }] });
  const ghost = layerNode('Dense', { units: 1 }, { name: 'ghost', calls: callOf('nowhere') });
  return functionalDoc({ x: [null, 3, 4], m: [null, 3] }, [enc, dec, out, ghost], ['out']);
}

test('walkGraph: each call with its inputs, initial states and explicit masks resolved from what earlier calls recorded', () => {
  const doc = encoderDecoder();
  // Values are labels here: each call records "<layer>:<output index>" for each of its outputs.
  const { values, calls, unreachable } = walkGraph<string>(doc.root, ['X', 'M']);
  const seen: { layer: string; position: number; inputs: (string | undefined)[]; initialState: (string | undefined)[]; masks?: (string | undefined)[] }[] = [];
  for (const site of calls) {
    seen.push({ layer: site.layer.name, position: site.position, inputs: site.inputs, initialState: site.initialState, ...(site.masks ? { masks: site.masks } : {}) });
    assert.equal(site.missing, undefined, `${site.layer.name}: nothing it needs is missing`);
    if (site.layer.className !== 'InputLayer') values.set(site, [`${site.layer.name}:0`, `${site.layer.name}:1`]);
  }
  // The input layers come first and see nothing (their tensor is the model input); enc feeds dec's initial state and out.
  assert.deepEqual(seen.filter((s) => s.layer !== 'x' && s.layer !== 'm'), [
    { layer: 'enc', position: seen.find((s) => s.layer === 'enc')!.position, inputs: ['X'], initialState: [] },
    { layer: 'dec', position: seen.find((s) => s.layer === 'dec')!.position, inputs: ['X'], initialState: ['enc:1'] },
    { layer: 'out', position: seen.find((s) => s.layer === 'out')!.position, inputs: ['dec:0', 'enc:1'], initialState: [], masks: ['M', 'M'] },
  ]);
  assert.deepEqual(seen.map((s) => s.position), seen.map((_, i) => i + 1));
  const order = seen.map((s) => s.layer);
  assert.ok(order.indexOf('enc') < order.indexOf('dec') && order.indexOf('dec') < order.indexOf('out'), `order ${order}`);
  assert.deepEqual(values.outputs(), ['out:0']);
  assert.deepEqual(unreachable.map((s) => s.layer.name), ['ghost']);
});

test('walkGraph: a call after one that recorded nothing gets undefined and names the missing tensor', () => {
  const doc = encoderDecoder();
  const { values, calls } = walkGraph<string>(doc.root, ['X', 'M']);
  const missing: Record<string, string> = {};
  for (const site of calls) {
    if (site.missing) missing[site.layer.name] = `${site.missing.layer}#${site.missing.tensor}`;
    // enc records one output only: its state (output 1) is never produced.
    if (site.layer.name === 'enc') values.set(site, ['enc:0']);
    else if (site.layer.className !== 'InputLayer') values.set(site, [`${site.layer.name}:0`]);
    if (site.layer.name === 'dec') assert.deepEqual(site.initialState, [undefined]);
  }
  assert.deepEqual(missing, { dec: 'enc#1', out: 'enc#1' });
});

test('the summary walks initial states the same way: a decoder started from the encoder state gets its own shape', async () => {
  const s = summarize(encoderDecoder());
  const shapes = Object.fromEntries(s.layers.map((l) => [l.name, l.outputShape]));
  // SimpleRNN(2, return_state) on (N, 3, 4): output (N, 2) and state (N, 2); the decoder returns its last h, (N, 2).
  assert.deepEqual(shapes.enc, [[null, 2], [null, 2]]);
  assert.deepEqual(shapes.dec, [null, 2]);
  assert.deepEqual(shapes.out, [null, 2]);
  assert.deepEqual(s.outputs.map((o) => o.shape), [[null, 2]]);
});
