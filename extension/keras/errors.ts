// Errors a user can meet. Each carries one sentence saying what is wrong and what to do,
// and the CLI exit code it maps to (2 usage/input, 3 unsupported feature, 4 not a readable Keras file).

import { terminalSafe } from './safeText';

export abstract class InspectorError extends Error {
  abstract readonly exitCode: 2 | 3 | 4;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command-line usage or a bad user input (wrong shape, NaN, token out of range). */
export class InputError extends InspectorError {
  readonly exitCode = 2 as const;
}

/** A weights-only file whose architecture JSON was not given and not found beside it. */
export class MissingArchitectureError extends InputError {}

/** A real Keras feature this tool does not (yet) handle; the message names it. */
export class UnsupportedFeatureError extends InspectorError {
  readonly exitCode = 3 as const;
}

/** A layer that cannot be computed safely (Lambda, custom class); the run stops at it. */
export class UnsupportedLayerError extends UnsupportedFeatureError {
  constructor(message: string, readonly layerName: string, readonly position: number) {
    super(message);
  }
}

/** The file is not a Keras model we can read: LFS pointer, truncated, another library's binary, broken HDF5. */
export class NotAKerasFileError extends InspectorError {
  readonly exitCode = 4 as const;
}

/** The run was cancelled by the user. */
export class CancelledError extends Error {
  constructor() {
    super('The run was cancelled.');
    this.name = 'CancelledError';
  }
}

/** The longest message shown to a user. */
export const MAX_MESSAGE_LENGTH = 300;

/** Cuts a message to MAX_MESSAGE_LENGTH characters (a quoted name can be 10 KB); one line, controls visible. */
export function oneSentence(message: string): string {
  const line = terminalSafe(message.trim());
  return line.length <= MAX_MESSAGE_LENGTH ? line : `${Array.from(line).slice(0, MAX_MESSAGE_LENGTH - 1).join('')}…`;
}

/** Turn anything thrown (jsfive throws strings, asserts throw TypeErrors) into a readable message. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
