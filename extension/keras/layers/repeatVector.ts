// RepeatVector: N×D -> N×n×D, the bridge from an encoder's last state to a decoder's n steps.

import { UnsupportedFeatureError } from '../errors';
import type { LayerKind } from './types';
import { configInt, oneInput, oneTensor } from './common';
import { showName } from '../safeText';
import { cfgInt, one, type NumpyEmitter } from './numpyEmit';

/** The NumPy export: the vector repeated n times along a new time axis. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const n = cfgInt(layer, 'n', 1);
  cx.out.push(`${target} = np.repeat(${one(layer, inputs)}[:, None, :], ${n}, axis=1)  # N×D -> N×${n}×D`);
  return { vars: [target], masks: ['None'] };
};

export const repeatVector: LayerKind = {
  classNames: ['RepeatVector'],
  python: { positional: ['n'] },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    if (shape.length !== 2) throw new UnsupportedFeatureError(`RepeatVector "${showName(layer.name)}" needs an N×D input, got rank ${shape.length}.`);
    return { shapes: [[shape[0], configInt(layer, ['n']), shape[1]]], letters: [['N', 'T', null]] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = oneTensor(layer, inputs.tensors);
    if (x.shape.length !== 2) throw new UnsupportedFeatureError(`RepeatVector "${showName(layer.name)}" needs an N×D input, got rank ${x.shape.length}.`);
    const [N, D] = x.shape;
    const n = configInt(layer, ['n']);
    const out = new Float64Array(N * n * D);
    for (let s = 0; s < N; s++) {
      const row = x.data.subarray(s * D, s * D + D);
      for (let r = 0; r < n; r++) out.set(row, (s * n + r) * D);
    }
    // Keras gives RepeatVector no mask support: any incoming mask stops here.
    return { tensors: [{ shape: [N, n, D], data: out }], masks: [null] };
  },
  numpy,
};
