// Masking: a time step whose features all equal mask_value is masked out (its output zeroed, and
// recurrent layers downstream carry their state over it). Emits the N×T mask.

import { UnsupportedFeatureError } from '../errors';
import type { Mask } from '../tensor';
import type { LayerKind } from './types';
import { configValue, oneInput, oneTensor } from './common';
import { showName } from '../safeText';
import { cfgFloat, one, type NumpyEmitter } from './numpyEmit';

/** The NumPy export: the step mask, and masked steps zeroed. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const value = cfgFloat(layer, 'mask_value', 0);
  const x = one(layer, inputs);
  cx.out.push(`${target}__mask = np.any(${x} != ${value}, axis=-1)  # a step is masked when all its features equal mask_value`);
  cx.out.push(`${target} = ${x} * ${target}__mask[..., None]`);
  return { vars: [target], masks: [`${target}__mask`] };
};

export const masking: LayerKind = {
  classNames: ['Masking'],
  python: { positional: ['mask_value'] },
  outputShape(layer, inputs) {
    return { shapes: [oneInput(layer, inputs)] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = oneTensor(layer, inputs.tensors);
    if (x.shape.length !== 3) {
      throw new UnsupportedFeatureError(`Masking "${showName(layer.name)}" on a rank-${x.shape.length} input is not supported; it needs N×T×D.`);
    }
    const [N, T, D] = x.shape;
    // Keras compares in float32: both sides are rounded to float32 first.
    const maskValue = Math.fround(Number(configValue(layer, ['mask_value']) ?? 0));
    const out = new Float64Array(x.data.length);
    const data = new Uint8Array(N * T);
    for (let s = 0; s < N * T; s++) {
      const o = s * D;
      let keep = 0;
      for (let d = 0; d < D; d++) {
        if (Math.fround(x.data[o + d]) !== maskValue) {
          keep = 1;
          break;
        }
      }
      data[s] = keep;
      if (keep) out.set(x.data.subarray(o, o + D), o);
    }
    const mask: Mask = { n: N, t: T, data };
    return { tensors: [{ shape: [N, T, D], data: out }], masks: [mask] };
  },
  numpy,
};
