// Access to the real Keras files in ../shared/models for layer tests: one stored weight as a WeightRef
// (read with the project's HDF5 reader), the seeded inputs and the independent reference outputs per layer.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { lookup, openHdf5 } from '../../../extension/keras/container/hdf5';
import type { H5Group } from '../../../extension/keras/container/hdf5';
import type { WeightRef } from '../../../extension/keras/model';
import type { Tensor } from '../../../extension/keras/tensor';
import { shortWeightName } from '../../../extension/keras/weights';

export const MODELS_DIR = resolve(__dirname, '../../../../shared/models');

/** Why real-file tests must skip, or null when the shared models are here. */
export function missingModels(): string | null {
  return existsSync(resolve(MODELS_DIR, 'catalog.json')) ? null : `the shared model files are not at ${MODELS_DIR}`;
}

const opened = new Map<string, H5Group>();

/** The HDF5 root of a model file; for a .keras zip, of its model.weights.h5 member. */
function h5Of(file: string): H5Group {
  const hit = opened.get(file);
  if (hit) return hit;
  const bytes = readFileSync(resolve(MODELS_DIR, 'files', file));
  let h5: Uint8Array = bytes;
  if (file.endsWith('.keras')) h5 = unzipSync(bytes)['model.weights.h5'];
  const root = openHdf5(h5.buffer.slice(h5.byteOffset, h5.byteOffset + h5.byteLength) as ArrayBuffer, file);
  opened.set(file, root);
  return root;
}

/** One stored weight as the reader would hand it to a layer: named `name`, values from `datasetPath`. */
export function realWeight(file: string, datasetPath: string, name: string, trainable = true): WeightRef {
  const node = lookup(h5Of(file), datasetPath);
  if (!node || node.kind !== 'dataset') throw new Error(`${file}: no dataset ${datasetPath}`);
  return { name, short: shortWeightName(name), path: datasetPath, shape: node.shape, dtype: node.dtype, trainable, values: () => node.readFloat32() };
}

function flat(nested: unknown): number[] {
  return Array.isArray(nested) ? nested.flatMap(flat) : [Number(nested)];
}

/** The seeded model input (inputs/<id>.json) as a tensor. */
export function modelInput(id: string): Tensor {
  const j = JSON.parse(readFileSync(resolve(MODELS_DIR, 'inputs', `${id}.json`), 'utf8')) as { inputs: unknown[] };
  const shape: number[] = [];
  for (let v: unknown = j.inputs; Array.isArray(v); v = v[0]) shape.push(v.length);
  return { shape, data: Float64Array.from(flat(j.inputs)) };
}

/** The reference output of one layer call (expected/<id>.json) as a tensor. */
export function expectedLayer(id: string, layerName: string): Tensor {
  const j = JSON.parse(readFileSync(resolve(MODELS_DIR, 'expected', `${id}.json`), 'utf8')) as {
    layers: { name: string; output_shape: number[]; output: unknown }[];
  };
  const l = j.layers.find((x) => x.name === layerName);
  if (!l) throw new Error(`${id}: no reference output for layer ${layerName}`);
  return { shape: l.output_shape, data: Float64Array.from(flat(l.output)) };
}
