// TimeDistributed(layer): applies the same inner layer to every time step. The N×T×... input is viewed as
// (N·T)×..., run through the inner layer once, and viewed back as N×T×...; the time mask passes through.

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { LayerKind } from './types';
import { oneInput, oneTensor } from './common';
import { childForward, childParams, childShape } from './dispatch';
import { showName } from '../safeText';
import { one, word, type NumpyEmitter } from './numpyEmit';

function inner(layer: LayerNode): LayerNode {
  const child = layer.children[0];
  if (!child) throw new UnsupportedFeatureError(`TimeDistributed "${showName(layer.name)}" has no inner layer in its config.`);
  // The wrapper lists the inner layer's weights; give them to the child when the reader left it bare.
  if (child.weights.length === 0 && layer.weights.length > 0 && !child.model) return { ...child, weights: layer.weights };
  return child;
}

function innerShape(layer: LayerNode, shape: Shape): Shape {
  if (shape.length < 3) throw new UnsupportedFeatureError(`TimeDistributed "${showName(layer.name)}" needs an N×T×... input, got rank ${shape.length}.`);
  return [shape[0] === null || shape[1] === null ? null : (shape[0] as number) * (shape[1] as number), ...shape.slice(2)];
}

/** The NumPy export: the inner layer's own emitter on the N·T steps folded into one axis, viewed back as N×T×...; the time mask passes through. */
const numpy: NumpyEmitter = (layer, call, inputs, cx, target) => {
  const child = inner(layer);
  const emit = cx.emitterOf(child, layer);
  const x = one(layer, inputs);
  cx.out.push(`# TimeDistributed: the same ${word(child.className)} on every time step (samples and steps folded into one axis)`);
  cx.out.push(`${target}__NT = ${x}.shape[:2]`);
  cx.out.push(`${target}__in = ${x}.reshape((-1,) + ${x}.shape[2:])`);
  const res = emit(child, call, { vars: [`${target}__in`], masks: ['None'] }, cx, `${target}__step`);
  const vars = res.vars.map((v, k) => {
    const out = k === 0 ? target : `${target}__out${k}`;
    cx.out.push(`${out} = ${v}.reshape(${target}__NT + ${v}.shape[1:])`);
    return out;
  });
  return { vars, masks: vars.map(() => inputs.masks[0] ?? 'None') };
};

export const timeDistributed: LayerKind = {
  classNames: ['TimeDistributed'],
  python: { positional: ['layer'] },
  innerLayers: (config, parse) => (config.layer ? [parse(config.layer)] : []),
  innerGroups: ['layer'],
  innerInputs: (inputs) => inputs.map((s) => [s[0], ...s.slice(2)]),
  outputShape(layer, inputs, env) {
    const shape = oneInput(layer, inputs);
    const res = childShape(inner(layer), [innerShape(layer, shape)], env);
    const shapes = res.shapes.map((s) => [shape[0], shape[1], ...s.slice(1)]);
    const letters = res.letters?.map((l): DimLetter[] => ['N', 'T', ...l.slice(1)]);
    return letters ? { shapes, letters } : { shapes };
  },
  params(layer, inputs, env) {
    const f = childParams(inner(layer), [innerShape(layer, oneInput(layer, inputs))], env);
    if (!f) return null;
    const note = 'TimeDistributed applies one copy of the inner layer at every time step, so the count does not grow with T.';
    return { ...f, note: f.note ? `${f.note} ${note}` : note };
  },
  async forward(layer, inputs, ctx) {
    const x = oneTensor(layer, inputs.tensors);
    if (x.shape.length < 3) throw new UnsupportedFeatureError(`TimeDistributed "${showName(layer.name)}" needs an N×T×... input, got rank ${x.shape.length}.`);
    const [N, T] = x.shape;
    const flat = { shape: [N * T, ...x.shape.slice(2)], data: x.data };
    const res = await childForward(inner(layer), { tensors: [flat], masks: [null] }, ctx);
    const tensors = res.tensors.map((y) => ({ shape: [N, T, ...y.shape.slice(1)], data: y.data }));
    return { tensors, masks: tensors.map(() => inputs.masks[0] ?? null) };
  },
  numpy,
};
