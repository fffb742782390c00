// Where a layer's input width comes from, in one vocabulary for the tree tooltip, the panel and the Python hover:
// a Dense after a SimpleRNN has D = 5 because the SimpleRNN's M is 5, so its D is named as that M (or as its own
// input width), never as "input features per time step". Pure strings; the caller escapes names for its medium.

import type { LayerSummary, ModelSummary } from './summary';
import { layerKind } from './layers/index';
import { LETTER_MEANING, type DimLetter } from './shapes';

/** Where a tensor's last axis came from: the layer before (its name and its letter for that axis), or an input. */
export interface ShapeSource {
  kind: 'layer' | 'input';
  name: string;
  /** The letter the layer's module gives that axis (M, 2M, K, E, F), when it has one. */
  letter: DimLetter | null;
}

/**
 * What the letter naming a layer's input width means here. A layer reading features (Dense) keeps its own letter;
 * where the width came from is said when known; 'unknown' when the code before it does not give it. `name` escapes a
 * layer name for the caller's medium (Markdown in hovers, plain text in the panel).
 */
export function widthMeaning(className: string, letter: string, source: ShapeSource | 'unknown' | null, name: (s: string) => string = (s) => s): string {
  const features = layerKind(className)?.inputIs === 'features';
  const base = features ? '' : ((LETTER_MEANING as Record<string, string>)[letter] ?? '');
  const join = (why: string) => (base ? `${base} (${why})` : `(${why})`);
  if (source === 'unknown') return '(from the layer before: unknown)';
  if (!source) return features ? '(the width of its input)' : base;
  if (source.kind === 'input') return join(`from the shape of ${name(source.name)}`);
  return join(`the width of the layer before: ${name(source.name)}'s ${source.letter ?? 'output'}`);
}

/** The layer feeding `layer` in a stored model: its one inbound layer, or in a Sequential the one listed before it. */
export function layerBefore(layer: LayerSummary, model: ModelSummary | undefined): LayerSummary | undefined {
  if (!model) return undefined;
  if (layer.inbound?.length === 1) return model.layers.find((l) => l.name === layer.inbound[0]);
  if ((layer.inbound?.length ?? 0) > 1 || model.modelClass !== 'Sequential') return undefined;
  const i = model.layers.indexOf(layer);
  return i > 0 ? model.layers[i - 1] : undefined;
}

/** The input-width letter of a stored layer's formula (D, or C for channels) with what it means here; {} when none. */
export function widthMeanings(layer: LayerSummary, model: ModelSummary | undefined, name: (s: string) => string = (s) => s): Record<string, string> {
  const f = layer.formula;
  const input = layer.inputShapes?.[0];
  if (!f || !input) return {};
  const width = input[input.length - 1];
  const letter = ['D', 'C'].find((l) => l in f.letters && f.letters[l] === width);
  if (!letter) return {};
  const before = layerBefore(layer, model);
  const letters = before?.outputLetters;
  const source: ShapeSource | null = before
    ? { kind: before.className === 'InputLayer' ? 'input' : 'layer', name: before.name, letter: letters?.[letters.length - 1] ?? null }
    : null;
  return { [letter]: widthMeaning(layer.className, letter, source, name) };
}
