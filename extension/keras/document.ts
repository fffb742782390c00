// Reads any supported Keras file into one ModelDocument: legacy HDF5 (Keras 1, 2, tf.keras, Keras 3),
// .keras zips (Keras 3 and tf.keras 2.13-2.15), and weights-only files with their architecture JSON.
// Detection is by content. Optimizer state is never read; nothing in the file is ever executed.

// No Node import here (the web build bundles it): reading a path from disk is documentNode.ts's loadModel.

import type { ByteSource } from './container/bytes';
import { attrText, lookup, openHdf5, type H5Group } from './container/hdf5';
import { openHdf5Bytes } from './container/hdf5Image';
import { readZipDirectory, readZipHdf5, readZipText } from './container/kerasZip';
import { sniff } from './container/sniff';
import { parseJsonText, parseModelConfig, type ParseEnv } from './config';
import { InputError, MissingArchitectureError, NotAKerasFileError } from './errors';
import { MAX_TEXT_BYTES, formatBytes } from './limits';
import type { FileFormat, ModelDocument, ModelGraph } from './model';
import { showName } from './safeText';
import { bindKeras3Weights, bindLegacyWeights, looseKeras3Weights } from './weights';

/** An architecture JSON's text (model.to_json()) and its file name for messages. */
export interface ArchitectureText {
  name: string;
  text: string;
}

export interface LoadOptions {
  /** Architecture JSON for a weights-only file, read by the caller (the host through VS Code's file system). */
  config?: ArchitectureText;
  /**
   * Looks for the architecture JSON of a weights-only file when `config` is not given (Node: beside the file on
   * disk, documentNode.ts); undefined when there is none.
   */
  findConfig?: (file: ByteSource) => Promise<ArchitectureText | undefined>;
  /** Memory a compressed weights member may take once inflated (a stored one is read lazily); default 256 MB. */
  memoryBudgetBytes?: number;
}

export function kerasMajorOf(version: string | null | undefined, fallback: 1 | 2 | 3 = 2): 1 | 2 | 3 {
  const major = Number(/^(\d+)/.exec(version ?? '')?.[1]);
  return major === 1 ? 1 : major === 2 ? 2 : major >= 3 ? 3 : fallback;
}

/** Keras's save_attributes_to_hdf5_group splits big attributes into name0, name1, ... */
function chunkedAttr(attrs: Record<string, unknown>, name: string): string | undefined {
  const whole = attrText(attrs[name]);
  if (whole !== undefined) return whole;
  let text = '';
  for (let i = 0; `${name}${i}` in attrs; i++) text += attrText(attrs[`${name}${i}`]) ?? '';
  return text || undefined;
}

/** The last part of a path or URI path, with / or \ as the separator. */
export function baseName(filePath: string): string {
  return filePath.slice(Math.max(filePath.lastIndexOf('/'), filePath.lastIndexOf('\\')) + 1);
}

/**
 * The architecture JSON files looked for beside a weights-only model, in order (`m.weights.h5` → `m.config.json`,
 * `m.json`, ...). Exports refuse to write onto any of them, as onto the model. Plain string work (no node:path), so
 * it serves file paths and URI paths alike.
 */
export function architectureCandidates(modelPath: string): string[] {
  const base = baseName(modelPath);
  const dir = modelPath.slice(0, modelPath.length - base.length);
  const stems = new Set([base.replace(/\.weights\.h5$/i, ''), base.replace(/\.(h5|hdf5|keras)$/i, '')]);
  return [...stems].flatMap((stem) => ['.config.json', '.json'].map((ext) => dir + stem + ext));
}

/** The architecture JSON's text checked like any input: a config's size at most. */
export function architectureJson(config: ArchitectureText): unknown {
  // Text length in UTF-16 units is at most the byte count, so this refuses nothing a byte check would pass.
  if (config.text.length > MAX_TEXT_BYTES) {
    throw new InputError(`The architecture file ${showName(config.name, 160)} is over the ${formatBytes(MAX_TEXT_BYTES)} this tool reads for it; give the JSON written by model.to_json().`);
  }
  return parseJsonText(config.text, baseName(config.name));
}

async function readArchitecture(file: ByteSource, opts: LoadOptions): Promise<{ json: unknown; from: string }> {
  const found = opts.config ?? (await opts.findConfig?.(file));
  if (found) return { json: architectureJson(found), from: found.name };
  throw new MissingArchitectureError(
    `${showName(file.name)} holds only weights (saved with save_weights); give its architecture JSON (model.to_json()) with --config ARCH.json, or put it beside the file as ${showName(file.name).replace(/\.(weights\.)?h5$/i, '')}.json.`,
  );
}

/** Architecture JSON from model.to_json() also names the Keras version and backend. */
function unwrapArchitecture(json: unknown): { model: unknown; version?: string; backend?: string } {
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    return { model: o, version: typeof o.keras_version === 'string' ? o.keras_version : undefined, backend: typeof o.backend === 'string' ? o.backend : undefined };
  }
  return { model: json };
}

function graphFrom(json: unknown, env: ParseEnv): { graph: ModelGraph; notExecutable?: string } {
  return parseModelConfig(json, env);
}

async function readHdf5(source: ByteSource, superblockOffset: number, opts: LoadOptions): Promise<ModelDocument> {
  const { buffer, data } = await openHdf5Bytes(source, superblockOffset, source.size - superblockOffset);
  const root = openHdf5(buffer, source.name, data);
  const attrs = root.attrs();
  const warnings: string[] = [];
  const modelConfig = chunkedAttr(attrs, 'model_config');
  if (modelConfig) {
    const version = attrText(attrs.keras_version) ?? null;
    const kerasMajor = kerasMajorOf(version, 1); // Keras 1 wrote no backend and sometimes no version
    const env: ParseEnv = { kerasMajor, warnings };
    const { graph, notExecutable } = graphFrom(parseJsonText(modelConfig, `${showName(source.name)}'s model_config`), env);
    const weightsRoot = lookup(root, 'model_weights');
    if (weightsRoot?.kind === 'group') bindLegacyWeights(weightsRoot, graph.layers, warnings);
    else warnings.push('The file has a model config but no model_weights group: shapes are shown, values cannot be computed.');
    const format: FileFormat = kerasMajor === 1 ? 'keras1-h5' : kerasMajor === 3 ? 'keras3-h5' : 'keras2-h5';
    return document(source, format, version, kerasMajor, attrText(attrs.backend) ?? null, graph, warnings, notExecutable);
  }
  // Weights only: legacy save_weights (layer_names at the root) or a Keras 3 .weights.h5 (a `layers` group).
  const legacy = attrs.layer_names !== undefined;
  const keras3 = !legacy && (lookup(root, 'layers') !== undefined || lookup(root, '_layer_checkpoint_dependencies') !== undefined || root.keys().some((k) => k.startsWith('layers\\')));
  if (!legacy && !keras3) {
    throw new NotAKerasFileError(
      `${showName(source.name)} is an HDF5 file but not a Keras model: it has no model_config and no Keras weights layout (its top-level entries are ${root.keys().slice(0, 5).map((k) => showName(k, 40)).join(', ') || 'none'}).`,
    );
  }
  const arch = await readArchitecture(source, opts);
  const { model, version: archVersion, backend } = unwrapArchitecture(arch.json);
  const version = attrText(attrs.keras_version) ?? archVersion ?? null;
  const kerasMajor = kerasMajorOf(version, keras3 ? 3 : 2);
  const env: ParseEnv = { kerasMajor, warnings };
  const { graph, notExecutable } = graphFrom(model, env);
  if (legacy) bindLegacyWeights(root, graph.layers, warnings);
  else bindKeras3Weights(root, graph.layers, !graph.sequential, warnings);
  warnings.push(`Architecture read from ${showName(baseName(arch.from))}.`);
  return document(source, 'weights-only', version, kerasMajor, attrText(attrs.backend) ?? backend ?? null, graph, warnings, notExecutable);
}

async function readKerasZip(source: ByteSource, opts: LoadOptions): Promise<ModelDocument> {
  const dir = await readZipDirectory(source);
  const warnings: string[] = [];
  // Python's zipfile (what Keras uses) resolves a duplicated name to its last entry.
  const entry = (name: string) => [...dir.entries].reverse().find((e) => e.name === name);
  for (const d of new Set(dir.duplicates)) {
    warnings.push(`The archive holds several members named "${showName(d)}": a sign of a crafted file. Nothing from it is run.`);
  }
  const configEntry = entry('config.json');
  if (!configEntry) {
    throw new NotAKerasFileError(`${showName(source.name)} is a zip but not a Keras .keras file: it has no config.json (members: ${dir.entries.slice(0, 5).map((e) => showName(e.name, 40)).join(', ') || 'none'}).`);
  }
  const text = (e: typeof configEntry) => readZipText(source, e);
  const config = parseJsonText(await text(configEntry), `${showName(source.name)}'s config.json`);
  const metadataEntry = entry('metadata.json');
  const metadata = metadataEntry ? (parseJsonText(await text(metadataEntry), `${showName(source.name)}'s metadata.json`) as Record<string, unknown>) : {};
  const version = typeof metadata.keras_version === 'string' ? metadata.keras_version : null;
  const kerasMajor = kerasMajorOf(version, 3);
  const env: ParseEnv = { kerasMajor, warnings };
  let { graph, notExecutable } = graphFrom(config, env);
  const weightsEntry = entry('model.weights.h5');
  let loose: ReturnType<typeof looseKeras3Weights> = [];
  if (weightsEntry) {
    const { buffer, data } = await readZipHdf5(source, weightsEntry, opts.memoryBudgetBytes);
    const root = openHdf5(buffer, `${source.name}/model.weights.h5`, data);
    if (graph.layers.length) bindKeras3Weights(root, graph.layers, !graph.sequential, warnings);
    else loose = looseKeras3Weights(root);
  } else if (entry('model.weights.npz')) {
    notExecutable = 'The weights are stored as model.weights.npz, a NumPy archive that can hold pickled code; this tool never loads it.';
    warnings.push(notExecutable);
  } else {
    warnings.push('The archive has no model.weights.h5: shapes are shown, values cannot be computed.');
  }
  const doc = document(source, 'keras3-keras', version, kerasMajor, null, graph, warnings, notExecutable);
  if (loose.length) doc.looseWeights = loose;
  return doc;
}

function document(
  source: ByteSource,
  format: FileFormat,
  kerasVersion: string | null,
  kerasMajor: 1 | 2 | 3,
  backend: string | null,
  root: ModelGraph,
  warnings: string[],
  notExecutable?: string,
): ModelDocument {
  if (kerasMajor === 1 && !notExecutable) {
    notExecutable = 'Keras 1.x files can be inspected but not run: their weight layouts predate Keras 2; re-save the model with Keras 2 or later to run it.';
  }
  return {
    file: source.path ?? source.name,
    format,
    kerasVersion,
    kerasMajor,
    backend,
    modelClass: root.className,
    root,
    warnings,
    ...(notExecutable ? { notExecutable } : {}),
  };
}

/** Reads a model from any byte source. */
export async function loadModelFromSource(source: ByteSource, opts: LoadOptions = {}): Promise<ModelDocument> {
  const container = await sniff(source);
  if (container.kind === 'hdf5') return readHdf5(source, container.superblockOffset, opts);
  if (container.kind === 'zip') return readKerasZip(source, opts);
  throw new InputError(
    `${showName(source.name)} is an architecture JSON without weights: open the weights file (.h5 / .weights.h5) and give this file with --config.`,
  );
}
