// The registry of layer kinds: one line per module. Nothing else needs to change to add a layer.

import { simpleRnn } from './simpleRnn';
import { lstm } from './lstm';
import { gru } from './gru';
import { bidirectional } from './bidirectional';
import { inputLayer } from './inputLayer';
import { dense } from './dense';
import { embedding } from './embedding';
import { masking } from './masking';
import { identity } from './identity';
import { activation } from './activation';
import { timeDistributed } from './timeDistributed';
import { repeatVector } from './repeatVector';
import { flatten } from './flatten';
import { reshape } from './reshape';
import { permute } from './permute';
import { conv1d } from './conv1d';
import { pooling1d } from './pooling1d';
import { globalPooling1d } from './globalPooling1d';
import { batchNormalization } from './batchNormalization';
import { layerNormalization } from './layerNormalization';
import { merge } from './merge';
import { dot } from './dot';
import { attention } from './attention';
import type { LayerKind } from './types';

const ALL: LayerKind[] = [
  simpleRnn,
  lstm,
  gru,
  bidirectional,
  inputLayer,
  dense,
  embedding,
  masking,
  identity,
  activation,
  timeDistributed,
  repeatVector,
  flatten,
  reshape,
  permute,
  conv1d,
  pooling1d,
  globalPooling1d,
  batchNormalization,
  layerNormalization,
  merge,
  dot,
  attention,
];

const BY_CLASS = new Map<string, LayerKind>();
for (const kind of ALL) for (const name of kind.classNames) BY_CLASS.set(name, kind);

/** The module for a Keras class name, or undefined when this tool does not know the layer. */
export function layerKind(className: string): LayerKind | undefined {
  return BY_CLASS.get(className);
}

export function knownLayerClasses(): string[] {
  return [...BY_CLASS.keys()].sort();
}
