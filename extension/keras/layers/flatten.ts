// Flatten: N×a×b×... -> N×(a·b·...). With data_format="channels_first" Keras first moves the channel
// axis last so the flattened order matches channels_last. Masks do not survive it.

import type { Shape } from '../shapes';
import type { LayerKind } from './types';
import { configString, oneInput, oneTensor, transpose } from './common';
import { one, type NumpyEmitter } from './numpyEmit';

/** The NumPy export: everything after the batch axis in one axis. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const x = one(layer, inputs);
  cx.out.push(`${target} = ${x}.reshape(${x}.shape[0], -1)`);
  return { vars: [target], masks: ['None'] };
};

export const flatten: LayerKind = {
  classNames: ['Flatten'],
  python: { positional: ['data_format'] },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    const rest = shape.slice(1);
    const size = rest.some((d) => d === null) ? null : rest.reduce<number>((a, d) => a * (d as number), 1);
    const out: Shape = [shape[0], size];
    return { shapes: [out], letters: [['N', null]] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    let x = oneTensor(layer, inputs.tensors);
    const rank = x.shape.length;
    if (configString(layer, ['data_format'], 'channels_last') === 'channels_first' && rank >= 3) {
      x = transpose(x, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1]);
    }
    const N = x.shape[0];
    return { tensors: [{ shape: [N, N === 0 ? 0 : x.data.length / N], data: x.data }], masks: [null] };
  },
  numpy,
};
