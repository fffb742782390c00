// A finished forward pass as the page receives it, built one way for the worker's Run (runJob.ts) and the page's
// live recompute (webview/logic/livePass.ts), so both show the same fields.

import type { ForwardResult } from './keras/forward';
import type { ModelDocument } from './keras/model';
import type { CellWeights } from './keras/layers/types';
import type { Tensor } from './keras/tensor';
import { outputNames } from './keras/runJson';
import { recurrentWeightsFor } from './keras/stepWeights';
import type { RunResult } from './protocol';

export interface RunParts {
  runId: number;
  inputs: Tensor[];
  /** What was run, in words (describeInput), and the input preparation's notes after it. */
  label: string;
  notes: readonly string[];
  /** When the run started (performance.now()). */
  t0: number;
}

export function runResultOf(doc: ModelDocument, result: ForwardResult, parts: RunParts): RunResult {
  const recurrentWeights: CellWeights[] = [];
  for (const tr of result.traces) {
    const w = recurrentWeightsFor(doc, tr);
    if (w) recurrentWeights.push(w);
  }
  return {
    runId: parts.runId,
    inputs: parts.inputs,
    inputLabel: parts.notes.length > 0 ? `${parts.label} — ${parts.notes.join(' ')}` : parts.label,
    outputs: result.outputs,
    layers: result.layers,
    traces: result.traces,
    recurrentWeights,
    ...(result.stopped ? { stopped: result.stopped } : {}),
    elapsedMs: performance.now() - parts.t0,
    outputNames: outputNames(doc),
    ...(result.finalStates ? { finalStates: result.finalStates } : {}),
  };
}
