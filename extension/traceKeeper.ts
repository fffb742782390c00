// The forward worker's keeper of streamed traces (forwardWorker.ts setTraceKeeper): it keeps the last run's traces
// and the TraceStore the run filled, and answers the page's window requests from them (recomputing exactly from the
// nearest checkpoint when the trace was streamed). Windows travel as Float32Arrays whose buffers are transferred.

import { takeRunStore, traceWindow, type TraceStore, type TraceWindowRequest } from './keras/traceStore';
import type { RecurrentTrace } from './keras/layers/types';
import type { RunResult } from './protocol';
import type { TraceKeeper } from './forwardWorker';

interface Kept {
  traces: RecurrentTrace[];
  store: TraceStore | undefined;
}

export const streamedTraceKeeper: TraceKeeper<Kept> = {
  keep(result: RunResult): Kept {
    const store = takeRunStore();
    // The result's buffers are about to be transferred to the host: the store copies what recompute reads.
    store?.seal();
    return { traces: result.traces, store };
  },
  window(kept, request) {
    const w = traceWindow(kept.traces, kept.store, request as unknown as TraceWindowRequest);
    return { value: w, transfer: Object.values(w.values).map((a) => a.buffer as ArrayBuffer) };
  },
};
