// In-memory ModelDocuments for tests of inputs and exports: a Sequential chain or a small functional graph
// built from layerNode()s, with graph refs filled in the way the reader writes them. No file is read.

import type { LayerNode, ModelDocument, ModelGraph, TensorRef } from '../../../extension/keras/model';
import type { Shape } from '../../../extension/keras/shapes';
import { layerNode } from './layerNode';

const ref = (layer: string, node = 0, tensor = 0): TensorRef => ({ layer, node, tensor });

/** InputLayer(batch shape) followed by `layers`, each fed by the one before. */
export function sequentialDoc(inputShape: Shape, layers: LayerNode[], kerasMajor: 1 | 2 | 3 = 3, inputName = 'input_layer'): ModelDocument {
  const input = layerNode('InputLayer', { batch_shape: inputShape }, { name: inputName, calls: [] });
  let prev = inputName;
  for (const l of layers) {
    l.calls = [{ inputs: [ref(prev)], kwargs: {} }];
    prev = l.name;
  }
  const root: ModelGraph = {
    name: 'sequential',
    className: 'Sequential',
    inputs: [{ name: inputName, shape: inputShape, dtype: 'float32' }],
    layers: [input, ...layers],
    inputRefs: [ref(inputName)],
    outputRefs: [ref(prev)],
    sequential: true,
  };
  return docOf(root, kerasMajor);
}

/** A functional graph: `inputs` name → shape, `layers` with their calls already set, outputs as layer names. */
export function functionalDoc(inputs: Record<string, Shape>, layers: LayerNode[], outputs: string[], kerasMajor: 1 | 2 | 3 = 3): ModelDocument {
  const inputLayers = Object.entries(inputs).map(([name, shape]) => layerNode('InputLayer', { batch_shape: shape }, { name, calls: [] }));
  const root: ModelGraph = {
    name: 'functional',
    className: 'Functional',
    inputs: Object.entries(inputs).map(([name, shape]) => ({ name, shape, dtype: 'float32' })),
    layers: [...inputLayers, ...layers],
    inputRefs: Object.keys(inputs).map((n) => ref(n)),
    outputRefs: outputs.map((n) => ref(n)),
    sequential: false,
  };
  return docOf(root, kerasMajor);
}

export function callOf(...inputs: string[]): LayerNode['calls'] {
  return [{ inputs: inputs.map((n) => ref(n)), kwargs: {} }];
}

function docOf(root: ModelGraph, kerasMajor: 1 | 2 | 3): ModelDocument {
  return {
    file: 'in-memory',
    format: kerasMajor === 3 ? 'keras3-keras' : 'keras2-h5',
    kerasVersion: kerasMajor === 3 ? '3.6.0' : '2.9.0',
    kerasMajor,
    backend: 'tensorflow',
    modelClass: root.className,
    root,
    warnings: [],
  };
}
