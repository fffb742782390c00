// The functional graph of the Model tab: the summary names what feeds each layer (inputs, initial states, masks),
// and the layered layout puts each layer one rank below the longest chain feeding it. Expected ranks and orders
// are worked out by hand from the small graphs below and from the real seq2seq decoder's config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { summarize } from '../../extension/keras/summary';
import { loadModel } from '../../extension/keras/documentNode';
import { layoutGraph, graphInputOf, isFunctional, MAX_GRAPH_NODES, MAX_GRAPH_EDGES, NODE_H, type GraphLayerInput } from '../../webview/logic/graphLayout';
import { layerNode } from './helpers/layerNode';
import { callOf, functionalDoc } from './helpers/modelDoc';
import { sharedDir } from './helpers/paths';

const ref = (layer: string, tensor = 0) => ({ layer, node: 0, tensor });

function placed(layout: ReturnType<typeof layoutGraph>) {
  assert.equal(layout.tooLarge, false);
  if (layout.tooLarge) throw new Error('unreachable');
  return layout;
}

test('summary: an encoder whose states h and c feed a decoder LSTM as initial_state', () => {
  // enc_in → encoder LSTM (return_state) ; dec_in → decoder LSTM (initial_state = [encoder h, encoder c]) → dense
  const encoder = layerNode('LSTM', { units: 4, return_state: true }, { name: 'encoder', calls: callOf('enc_in') });
  const decoder = layerNode('LSTM', { units: 4, return_sequences: true }, { name: 'decoder' });
  decoder.calls = [{ inputs: [ref('dec_in')], initialState: [ref('encoder', 1), ref('encoder', 2)], kwargs: {} }];
  const dense = layerNode('Dense', { units: 3 }, { name: 'dense', calls: callOf('decoder') });
  const s = summarize(functionalDoc({ enc_in: [null, 5, 2], dec_in: [null, 6, 3] }, [encoder, decoder, dense], ['dense']));
  const byName = new Map(s.layers.map((l) => [l.name, l]));
  assert.deepEqual(byName.get('decoder')!.inbound, ['dec_in']);
  assert.deepEqual(byName.get('decoder')!.initialStateFrom, ['encoder']);
  assert.equal(byName.get('dense')!.initialStateFrom, undefined);
  assert.equal(isFunctional(s.layers), true);

  const g = placed(layoutGraph(graphInputOf(s.layers)));
  const rank = Object.fromEntries(g.nodes.map((n) => [n.name, n.rank]));
  // Longest chains: enc_in 0 → encoder 1 → decoder 2 (dec_in alone would give 1) → dense 3.
  assert.deepEqual(rank, { enc_in: 0, dec_in: 0, encoder: 1, decoder: 2, dense: 3 });
  const edges = g.edges.map((e) => `${g.nodes[e.from].name}>${g.nodes[e.to].name}:${e.kind}`).sort();
  assert.deepEqual(edges, ['dec_in>decoder:input', 'decoder>dense:input', 'enc_in>encoder:input', 'encoder>decoder:state']);
  // Every edge runs downwards, from the bottom of its source to the top of its target.
  for (const e of g.edges) {
    assert.equal(e.y1, g.nodes[e.from].y + NODE_H);
    assert.equal(e.y2, g.nodes[e.to].y);
    assert.ok(e.y2 > e.y1);
  }
  assert.equal(g.ranks, 4);
});

test('summary: the real Keras 3 seq2seq decoder takes input_layer_8 and input_layer_9 as the LSTM initial_state', async () => {
  const doc = await loadModel(path.join(sharedDir, 'models2/files/seq2seq-decoder-k310.keras'));
  const s = summarize(doc);
  const lstm = s.layers.find((l) => l.name === 'lstm_1')!;
  assert.deepEqual(lstm.inbound, ['input_layer_1']);
  assert.deepEqual(lstm.initialStateFrom, ['input_layer_8', 'input_layer_9']);
  const g = placed(layoutGraph(graphInputOf(s.layers)));
  const rank = Object.fromEntries(g.nodes.map((n) => [n.name, n.rank]));
  assert.deepEqual(rank, { input_layer_1: 0, input_layer_8: 0, input_layer_9: 0, lstm_1: 1, time_distributed: 2 });
  assert.equal(g.edges.filter((e) => e.kind === 'state').length, 2);
});

test('a Sequential model (golden b) is not drawn as a graph: its table is the chain', async () => {
  const s = summarize(await loadModel(path.join(sharedDir, 'golden/b_simplernn5_tanh.h5')));
  assert.equal(isFunctional(s.layers), false);
});

test('layout: a skip connection puts the merge below the longer branch; the mask edge is its own kind', () => {
  const layers: GraphLayerInput[] = [
    { name: 'x', className: 'InputLayer', inputs: [] },
    { name: 'a', className: 'Dense', inputs: ['x'] },
    { name: 'b', className: 'Dense', inputs: ['a'] },
    { name: 'add', className: 'Add', inputs: ['x', 'b'], masks: ['a'] },
  ];
  const g = placed(layoutGraph(layers));
  assert.deepEqual(g.nodes.map((n) => n.rank), [0, 1, 2, 3]);
  assert.deepEqual(g.edges.map((e) => e.kind), ['input', 'input', 'input', 'input', 'mask']);
});

test('layout: within a rank, layers sit under their sources (one barycentre sweep), not in file order', () => {
  // Two chains a → c and b → d, listed with d before c: c goes under a (left), d under b (right).
  const g = placed(layoutGraph([
    { name: 'a', className: 'InputLayer', inputs: [] },
    { name: 'b', className: 'InputLayer', inputs: [] },
    { name: 'd', className: 'LSTM', inputs: ['b'] },
    { name: 'c', className: 'LSTM', inputs: ['a'] },
  ]));
  const order = Object.fromEntries(g.nodes.map((n) => [n.name, n.order]));
  assert.deepEqual(order, { a: 0, b: 1, c: 0, d: 1 });
  const x = Object.fromEntries(g.nodes.map((n) => [n.name, n.x]));
  assert.ok(x.c < x.d);
  assert.equal(x.a, x.c);
});

test('layout: names nobody declares, self-references and repeats draw nothing; a cycle ends below the rest', () => {
  const g = placed(layoutGraph([
    { name: 'x', className: 'InputLayer', inputs: [] },
    { name: 'p', className: 'Dense', inputs: ['x', 'x', 'ghost', 'p', 'q'] },
    { name: 'q', className: 'Dense', inputs: ['p'] },
  ]));
  // x → p, p ↔ q is a cycle (a damaged file): x at 0, p and q after the acyclic part (rank 1).
  assert.equal(g.nodes[0].rank, 0);
  assert.equal(g.nodes[1].rank, 1);
  assert.equal(g.nodes[2].rank, 1);
  assert.equal(g.edges.length, 3);
});

test('layout: past MAX_GRAPH_NODES layers the graph is not drawn; edges are capped', () => {
  const many: GraphLayerInput[] = Array.from({ length: MAX_GRAPH_NODES + 1 }, (_, i) => ({ name: `l${i}`, className: 'Dense', inputs: i ? [`l${i - 1}`] : [] }));
  assert.deepEqual(layoutGraph(many), { tooLarge: true, count: MAX_GRAPH_NODES + 1 });
  // 300 layers each fed by every earlier one: far more edges than the cap.
  const dense: GraphLayerInput[] = Array.from({ length: MAX_GRAPH_NODES }, (_, i) => ({ name: `l${i}`, className: 'Dense', inputs: Array.from({ length: i }, (_, j) => `l${j}`) }));
  const g = placed(layoutGraph(dense));
  assert.equal(g.edges.length, MAX_GRAPH_EDGES);
  assert.equal(g.droppedEdges, (MAX_GRAPH_NODES * (MAX_GRAPH_NODES - 1)) / 2 - MAX_GRAPH_EDGES);
});
