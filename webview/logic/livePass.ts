// One live-recompute pass in the page (no DOM): the core's input preparation, forward pass and step weights on the
// document the host sent (webview/views/liveRun.ts runs it per animation frame).

import { describeInput, type RunResult } from '../../extension/protocol';
import type { ModelDocument } from '../../extension/keras/model';
import type { Tensor } from '../../extension/keras/tensor';
import type { CellWeights } from '../../extension/keras/layers/types';
import { runForward } from '../../extension/keras/forward';
import { prepareInputs } from '../../extension/keras/inputs';
import { outputNames } from '../../extension/keras/runJson';
import { recurrentWeightsFor } from '../../extension/keras/stepWeights';

/**
 * One pass in the page, as the worker's job runs a `tensors` input (extension/runJob.ts executeRun): the core's input
 * preparation, forward pass and step weights on the same document, so the numbers are those of a Run.
 */
export async function runInPage(doc: ModelDocument, tensors: Tensor[], runId: number): Promise<RunResult> {
  const t0 = performance.now();
  const raws = tensors.map((t) => ({ shape: [...t.shape], data: Float64Array.from(t.data) }));
  const { tensors: inputs, notes } = prepareInputs(doc, raws.length === 1 ? raws[0] : raws);
  const result = await runForward(doc, inputs, { trace: true });
  const recurrentWeights: CellWeights[] = [];
  for (const tr of result.traces) {
    const w = recurrentWeightsFor(doc, tr);
    if (w) recurrentWeights.push(w);
  }
  const label = describeInput({ kind: 'tensors', tensors });
  return {
    runId,
    inputs,
    inputLabel: notes.length > 0 ? `${label} — ${notes.join(' ')}` : label,
    outputs: result.outputs,
    layers: result.layers,
    traces: result.traces,
    recurrentWeights,
    ...(result.stopped ? { stopped: result.stopped } : {}),
    elapsedMs: performance.now() - t0,
    outputNames: outputNames(doc),
    ...(result.finalStates ? { finalStates: result.finalStates } : {}),
  };
}
