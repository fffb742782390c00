// The step walk-through of a streamed trace (traceStore.ts): the page asks for a window of the step and the one
// before (every quantity, all units, one sample), and this lays it out as a small trace that stepMath.ts's
// walkthrough reads like a full one (StepQuery.firstStep).

import type { RecurrentTrace } from '../../extension/keras/layers/types';
import type { TraceWindow } from '../../extension/keras/traceStore';

/**
 * Steps [first, first + rows) of one sample of a streamed trace, from a window of every quantity, as a small trace
 * the step walk-through reads like a full one (with StepQuery.firstStep = first; other samples' rows stay 0).
 */
export function stepWindowTrace(t: RecurrentTrace, w: Pick<TraceWindow, 'steps' | 'values'>, sample: number, first: number): RecurrentTrace {
  const rows = w.steps.length;
  const B = sample + 1;
  const M = t.units;
  const values: RecurrentTrace['values'] = { h: new Float32Array(rows * B * M) };
  for (const [q, v] of Object.entries(w.values)) {
    const a = new Float32Array(rows * B * M);
    for (let r = 0; r < rows; r++) a.set(v.subarray(r * M, (r + 1) * M), (r * B + sample) * M);
    values[q] = a;
  }
  const { streamed: _streamed, masked: _masked, ...rest } = t;
  let masked: Uint8Array | undefined;
  if (t.masked) {
    // Only the step itself: a masked step before it recorded the carried state, which is the state before the step.
    masked = new Uint8Array(rows * B);
    masked[(rows - 1) * B + sample] = t.masked[(first + rows - 1) * t.batch + sample];
  }
  return { ...rest, steps: rows, batch: B, timeIndex: t.timeIndex.slice(first, first + rows), ...(masked ? { masked } : {}), values };
}
