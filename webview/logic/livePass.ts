// One live-recompute pass in the page (no DOM): the core's input preparation, forward pass and step weights on the
// document the host sent (webview/views/liveRun.ts runs it per animation frame).

import { describeInput, type RunResult } from '../../extension/protocol';
import type { ModelDocument } from '../../extension/keras/model';
import type { Tensor } from '../../extension/keras/tensor';
import { runForward } from '../../extension/keras/forward';
import { prepareInputs } from '../../extension/keras/inputs';
import { runResultOf } from '../../extension/runResult';

/**
 * One pass in the page, as the worker's job runs a `tensors` input (extension/runJob.ts executeRun): the core's input
 * preparation, forward pass and step weights on the same document, so the numbers are those of a Run.
 */
export async function runInPage(doc: ModelDocument, tensors: Tensor[], runId: number): Promise<RunResult> {
  const t0 = performance.now();
  const raws = tensors.map((t) => ({ shape: [...t.shape], data: Float64Array.from(t.data) }));
  const { tensors: inputs, notes } = prepareInputs(doc, raws.length === 1 ? raws[0] : raws);
  const result = await runForward(doc, inputs, { trace: true });
  return runResultOf(doc, result, { runId, inputs, label: describeInput({ kind: 'tensors', tensors }), notes, t0 });
}
