// Binds stored weight tensors to layer nodes: legacy HDF5 through each layer group's `weight_names`
// (never by building paths), Keras 3 weights files by position under `layers/<snake_name>/.../vars/<i>`.
// Only headers are read here; values stay in the file bytes until WeightRef.values() is called.

import { lookup, attrStrings, type H5Dataset, type H5Group } from './container/hdf5';
import { loopSentence } from './container/hdf5Image';
import { isOpLayer } from './config';
import { NotAKerasFileError } from './errors';
import { allLayersOf } from './graph';
import { MAX_LAYERS, MAX_NESTING_DEPTH } from './limits';
import { layerKind } from './layers/index';
import type { LayerNode, WeightRef } from './model';
import { showName } from './safeText';

const NON_TRAINABLE = new Set(['moving_mean', 'moving_variance', 'running_mean', 'running_std']);

/** A weight named by its stored name (legacy `weight_names`) or its Keras 3 positional name; the short name is made here, once. */
function weightRef(ds: H5Dataset, stored: string, layer: LayerNode): WeightRef {
  const name = shortWeightName(stored);
  return {
    name,
    short: name,
    path: ds.path,
    shape: ds.shape,
    dtype: ds.dtype,
    trainable: layer.config.trainable !== false && !NON_TRAINABLE.has(name),
    values: () => ds.readFloat32(),
  };
}

/** `lstm/sequential/lstm/lstm_cell/kernel:0` → `kernel`; Keras 1 `forward_lstm_1_W_i:0` stays as it is. */
export function shortWeightName(stored: string): string {
  return stored.replace(/:\d+$/, '').split('/').pop() ?? stored;
}

/** Hands a wrapper's or nested model's weights down to its children, keeping the wrapper's full list. */
function distribute(layer: LayerNode, weights: WeightRef[], stored: string[], warnings: string[]): void {
  layer.weights = weights;
  const groups = layerKind(layer.className)?.innerGroups;
  if (groups && layer.children.length === groups.length) {
    // A wrapper's inner layers hold equal consecutive shares of its weights (Bidirectional: forward, then backward).
    const share = weights.length / groups.length;
    layer.children.forEach((child, i) => distribute(child, weights.slice(i * share, (i + 1) * share), stored.slice(i * share, (i + 1) * share), warnings));
  } else if (layer.model) {
    const inner = layer.model.layers;
    const position = new Map<string, number>();
    inner.forEach((l, k) => position.has(l.name) || position.set(l.name, k));
    // The prefix match below is a scan; a crafted file with many unmatched weights gets a bounded number of them.
    let scans = 0;
    const byLayer = new Map<LayerNode, { w: WeightRef[]; s: string[] }>();
    weights.forEach((w, i) => {
      const parts = stored[i].split('/');
      let exact = Infinity;
      for (const p of parts) exact = Math.min(exact, position.get(p) ?? Infinity);
      const owner =
        exact < Infinity
          ? inner[exact]
          : (scans += inner.length * parts.length) <= 5_000_000
            ? inner.find((l) => parts.some((p) => p.startsWith(l.name)))
            : undefined;
      if (!owner) {
        warnings.push(`The weight "${showName(stored[i], 80)}" of the nested model "${showName(layer.name, 60)}" matches none of its layers.`);
        return;
      }
      const entry = byLayer.get(owner) ?? { w: [], s: [] };
      entry.w.push(w);
      entry.s.push(stored[i]);
      byLayer.set(owner, entry);
    });
    for (const [owner, { w, s }] of byLayer) {
      // Nested models list all trainable weights first, then all non-trainable: restore per-layer Keras order.
      const order = w.map((x, i) => i).sort((a, b) => Number(!w[a].trainable) - Number(!w[b].trainable) || a - b);
      distribute(owner, order.map((i) => w[i]), order.map((i) => s[i]), warnings);
    }
  }
}

/** Legacy HDF5: `layer_names` on the weights group, `weight_names` on each layer group. */
export function bindLegacyWeights(weightsRoot: H5Group, layers: LayerNode[], warnings: string[]): void {
  const names = attrStrings(weightsRoot.attrs().layer_names);
  // The first layer of each name, as a linear search would find it, in one map.
  const byName = new Map<string, LayerNode>();
  for (const l of allLayersOf(layers)) if (!byName.has(l.name)) byName.set(l.name, l);
  let listed = 0;
  for (const groupName of names) {
    const group = weightsRoot.child(groupName);
    if (!group || group.kind !== 'group') {
      warnings.push(`The file lists weights for "${showName(groupName, 80)}" but has no group for them.`);
      continue;
    }
    const stored = attrStrings(group.attrs().weight_names);
    if (stored.length === 0) continue;
    listed += stored.length;
    if (listed > MAX_GROUPS) {
      throw new NotAKerasFileError(`The file lists more than ${MAX_GROUPS.toLocaleString('en-US')} weight names, far beyond any real model: the file is damaged or crafted.`);
    }
    const layer = byName.get(groupName);
    if (!layer) {
      warnings.push(`The file stores weights for "${showName(groupName, 80)}", which the model config does not declare.`);
      continue;
    }
    const refs: WeightRef[] = [];
    for (const s of stored) {
      const ds = lookup(group, s);
      if (!ds || ds.kind !== 'dataset') {
        warnings.push(`The weight "${showName(s, 80)}" of "${showName(groupName, 60)}" is listed but missing from the file.`);
        continue;
      }
      refs.push(weightRef(ds, s, layer));
    }
    distribute(layer, refs, stored, warnings);
  }
}

/** Keras's naming.to_snake_case, which names the groups of a Keras 3 weights file. */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Weight names by position for a Keras 3 `vars` group (Keras stores them by index only), from the layer's module. */
export function positionalNames(layer: LayerNode, count: number): string[] {
  const names = layerKind(layer.className)?.keras3WeightNames?.(layer) ?? [];
  return Array.from({ length: count }, (_, i) => names[i] ?? `var_${i}`);
}

/** Group depth in a Keras 3 weights file: about three levels per nested model or wrapper, plus a few. */
const MAX_GROUP_DEPTH = 4 * MAX_NESTING_DEPTH;
/** Groups indexed in one weights file: a layer has at most four (its group, vars, cell, cell/vars). */
const MAX_GROUPS = 4 * MAX_LAYERS;
/** Paths into groups already indexed: Keras never links a group twice, so a few are tolerated, not 2^40. */
const MAX_REPEATED_PATHS = 10_000;

/** An index of a Keras 3 weights file's groups by path, and every path that has something under it. */
interface GroupIndex {
  groups: Map<string, H5Group>;
  /** Every proper prefix of an indexed path ('a' and 'a/b' for 'a/b/c'): "has children" in one lookup. */
  parents: Set<string>;
  /** Per `<base>`, the vars group's real layer name (Keras >= 3.6 stores it) → `<base>/<group>`. */
  realNames: Map<string, Map<string, string>>;
}

/**
 * Keras 3 weights file: an index of every group by its normalized path ('\\' saved on Windows → '/'). The walk is
 * iterative; a hard link back to a group on the current path (by header address) is a loop and refused, and the
 * number of groups indexed is bounded, so hard links that repeat groups cannot multiply the work.
 */
function indexGroups(root: H5Group, fileName = 'The weights file'): GroupIndex {
  const groups = new Map<string, H5Group>();
  const opened = new Map<number, Array<[string, H5Group]>>();
  let repeats = 0;
  /** The groups on the path from the root, innermost first: a chain of parents, so no set is copied per group. */
  interface Chain {
    address: number;
    up: Chain | null;
  }
  const onPath = (address: number, chain: Chain | null) => {
    for (let c = chain; c; c = c.up) if (c.address === address) return true;
    return false;
  };
  const stack: Array<{ g: H5Group; path: string; depth: number; chain: Chain | null }> = [{ g: root, path: '', depth: 0, chain: null }];
  while (stack.length) {
    const { g, path, depth, chain } = stack.pop()!;
    if (onPath(g.address, chain)) throw new NotAKerasFileError(loopSentence(showName(fileName)));
    if (depth > MAX_GROUP_DEPTH) throw new NotAKerasFileError(`${showName(fileName)} nests its weight groups more than ${MAX_GROUP_DEPTH} deep: the file is damaged or crafted.`);
    if (groups.size >= MAX_GROUPS) throw new NotAKerasFileError(`${showName(fileName)} has more than ${MAX_GROUPS.toLocaleString('en-US')} weight groups, far beyond any real model: the file is damaged or crafted.`);
    if (groups.has(path)) continue;
    groups.set(path, g);
    // A group reached by several paths is opened once; its subgroups are remembered by its address.
    let subgroups = opened.get(g.address);
    if (subgroups && ++repeats > MAX_REPEATED_PATHS) {
      throw new NotAKerasFileError(`${showName(fileName)} reaches the same weight groups through more than ${MAX_REPEATED_PATHS.toLocaleString('en-US')} extra paths (hard links that repeat them): the file is damaged or crafted.`);
    }
    if (!subgroups) {
      subgroups = [];
      for (const key of g.keys()) {
        if (path === '' && (key === 'optimizer' || key.startsWith('metrics'))) continue; // never read optimizer state
        const child = g.child(key);
        if (child?.kind === 'group') subgroups.push([key.replace(/\\/g, '/'), child]);
      }
      opened.set(g.address, subgroups);
    }
    const here: Chain = { address: g.address, up: chain };
    for (let i = subgroups.length - 1; i >= 0; i--) {
      const [key, child] = subgroups[i];
      stack.push({ g: child, path: path ? `${path}/${key}` : key, depth: depth + 1, chain: here });
    }
  }
  const parents = new Set<string>();
  const realNames = new Map<string, Map<string, string>>();
  for (const [path, group] of groups) {
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) parents.add(path.slice(0, i));
    const m = /^(.*)\/([^/]+)\/vars$/.exec(path);
    const real = m ? attrStrings(group.attrs().name)[0] : undefined;
    if (m && real) {
      const names = realNames.get(m[1]) ?? new Map<string, string>();
      names.set(real, `${m[1]}/${m[2]}`);
      realNames.set(m[1], names);
    }
  }
  return { groups, parents, realNames };
}

function varsOf(index: GroupIndex, path: string): H5Dataset[] {
  const vars = index.groups.get(`${path}/vars`);
  if (!vars) return [];
  return vars
    .keys()
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => vars.child(k))
    .filter((d): d is H5Dataset => d?.kind === 'dataset');
}

/** Sub-group paths per group path, built once per index (for walking a custom layer's sub-layers). */
const subgroupsOf = new WeakMap<GroupIndex, Map<string, string[]>>();

/**
 * Every weight stored at or under a custom layer's group: its own `vars`, then each sub-layer's (`attention_dense/vars`)
 * in file order, named `attention_dense.var_0`. Keras's `model.summary()` counts them all. Iterative, each group once.
 */
function varsUnder(index: GroupIndex, path: string): Array<{ ds: H5Dataset; stored: string }> {
  let subs = subgroupsOf.get(index);
  if (!subs) {
    subs = new Map();
    for (const p of index.groups.keys()) {
      const cut = p.lastIndexOf('/');
      if (cut < 0) continue;
      const list = subs.get(p.slice(0, cut)) ?? [];
      list.push(p);
      subs.set(p.slice(0, cut), list);
    }
    subgroupsOf.set(index, subs);
  }
  const out: Array<{ ds: H5Dataset; stored: string }> = [];
  const stack = [path];
  while (stack.length) {
    const p = stack.pop()!;
    const prefix = p === path ? '' : `${p.slice(path.length + 1).replace(/\//g, '.')}.`;
    varsOf(index, p).forEach((ds, i) => out.push({ ds, stored: `${prefix}var_${i}` }));
    const children = (subs.get(p) ?? []).filter((c) => !c.endsWith('/vars'));
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

function bindKeras3Layer(index: GroupIndex, path: string, layer: LayerNode, warnings: string[]): WeightRef[] {
  const groups = layerKind(layer.className)?.innerGroups;
  let refs: WeightRef[];
  if (layer.model) {
    refs = bindKeras3Container(index, path, layer.model.layers, !layer.model.sequential, warnings);
  } else if (groups && layer.children.length === groups.length) {
    // A wrapper stores each inner layer's weights in its own group (`forward_layer`, `backward_layer`; `layer`).
    refs = layer.children.flatMap((child, i) => bindKeras3Layer(index, `${path}/${groups[i]}`, child, warnings));
  } else if (!layerKind(layer.className)) {
    // A custom or unknown class: its weights and its sub-layers' count, as model.summary() counts them.
    refs = varsUnder(index, path).map(({ ds, stored }) => weightRef(ds, stored, layer));
  } else {
    const groups = layerKind(layer.className)?.keras3VarGroups?.(layer) ?? ['', 'cell'];
    const own = groups.flatMap((g) => varsOf(index, g ? `${path}/${g}` : path));
    const names = positionalNames(layer, own.length);
    refs = own.map((ds, i) => weightRef(ds, names[i], layer));
  }
  layer.weights = refs;
  return refs;
}

/** Binds a list of layers under `<prefix>/layers/<snake_name>` (or tf.keras 2.13's `_layer_checkpoint_dependencies`). */
export function bindKeras3Container(
  index: GroupIndex,
  prefix: string,
  layers: LayerNode[],
  includeInputLayers: boolean,
  warnings: string[],
): WeightRef[] {
  const hasChildren = (p: string) => index.parents.has(p);
  const base = [`${prefix ? prefix + '/' : ''}layers`, `${prefix ? prefix + '/' : ''}_layer_checkpoint_dependencies`].find(hasChildren);
  if (!base) return [];
  // Since Keras 3.6 each vars group carries the real layer name; earlier files are matched by generated names.
  const byRealName = index.realNames.get(base) ?? new Map<string, string>();
  const used = new Map<string, number>();
  const all: WeightRef[] = [];
  for (const layer of layers) {
    if (layer.className === 'InputLayer' && !includeInputLayers) continue;
    // Keras 3 op layers (keras.ops.not_equal on a tensor) are not layers: no weights group, no generated name.
    if (isOpLayer(layer)) continue;
    const snake = snakeCase(layer.className);
    const n = used.get(snake) ?? 0;
    used.set(snake, n + 1);
    const generated = `${base}/${n === 0 ? snake : `${snake}_${n}`}`;
    const path = byRealName.get(layer.name) ?? generated;
    if (!index.groups.has(path) && !hasChildren(path)) {
      if (layer.className !== 'InputLayer') warnings.push(`No weights group was found for the layer "${showName(layer.name, 80)}" (looked for ${showName(path, 100)}).`);
      continue;
    }
    all.push(...bindKeras3Layer(index, path, layer, warnings));
  }
  return all;
}

export function bindKeras3Weights(root: H5Group, layers: LayerNode[], includeInputLayers: boolean, warnings: string[]): void {
  bindKeras3Container(indexGroups(root), '', layers, includeInputLayers, warnings);
}

/** Every float dataset in a Keras 3 weights file outside optimizer/metrics (for subclassed models we cannot map). */
export function looseKeras3Weights(root: H5Group): { path: string; shape: number[]; dtype: string; values: () => Float32Array }[] {
  const out: { path: string; shape: number[]; dtype: string; values: () => Float32Array }[] = [];
  for (const [path, group] of indexGroups(root).groups) {
    if (!path.endsWith('vars')) continue;
    for (const key of group.keys()) {
      const ds = group.child(key);
      if (ds?.kind === 'dataset') out.push({ path: `${path}/${key}`, shape: ds.shape, dtype: ds.dtype, values: () => ds.readFloat32() });
    }
  }
  return out;
}
