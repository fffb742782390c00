// Reshape: N×... -> N×target_shape, where one entry of target_shape may be -1 (inferred).

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { LayerKind } from './types';
import { configShapeDim, oneInput, oneTensor } from './common';
import { showName } from '../safeText';
import { cfg, one, pyInts, type NumpyEmitter } from './numpyEmit';

function target(layer: LayerNode): number[] {
  const v = layer.config.target_shape ?? layer.config.dims;
  if (!Array.isArray(v)) throw new UnsupportedFeatureError(`Reshape "${showName(layer.name)}" has no target_shape in its config.`);
  // -1 (or None) is the one inferred entry; every other entry is a size the file claims.
  const dims = v.map((d, i) => (d === null || d === -1 ? -1 : configShapeDim(layer, d, `target_shape entry ${i + 1}`)!));
  if (dims.filter((d) => d === -1).length > 1) {
    throw new UnsupportedFeatureError(`Reshape "${showName(layer.name)}" has more than one unknown (-1) entry in target_shape ${JSON.stringify(v)}.`);
  }
  return dims;
}

/** Fill the -1 of the target from the number of values per sample, or explain why it cannot fit. */
function resolve(layer: LayerNode, dims: number[], perSample: number): number[] {
  const known = dims.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const unknownAt = dims.indexOf(-1);
  if (unknownAt < 0) {
    if (known !== perSample) {
      throw new InputError(`Reshape "${showName(layer.name)}" cannot turn ${perSample} values per sample into target shape (${dims.join(', ')}) of ${known} values.`);
    }
    return dims;
  }
  if (known === 0 || perSample % known !== 0) {
    throw new InputError(`Reshape "${showName(layer.name)}" cannot split ${perSample} values per sample into target shape (${dims.join(', ')}).`);
  }
  const out = [...dims];
  out[unknownAt] = perSample / known;
  return out;
}

/** The NumPy export: the checked target_shape after the batch axis. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const shape = pyInts(cfg(layer, 'target_shape', []), 'a target_shape', layer.name);
  const x = one(layer, inputs);
  cx.out.push(`${target} = ${x}.reshape((${x}.shape[0],) + (${shape.join(', ')}${shape.length === 1 ? ',' : ''}))`);
  return { vars: [target], masks: ['None'] };
};

export const reshape: LayerKind = {
  classNames: ['Reshape'],
  python: { positional: ['target_shape'] },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    const dims = target(layer);
    const rest = shape.slice(1);
    if (rest.some((d) => d === null)) {
      return { shapes: [[shape[0], ...dims.map((d) => (d === -1 ? null : d))] as Shape] };
    }
    const perSample = rest.reduce<number>((a, d) => a * (d as number), 1);
    return { shapes: [[shape[0], ...resolve(layer, dims, perSample)]] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = oneTensor(layer, inputs.tensors);
    const N = x.shape[0];
    const perSample = N === 0 ? 0 : x.data.length / N;
    const dims = resolve(layer, target(layer), perSample);
    return { tensors: [{ shape: [N, ...dims], data: x.data }], masks: [null] };
  },
  numpy,
};
