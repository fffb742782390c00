// Keras 3 `keras.ops.cast(x, dtype)` in a functional graph (keras/src/ops/core.py, Cast): the dtype is in the op's
// config. Values here are float64 throughout: a cast to bool gives 1/0 (nonzero and NaN are True, as in NumPy), to an
// integer type truncates toward zero (refusing values the type cannot hold), to float32/float64 keeps the value.

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import { showName } from '../safeText';
import type { LayerKind } from './types';
import { opLabel, operands, tensorOperand } from './opCall';

/** The range each integer dtype holds. */
const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-(2 ** 7), 2 ** 7 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  uint8: [0, 2 ** 8 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, 2 ** 64 - 1],
};

type Target = { to: 'bool' } | { to: 'int'; range: readonly [number, number]; dtype: string } | { to: 'float' };

function target(layer: LayerNode): Target {
  let dtype = layer.config.dtype;
  // Some Keras 3 versions store a dtype as a DTypePolicy object: {class_name: 'DTypePolicy', config: {name: 'int32'}}.
  if (dtype && typeof dtype === 'object' && 'config' in dtype) dtype = (dtype as { config?: { name?: unknown } }).config?.name;
  if (dtype === 'bool') return { to: 'bool' };
  if (dtype === 'float32' || dtype === 'float64') return { to: 'float' };
  if (typeof dtype === 'string' && Object.prototype.hasOwnProperty.call(INT_RANGES, dtype)) return { to: 'int', range: INT_RANGES[dtype], dtype };
  // float16/bfloat16 round to fewer bits than this float64 tool reproduces; anything else is not a dtype Keras casts to.
  throw new UnsupportedFeatureError(`${opLabel(layer)} casts to ${showName(JSON.stringify(dtype) ?? String(dtype), 30)}, which this tool does not compute (it handles bool, int8-64, uint8-64, float32 and float64).`);
}

export const opsCast: LayerKind = {
  classNames: ['ops.core.Cast'],
  outputShape(layer, inputs) {
    target(layer);
    return { shapes: [[...tensorOperand(layer, operands(layer, inputs, undefined, [1])[0])]] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = tensorOperand(layer, operands(layer, inputs.tensors, inputs.args, [1])[0]);
    const t = target(layer);
    const data = new Float64Array(x.data.length);
    for (let i = 0; i < data.length; i++) {
      const v = x.data[i];
      if (t.to === 'bool') data[i] = v !== 0 ? 1 : 0;
      else if (t.to === 'float') data[i] = v;
      else {
        const w = Math.trunc(v);
        if (!(w >= t.range[0] && w <= t.range[1])) {
          throw new UnsupportedFeatureError(`${opLabel(layer)} casts the value ${v} to ${t.dtype}, which cannot hold it (Keras's result would depend on the backend).`);
        }
        data[i] = w;
      }
    }
    return { tensors: [{ shape: [...x.shape], data }], masks: [null] };
  },
  numpy(layer, call, inputs, cx, target_) {
    const x = tensorOperand(layer, operands(layer, inputs.vars, call.args, [1])[0]);
    const t = target(layer);
    const expr = t.to === 'bool' ? `(${x} != 0).astype(np.float64)` : t.to === 'int' ? `np.trunc(${x})` : `np.asarray(${x}, dtype=np.float64)`;
    cx.out.push(`${target_} = ${expr}`);
    return { vars: [target_], masks: ['None'] };
  },
};
