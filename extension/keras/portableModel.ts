// A small model as plain data, for live recompute in the webview: the graph as read, with every weight's values
// read once into a Float32Array (WeightRef.values() is a closure over the file, which a message cannot carry).
// toPortable refuses a model over a value budget before reading anything; fromPortable checks every array's
// length against its shape. The walk is bounded by MAX_NESTING_DEPTH, as the readers are.

import { InputError } from './errors';
import { MAX_NESTING_DEPTH } from './limits';
import type { LayerNode, ModelDocument, ModelGraph, WeightRef } from './model';

/** A weight with its values read. */
export interface PortableWeight extends Omit<WeightRef, 'values'> {
  data: Float32Array;
}

export interface PortableLayer extends Omit<LayerNode, 'weights' | 'children' | 'model'> {
  weights: PortableWeight[];
  children: PortableLayer[];
  model?: PortableGraph;
}

export interface PortableGraph extends Omit<ModelGraph, 'layers'> {
  layers: PortableLayer[];
}

export interface PortableModel extends Omit<ModelDocument, 'root' | 'looseWeights'> {
  root: PortableGraph;
}

function tooDeep(): never {
  throw new InputError(`The model nests layers more than ${MAX_NESTING_DEPTH} deep.`);
}

/** Every weight of the model, counted without reading any (the shapes are the file's claims). */
export function countWeightValues(doc: ModelDocument): number {
  let n = 0;
  const graph = (g: ModelGraph, depth: number): void => {
    if (depth > MAX_NESTING_DEPTH) tooDeep();
    for (const l of g.layers) layer(l, depth + 1);
  };
  const layer = (l: LayerNode, depth: number): void => {
    if (depth > MAX_NESTING_DEPTH) tooDeep();
    for (const w of l.weights) n += w.shape.reduce((a, d) => a * d, 1);
    for (const c of l.children) layer(c, depth + 1);
    if (l.model) graph(l.model, depth + 1);
  };
  graph(doc.root, 0);
  return n;
}

/** The document with its weights read, refused (InputError) above `maxValues` weight values. */
export function toPortable(doc: ModelDocument, maxValues: number): PortableModel {
  const count = countWeightValues(doc);
  if (count > maxValues) throw new InputError(`Live recompute is for models of up to ${maxValues.toLocaleString('en-US')} weight values; this one stores ${count.toLocaleString('en-US')}.`);
  const weight = (w: WeightRef): PortableWeight => {
    const { values, ...rest } = w;
    return { ...rest, shape: [...w.shape], data: values().slice() };
  };
  const layer = (l: LayerNode): PortableLayer => {
    const { weights, children, model, ...rest } = l;
    return { ...rest, weights: weights.map(weight), children: children.map(layer), ...(model ? { model: graph(model) } : {}) };
  };
  const graph = (g: ModelGraph): PortableGraph => ({ ...g, layers: g.layers.map(layer) });
  const { root, looseWeights: _loose, ...rest } = doc;
  return { ...rest, root: graph(root) };
}

/** A document the forward pass can run, from a portable model; throws when an array does not fit its shape. */
export function fromPortable(p: PortableModel): ModelDocument {
  const weight = (w: PortableWeight): WeightRef => {
    const { data, ...rest } = w;
    const n = w.shape.reduce((a, d) => a * d, 1);
    if (!(data instanceof Float32Array) || data.length !== n) throw new InputError(`The weight ${w.path} came with ${data?.length ?? 0} values for shape (${w.shape.join(', ')}).`);
    return { ...rest, values: () => data };
  };
  const layer = (l: PortableLayer, depth: number): LayerNode => {
    if (depth > MAX_NESTING_DEPTH) tooDeep();
    const { weights, children, model, ...rest } = l;
    return { ...rest, weights: weights.map(weight), children: children.map((c) => layer(c, depth + 1)), ...(model ? { model: graph(model, depth + 1) } : {}) };
  };
  const graph = (g: PortableGraph, depth: number): ModelGraph => {
    if (depth > MAX_NESTING_DEPTH) tooDeep();
    return { ...g, layers: g.layers.map((l) => layer(l, depth + 1)) };
  };
  return { ...p, root: graph(p.root, 0) };
}
