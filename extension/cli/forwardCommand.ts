// `keras-inspect forward MODEL --input FILE ...`: runs the forward pass by hand and prints the output, every
// layer's output and the per-step trace (a table, or JSON), and optionally writes the NumPy script or the trace CSV.

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { loadModel } from '../keras/documentNode';
import { InputError, describeThrown, oneSentence } from '../keras/errors';
import { checkFillMemory, runForward, type ForwardResult } from '../keras/forward';
import { budgetBytes, DEFAULT_MEMORY_BUDGET_MB } from '../keras/limits';
import { readInputFile } from '../keras/inputFilesNode';
import { fillInputs, inputLetters, inputSpecs, parseWindow, prepareInputs, type CsvOptions, type FillKind, type PreparedInputs } from '../keras/inputs';
import type { ModelDocument } from '../keras/model';
import { exportNumpy } from '../keras/numpyExport';
import { outputNames, runJson } from '../keras/runJson';
import { MAX_STATE_FILE_BYTES, parseStateFile, stateFileJson, statefulLayers, type LayerStates } from '../keras/states';
import { readSmallFile } from '../keras/container/bytesNode';
import type { Tensor } from '../keras/tensor';
import { traceCsvLines } from '../keras/traceExport';
import type { RecurrentTrace } from '../keras/layers/types';
import type { CliIo } from './io';
import { checkOutputPaths } from './outputPaths';
import { cell, jsonText, listCell, textLine, WORD_CELL, wrapped } from './text';

export const FORWARD_USAGE = `Usage: keras-inspect forward MODEL (--input FILE | --fill zeros|ramp|random[:SEED]) [options]
  --input FILE          .json ([N][T][D], {"inputs": ...}, a list or a name->array map for several inputs),
                        .csv (rows are time steps, columns are features), .npy, or NumPy-style text
  --fill KIND           no file: zeros, ramp (1, 2, 3, ... per sample) or random[:SEED] (seeded normal values)
  --N n                 samples for --fill (default 1)
  --T n                 time steps where the model's T is None (required for --fill then; checked for files)
  --column C            CSV/array column(s) to use, by name or 0-based index (comma-separated for several)
  --window LEN[@START]  cut LEN rows starting at START (negative counts from the end) out of a series
  --config ARCH.json    architecture JSON for a weights-only file
  --trace               print the per-step hidden state table (text mode) / include the trace (JSON, default on)
  --no-trace            leave the trace out of the JSON
  --json                {output, outputShape, layers, trace} as JSON
  --numpy OUT.py        also write a standalone NumPy script that recomputes the same forward pass
  --trace-csv OUT.csv   also write the trace as long-format CSV
  --state-in FILE       stateful layers (stateful=True) start from the states --state-out saved, as Keras continues
                        between predict calls (without it they start from zeros)
  --state-out FILE      write the states the stateful layers end with (JSON), for the next run's --state-in
  --memory-limit MB     refuse a run whose outputs and trace would need more (default ${DEFAULT_MEMORY_BUDGET_MB} MB)
  --debug               show the stack trace of an error
JSON: {output, outputShape, layers: [{name, className, node, outputShape, output}],
       trace: {<layer>: {cell, stateShape, timeIndex: [step], h: [step][n][m], and each quantity its cell records:
       c, i, f, g, o (LSTM), z, r, hh (GRU: the candidate h̃), pre (SimpleRNN)}}}
  Steps are in processing order; timeIndex maps each step to its input time index, 0-based (t = index + 1 in the
  text table and the panel, where t = 1..T and h_0 is the initial state; reversed for go_backwards). A
  state that is a feature map (ConvLSTM) is flattened channels last: m indexes stateShape (rows, cols, F).
  A Bidirectional layer gives trace[<layer>] = {forward: {...}, backward: {...}}; a shared layer's later calls are
  <layer>@2, <layer>@3, ... With several outputs, outputs/outputShapes list them all.
Exit codes: 0 ok, 2 bad usage or input, 3 unsupported feature or layer (everything before it is printed), 4 not a Keras model.`;

interface ForwardArgs {
  model: string;
  input?: string;
  fill?: { kind: FillKind; seed?: number };
  N?: number;
  T?: number;
  column?: CsvOptions['column'];
  window?: CsvOptions['window'];
  config?: string;
  trace: boolean;
  noTrace: boolean;
  json: boolean;
  numpy?: string;
  traceCsv?: string;
  stateIn?: string;
  stateOut?: string;
  memoryLimitMB?: number;
  debug: boolean;
}

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(v) || n <= 0) throw new InputError(`${flag} needs a positive whole number, got ${v === undefined ? 'nothing' : cell(JSON.stringify(v), WORD_CELL)}.`);
  return n;
}

function parseForwardArgs(argv: string[]): ForwardArgs {
  const args: Partial<ForwardArgs> & { trace: boolean; noTrace: boolean; json: boolean; debug: boolean } = {
    trace: false,
    noTrace: false,
    json: false,
    debug: false,
  };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const takeValue = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new InputError(`${flag} needs a value (keras-inspect forward --help).`);
      return v;
    };
    switch (flag) {
      case '--input':
      case '-i':
        args.input = takeValue();
        break;
      case '--fill': {
        const v = takeValue();
        const m = /^(zeros|ramp|random)(?::(\d+))?$/.exec(v);
        if (!m) throw new InputError(`--fill must be zeros, ramp or random[:SEED], got ${cell(JSON.stringify(v), WORD_CELL)}.`);
        args.fill = { kind: m[1] as FillKind, ...(m[2] !== undefined ? { seed: Number(m[2]) } : {}) };
        break;
      }
      case '--N':
        args.N = positiveInt('--N', takeValue());
        break;
      case '--T':
        args.T = positiveInt('--T', takeValue());
        break;
      case '--column': {
        const parts = takeValue().split(',').map((s) => s.trim());
        args.column = parts.length === 1 ? parts[0] : parts;
        break;
      }
      case '--window':
        args.window = parseWindow(takeValue());
        break;
      case '--config':
        args.config = takeValue();
        break;
      case '--numpy':
        args.numpy = takeValue();
        break;
      case '--trace-csv':
        args.traceCsv = takeValue();
        break;
      case '--state-in':
        args.stateIn = takeValue();
        break;
      case '--state-out':
        args.stateOut = takeValue();
        break;
      case '--trace':
        args.trace = true;
        break;
      case '--no-trace':
        args.noTrace = true;
        break;
      case '--json':
        args.json = true;
        break;
      case '--memory-limit':
        args.memoryLimitMB = positiveInt('--memory-limit', takeValue());
        break;
      case '--debug':
        args.debug = true;
        break;
      default:
        if (a.startsWith('-') && a.length > 1) throw new InputError(`Unknown option ${cell(a, WORD_CELL)} for forward (keras-inspect forward --help).`);
        positional.push(a);
    }
  }
  if (positional.length === 0) throw new InputError('Give the model file: keras-inspect forward MODEL --input FILE.');
  if (positional.length > 1) throw new InputError(`forward takes one model file, got ${positional.length}: ${listCell(positional.map((p) => cell(p)), 160)}.`);
  if (!args.input && !args.fill) throw new InputError('Give an input: --input FILE (.json, .csv, .npy) or --fill zeros|ramp|random[:SEED].');
  if (args.input && args.fill) throw new InputError('Give either --input or --fill, not both.');
  if (args.fill && (args.column !== undefined || args.window)) throw new InputError('--column and --window cut a series out of an input file; they do not apply to --fill.');
  return { ...args, model: positional[0] } as ForwardArgs;
}

/** Whether the run records a trace: not when nothing would print or write it. */
const wantsTrace = (args: ForwardArgs): boolean => !(args.json && args.noTrace && !args.traceCsv);

async function prepare(doc: ModelDocument, args: ForwardArgs): Promise<PreparedInputs> {
  // A fill is sized by --N/--T: estimate the run before the fill allocates anything.
  if (args.fill) checkFillMemory(doc, { N: args.N, T: args.T }, { memoryLimitMB: args.memoryLimitMB, trace: wantsTrace(args) });
  const memoryBudgetBytes = args.memoryLimitMB !== undefined ? budgetBytes(args.memoryLimitMB) : undefined;
  if (args.fill) return fillInputs(doc, args.fill.kind, { N: args.N, T: args.T, seed: args.fill.seed, memoryBudgetBytes });
  const read = await readInputFile(args.input!, { column: args.column, window: args.window, memoryBudgetBytes });
  const prepared = prepareInputs(doc, read.raw, { T: args.T });
  return { tensors: prepared.tensors, notes: [...read.notes, ...prepared.notes] };
}

const num = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-4 && a < 1e6 ? Number(v.toPrecision(7)).toString() : v.toExponential(6);
};

function tensorLines(t: Tensor, indent: string, maxRows = 20): string[] {
  const lines: string[] = [];
  const N = t.shape[0] ?? 1;
  const per = t.data.length / Math.max(1, N);
  const rowLen = t.shape.length >= 2 ? t.shape[t.shape.length - 1] : per;
  for (let n = 0; n < N; n++) {
    if (lines.length >= maxRows) {
      lines.push(`${indent}… ${N - n} more sample(s)`);
      break;
    }
    const values = Array.from(t.data.subarray(n * per, (n + 1) * per));
    if (per <= 12) {
      lines.push(`${indent}sample ${n}: [${values.map(num).join(', ')}]`);
    } else {
      lines.push(`${indent}sample ${n}: ${t.shape.slice(1).join('×')} values, last row [${values.slice(-rowLen).slice(0, 12).map(num).join(', ')}${rowLen > 12 ? ', …' : ''}]`);
    }
  }
  return lines;
}

function pad(s: string, w: number): string {
  return s.length >= w ? s + ' ' : s + ' '.repeat(w - s.length);
}

/** The readable report: input, each layer's output shape, the model output, and per-step h for small layers. */
function forwardText(doc: ModelDocument, inputs: PreparedInputs, result: ForwardResult, showTrace: boolean): string {
  // Names, versions and notes come from the file: cell()/textLine() keep each one a bounded line of inert text.
  const lines: string[] = [];
  lines.push(textLine(`Model: ${doc.file} (${doc.format}, Keras ${doc.kerasVersion == null ? 'unknown' : cell(doc.kerasVersion, WORD_CELL)})`));
  const specs = inputSpecs(doc);
  inputs.tensors.forEach((t, k) => {
    lines.push(`Input "${cell(specs[k].name)}": ${inputLetters(specs[k]).join('×')} = ${t.shape.join('×')}`);
  });
  for (const note of inputs.notes) lines.push(...wrapped(`note: ${note}`, '  '));
  lines.push('');
  const rows = result.layers.map((l) => [`${cell(l.name)} (${cell(l.className, WORD_CELL)})`, textLine(l.outputShapes.map((s) => s.join('×')).join(', '), 120)]);
  const nameW = rows.reduce((w, r) => Math.max(w, r[0].length + 2), 24);
  lines.push(`${pad('Layer (class)', nameW)}Output shape`);
  for (const [name, shapes] of rows) lines.push(`${pad(name, nameW)}${shapes}`);
  lines.push('');
  const names = outputNames(doc);
  result.outputs.forEach((t, k) => {
    // Several outputs (a decoder's sequence and its states): each by the name of what produces it.
    lines.push(`Output${result.outputs.length > 1 ? ` ${k} "${cell(names[k] ?? '')}"` : ''} (${t.shape.join('×')}):`);
    lines.push(...tensorLines(t, '  '));
  });
  const small = result.traces.every((tr) => tr.steps * tr.units <= 400);
  if (result.traces.length > 0 && (showTrace || small)) {
    for (const tr of result.traces) {
      const samples = Math.min(tr.batch, 2);
      const units = Math.min(tr.units, 8);
      lines.push('');
      lines.push(
        `Hidden state h_t of ${cell(tr.layer)}${tr.direction ? ` (${cell(tr.direction, WORD_CELL)})` : ''}, ${cell(tr.cell.title, WORD_CELL)} with ${tr.stateShape.length > 1 ? `state ${tr.stateShape.join('×')}, ${tr.units} values` : `M = ${tr.units}`}` +
          `${tr.units > units ? ` (first ${units} units)` : ''}${tr.batch > samples ? ` (first ${samples} samples)` : ''}:`,
      );
      // Time as the notebooks count it: t = 1..T, h_0 the initial state (zeros unless --state-in gives it); k is the
      // processing order, which differs from t only for a layer reading backwards.
      lines.push(`  h_t after input step t = 1..T (h_0 is the initial state); k = 1..T is the order the layer processed them.`);
      lines.push(`  ${pad('k', 6)}${pad('t', 6)}${pad('n', 4)}${Array.from({ length: units }, (_, m) => pad(`h[${m}]`, 14)).join('')}`);
      const maxSteps = showTrace ? tr.steps : Math.min(tr.steps, 50);
      for (let s = 0; s < maxSteps; s++) {
        for (let n = 0; n < samples; n++) {
          const off = (s * tr.batch + n) * tr.units;
          const masked = tr.masked && tr.masked[s * tr.batch + n] ? '  (masked: carried over)' : '';
          lines.push(`  ${pad(String(s + 1), 6)}${pad(String(tr.timeIndex[s] + 1), 6)}${pad(String(n), 4)}${Array.from({ length: units }, (_, m) => pad(num(tr.values.h[off + m]), 14)).join('')}${masked}`);
        }
      }
      if (maxSteps < tr.steps) lines.push(`  … ${tr.steps - maxSteps} more steps (--trace shows all)`);
    }
  }
  return lines.join('\n');
}

/** Streams the long CSV in ~1 MB chunks: a T=1000, M=256 LSTM trace is over a million rows. */
async function writeTraceCsv(path: string, traces: readonly RecurrentTrace[]): Promise<void> {
  const out = createWriteStream(path);
  const failed = once(out, 'error').then(([e]) => {
    throw new InputError(`The trace CSV cannot be written to ${cell(path, 120)} (${cell((e as NodeJS.ErrnoException).code ?? describeThrown(e), WORD_CELL)}).`);
  });
  const write = async (): Promise<void> => {
    let chunk = '';
    for (const line of traceCsvLines(traces)) {
      chunk += line + '\n';
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await once(out, 'finish');
  };
  await Promise.race([write(), failed]);
}

async function writeOut(path: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new InputError(`The ${what} cannot be written to ${cell(path, 120)} (${cell((e as NodeJS.ErrnoException).code ?? describeThrown(e), WORD_CELL)}).`);
  }
}

/** The starting states --state-in names, read as untrusted input (a regular file, bounded, every field checked). */
async function readStates(file: string, doc: ModelDocument, N: number): Promise<LayerStates[]> {
  const bytes = await readSmallFile(file, MAX_STATE_FILE_BYTES, 'The state file', 'give the JSON file --state-out wrote');
  return parseStateFile(new TextDecoder('utf-8', { fatal: false }).decode(bytes), doc, N);
}

/** Runs `forward` with argv after the command name. Exit codes: 0 ok, 2 usage/input, 3 unsupported, 4 not a model. */
export async function runForwardCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(FORWARD_USAGE);
    return 0;
  }
  // Errors go up to main.ts, which maps them to exit codes and one line on stderr.
  const args = parseForwardArgs(argv);
  // Before anything is read or run: an output path must never be the model, its architecture JSON or the input.
  await checkOutputPaths(
    [
      { flag: '--numpy', path: args.numpy },
      { flag: '--trace-csv', path: args.traceCsv },
      { flag: '--state-out', path: args.stateOut },
    ],
    { model: args.model, config: args.config, input: args.input },
  );
  const memoryBudgetBytes = args.memoryLimitMB !== undefined ? budgetBytes(args.memoryLimitMB) : undefined;
  const doc = await loadModel(args.model, { ...(args.config ? { configPath: args.config } : {}), memoryBudgetBytes });
  const stateful = statefulLayers(doc);
  if ((args.stateIn || args.stateOut) && stateful.length === 0) {
    throw new InputError('This model has no stateful layers (stateful=True), so there is no state to carry between runs; leave out --state-in and --state-out.');
  }
  // The NumPy script starts every layer from zeros: it would not replay a run that continued from a saved state.
  if (args.stateIn && args.numpy) throw new InputError('--numpy writes a script that starts the stateful layers from zeros, so it cannot replay a run continued with --state-in; run without --state-in to export it.');
  const inputs = await prepare(doc, args);
  const initialStates = args.stateIn ? await readStates(args.stateIn, doc, inputs.tensors[0]?.shape[0] ?? 0) : undefined;
  const result = await runForward(doc, inputs.tensors, { trace: wantsTrace(args), memoryLimitMB: args.memoryLimitMB, ...(initialStates ? { initialStates } : {}) });
  if (args.traceCsv) await writeTraceCsv(args.traceCsv, result.traces);
  const startedFrom = args.stateIn ? `the states in ${args.stateIn}` : undefined;
  if (args.json) io.stdout(jsonText(runJson(result, { trace: !args.noTrace, notes: inputs.notes, outputNames: outputNames(doc), ...(startedFrom ? { startedFrom } : {}) })));
  else {
    io.stdout(forwardText(doc, inputs, result, args.trace));
    if (startedFrom) io.stdout(textLine(`Stateful layers started from ${startedFrom}.`));
    else if (stateful.length > 0) io.stdout(textLine(`Stateful layers (${stateful.map((l) => cell(l.name, 40)).join(', ')}) started from zeros; --state-out saves their final states for the next run's --state-in.`));
    if (args.traceCsv) io.stdout(textLine(`Trace CSV written to ${args.traceCsv}`));
  }
  // A stopped run may not have reached every stateful layer: no partial state is saved.
  if (args.stateOut && !result.stopped && result.finalStates) {
    await writeOut(args.stateOut, jsonText(stateFileJson(result.finalStates, { model: doc.file.split(/[\\/]/).pop() ?? doc.file })), 'state file');
    if (!args.json) io.stdout(textLine(`Final states written to ${args.stateOut} (continue with --state-in ${args.stateOut})`));
  }
  if (args.numpy && !result.stopped) {
    // After the run, so that a layer the export cannot write out still leaves the printed results.
    await writeOut(args.numpy, exportNumpy(doc, inputs.tensors, { title: doc.file }), 'NumPy script');
    if (!args.json) io.stdout(`NumPy script written to ${cell(args.numpy, 120)} (run: python3 ${cell(args.numpy, 120)} --layers)`);
  }
  if (result.stopped) {
    io.stderr(oneSentence(`keras-inspect: ${result.stopped.message}`));
    return 3;
  }
  return 0;
}
