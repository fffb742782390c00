// How wrappers (TimeDistributed, Bidirectional) reach their inner layer: through the environment's registry lookup
// for a plain layer (no import of the registry, so no cycle), through the graph walker's hooks for a nested model.

import { UnsupportedLayerError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { ForwardContext, LayerEnv, LayerInputs, LayerKind, LayerOutput, ParamFormula, ShapeResult } from './types';
import { showName } from '../safeText';

function kindOf(child: LayerNode, env: LayerEnv): LayerKind {
  const kind = env.layerKind(child.className);
  if (!kind) {
    throw new UnsupportedLayerError(
      `The layer "${showName(child.name)}" (${showName(child.declaredClassName ?? child.className)}) is not a layer kind this tool can compute.`,
      child.name,
      0,
    );
  }
  return kind;
}

export function childShape(child: LayerNode, inputs: Shape[], env: LayerEnv): ShapeResult {
  if (child.model) {
    if (!env.nestedShape) throw new UnsupportedLayerError(`The nested model "${showName(child.name)}" cannot be shaped here.`, child.name, 0);
    return env.nestedShape(child, inputs);
  }
  return kindOf(child, env).outputShape(child, inputs, env);
}

/** A nested model's parameters are the sum over its layers; the summary shows them per layer, not as a formula. */
export function childParams(child: LayerNode, inputs: Shape[], env: LayerEnv): ParamFormula | null {
  if (child.model) return null;
  return kindOf(child, env).params(child, inputs, env);
}

export async function childForward(child: LayerNode, inputs: LayerInputs, ctx: ForwardContext): Promise<LayerOutput> {
  if (child.notExecutable) throw new UnsupportedLayerError(child.notExecutable, child.name, 0);
  if (child.model) {
    if (!ctx.runNested) throw new UnsupportedLayerError(`The nested model "${showName(child.name)}" cannot be run here.`, child.name, 0);
    return ctx.runNested(child, inputs);
  }
  return kindOf(child, ctx).forward(child, inputs, ctx);
}
