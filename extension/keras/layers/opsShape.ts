// Keras 3 shape ops in functional graphs (keras/src/ops/numpy.py): expand_dims, squeeze, reshape, transpose. They
// move values without arithmetic, over every axis, the batch axis included (unlike the Reshape and Permute layers).
// Their arguments are in the op's config: `axis`, `newshape`, `axes`. Rules follow keras/src/ops/operation_utils.py.

import { UnsupportedFeatureError } from '../errors';
import { MAX_RANK, checkDim } from '../limits';
import type { LayerNode } from '../model';
import { showName } from '../safeText';
import type { Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { Emitted, EmitContext } from './numpyEmit';
import type { LayerKind } from './types';
import { opAxis, opLabel, operands, tensorOperand } from './opCall';

const PREFIX = 'ops.numpy.';

/** A list of axes from the config: one whole number or a list of them. */
function axisList(layer: LayerNode, key: string): unknown[] | null {
  const v = layer.config[key];
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    if (v.length > MAX_RANK) throw new UnsupportedFeatureError(`${opLabel(layer)} lists ${v.length} axes in "${key}", more than any tensor has.`);
    return v;
  }
  return [v];
}

function checkRank(layer: LayerNode, rank: number): void {
  if (rank > MAX_RANK) throw new UnsupportedFeatureError(`${opLabel(layer)} would make a ${rank}-D tensor, more than the ${MAX_RANK} axes this tool handles.`);
}

/** expand_dims: size-1 axes at the given positions of the output (compute_expand_dims_output_shape). */
function expandDims(layer: LayerNode, shape: Shape): Shape {
  const axes = axisList(layer, 'axis') ?? [shape.length];
  const rank = shape.length + axes.length;
  checkRank(layer, rank);
  const at = new Set(axes.map((a) => opAxis(layer, a, rank, 'the axis')));
  if (at.size !== axes.length) throw new UnsupportedFeatureError(`${opLabel(layer)} names the same axis twice.`);
  let k = 0;
  return Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : shape[k++]));
}

/** squeeze: drops the given size-1 axes, or every size-1 axis when none is given (an unknown size stays). */
function squeeze(layer: LayerNode, shape: Shape): Shape {
  const axes = axisList(layer, 'axis');
  if (!axes) return shape.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => opAxis(layer, a, shape.length, 'the axis')));
  for (const a of drop) {
    if (shape[a] !== 1 && shape[a] !== null) throw new UnsupportedFeatureError(`${opLabel(layer)} cannot squeeze axis ${a}, whose size is ${shape[a]}, not 1.`);
  }
  return shape.filter((_, i) => !drop.has(i));
}

/** reshape: newshape covers every axis, the batch too; one -1 (or None) is inferred (compute_reshape_output_shape). */
function reshapeTo(layer: LayerNode, shape: Shape): Shape {
  const raw = layer.config.newshape;
  const list = Array.isArray(raw) ? raw : [raw];
  checkRank(layer, list.length);
  const dims = list.map((d, i) => (d === -1 || d === null ? -1 : checkDim(d, `Entry ${i + 1} of the newshape of ${opLabel(layer)}`, { min: 0 })));
  if (dims.filter((d) => d === -1).length > 1) throw new UnsupportedFeatureError(`${opLabel(layer)} has more than one unknown (-1) entry in its newshape.`);
  if (shape.some((d) => d === null)) return dims.map((d) => (d === -1 ? null : d));
  const size = (shape as number[]).reduce((a, d) => a * d, 1);
  const known = dims.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const unknownAt = dims.indexOf(-1);
  if (unknownAt < 0 ? known !== size : known === 0 || size % known !== 0) {
    throw new UnsupportedFeatureError(`${opLabel(layer)} cannot reshape (${shape.join(', ')}) into (${dims.join(', ')}).`);
  }
  if (unknownAt >= 0) dims[unknownAt] = size / known;
  return dims;
}

/** transpose: axes is a permutation of every axis, or absent to reverse them. */
function permutation(layer: LayerNode, rank: number): number[] {
  const axes = axisList(layer, 'axes');
  if (!axes) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const perm = axes.map((a) => opAxis(layer, a, rank, 'an axis'));
  if (perm.length !== rank || new Set(perm).size !== rank) {
    throw new UnsupportedFeatureError(`${opLabel(layer)} has axes ${showName(JSON.stringify(axes), 40)}, which is not a permutation of its ${rank} axes.`);
  }
  return perm;
}

function transposeTensor(x: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const inStrides = new Array<number>(x.shape.length);
  let acc = 1;
  for (let i = x.shape.length - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= x.shape[i];
  }
  const step = perm.map((p) => inStrides[p]);
  const out = new Float64Array(x.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x.data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      src += step[d];
      if (++idx[d] < shape[d]) break;
      src -= step[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

interface ShapeOp {
  shape(layer: LayerNode, input: Shape): Shape;
  run(layer: LayerNode, x: Tensor): Tensor;
  /** The NumPy expression on the input variable `x`, every config value checked first. */
  numpy(layer: LayerNode, x: string): string;
}

const ints = (v: readonly number[]): string => `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;

/** Axes from the config as Python ints: whole numbers a tensor of at most MAX_RANK axes could have (NumPy checks the rest). */
const pyAxes = (layer: LayerNode, axes: unknown[]): string => ints(axes.map((a) => opAxis(layer, a, MAX_RANK, 'an axis') - (Number(a) < 0 ? MAX_RANK : 0)));

const SHAPE_OPS: Readonly<Record<string, ShapeOp>> = {
  ExpandDims: {
    shape: expandDims,
    run: (layer, x) => ({ shape: expandDims(layer, x.shape) as number[], data: x.data }),
    numpy: (layer, x) => {
      const axes = axisList(layer, 'axis');
      return axes ? `np.expand_dims(${x}, ${pyAxes(layer, axes)})` : `${x}[..., None]`;
    },
  },
  Squeeze: {
    shape: squeeze,
    run: (layer, x) => ({ shape: squeeze(layer, x.shape) as number[], data: x.data }),
    numpy: (layer, x) => {
      const axes = axisList(layer, 'axis');
      return axes ? `np.squeeze(${x}, axis=${pyAxes(layer, axes)})` : `np.squeeze(${x})`;
    },
  },
  Reshape: {
    shape: reshapeTo,
    run: (layer, x) => ({ shape: reshapeTo(layer, x.shape) as number[], data: x.data }),
    // The dims as the config has them, -1 (None) for the inferred one: reshapeTo's checks, on an unknown input.
    numpy: (layer, x) => `np.reshape(${x}, ${ints(reshapeTo(layer, [null]).map((d) => (d === null ? -1 : d)))})`,
  },
  Transpose: {
    shape: (layer, s) => permutation(layer, s.length).map((p) => s[p]),
    run: (layer, x) => transposeTensor(x, permutation(layer, x.shape.length)),
    numpy: (layer, x) => {
      const axes = axisList(layer, 'axes');
      return axes ? `np.transpose(${x}, ${pyAxes(layer, axes)})` : `np.transpose(${x})`;
    },
  },
};

const opOf = (layer: LayerNode): ShapeOp => SHAPE_OPS[layer.className.slice(PREFIX.length)];

export const opsShape: LayerKind = {
  classNames: Object.keys(SHAPE_OPS).map((name) => PREFIX + name),
  outputShape(layer, inputs) {
    return { shapes: [opOf(layer).shape(layer, tensorOperand(layer, operands(layer, inputs, undefined, [1])[0]))] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = tensorOperand(layer, operands(layer, inputs.tensors, inputs.args, [1])[0]);
    return { tensors: [opOf(layer).run(layer, x)], masks: [null] };
  },
  numpy(layer: LayerNode, call, inputs: Emitted, cx: EmitContext, target: string) {
    const x = tensorOperand(layer, operands(layer, inputs.vars, call.args, [1])[0]);
    cx.out.push(`${target} = ${opOf(layer).numpy(layer, x)}`);
    return { vars: [target], masks: ['None'] };
  },
};
