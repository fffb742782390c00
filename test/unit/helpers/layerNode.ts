// Tiny in-memory builders for layer tests: a LayerNode with WeightRefs holding given values,
// a forward context, and a seeded random source. No file is read.

import type { LayerNode, WeightRef } from '../../../extension/keras/model';
import { layerEnv } from '../../../extension/keras/layers/index';
import { shortWeightName } from '../../../extension/keras/weights';
import type { CellDescription, ForwardContext, LayerEnv } from '../../../extension/keras/layers/types';
import type { Tensor } from '../../../extension/keras/tensor';

/** A weight whose values() returns the given numbers as float32 (as a real file would). */
export function weightRef(name: string, shape: number[], values: ArrayLike<number>, trainable = true): WeightRef {
  const data = Float32Array.from(values as ArrayLike<number>);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`weightRef ${name}: ${data.length} values for shape [${shape}]`);
  return { name, short: shortWeightName(name), path: `test/${name}`, shape, dtype: 'float32', trainable, values: () => data };
}

export interface NodeOptions {
  name?: string;
  weights?: WeightRef[];
  children?: LayerNode[];
  calls?: LayerNode['calls'];
}

export function layerNode(className: string, config: Record<string, unknown> = {}, opts: NodeOptions = {}): LayerNode {
  const name = opts.name ?? (config.name as string | undefined) ?? className.toLowerCase();
  return {
    name,
    className,
    config: { name, ...config },
    weights: opts.weights ?? [],
    children: opts.children ?? [],
    calls: opts.calls ?? [{ inputs: [], kwargs: {} }],
  };
}

export function env(kerasMajor: 1 | 2 | 3 = 3): LayerEnv {
  return layerEnv(kerasMajor);
}

export function ctx(kerasMajor: 1 | 2 | 3 = 3, trace = true): ForwardContext {
  return {
    ...layerEnv(kerasMajor),
    trace,
    checkCancelled() {},
    yieldNow: () => Promise.resolve(),
  };
}

/** Deterministic pseudo-random numbers in [lo, hi) (mulberry32), so failures reproduce. */
export function seeded(seed: number): (lo?: number, hi?: number) => number {
  let a = seed >>> 0;
  return (lo = -1, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

export function randomArray(n: number, rnd: (lo?: number, hi?: number) => number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => rnd(lo, hi));
}

export function t(shape: number[], values: ArrayLike<number>): Tensor {
  return { shape, data: Float64Array.from(values as ArrayLike<number>) };
}

/** |a - b| <= atol + rtol·|b| for every element, with the first offending index in the message. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6, rtol = 1e-6, what = 'values'): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${b} (|diff| ${Math.abs(a - b)})`);
    }
  }
}

/** The real description of a cell (its module's describe()), for tests that build a trace by hand. */
export function cellDescription(className: string, config: Record<string, unknown> = {}, kerasMajor: 1 | 2 | 3 = 3): CellDescription {
  const kind = layerEnv(kerasMajor).layerKind(className)?.recurrentCell;
  if (!kind) throw new Error(`${className} has no recurrent cell`);
  return kind.describe(layerNode(className, config), env(kerasMajor));
}
