// A sequence of another length than the model declares: tf.keras warns and runs a model built for (None, 8801) on
// 12 steps when every layer allows it. Which layers do not (Flatten then Dense: the Dense kernel is sized for the
// declared T) is found by walking the shapes again with the new T and comparing each layer with the declared walk.

import type { LayerNode, ModelDocument } from './model';
import { showName } from './safeText';
import { summarize, type LayerSummary } from './summary';

/** Every layer summary, wrappers' inner layers included, in walk order (bounded by the graph's own depth limit). */
function flatten(layers: readonly LayerSummary[], out: LayerSummary[] = []): LayerSummary[] {
  for (const l of layers) {
    out.push(l);
    flatten(l.children, out);
  }
  return out;
}

const known = (s: LayerSummary): boolean => s.outputShape !== null && s.outputShapeText !== '?' && s.outputShapeText.length > 0;

/**
 * Why input `inputIndex` cannot take `T` steps instead of the declared T, as one sentence naming the first layer that
 * needs the declared length, or null when every layer allows it. Nothing is allocated: shapes and formulas only.
 */
export function otherTRefusal(doc: ModelDocument, inputIndex: number, T: number): string | null {
  const input = doc.root.inputs[inputIndex];
  const declared = input?.shape[1];
  if (!input || declared === null || declared === undefined || declared === T) return null;
  const shape = input.shape.map((d, i) => (i === 1 ? T : d));
  // The input layer declares the shape the walk starts from: it declares the new T in the copy.
  const inputLayer = doc.root.inputRefs[inputIndex]?.layer;
  const layers = doc.root.layers.map((l): LayerNode => (l.name === inputLayer ? { ...l, config: { ...l.config, batch_shape: shape, batch_input_shape: undefined, shape: undefined } } : l));
  const inputs = doc.root.inputs.map((inp, k) => (k === inputIndex ? { ...inp, shape } : inp));
  const before = flatten(summarize(doc).layers);
  const after = flatten(summarize({ ...doc, root: { ...doc.root, inputs, layers } }).layers);
  for (let i = 0; i < Math.min(before.length, after.length); i++) {
    const [b, a] = [before[i], after[i]];
    const weights = !b.contradiction && a.contradiction;
    const shapeLost = known(b) && !known(a);
    if (weights || shapeLost) {
      const why = weights ? 'its weights are sized for the declared length' : 'its shape rule needs the declared length';
      return `The model was built for T = ${declared} time steps and the layer "${showName(a.name, 40)}" (${showName(a.className, 40)}) needs exactly that (${why}); give ${declared} time steps.`;
    }
  }
  return null;
}
