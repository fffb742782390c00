// One forward-pass job, as the worker runs it: read the model, build the input the user chose, run the core's
// forward pass and gather what the panel shows (outputs, every layer, traces and the recurrent weights).
// No `vscode` and no file paths: the host reads every file through VS Code's file system (any scheme: file, remote,
// virtual) and sends the bytes; runs inside the worker thread (Node or Web Worker) and in unit tests.

import { loadModelFromSource } from './keras/document';
import { memorySource } from './keras/container/bytes';
import { checkFillMemory, checkModel, runForward } from './keras/forward';
import { fillInputs, parseInputText, prepareInputs, type RawArray } from './keras/inputs';
import { parseInputBytes, type ReadInputResult } from './keras/inputFiles';
import { budgetBytes } from './keras/limits';
import { CancelledError, InputError, InspectorError, NotAKerasFileError, UnsupportedFeatureError, describeThrown, oneSentence } from './keras/errors';
import type { ModelDocument } from './keras/model';
import type { Tensor } from './keras/tensor';
import type { LayerStates } from './keras/states';
import { recurrentWeightsFor } from './keras/stepWeights';
import { describeInput, type InputChoice, type RunResult } from './protocol';
import { runResultOf } from './runResult';

// In the core since the page's live recompute uses it too (without the file readers); exported here for its callers.
export { recurrentWeightsFor };

/** A model file as the host read it: its base name (messages, the format sniff) and its whole bytes. */
export interface ModelBytes {
  name: string;
  bytes: Uint8Array;
}

/** The architecture JSON of a weights-only file (beside it or chosen), read by the host. */
export interface ConfigText {
  name: string;
  text: string;
}

/** The input as the worker gets it: a CSV carries its bytes (read by the host), never a path the worker would open. */
export type RunInput =
  | Exclude<InputChoice, { kind: 'csv' }>
  | (Omit<Extract<InputChoice, { kind: 'csv' }>, 'path'> & { bytes?: Uint8Array });

export interface RunRequest {
  runId: number;
  /** The model file's name and bytes (transferred to the worker, not copied). */
  model: ModelBytes;
  /** Architecture JSON for a weights-only file. */
  config?: ConfigText;
  input: RunInput;
  /** The memory limit of the run in MB (the extension's setting); DEFAULT_MEMORY_BUDGET_MB when absent. */
  memoryLimitMB?: number;
  /** Above this many MB of full trace, keep checkpoints and answer windows (traceStore.ts); absent: the full trace. */
  traceLimitMB?: number;
  /** 'h': record only the states (h, and LSTM's c), not the gates (the user's choice for a trace over the limit). */
  trace?: true | 'h';
  /** Only these top-level layers record a trace (the user's choice for a trace over the limit); absent: all. */
  traceLayers?: string[];
  /** Stateful layers continue from these states (a previous run's finalStates), described by `startedFrom`. */
  initialStates?: LayerStates[];
  startedFrom?: string;
}

export type RunErrorKind = 'input' | 'unsupported' | 'file' | 'internal';

/** A failed run: one user-facing sentence and what kind of failure it was. */
export class RunFailure extends Error {
  /** For an internal error: what was thrown, for the log, never shown as the message. */
  readonly detail?: string;
  constructor(message: string, readonly kind: RunErrorKind, detail?: string) {
    super(oneSentence(message));
    this.name = 'RunFailure';
    if (detail !== undefined) this.detail = detail;
  }
}

/** One sentence for anything a run throws; what is not ours to explain (a JS RangeError) becomes a generic one. */
export function classify(e: unknown): RunFailure {
  if (e instanceof RunFailure) return e;
  if (e instanceof InputError) return new RunFailure(e.message, 'input');
  if (e instanceof UnsupportedFeatureError) return new RunFailure(e.message, 'unsupported');
  if (e instanceof NotAKerasFileError) return new RunFailure(e.message, 'file');
  if (e instanceof InspectorError) return new RunFailure(e.message, 'input');
  return new RunFailure('Unexpected internal error in the forward pass; please report it with the model file.', 'internal', describeThrown(e));
}

/** The tensors for the user's input choice, checked against the model by the core (inputs.ts). */
export async function buildInputs(doc: ModelDocument, input: RunInput | InputChoice, memoryBudgetBytes?: number): Promise<{ tensors: Tensor[]; notes: string[] }> {
  switch (input.kind) {
    case 'zeros':
    case 'ramp':
      return fillInputs(doc, input.kind, { N: input.n, T: input.t, memoryBudgetBytes });
    case 'random':
      return fillInputs(doc, 'random', { N: input.n, T: input.t, seed: input.seed, memoryBudgetBytes });
    case 'text':
      return prepareInputs(doc, parseInputText(input.text), { T: input.t });
    case 'csv': {
      const cut = { column: input.column, window: { length: input.window, start: input.start }, memoryBudgetBytes };
      let read: ReadInputResult;
      if (input.text !== undefined) read = parseInputBytes(new TextEncoder().encode(input.text), '.csv', cut);
      // Bounded: only the window's rows are parsed out of the bytes the host read.
      else if ('bytes' in input && input.bytes) read = parseInputBytes(input.bytes, '.csv', cut);
      else throw new InputError('Choose a CSV file (or paste its text) for the CSV input.');
      const prepared = prepareInputs(doc, read.raw, { T: input.window });
      return { tensors: prepared.tensors, notes: [...read.notes, ...prepared.notes] };
    }
    case 'tensors': {
      const raws: RawArray[] = input.tensors.map((t) => ({ shape: [...t.shape], data: Float64Array.from(t.data) }));
      return prepareInputs(doc, raws.length === 1 ? raws[0] : raws);
    }
  }
}

export interface JobHooks {
  signal?: AbortSignal;
  onProgress?(done: number, total: number, layer: string): void;
  /** The request's model already read (a run session keeps it): `req.model` is not read again. */
  document?: ModelDocument;
}

/** The request's model, read from its bytes (the persistent run session keeps the result). */
export async function loadRequestModel(req: Pick<RunRequest, 'model' | 'config'>, memoryBudgetBytes?: number): Promise<ModelDocument> {
  const source = memorySource(req.model.bytes, req.model.name);
  try {
    return await loadModelFromSource(source, { ...(req.config ? { config: req.config } : {}), ...(memoryBudgetBytes !== undefined ? { memoryBudgetBytes } : {}) });
  } finally {
    await source.close();
  }
}

/** Runs one job to its RunResult. Rejects with RunFailure, or CancelledError when `signal` aborts. */
export async function executeRun(req: RunRequest, hooks: JobHooks = {}): Promise<RunResult> {
  const t0 = performance.now();
  try {
    const memoryBudgetBytes = req.memoryLimitMB !== undefined ? budgetBytes(req.memoryLimitMB) : undefined;
    const doc = hooks.document ?? (await loadRequestModel(req, memoryBudgetBytes));
    if (doc.notExecutable) throw new RunFailure(doc.notExecutable, 'unsupported');
    const limits = { trace: req.trace ?? true, memoryLimitMB: req.memoryLimitMB, ...(req.traceLimitMB !== undefined ? { traceLimitMB: req.traceLimitMB } : {}), ...(req.traceLayers ? { traceLayers: req.traceLayers } : {}) };
    // The file's claims and the memory of a fill are checked before the fill allocates anything.
    checkModel(doc);
    const input = req.input;
    if (input.kind === 'zeros' || input.kind === 'ramp' || input.kind === 'random') checkFillMemory(doc, { N: input.n, T: input.t }, limits);
    const { tensors, notes } = await buildInputs(doc, input, memoryBudgetBytes);
    const initialStates = req.initialStates?.length ? req.initialStates : undefined;
    const result = await runForward(doc, tensors, { ...limits, signal: hooks.signal, onProgress: hooks.onProgress, ...(initialStates ? { initialStates } : {}) });
    return {
      ...runResultOf(doc, result, { runId: req.runId, inputs: tensors, label: describeInput(req.input as InputChoice), notes, t0 }),
      ...(initialStates && req.startedFrom ? { startedFrom: req.startedFrom } : {}),
    };
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    throw classify(e);
  }
}

/**
 * The buffers of a request a worker may take without a copy: the model's and a CSV's bytes, which the host read for
 * this request only (never the initial states, which the host keeps for the next run).
 */
export function requestTransfer(req: RunRequest): ArrayBuffer[] {
  const views = [req.model.bytes, ...(req.input.kind === 'csv' && req.input.bytes ? [req.input.bytes] : [])];
  const out = new Set<ArrayBuffer>();
  for (const v of views) {
    const buf = v.buffer;
    if (buf instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === buf.byteLength) out.add(buf);
  }
  return [...out];
}

/** Every distinct ArrayBuffer under `value`, so a worker can transfer instead of copying. */
export function transferables(value: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    const buf = value.buffer;
    if (buf instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buf.byteLength) out.add(buf);
  } else if (Array.isArray(value)) {
    for (const v of value) transferables(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) transferables(v, out);
  }
  return [...out];
}
