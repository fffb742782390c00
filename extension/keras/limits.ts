// The bounds every file and input is checked against before anything is allocated or walked. Each is far beyond
// any real Keras model, so only a crafted or broken file meets one, and each has its own sentence.

import { InputError, NotAKerasFileError } from './errors';

/** Nesting of models and wrappers (Sequential in TimeDistributed in Bidirectional ...); real models use < 10. */
export const MAX_NESTING_DEPTH = 64;
/** Layers in one model, nested ones included; the largest real Keras models have a few thousand. */
export const MAX_LAYERS = 20_000;
/** Dimensions of one tensor. */
export const MAX_RANK = 8;
/** A single dimension (units, T, D, filters ...): a dim above this is a crafted file, whatever memory allows. */
export const MAX_DIM = 2 ** 31 - 1;
/** Text members of a .keras zip (config.json, metadata.json) and HDF5 string attributes; real ones are < 5 MB. */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;
/** Bytes one zip member may inflate to when read whole (only the HDF5 weights member is larger, and it is paged). */
export const MAX_INFLATE_RATIO = 100;
/** Default memory budget for one forward pass's outputs and trace (the settings and --memory-limit change it). */
export const DEFAULT_MEMORY_BUDGET_MB = 256;
export { MAX_MESSAGE_LENGTH } from './errors';

const MB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MB) return `${(bytes / (1024 * MB)).toFixed(1)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/** True for a whole number in [min, max]: what every dimension, count and index from a file must be. */
export function isWhole(v: unknown, min = 0, max = MAX_DIM): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * Checks a dimension claimed by a file (or typed by the user) before anything is sized by it.
 * `what` names it in the user's words, e.g. `lstm_1's units`.
 */
export function checkDim(v: unknown, what: string, opts: { min?: number; max?: number; user?: boolean } = {}): number {
  const min = opts.min ?? 1;
  const max = opts.max ?? MAX_DIM;
  if (isWhole(v, min, max)) return v;
  const shown = typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : typeof v;
  const Err = opts.user ? InputError : NotAKerasFileError;
  throw new Err(`${what} is ${shown}, which is not a whole number from ${min} to ${max.toLocaleString('en-US')}${opts.user ? '; enter one in that range' : ': the file is damaged or crafted'}.`);
}

/**
 * Refuses an allocation of `elements` × `bytesPer` bytes above `budgetBytes`, with the estimate and how to
 * reduce it. Call it before `new Float32Array(...)` with any size that a file or input decided.
 */
export function checkBudget(elements: number, bytesPer: number, budgetBytes: number, what: string, howToReduce: string): void {
  const bytes = elements * bytesPer;
  if (!Number.isFinite(bytes) || bytes > budgetBytes) {
    throw new InputError(`${what} would need ${Number.isFinite(bytes) ? formatBytes(bytes) : 'more memory than exists'}, over the ${formatBytes(budgetBytes)} limit; ${howToReduce}.`);
  }
}

export const budgetBytes = (mb: number = DEFAULT_MEMORY_BUDGET_MB): number => mb * MB;

/** The largest HDF5 file read whole when the metadata walk does not know its layout; above it, a sentence. */
export const MAX_WHOLE_READ_BYTES = 1024 * MB;
