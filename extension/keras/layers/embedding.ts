// Embedding: each integer token picks one row of the V×E table. With mask_zero=True, token 0 is padding
// and the layer emits an N×T mask that recurrent layers downstream respect.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Mask } from '../tensor';
import type { LayerKind } from './types';
import { configFlag, configInt, configShapeDim, configValue, makeFormula, oneInput, oneTensor, refuseQuantized, weightValues } from './common';
import { showName } from '../safeText';
import { cfg, dims, needWeight, one, type NumpyEmitter } from './numpyEmit';

function vocab(layer: LayerNode): number {
  return configInt(layer, ['input_dim']);
}

function width(layer: LayerNode): number {
  return configInt(layer, ['output_dim']);
}

/** Keras 2 `input_length` fills in an unknown T (and must agree with a known one). */
function inputLengths(layer: LayerNode): (number | null)[] | null {
  const v = configValue(layer, ['input_length']);
  if (v === undefined || v === null) return null;
  return (Array.isArray(v) ? v : [v]).map((d) => configShapeDim(layer, d, 'input_length'));
}

/** The NumPy export: row lookup, and the mask_zero mask. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const E = needWeight(layer, ['embeddings', 'W'], 0);
  const x = one(layer, inputs);
  cx.out.push(`E = ${cx.weight(layer, E)}  # embeddings V×E = ${dims(E.shape, layer.name).join('×')}: row v is the vector of token v`);
  cx.out.push(`${target} = E[${x}.astype(np.int64)]  # N×T tokens -> N×T×E vectors`);
  if (cfg(layer, 'mask_zero', false) === true) {
    cx.out.push(`${target}__mask = ${x} != 0  # mask_zero: token 0 is padding`);
    return { vars: [target], masks: [`${target}__mask`] };
  }
  return { vars: [target], masks: ['None'] };
};

export const embedding: LayerKind = {
  classNames: ['Embedding'],
  keras3WeightNames: () => ['embeddings'],
  python: { positional: ['input_dim', 'output_dim'] },
  inputIs: 'tokens',
  outputShape(layer, inputs) {
    const shape = [...oneInput(layer, inputs)];
    const lengths = inputLengths(layer);
    if (lengths) {
      for (let i = 0; i < lengths.length && i + 1 < shape.length; i++) {
        const given = lengths[i];
        if (given === null) continue;
        if (shape[i + 1] === null) shape[i + 1] = given;
        else if (shape[i + 1] !== given) {
          throw new InputError(`Embedding "${showName(layer.name)}" declares input_length ${given} but receives ${shape[i + 1]} steps.`);
        }
      }
    }
    const out = [...shape, width(layer)];
    const letters: DimLetter[] = out.map((_, i) => (i === 0 ? 'N' : i === out.length - 1 ? 'E' : i === 1 && out.length === 3 ? 'T' : null));
    return { shapes: [out], letters: [letters] };
  },
  params(layer) {
    const V = vocab(layer);
    const E = width(layer);
    return makeFormula('V·E', { V, E }, [{ name: 'embeddings', shape: [V, E], trainable: true }], 'one row of E numbers per vocabulary entry; no bias.');
  },
  forward(layer, inputs) {
    refuseQuantized(layer);
    const x = oneTensor(layer, inputs.tensors);
    const V = vocab(layer);
    const E = width(layer);
    const table = weightValues(layer, ['embeddings', 'W'], 0, V * E);
    const rank = x.shape.length;
    const stepsPerSample = rank >= 2 ? x.data.length / x.shape[0] : 1;
    const out = new Float64Array(x.data.length * E);
    for (let i = 0; i < x.data.length; i++) {
      const token = x.data[i];
      const sample = Math.floor(i / stepsPerSample);
      const step = i % stepsPerSample;
      if (!Number.isInteger(token)) {
        throw new InputError(`Token ${token} at sample ${sample}, t = ${step + 1} is not a whole number; Embedding "${showName(layer.name)}" needs integer token ids.`);
      }
      if (token < 0 || token >= V) {
        throw new InputError(
          `Token ${token} at sample ${sample}, t = ${step + 1} is outside the vocabulary of Embedding "${showName(layer.name)}" (ids 0 to ${V - 1}, size ${V}).`,
        );
      }
      out.set(table.subarray(token * E, token * E + E), i * E);
    }
    let mask: Mask | null = null;
    if (configFlag(layer, ['mask_zero'], false)) {
      if (rank !== 2) {
        throw new UnsupportedFeatureError(`Embedding "${showName(layer.name)}" with mask_zero=True on rank-${rank} input is not supported; only N×T token input is.`);
      }
      const data = new Uint8Array(x.data.length);
      for (let i = 0; i < data.length; i++) data[i] = x.data[i] !== 0 ? 1 : 0;
      mask = { n: x.shape[0], t: x.shape[1], data };
    }
    return { tensors: [{ shape: [...x.shape, E], data: out }], masks: [mask] };
  },
  numpy,
};
