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
import { additiveAttention } from './additiveAttention';
import { convLstm } from './convLstm';
import { rnnWrapper } from './rnnWrapper';
import { multiHeadAttention } from './multiHeadAttention';
import { conv2d } from './conv2d';
import { spatialPooling } from './spatialPooling';
import { globalPooling2d } from './globalPooling2d';
import { zeroPadding2d } from './zeroPadding2d';
import { upSampling1d } from './upSampling1d';
import type { CellKind } from './recurrent';
import { opsElementwise } from './opsElementwise';
import { opsCast } from './opsCast';
import { opsShape } from './opsShape';
import { opsGetItem } from './opsGetItem';
import type { LayerEnv, LayerKind } from './types';

const ALL: readonly LayerKind[] = [
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
  additiveAttention,
  convLstm,
  rnnWrapper,
  multiHeadAttention,
  conv2d,
  spatialPooling,
  globalPooling2d,
  zeroPadding2d,
  upSampling1d,
  opsElementwise,
  opsCast,
  opsShape,
  opsGetItem,
];

let byClass: Map<string, LayerKind> | undefined;

/** The module for a Keras class name, or undefined when this tool does not know the layer. */
export function layerKind(className: string): LayerKind | undefined {
  if (!byClass) {
    byClass = new Map();
    for (const kind of ALL) for (const name of kind.classNames) byClass.set(name, kind);
  }
  return byClass.get(className);
}

export function knownLayerClasses(): string[] {
  layerKind('');
  return [...byClass!.keys()].sort();
}

/** The environment layers see for a file of this Keras version, with the registry lookup wrappers use. */
export function layerEnv(kerasMajor: 1 | 2 | 3): LayerEnv {
  return { kerasMajor, layerKind };
}

/** The recurrent cell with this key (a trace's `cell.key`): the host's step weights and the webview's step walk find it so. */
export function cellKind(key: string): CellKind | undefined {
  for (const kind of ALL) if (kind.recurrentCell?.name === key) return kind.recurrentCell;
  return undefined;
}

let byKeras1Class: Map<string, string> | undefined;

/** The Keras 2 class name of a Keras 1 one (`Convolution1D` → `Conv1D`), from the modules' Keras 1 aliases. */
export function keras2ClassName(keras1Name: string): string | undefined {
  if (!byKeras1Class) {
    byKeras1Class = new Map();
    for (const kind of ALL) for (const old of kind.keras1?.classNames ?? []) byKeras1Class.set(old, kind.classNames[0]);
  }
  return byKeras1Class.get(keras1Name);
}

let pythonClasses: ReadonlySet<string> | undefined;

/** Class names whose module gives a Python signature: the ones the code hovers explain. */
export function pythonLayerClasses(): ReadonlySet<string> {
  pythonClasses ??= new Set(ALL.filter((k) => k.python).flatMap((k) => k.classNames));
  return pythonClasses;
}

/** The positional parameter names of a class's constructor, or undefined when its module gives no signature. */
export function pythonPositional(className: string): readonly string[] | undefined {
  const python = layerKind(className)?.python;
  return python && (python.positionalOf?.[className] ?? python.positional);
}
