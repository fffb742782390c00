// Keras 3 elementwise binary ops in functional graphs: `x + y`, `x * 0.5`, `keras.ops.not_equal(x, 0)` ... Each
// argument is a tensor or a constant, broadcast NumPy-style over every axis (keras/src/ops/numpy.py, broadcast_shapes).
// Comparisons give Keras a bool tensor; here it is 1 for True and 0 for False, as NumPy counts a bool.

import type { LayerNode } from '../model';
import type { LayerKind } from './types';
import { broadcastBinary, broadcastShapes, constantTensor, operandShape, operands, pyConstant } from './opCall';

interface BinaryOp {
  fn(a: number, b: number): number;
  /** The NumPy function the export writes. */
  numpy: string;
  /** A comparison: a bool result, held as 1/0. */
  compare?: boolean;
}

const truth = (b: boolean): number => (b ? 1 : 0);

/** Keras's op class (module keras.src.ops.numpy) → its math; NaN compares as NumPy does (only != is true). */
const OPS: Readonly<Record<string, BinaryOp>> = {
  Add: { fn: (a, b) => a + b, numpy: 'np.add' },
  Subtract: { fn: (a, b) => a - b, numpy: 'np.subtract' },
  Multiply: { fn: (a, b) => a * b, numpy: 'np.multiply' },
  Divide: { fn: (a, b) => a / b, numpy: 'np.true_divide' },
  TrueDivide: { fn: (a, b) => a / b, numpy: 'np.true_divide' },
  Maximum: { fn: (a, b) => Math.max(a, b), numpy: 'np.maximum' },
  Minimum: { fn: (a, b) => Math.min(a, b), numpy: 'np.minimum' },
  Equal: { fn: (a, b) => truth(a === b), numpy: 'np.equal', compare: true },
  NotEqual: { fn: (a, b) => truth(a !== b), numpy: 'np.not_equal', compare: true },
  Greater: { fn: (a, b) => truth(a > b), numpy: 'np.greater', compare: true },
  GreaterEqual: { fn: (a, b) => truth(a >= b), numpy: 'np.greater_equal', compare: true },
  Less: { fn: (a, b) => truth(a < b), numpy: 'np.less', compare: true },
  LessEqual: { fn: (a, b) => truth(a <= b), numpy: 'np.less_equal', compare: true },
};

const PREFIX = 'ops.numpy.';
const opOf = (layer: LayerNode): BinaryOp => OPS[layer.className.slice(PREFIX.length)];

export const opsElementwise: LayerKind = {
  classNames: Object.keys(OPS).map((name) => PREFIX + name),
  outputShape(layer, inputs) {
    const [a, b] = operands(layer, inputs, undefined, [2]).map((op) => operandShape(layer, op));
    return { shapes: [broadcastShapes(layer, a, b)] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const [a, b] = operands(layer, inputs.tensors, inputs.args, [2]).map((op) => ('input' in op ? op.input : constantTensor(layer, op.value)));
    return { tensors: [broadcastBinary(layer, a, b, opOf(layer).fn)], masks: [null] };
  },
  numpy(layer, call, inputs, cx, target) {
    const op = opOf(layer);
    const [a, b] = operands(layer, inputs.vars, call.args, [2]).map((x) => ('input' in x ? x.input : pyConstant(layer, x.value)));
    const expr = `${op.numpy}(${a}, ${b})`;
    // Comparisons are bool in Keras; the script holds them as 1.0/0.0 like the forward pass.
    cx.out.push(`${target} = ${op.compare ? `${expr}.astype(np.float64)` : `np.asarray(${expr}, dtype=np.float64)`}`);
    return { vars: [target], masks: ['None'] };
  },
};
